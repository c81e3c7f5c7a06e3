#include "data/mlm_collator.h"

#include <string>

#include "common/error.h"
#include "data/rng.h"

namespace bertc::data {

MlmCollator::MlmCollator(const MlmOptions& options, const SpecialIds& ids, int vocab_size,
                         std::vector<uint8_t> is_continuation)
    : options_(options), ids_(ids), vocab_size_(vocab_size), is_continuation_(std::move(is_continuation)) {
  if (!(options.mlm_probability > 0.0 && options.mlm_probability < 1.0)) {
    throw InvalidArgument("mlm_probability must be in (0, 1), got " + std::to_string(options.mlm_probability));
  }
  if (!(options.mask_replace_prob >= 0.0 && options.random_replace_prob >= 0.0 &&
        options.mask_replace_prob + options.random_replace_prob <= 1.0)) {
    throw InvalidArgument("mask/random replacement probabilities must be >= 0 and sum to at most 1");
  }
  if (vocab_size <= 5) throw InvalidArgument("vocabulary size must be larger than 5, got " + std::to_string(vocab_size));
  if (options.whole_word_mask && is_continuation_.empty()) {
    throw InvalidArgument("whole-word masking needs the vocabulary's continuation (##) flags");
  }
}

MlmBatch MlmCollator::Collate(const ExampleSet& examples, const std::vector<uint32_t>& batch, int width,
                              uint64_t stream) const {
  std::vector<TokenSpan> rows;
  rows.reserve(batch.size());
  for (uint32_t i : batch) rows.push_back(examples[i]);
  return CollateRows(rows, width, stream);
}

MlmBatch MlmCollator::CollateRows(const std::vector<TokenSpan>& rows, int width, uint64_t stream) const {
  if (width <= 0) throw InvalidArgument("batch width must be positive");
  MlmBatch b;
  b.rows = static_cast<int64_t>(rows.size());
  b.cols = width;
  const size_t total = rows.size() * static_cast<size_t>(width);
  b.input_ids.assign(total, ids_.pad);
  b.attention_mask.assign(total, 0);
  b.token_type_ids.assign(total, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size > static_cast<size_t>(width)) {
      throw InvalidArgument("row " + std::to_string(r) + " has " + std::to_string(rows[r].size) +
                            " tokens, more than the batch width " + std::to_string(width));
    }
    for (size_t c = 0; c < rows[r].size; ++c) {
      b.input_ids[r * static_cast<size_t>(width) + c] = rows[r][c];
      b.attention_mask[r * static_cast<size_t>(width) + c] = 1;
    }
    b.real_tokens += static_cast<int64_t>(rows[r].size);
  }
  Mask(b, stream);
  return b;
}

void MlmCollator::Mask(MlmBatch& b, uint64_t stream) const {
  const size_t cols = static_cast<size_t>(b.cols);
  b.labels.assign(b.input_ids.size(), kIgnoreIndex);
  b.masked_positions.clear();
  std::vector<size_t> word_starts;  // positions starting a maskable word in this row
  std::vector<uint8_t> selected(cols);
  for (size_t r = 0; r < static_cast<size_t>(b.rows); ++r) {
    CounterRng rng(options_.seed, stream, r);
    int32_t* ids = b.input_ids.data() + r * cols;
    const int32_t* att = b.attention_mask.data() + r * cols;
    auto maskable = [&](size_t c) { return att[c] != 0 && !IsSpecial(ids[c]); };
    auto continues = [&](size_t c) {
      return options_.whole_word_mask && c > 0 && maskable(c - 1) && static_cast<size_t>(ids[c]) < is_continuation_.size() &&
             ids[c] >= 0 && is_continuation_[static_cast<size_t>(ids[c])] != 0;
    };
    word_starts.clear();
    for (size_t c = 0; c < cols; ++c) {
      if (maskable(c) && !continues(c)) word_starts.push_back(c);
    }
    std::fill(selected.begin(), selected.end(), 0);
    auto select_word = [&](size_t start) {
      selected[start] = 1;
      for (size_t c = start + 1; c < cols && maskable(c) && continues(c); ++c) selected[c] = 1;
    };
    bool any = false;
    for (size_t start : word_starts) {
      if (rng.Uniform() < options_.mlm_probability) {
        select_word(start);
        any = true;
      }
    }
    if (!any && options_.at_least_one && !word_starts.empty()) {
      select_word(word_starts[static_cast<size_t>(rng.Below(word_starts.size()))]);
    }
    for (size_t c = 0; c < cols; ++c) {
      if (!selected[c]) continue;
      b.labels[r * cols + c] = ids[c];
      b.masked_positions.push_back(static_cast<int64_t>(r * cols + c));
      const double u = rng.Uniform();
      if (u < options_.mask_replace_prob) {
        ids[c] = ids_.mask;
      } else if (u < options_.mask_replace_prob + options_.random_replace_prob) {
        int32_t id;
        do {
          id = static_cast<int32_t>(rng.Below(static_cast<uint64_t>(vocab_size_)));
        } while (IsSpecial(id));
        ids[c] = id;
      }
    }
  }
}

}  // namespace bertc::data
