// bertc::tok::Tokenizer — the BERT WordPiece tokenizer facade: normalizer + pre-tokenizer +
// added-token matcher + WordPiece model + BERT post-processor + WordPiece decoder, with HF
// `tokenizers` semantics (BertWordPieceTokenizer / BertTokenizerFast).
//
// A Tokenizer is immutable once built; every const method is thread-safe (scratch buffers are
// thread_local), so one instance can encode from many threads.
//
// Typical core use (e.g. encoding a corpus for pre-training):
//   auto tok = bertc::tok::Tokenizer::Load("out/tokenizer");      // dir, tokenizer.json or vocab.txt
//   std::vector<int32_t> ids;
//   tok->EncodeIds(line, &ids);            // appends word-piece ids, no [CLS]/[SEP], fastest path
//   tok->cls_id(); tok->sep_id(); tok->mask_id(); tok->pad_id(); tok->vocab_size();
#ifndef BERTC_TOKENIZER_TOKENIZER_H_
#define BERTC_TOKENIZER_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/decoder.h"
#include "tokenizer/encoding.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/wordpiece.h"

namespace bertc::tok {

struct TokenizerConfig {
  NormalizerOptions normalizer;
  WordPieceModel::Options model;  // unk token, "##", max_input_chars_per_word
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
  bool post_processor = true;     // add [CLS]/[SEP] when asked (false: like a raw HF-trained tokenizer.json)
  bool decoder_cleanup = true;    // WordPiece decoder `cleanup`
  size_t model_max_length = 512;  // default truncation/padding length
};

struct DecodeOptions {
  bool skip_special_tokens = true;
  bool cleanup = true;  // HF WordPiece decoder cleanup (AND-ed with TokenizerConfig::decoder_cleanup)
};

class Tokenizer {
 public:
  // Builds a tokenizer. `added` lists the added/special tokens (content + id; an id of -1 means
  // "look it up in the vocabulary, or append it"). When `added` is empty, every one of the
  // config's special tokens ([UNK] [CLS] [SEP] [PAD] [MASK]) present in the vocabulary becomes a
  // special added token, as BertWordPieceTokenizer(vocab) does. Throws FormatError when the unk,
  // cls or sep token is missing from the vocabulary.
  Tokenizer(std::vector<std::string> vocab, TokenizerConfig config, std::vector<AddedToken> added = {});
  Tokenizer(const Tokenizer&) = delete;  // the model points into the vocabulary
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Loads a directory (tokenizer.json, else vocab.txt + tokenizer_config.json/config.json), a
  // tokenizer.json file or a vocab.txt file. Throws IoError / FormatError / Unsupported.
  static std::shared_ptr<const Tokenizer> Load(const std::string& path);
  // Same from memory: `content` is a tokenizer.json or a vocab.txt, `config_json` an optional
  // tokenizer_config.json (empty = none). Throws FormatError / Unsupported.
  static std::shared_ptr<const Tokenizer> FromMemory(std::string_view content, std::string_view config_json);

  // Saves into directory `dir` (created): vocab.txt, tokenizer.json, tokenizer_config.json,
  // special_tokens_map.json and config.json (the last only when none exists or it is not a model
  // config). Every file is written atomically. Throws IoError.
  void Save(const std::string& dir) const;
  void SaveVocab(const std::string& path) const;
  void SaveJson(const std::string& path) const;  // HF tokenizer.json
  std::string ToJson() const;                    // HF tokenizer.json content
  std::string VocabText() const;                 // vocab.txt content
  std::string ConfigJson() const;                // tokenizer_config.json content

  // Encodes one input (`pair` = second text, or nullptr). Validates UTF-8 (Utf8Error with the byte
  // offset; for a pair the offset is within the text named in the message).
  Encoding Encode(std::string_view text, const std::string_view* pair, const EncodeOptions& options) const;

  // Encodes many inputs on options.threads threads; results are in input order, padded together.
  // `pairs` is nullptr or has texts.size() entries.
  std::vector<Encoding> EncodeBatch(const std::vector<std::string_view>& texts,
                                    const std::vector<std::string_view>* pairs, const EncodeOptions& options) const;

  // Same results as EncodeBatch, stored flat (what the C ABI returns). Inputs without a pair,
  // truncation or padding — the common case — are encoded straight into the flat blocks.
  EncodingBatch EncodeBatchFlat(const std::vector<std::string_view>& texts, const std::vector<std::string_view>* pairs,
                                const EncodeOptions& options) const;

  // Fast path: appends the word-piece ids of `text` (no [CLS]/[SEP], no truncation) to `ids`.
  // Special tokens in the text are matched unless split_special_tokens. Throws Utf8Error.
  void EncodeIds(std::string_view text, std::vector<int32_t>* ids, bool split_special_tokens = false) const;

  // Raw tokens of one text (ids, offsets, sequence id `seq`), before post-processing.
  Encoding EncodeRaw(std::string_view text, int8_t seq, bool split_special_tokens) const;

  // ids -> text. Unknown ids are skipped (as HF does).
  std::string Decode(const int32_t* ids, size_t n, const DecodeOptions& options = {}) const;

  // -1 when absent.
  int32_t TokenToId(std::string_view token) const;
  // nullptr when out of range.
  const std::string* IdToToken(int32_t id) const;
  size_t vocab_size() const { return vocab_.size(); }
  bool IsSpecial(int32_t id) const;

  int32_t unk_id() const { return model_->unk_id(); }
  int32_t cls_id() const { return post_.cls_id; }
  int32_t sep_id() const { return post_.sep_id; }
  int32_t pad_id() const { return pad_id_; }    // -1 when the vocabulary has no pad token
  int32_t mask_id() const { return mask_id_; }  // -1 when the vocabulary has no mask token

  const TokenizerConfig& config() const { return config_; }
  const Vocab& vocab() const { return vocab_; }
  const std::vector<AddedToken>& added_tokens() const { return added_; }
  const Normalizer& normalizer() const { return normalizer_; }
  const WordPieceModel& model() const { return *model_; }

 private:
  size_t ResolveMaxLength(const EncodeOptions& options) const;
  void EncodeInto(std::string_view text, int8_t seq, bool split_special, Encoding* out) const;
  // Calls sink(id, Offset) for every raw token of `text` (valid UTF-8, checked by the caller).
  template <class Sink>
  void EncodeTokens(std::string_view text, bool split_special, bool offsets, Sink&& sink) const;

  TokenizerConfig config_;
  Vocab vocab_;
  std::vector<AddedToken> added_;
  std::vector<uint8_t> special_;  // per id: 1 when a special added token
  Normalizer normalizer_;
  std::unique_ptr<WordPieceModel> model_;
  AddedTokenMatcher matcher_;          // all added tokens
  AddedTokenMatcher nonspecial_matcher_;  // only non-special ones (split_special_tokens)
  PostProcessorConfig post_;
  int32_t pad_id_ = -1;
  int32_t mask_id_ = -1;
};

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_TOKENIZER_H_
