#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/error.h"
#include "common/limits.h"
#include "common/parallel.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"

namespace bertc::tok {

namespace {

// Per-thread scratch so encoding allocates nothing once warm.
struct Scratch {
  WordBuffer word;
  std::vector<WordPiece> pieces;
  std::vector<AddedMatch> matches;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

Tokenizer::Tokenizer(std::vector<std::string> vocab, TokenizerConfig config, std::vector<AddedToken> added)
    : config_(std::move(config)), normalizer_(config_.normalizer) {
  if (added.empty()) {
    for (const std::string* s : {&config_.pad_token, &config_.model.unk_token, &config_.cls_token, &config_.sep_token,
                                 &config_.mask_token}) {
      // A repeated line keeps its last id (as HF); earlier lines of it are holes.
      for (size_t i = vocab.size(); i-- > 0;) {
        if (vocab[i] == *s) {
          AddedToken t;
          t.content = *s;
          t.id = static_cast<int32_t>(i);
          added.push_back(t);
          break;
        }
      }
    }
  }
  {
    Vocab probe(vocab);
    for (AddedToken& t : added) {
      if (t.content.empty()) throw FormatError("an added token is empty");
      ValidateUtf8(t.content, "added token");
      if (t.id < 0) {
        t.id = probe.Find(t.content);
        if (t.id < 0) {
          t.id = static_cast<int32_t>(vocab.size());
          vocab.push_back(t.content);
        }
      } else if (static_cast<size_t>(t.id) >= vocab.size()) {
        if (static_cast<size_t>(t.id) != vocab.size()) {
          throw FormatError("added token '" + t.content + "' has id " + std::to_string(t.id) +
                            " past the end of the vocabulary (" + std::to_string(vocab.size()) + ")");
        }
        vocab.push_back(t.content);
      } else if (vocab[static_cast<size_t>(t.id)] != t.content) {
        throw FormatError("added token '" + t.content + "' has id " + std::to_string(t.id) + " but the vocabulary has '" +
                          vocab[static_cast<size_t>(t.id)] + "' there");
      }
    }
  }
  vocab_ = Vocab(std::move(vocab));
  for (const AddedToken& t : added) {
    if (vocab_.Find(t.content) != t.id) {
      throw FormatError("added token '" + t.content + "' has id " + std::to_string(t.id) + " but also id " +
                        std::to_string(vocab_.Find(t.content)) + " (a token has one id)");
    }
  }
  added_ = std::move(added);
  special_.assign(vocab_.size(), 0);
  std::vector<AddedToken> nonspecial;
  for (const AddedToken& t : added_) {
    if (t.special) {
      special_[static_cast<size_t>(t.id)] = 1;
    } else {
      nonspecial.push_back(t);
    }
  }
  matcher_ = AddedTokenMatcher(added_);
  nonspecial_matcher_ = AddedTokenMatcher(nonspecial);
  model_ = std::make_unique<WordPieceModel>(vocab_, config_.model);
  post_.enabled = config_.post_processor;
  post_.cls_id = vocab_.Find(config_.cls_token);
  post_.sep_id = vocab_.Find(config_.sep_token);
  if (config_.post_processor && (post_.cls_id < 0 || post_.sep_id < 0)) {
    throw FormatError("the classifier token '" + config_.cls_token + "' or separator token '" + config_.sep_token +
                      "' is not in the vocabulary");
  }
  pad_id_ = vocab_.Find(config_.pad_token);
  mask_id_ = vocab_.Find(config_.mask_token);
  post_.pad_id = pad_id_ < 0 ? 0 : pad_id_;
}

template <class Sink>
void Tokenizer::EncodeTokens(std::string_view text, bool split_special, bool offsets, Sink&& sink) const {
  Scratch& s = ThreadScratch();
  s.word.track_offsets = offsets;
  auto encode_segment = [&](size_t begin, size_t end) {
    SplitWords(text.substr(begin, end - begin), static_cast<uint32_t>(begin), normalizer_, s.word,
               [&](const WordBuffer& w) {
                 s.pieces.clear();
                 model_->Encode(w.bytes, w.chars, &s.pieces);
                 if (!offsets) {
                   for (const WordPiece& p : s.pieces) sink(p.id, Offset{});
                 } else if (w.identity) {
                   for (const WordPiece& p : s.pieces) sink(p.id, Offset{w.origin + p.start, w.origin + p.end});
                 } else {
                   for (const WordPiece& p : s.pieces) {
                     const auto span = w.Span(p.start, p.end);
                     sink(p.id, Offset{span.first, span.second});
                   }
                 }
               });
  };
  const AddedTokenMatcher& m = split_special ? nonspecial_matcher_ : matcher_;
  size_t pos = 0;
  if (!m.empty()) {
    s.matches.clear();
    m.FindAll(text, &s.matches);
    // Copy each match: encode_segment reuses the scratch (not the matches), but keep it obviously safe.
    for (size_t k = 0; k < s.matches.size(); ++k) {
      const AddedMatch match = s.matches[k];
      if (match.start > pos) encode_segment(pos, match.start);
      sink(match.id, Offset{match.start, match.end});
      pos = match.end;
    }
  }
  if (pos < text.size()) encode_segment(pos, text.size());
}

void Tokenizer::EncodeInto(std::string_view text, int8_t seq, bool split_special, Encoding* out) const {
  CheckTextBytes(text.size(), seq == 1 ? "second text" : "text");
  ValidateUtf8(text, seq == 1 ? "second text" : "text");
  if (text.size() > 0xFFFFFFF0u) throw InvalidArgument("a text longer than 4 GiB cannot be encoded");
  EncodeTokens(text, split_special, true, [&](int32_t id, Offset off) { out->Push(id, off, seq, 0, seq); });
}

Encoding Tokenizer::EncodeRaw(std::string_view text, int8_t seq, bool split_special_tokens) const {
  Encoding e;
  e.Reserve(text.size() / 4 + 4);
  EncodeInto(text, seq, split_special_tokens, &e);
  return e;
}

void Tokenizer::EncodeIds(std::string_view text, std::vector<int32_t>* ids, bool split_special_tokens) const {
  CheckTextBytes(text.size(), "text");
  ValidateUtf8(text, "text");
  if (text.size() > 0xFFFFFFF0u) throw InvalidArgument("a text longer than 4 GiB cannot be encoded");
  EncodeTokens(text, split_special_tokens, false, [&](int32_t id, Offset) { ids->push_back(id); });
}

size_t Tokenizer::ResolveMaxLength(const EncodeOptions& options) const {
  return options.max_length > 0 ? options.max_length : config_.model_max_length;
}

Encoding Tokenizer::Encode(std::string_view text, const std::string_view* pair, const EncodeOptions& options) const {
  std::vector<std::string_view> a{text};
  std::vector<std::string_view> b;
  if (pair != nullptr) b.push_back(*pair);
  auto out = EncodeBatch(a, pair != nullptr ? &b : nullptr, options);
  return std::move(out[0]);
}

std::vector<Encoding> Tokenizer::EncodeBatch(const std::vector<std::string_view>& texts,
                                             const std::vector<std::string_view>* pairs,
                                             const EncodeOptions& options) const {
  if (pairs != nullptr && pairs->size() != texts.size()) {
    throw InvalidArgument("the batch has " + std::to_string(texts.size()) + " texts but " +
                          std::to_string(pairs->size()) + " second texts");
  }
  if (options.padding != PaddingStrategy::kNone && pad_id_ < 0) {
    throw InvalidArgument("padding needs the pad token '" + config_.pad_token + "' in the vocabulary");
  }
  const size_t max_length = ResolveMaxLength(options);
  std::vector<Encoding> out(texts.size());
  const bool simple = pairs == nullptr && options.truncation == TruncationStrategy::kNone;
  const bool add_special = options.add_special_tokens && post_.enabled;
  auto one = [&](size_t i) {
    if (simple) {  // common case: build the final encoding in place, no post-processing copies
      Encoding& e = out[i];
      e.Reserve(texts[i].size() / 3 + 4);
      if (add_special) e.Push(post_.cls_id, {0, 0}, 0, 1, -1);
      EncodeInto(texts[i], 0, options.split_special_tokens, &e);
      if (add_special) e.Push(post_.sep_id, {0, 0}, 0, 1, -1);
      return;
    }
    Encoding a = EncodeRaw(texts[i], 0, options.split_special_tokens);
    std::optional<Encoding> b;
    if (pairs != nullptr) b = EncodeRaw((*pairs)[i], 1, options.split_special_tokens);
    out[i] = PostProcess(std::move(a), std::move(b), options, max_length, post_);
  };
  if (texts.size() == 1) {
    one(0);
  } else {
    const int threads = ResolveThreads(options.threads);
    const size_t grain = std::max<size_t>(1, std::min<size_t>(256, texts.size() / (static_cast<size_t>(threads) * 8) + 1));
    ParallelForRange(texts.size(), threads, grain, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) one(i);
    });
  }
  if (options.padding != PaddingStrategy::kNone) {
    const size_t length = options.pad_length > 0 ? options.pad_length : max_length;
    PadBatch(&out, options.padding, length, options.pad_to_multiple_of, options.padding_side, post_.pad_id,
             post_.pad_type_id);
  }
  return out;
}

EncodingBatch Tokenizer::EncodeBatchFlat(const std::vector<std::string_view>& texts,
                                        const std::vector<std::string_view>* pairs,
                                        const EncodeOptions& options) const {
  if (pairs != nullptr || options.truncation != TruncationStrategy::kNone ||
      options.padding != PaddingStrategy::kNone) {
    return EncodingBatch::FromEncodings(EncodeBatch(texts, pairs, options));
  }
  // Common case: [CLS] A [SEP] per input, no overflow. Rows are encoded in blocks of `grain`
  // inputs: ids and offsets go to thread-local scratch, then into one exactly sized allocation
  // per block, where the constant columns are filled in.
  for (size_t i = 0; i < texts.size(); ++i) {
    CheckTextBytes(texts[i].size(), "text");
    ValidateUtf8(texts[i], "text");
    if (texts[i].size() > 0xFFFFFFF0u) throw InvalidArgument("a text longer than 4 GiB cannot be encoded");
  }
  const bool add_special = options.add_special_tokens && post_.enabled;
  const size_t n = texts.size();
  const int threads = ResolveThreads(options.threads);
  const size_t grain = std::max<size_t>(1, std::min<size_t>(256, n / (static_cast<size_t>(threads) * 8) + 1));
  EncodingBatch out;
  auto& rows = out.mutable_rows();
  rows.resize(n);
  out.ResizeBlocks((n + grain - 1) / grain);
  auto block = [&](size_t begin, size_t end) {
    struct Local {
      std::vector<int32_t> ids;
      std::vector<Offset> offsets;
      std::vector<size_t> lengths;
    };
    thread_local Local local;
    local.ids.clear();
    local.offsets.clear();
    local.lengths.clear();
    for (size_t i = begin; i < end; ++i) {
      const size_t mark = local.ids.size();
      if (add_special) {
        local.ids.push_back(post_.cls_id);
        local.offsets.push_back({0, 0});
      }
      EncodeTokens(texts[i], options.split_special_tokens, true, [&](int32_t id, Offset off) {
        local.ids.push_back(id);
        local.offsets.push_back(off);
      });
      if (add_special) {
        local.ids.push_back(post_.sep_id);
        local.offsets.push_back({0, 0});
      }
      local.lengths.push_back(local.ids.size() - mark);
    }
    const size_t total = local.ids.size();
    const EncodingBatch::Span sp = out.AllocateBlockAt(begin / grain, total);
    if (total > 0) {
      std::memcpy(sp.ids, local.ids.data(), total * sizeof(int32_t));
      std::memcpy(sp.offsets, local.offsets.data(), total * sizeof(Offset));
    }
    std::fill(sp.type_ids, sp.type_ids + total, 0);
    std::fill(sp.attention_mask, sp.attention_mask + total, 1);
    std::fill(sp.special_tokens_mask, sp.special_tokens_mask + total, 0);
    std::fill(sp.sequence_ids, sp.sequence_ids + total, int8_t{0});
    size_t at = 0;
    for (size_t i = begin; i < end; ++i) {
      const size_t len = local.lengths[i - begin];
      if (add_special) {
        sp.special_tokens_mask[at] = sp.special_tokens_mask[at + len - 1] = 1;
        sp.sequence_ids[at] = sp.sequence_ids[at + len - 1] = -1;
      }
      rows[i] = sp.RowAt(at, len, i, false);
      at += len;
    }
  };
  ParallelForRange(n, threads, grain, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; b += grain) block(b, std::min(end, b + grain));
  });
  return out;
}

std::string Tokenizer::Decode(const int32_t* ids, size_t n, const DecodeOptions& options) const {
  std::vector<std::string_view> tokens;
  tokens.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const int32_t id = ids[i];
    if (!vocab_.Present(id)) continue;
    if (options.skip_special_tokens && special_[static_cast<size_t>(id)]) continue;
    tokens.push_back(vocab_.Token(id));
  }
  DecoderOptions d;
  d.prefix = config_.model.continuing_subword_prefix;
  d.cleanup = options.cleanup && config_.decoder_cleanup;
  return DecodeWordPieces(tokens, d);
}

int32_t Tokenizer::TokenToId(std::string_view token) const { return vocab_.Find(token); }

const std::string* Tokenizer::IdToToken(int32_t id) const {
  return vocab_.Present(id) ? &vocab_.Token(id) : nullptr;
}

bool Tokenizer::IsSpecial(int32_t id) const { return vocab_.ValidId(id) && special_[static_cast<size_t>(id)]; }

}  // namespace bertc::tok
