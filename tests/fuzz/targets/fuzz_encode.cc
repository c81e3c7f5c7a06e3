// encode / encode_batch / decode with fuzzed text and options on a fixed real vocabulary
// (bert-base-uncased): the first bytes choose the options, the rest is the text (and a pair).
#include <memory>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

namespace {
std::shared_ptr<const bertc::tok::Tokenizer> Tok() {
  static auto tok = bertc::tok::Tokenizer::Load(BERTC_FIXTURES_DIR "/tokenizer/bert_base_uncased");
  return tok;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  using namespace bertc::tok;
  EncodeOptions o;
  o.truncation = static_cast<TruncationStrategy>(data[0] % 4);
  o.max_length = data[1] % 64;
  o.stride = data[2] % 8;
  o.padding = static_cast<PaddingStrategy>(data[3] % 3);
  o.padding_side = (data[3] & 4) ? PaddingSide::kLeft : PaddingSide::kRight;
  o.pad_to_multiple_of = (data[3] >> 3) % 4;
  o.return_overflowing = data[4] & 1;
  o.add_special_tokens = data[4] & 2;
  o.split_special_tokens = data[4] & 4;
  o.threads = 1;
  const bool with_pair = data[5] & 1;
  const auto [a, b] = bertc::fuzz::Split(std::string_view(reinterpret_cast<const char*>(data + 6), size - 6));
  const auto tok = Tok();
  bertc::fuzz::Refusable([&, a = a, b = b] {
    const std::vector<std::string_view> texts{a, b};
    const std::vector<std::string_view> pairs{b, a};
    auto batch = tok->EncodeBatch(texts, with_pair ? &pairs : nullptr, o);
    auto flat = tok->EncodeBatchFlat(texts, with_pair ? &pairs : nullptr, o);
    bertc::fuzz::Require(flat.size() >= batch.size());
    for (const auto& e : batch) {
      bertc::fuzz::Require(e.ids.size() == e.offsets.size() && e.ids.size() == e.attention_mask.size());
      for (const auto& off : e.offsets) bertc::fuzz::Require(off.start <= off.end);
      tok->Decode(e.ids.data(), e.ids.size(), DecodeOptions{});
    }
  });
  // Decode arbitrary ids (out-of-range ones are skipped).
  std::vector<int32_t> ids(size / 4);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | static_cast<uint32_t>(data[4 * i + 3]) << 24);
  tok->Decode(ids.data(), ids.size(), DecodeOptions{(data[0] & 1) != 0, (data[0] & 2) != 0});
  return 0;
}
