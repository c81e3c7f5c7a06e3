// WordPiece vocabulary training. Words are counted (in parallel, streaming files block by block)
// with the same normalizer + pre-tokenizer as encoding; then one of two algorithms builds the
// vocabulary:
//
//  kHf (default) — Hugging Face WordPieceTrainer semantics (BPE-style pair-frequency merging with
//    the "##" continuation prefix): special tokens first, then the alphabet (chars of the words,
//    plus initial_alphabet, cut to limit_alphabet by dropping the rarest), then "##c" for every
//    alphabet char seen inside a word, then merges of the most frequent adjacent pair until
//    vocab_size or until the best pair is rarer than min_frequency. Deterministic tie-break (HF
//    breaks ties by hash-map order): among pairs of equal frequency the one with the smallest
//    (left id, right id) wins, where ids are assigned specials, alphabet by code point, "##c" by
//    code point, then merged tokens in creation order. limit_alphabet drops, among equally rare
//    chars, the lower code point first. Same input + settings => same vocab.txt on any thread count.
//
//  kLikelihood — the WordPiece criterion of Schuster & Nakajima / the seed tutorial: merge the pair
//    maximizing freq(ab) / (freq(a) * freq(b)) (symbol frequencies of the current segmentation,
//    weighted by word count); pairs rarer than min_frequency are never merged. Same alphabet rules
//    and tie-break (smallest (left id, right id)).
#ifndef BERTC_TOKENIZER_TRAINER_H_
#define BERTC_TOKENIZER_TRAINER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/tokenizer.h"

namespace bertc::tok {

enum class TrainerAlgorithm { kHf, kLikelihood };

struct TrainProgress {
  enum Stage { kCount, kMerge } stage;
  uint64_t current;  // kCount: bytes read; kMerge: vocabulary size so far
  uint64_t total;    // kCount: total bytes (0 for in-memory lines: lines); kMerge: vocab_size
};

struct TrainerOptions {
  size_t vocab_size = 30522;
  uint64_t min_frequency = 2;
  size_t limit_alphabet = 1000;  // 0: no limit
  std::string initial_alphabet;  // UTF-8; every code point is kept in the alphabet
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
  std::string continuing_subword_prefix = "##";
  NormalizerOptions normalizer;
  TrainerAlgorithm algorithm = TrainerAlgorithm::kHf;
  int threads = 0;  // <= 0: all cores
  size_t model_max_length = 512;
  // Called on the calling thread; return false to cancel (Error kCancelled).
  std::function<bool(const TrainProgress&)> progress;
};

// Word -> count, sorted by word (deterministic input to the algorithms).
using WordCounts = std::vector<std::pair<std::string, uint64_t>>;

// Counts the words of the given files / lines. Throws IoError, Utf8Error ("file:line: ... byte"),
// Cancelled.
WordCounts CountWordsInFiles(const std::vector<std::string>& files, const TrainerOptions& options);
WordCounts CountWordsInLines(const std::vector<std::string_view>& lines, const TrainerOptions& options);

// Builds the vocabulary (id order) from word counts. Throws InvalidArgument (duplicate or empty
// special tokens, empty corpus, vocab_size smaller than specials + alphabet), Cancelled.
std::vector<std::string> BuildVocab(const WordCounts& counts, const TrainerOptions& options);

// Count + build + assemble the tokenizer (special tokens become special added tokens).
std::shared_ptr<const Tokenizer> TrainFromFiles(const std::vector<std::string>& files, const TrainerOptions& options);
std::shared_ptr<const Tokenizer> TrainFromLines(const std::vector<std::string_view>& lines,
                                                const TrainerOptions& options);

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_TRAINER_H_
