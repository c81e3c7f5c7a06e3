// Shared state of the two vocabulary-building algorithms (trainer_hf.cc, trainer_likelihood.cc).
#ifndef BERTC_TOKENIZER_TRAINER_INTERNAL_H_
#define BERTC_TOKENIZER_TRAINER_INTERNAL_H_

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/trainer.h"

namespace bertc::tok::internal {

inline uint64_t PairKey(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }
inline int32_t PairLeft(uint64_t k) { return static_cast<int32_t>(k >> 32); }
inline int32_t PairRight(uint64_t k) { return static_cast<int32_t>(k & 0xFFFFFFFFu); }

struct MergeState {
  std::vector<std::string> vocab;
  absl::flat_hash_map<std::string, int32_t> ids;
  std::vector<std::vector<int32_t>> words;  // symbol ids per distinct word
  std::vector<uint64_t> counts;             // occurrences of each word

  int32_t Intern(const std::string& token) {
    auto [it, inserted] = ids.try_emplace(token, static_cast<int32_t>(vocab.size()));
    if (inserted) vocab.push_back(token);
    return it->second;
  }
  // Token for merging a and b: a + b without b's continuation prefix.
  std::string Merged(int32_t a, int32_t b, const std::string& prefix) const;
};

// Specials, alphabet, "##c" forms and the words as symbol sequences (see trainer.h for the rules).
MergeState InitMergeState(const WordCounts& counts, const TrainerOptions& options);

// Replaces every (a, b) in `word` by t, left to right, and appends the pair-count changes exactly
// as HF's Word::merge reports them: (pair, -1) for broken neighbour pairs, (pair, +1) for new ones.
void MergeInWord(std::vector<int32_t>* word, int32_t a, int32_t b, int32_t t,
                 std::vector<std::pair<uint64_t, int>>* changes);

// Reports merge progress every few hundred tokens; throws Cancelled.
void ReportMerge(const TrainerOptions& options, size_t vocab_now, bool force = false);

std::vector<std::string> BuildVocabHf(MergeState state, const TrainerOptions& options);
std::vector<std::string> BuildVocabLikelihood(MergeState state, const TrainerOptions& options);

}  // namespace bertc::tok::internal

#endif  // BERTC_TOKENIZER_TRAINER_INTERNAL_H_
