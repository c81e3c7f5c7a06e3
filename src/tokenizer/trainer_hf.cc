// The `hf` algorithm: HF WordPieceTrainer (= BpeTrainer with "##") merge loop, deterministic.
#include <queue>

#include "tokenizer/trainer_internal.h"

namespace bertc::tok::internal {

namespace {

struct Entry {
  int64_t count;
  uint64_t pair;
  // Max-heap order: higher count first, then the smaller (left id, right id).
  bool operator<(const Entry& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

}  // namespace

std::vector<std::string> BuildVocabHf(MergeState s, const TrainerOptions& options) {
  absl::flat_hash_map<uint64_t, int64_t> pair_count;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> pair_words;
  for (size_t w = 0; w < s.words.size(); ++w) {
    const auto& sym = s.words[w];
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      const uint64_t k = PairKey(sym[i], sym[i + 1]);
      pair_count[k] += static_cast<int64_t>(s.counts[w]);
      auto& v = pair_words[k];
      if (v.empty() || v.back() != w) v.push_back(static_cast<uint32_t>(w));
    }
  }
  std::vector<Entry> init;
  init.reserve(pair_count.size());
  for (const auto& [k, c] : pair_count) {
    if (c > 0) init.push_back({c, k});
  }
  std::priority_queue<Entry> queue(std::less<Entry>(), std::move(init));
  std::vector<uint32_t> stamp(s.words.size(), 0);
  uint32_t round = 0;
  std::vector<std::pair<uint64_t, int>> changes;
  std::vector<uint64_t> touched;
  while (s.vocab.size() < options.vocab_size && !queue.empty()) {
    Entry top = queue.top();
    queue.pop();
    auto it = pair_count.find(top.pair);
    const int64_t current = it == pair_count.end() ? 0 : it->second;
    if (top.count != current) {
      if (current > 0) queue.push({current, top.pair});
      continue;
    }
    if (top.count < 1 || static_cast<uint64_t>(top.count) < options.min_frequency) break;
    const int32_t a = PairLeft(top.pair), b = PairRight(top.pair);
    const int32_t t = s.Intern(s.Merged(a, b, options.continuing_subword_prefix));
    ++round;
    std::vector<uint32_t> where = std::move(pair_words[top.pair]);
    pair_words.erase(top.pair);
    pair_count.erase(top.pair);
    touched.clear();
    for (const uint32_t w : where) {
      if (stamp[w] == round) continue;
      stamp[w] = round;
      changes.clear();
      MergeInWord(&s.words[w], a, b, t, &changes);
      const auto n = static_cast<int64_t>(s.counts[w]);
      for (const auto& [k, d] : changes) {
        if (k == top.pair) continue;  // the merged pair itself is gone everywhere
        pair_count[k] += d * n;
        if (d > 0) {
          auto& v = pair_words[k];
          if (v.empty() || v.back() != w) v.push_back(w);
          touched.push_back(k);
        }
      }
    }
    for (const uint64_t k : touched) {
      const int64_t c = pair_count[k];
      if (c > 0) queue.push({c, k});
    }
    ReportMerge(options, s.vocab.size());
  }
  ReportMerge(options, s.vocab.size(), true);
  return std::move(s.vocab);
}

}  // namespace bertc::tok::internal
