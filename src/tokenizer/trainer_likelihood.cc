// The `likelihood` algorithm: merge the pair maximizing freq(ab) / (freq(a) * freq(b)).
#include <queue>

#include "tokenizer/trainer_internal.h"

namespace bertc::tok::internal {

namespace {

struct Entry {
  double score;
  uint64_t pair;
  bool operator<(const Entry& o) const { return score != o.score ? score < o.score : pair > o.pair; }
};

}  // namespace

std::vector<std::string> BuildVocabLikelihood(MergeState s, const TrainerOptions& options) {
  absl::flat_hash_map<uint64_t, int64_t> pair_count;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> pair_words;
  std::vector<int64_t> sym_count(s.vocab.size(), 0);
  std::vector<std::vector<uint64_t>> sym_pairs(s.vocab.size());  // pairs a symbol is part of (may be stale)
  for (size_t w = 0; w < s.words.size(); ++w) {
    const auto& sym = s.words[w];
    const auto n = static_cast<int64_t>(s.counts[w]);
    for (size_t i = 0; i < sym.size(); ++i) {
      sym_count[static_cast<size_t>(sym[i])] += n;
      if (i + 1 == sym.size()) continue;
      const uint64_t k = PairKey(sym[i], sym[i + 1]);
      int64_t& c = pair_count[k];
      if (c == 0) {
        sym_pairs[static_cast<size_t>(sym[i])].push_back(k);
        sym_pairs[static_cast<size_t>(sym[i + 1])].push_back(k);
      }
      c += n;
      auto& v = pair_words[k];
      if (v.empty() || v.back() != w) v.push_back(static_cast<uint32_t>(w));
    }
  }
  const auto min_freq = static_cast<int64_t>(options.min_frequency);
  auto score = [&](uint64_t k, int64_t c) {
    return static_cast<double>(c) / (static_cast<double>(sym_count[static_cast<size_t>(PairLeft(k))]) *
                                     static_cast<double>(sym_count[static_cast<size_t>(PairRight(k))]));
  };
  std::priority_queue<Entry> queue;
  for (const auto& [k, c] : pair_count) {
    if (c >= min_freq && c > 0) queue.push({score(k, c), k});
  }
  std::vector<uint32_t> stamp(s.words.size(), 0);
  uint32_t round = 0;
  std::vector<std::pair<uint64_t, int>> changes;
  std::vector<uint64_t> touched;
  while (s.vocab.size() < options.vocab_size && !queue.empty()) {
    const Entry top = queue.top();
    queue.pop();
    auto it = pair_count.find(top.pair);
    const int64_t current = it == pair_count.end() ? 0 : it->second;
    if (current < min_freq || current <= 0) continue;
    const double now = score(top.pair, current);
    if (now != top.score) {
      queue.push({now, top.pair});
      continue;
    }
    const int32_t a = PairLeft(top.pair), b = PairRight(top.pair);
    const int32_t t = s.Intern(s.Merged(a, b, options.continuing_subword_prefix));
    if (static_cast<size_t>(t) >= sym_count.size()) {
      sym_count.resize(static_cast<size_t>(t) + 1, 0);
      sym_pairs.resize(static_cast<size_t>(t) + 1);
    }
    ++round;
    std::vector<uint32_t> where = std::move(pair_words[top.pair]);
    pair_words.erase(top.pair);
    pair_count.erase(top.pair);
    touched.clear();
    for (const uint32_t w : where) {
      if (stamp[w] == round) continue;
      stamp[w] = round;
      const size_t before = s.words[w].size();
      changes.clear();
      MergeInWord(&s.words[w], a, b, t, &changes);
      const auto n = static_cast<int64_t>(s.counts[w]);
      const auto merged = static_cast<int64_t>(before - s.words[w].size());
      sym_count[static_cast<size_t>(a)] -= merged * n;
      sym_count[static_cast<size_t>(b)] -= merged * n;
      sym_count[static_cast<size_t>(t)] += merged * n;
      for (const auto& [k, d] : changes) {
        if (k == top.pair) continue;
        int64_t& c = pair_count[k];
        if (c == 0 && d > 0) {
          sym_pairs[static_cast<size_t>(PairLeft(k))].push_back(k);
          sym_pairs[static_cast<size_t>(PairRight(k))].push_back(k);
        }
        c += d * n;
        if (d > 0) {
          auto& v = pair_words[k];
          if (v.empty() || v.back() != w) v.push_back(w);
          touched.push_back(k);
        }
      }
    }
    // Scores of pairs containing a or b rose (their frequencies fell): queue them again.
    for (const int32_t sym : {a, b}) {
      auto& list = sym_pairs[static_cast<size_t>(sym)];
      size_t keep = 0;
      for (const uint64_t k : list) {
        auto pc = pair_count.find(k);
        if (pc == pair_count.end() || pc->second <= 0) continue;  // gone: drop from the list
        list[keep++] = k;
        if (pc->second >= min_freq) touched.push_back(k);
      }
      list.resize(keep);
    }
    for (const uint64_t k : touched) {
      auto pc = pair_count.find(k);
      if (pc != pair_count.end() && pc->second >= min_freq && pc->second > 0) queue.push({score(k, pc->second), k});
    }
    ReportMerge(options, s.vocab.size());
  }
  ReportMerge(options, s.vocab.size(), true);
  return std::move(s.vocab);
}

}  // namespace bertc::tok::internal
