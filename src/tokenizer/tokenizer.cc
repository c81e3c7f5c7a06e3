#include "tokenizer/tokenizer.h"

#include <utility>

#include "common/error.h"
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
      for (size_t i = 0; i < vocab.size(); ++i) {
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

void Tokenizer::EncodeInto(std::string_view text, int8_t seq, bool split_special, Encoding* out) const {
  ValidateUtf8(text, seq == 1 ? "second text" : "text");
  if (text.size() > 0xFFFFFFF0u) throw InvalidArgument("a text longer than 4 GiB cannot be encoded");
  Scratch& s = ThreadScratch();
  s.word.track_offsets = true;
  auto encode_segment = [&](size_t begin, size_t end) {
    SplitWords(text.substr(begin, end - begin), static_cast<uint32_t>(begin), normalizer_, s.word,
               [&](const WordBuffer& w) {
                 s.pieces.clear();
                 model_->Encode(w.bytes, w.chars, &s.pieces);
                 for (const WordPiece& p : s.pieces) {
                   out->Push(p.id, {w.orig_start[p.start], w.orig_end[p.end - 1]}, seq, 0, seq);
                 }
               });
  };
  const AddedTokenMatcher& m = split_special ? nonspecial_matcher_ : matcher_;
  s.matches.clear();
  m.FindAll(text, &s.matches);
  size_t pos = 0;
  // Copy: encode_segment reuses the scratch (not the matches), but keep the loop obviously safe.
  for (size_t k = 0; k < s.matches.size(); ++k) {
    const AddedMatch match = s.matches[k];
    if (match.start > pos) encode_segment(pos, match.start);
    out->Push(match.id, {match.start, match.end}, seq, 0, seq);
    pos = match.end;
  }
  if (pos < text.size()) encode_segment(pos, text.size());
}

Encoding Tokenizer::EncodeRaw(std::string_view text, int8_t seq, bool split_special_tokens) const {
  Encoding e;
  e.Reserve(text.size() / 4 + 4);
  EncodeInto(text, seq, split_special_tokens, &e);
  return e;
}

void Tokenizer::EncodeIds(std::string_view text, std::vector<int32_t>* ids, bool split_special_tokens) const {
  ValidateUtf8(text, "text");
  if (text.size() > 0xFFFFFFF0u) throw InvalidArgument("a text longer than 4 GiB cannot be encoded");
  Scratch& s = ThreadScratch();
  s.word.track_offsets = false;
  auto encode_segment = [&](size_t begin, size_t end) {
    SplitWords(text.substr(begin, end - begin), 0, normalizer_, s.word, [&](const WordBuffer& w) {
      s.pieces.clear();
      model_->Encode(w.bytes, w.chars, &s.pieces);
      for (const WordPiece& p : s.pieces) ids->push_back(p.id);
    });
  };
  const AddedTokenMatcher& m = split_special_tokens ? nonspecial_matcher_ : matcher_;
  s.matches.clear();
  m.FindAll(text, &s.matches);
  size_t pos = 0;
  for (size_t k = 0; k < s.matches.size(); ++k) {
    const AddedMatch match = s.matches[k];
    if (match.start > pos) encode_segment(pos, match.start);
    ids->push_back(match.id);
    pos = match.end;
  }
  if (pos < text.size()) encode_segment(pos, text.size());
  s.word.track_offsets = true;
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

std::string Tokenizer::Decode(const int32_t* ids, size_t n, const DecodeOptions& options) const {
  std::vector<std::string_view> tokens;
  tokens.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const int32_t id = ids[i];
    if (!vocab_.ValidId(id)) continue;
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
  return vocab_.ValidId(id) ? &vocab_.Token(id) : nullptr;
}

bool Tokenizer::IsSpecial(int32_t id) const { return vocab_.ValidId(id) && special_[static_cast<size_t>(id)]; }

}  // namespace bertc::tok
