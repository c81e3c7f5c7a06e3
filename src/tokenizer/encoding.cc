#include "tokenizer/encoding.h"

#include <cstring>

namespace bertc::tok {

namespace {

// Block layout for n tokens: offsets (16 bytes each) first so that everything stays aligned,
// then ids, type ids, attention mask, special-tokens mask (int32 each), then sequence ids (int8).
size_t BlockBytes(size_t n) { return n * (sizeof(Offset) + 4 * sizeof(int32_t) + sizeof(int8_t)); }

EncodingBatch::Span Carve(unsigned char* mem, size_t n) {
  EncodingBatch::Span s;
  s.offsets = reinterpret_cast<Offset*>(mem);
  auto* ints = reinterpret_cast<int32_t*>(mem + n * sizeof(Offset));
  s.ids = ints;
  s.type_ids = ints + n;
  s.attention_mask = ints + 2 * n;
  s.special_tokens_mask = ints + 3 * n;
  s.sequence_ids = reinterpret_cast<int8_t*>(ints + 4 * n);
  return s;
}

}  // namespace

EncodingBatch::Span EncodingBatch::AllocateBlock(size_t tokens) {
  blocks_.emplace_back();
  return AllocateBlockAt(blocks_.size() - 1, tokens);
}

EncodingBatch::Span EncodingBatch::AllocateBlockAt(size_t index, size_t tokens) {
  // operator new[] storage is aligned for any fundamental type (Offset needs 8).
  blocks_[index].reset(new unsigned char[BlockBytes(tokens) + 1]);
  return Carve(blocks_[index].get(), tokens);
}

EncodingBatch EncodingBatch::FromEncodings(const std::vector<Encoding>& encs) {
  EncodingBatch out;
  size_t tokens = 0, rows = 0;
  for (const Encoding& e : encs) {
    tokens += e.size();
    ++rows;
    for (const Encoding& o : e.overflowing) {
      tokens += o.size();
      ++rows;
    }
  }
  out.rows_.reserve(rows);
  const Span s = out.AllocateBlock(tokens);
  size_t at = 0;
  auto put = [&](const Encoding& e, size_t input, bool overflow) {
    const size_t n = e.size();
    if (n > 0) {
      std::memcpy(s.ids + at, e.ids.data(), n * sizeof(int32_t));
      std::memcpy(s.type_ids + at, e.type_ids.data(), n * sizeof(int32_t));
      std::memcpy(s.attention_mask + at, e.attention_mask.data(), n * sizeof(int32_t));
      std::memcpy(s.special_tokens_mask + at, e.special_tokens_mask.data(), n * sizeof(int32_t));
      std::memcpy(s.offsets + at, e.offsets.data(), n * sizeof(Offset));
      std::memcpy(s.sequence_ids + at, e.sequence_ids.data(), n * sizeof(int8_t));
    }
    out.rows_.push_back(s.RowAt(at, n, input, overflow));
    at += n;
  };
  for (size_t i = 0; i < encs.size(); ++i) {
    put(encs[i], i, false);
    for (const Encoding& o : encs[i].overflowing) put(o, i, true);
  }
  return out;
}

Encoding EncodingBatch::ToEncoding(size_t r) const {
  const Row& row = rows_[r];
  Encoding e;
  e.ids.assign(row.ids, row.ids + row.length);
  e.type_ids.assign(row.type_ids, row.type_ids + row.length);
  e.attention_mask.assign(row.attention_mask, row.attention_mask + row.length);
  e.special_tokens_mask.assign(row.special_tokens_mask, row.special_tokens_mask + row.length);
  e.offsets.assign(row.offsets, row.offsets + row.length);
  e.sequence_ids.assign(row.sequence_ids, row.sequence_ids + row.length);
  return e;
}

}  // namespace bertc::tok
