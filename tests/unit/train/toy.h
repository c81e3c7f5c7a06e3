// Shared helpers for the trainer tests: a tiny BERT and a learnable toy language.
#ifndef BERTC_TESTS_UNIT_TRAIN_TOY_H_
#define BERTC_TESTS_UNIT_TRAIN_TOY_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "data/grouping.h"
#include "model/bert.h"
#include "train/trainer.h"

namespace bertc::train::testing {

// Specials: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4; words 5..63.
inline data::SpecialIds ToyIds() { return data::SpecialIds{2, 3, 0, 4, 1}; }
constexpr int kToyVocab = 64;

inline model::BertConfig TinyConfig() {
  model::BertConfig c;
  c.vocab_size = kToyVocab;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 64;
  c.max_position_embeddings = 64;
  return c;
}

// Slices of a few fixed random "phrases" (the same for every seed, so train and eval share the
// language): a masked token is predictable from its neighbours.
inline std::shared_ptr<data::ExampleSet> ToyExamples(size_t n, uint64_t seed, size_t max_len = 24) {
  auto set = std::make_shared<data::ExampleSet>();
  auto xorshift = [](uint64_t& x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  constexpr size_t kPhrases = 6, kPhraseLen = 40;
  uint64_t lang = 0x9E3779B97F4A7C15ULL;
  std::vector<std::vector<int32_t>> phrases(kPhrases);
  for (auto& p : phrases) {
    for (size_t j = 0; j < kPhraseLen; ++j) p.push_back(5 + static_cast<int32_t>(xorshift(lang) % 59));
  }
  uint64_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    const size_t len = 4 + xorshift(x) % (max_len - 5);
    const auto& p = phrases[xorshift(x) % kPhrases];
    const size_t start = xorshift(x) % (kPhraseLen - len);
    std::vector<int32_t> row{2};
    row.insert(row.end(), p.begin() + static_cast<std::ptrdiff_t>(start),
               p.begin() + static_cast<std::ptrdiff_t>(start + len));
    row.push_back(3);
    set->Add(row.data(), row.data() + row.size());
  }
  return set;
}

inline TokenizerInfo ToyTokenizer() {
  TokenizerInfo t;
  t.ids = ToyIds();
  t.vocab_size = kToyVocab;
  return t;
}

inline std::string FreshDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("bertc_train_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

inline TrainerOptions ToyOptions(const std::string& out) {
  TrainerOptions o;
  o.output_dir = out;
  o.max_length = 32;
  o.grouping = data::Grouping::kDynamic;
  o.batch_size = 8;
  o.learning_rate = 3e-3;
  o.warmup_steps = 2;
  o.max_steps = 12;
  o.logging_steps = 1;
  o.threads = 1;  // 2 threads on a loaded 2-core CI box stall in OpenMP barriers
  o.seed = 7;
  return o;
}

}  // namespace bertc::train::testing

#endif  // BERTC_TESTS_UNIT_TRAIN_TOY_H_
