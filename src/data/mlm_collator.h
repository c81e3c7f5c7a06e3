// The masked-language-model collator (HF DataCollatorForLanguageModeling, and its whole-word
// variant): pads a batch of examples and picks the positions to predict. Each selected position is
// replaced by [MASK] with probability mask_replace_prob, by a random non-special token with
// random_replace_prob, and kept otherwise; labels hold the original id there and -100 everywhere
// else. Special and padding tokens are never selected. The draws come from a counter-based stream
// keyed by (seed, stream, row), so a batch is bit-identical for a given seed and step whatever
// happened before (resume-safe), and torch's global RNG is never touched.
#ifndef BERTC_DATA_MLM_COLLATOR_H_
#define BERTC_DATA_MLM_COLLATOR_H_

#include <cstdint>
#include <vector>

#include "data/grouping.h"

namespace bertc::data {

constexpr int32_t kIgnoreIndex = -100;

struct MlmOptions {
  double mlm_probability = 0.15;     // in (0, 1)
  double mask_replace_prob = 0.8;    // of the selected positions: -> [MASK]
  double random_replace_prob = 0.1;  // of the selected positions: -> random token (the rest: unchanged)
  bool whole_word_mask = false;      // select whole words (a token and its "##" continuations)
  bool at_least_one = true;          // every row with a maskable token gets at least one selection
  uint64_t seed = 42;
};

// A padded, masked batch as plain row-major int32 arrays (rows x cols).
struct MlmBatch {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int32_t> input_ids;
  std::vector<int32_t> token_type_ids;  // all 0 (single-segment MLM)
  std::vector<int32_t> attention_mask;  // 1 for real tokens, 0 for padding
  std::vector<int32_t> labels;          // original id at selected positions, -100 elsewhere
  std::vector<int64_t> masked_positions;  // flat indices (row * cols + col) of selected positions, ascending
  int64_t real_tokens = 0;                // non-padding tokens
  int64_t num_masked() const { return static_cast<int64_t>(masked_positions.size()); }
};

class MlmCollator {
 public:
  // `is_continuation[id]` != 0 marks "##" word pieces (needed only for whole-word masking; may be
  // empty otherwise). Throws InvalidArgument for probabilities out of range or a bad vocab size.
  MlmCollator(const MlmOptions& options, const SpecialIds& ids, int vocab_size,
              std::vector<uint8_t> is_continuation = {});

  // Pads the examples `batch` of `examples` to `width` columns and masks them with stream `stream`.
  MlmBatch Collate(const ExampleSet& examples, const std::vector<uint32_t>& batch, int width,
                   uint64_t stream) const;

  // Pads arbitrary rows (already containing their special tokens) to `width` and masks them.
  MlmBatch CollateRows(const std::vector<TokenSpan>& rows, int width, uint64_t stream) const;

  // Masks an already padded batch in place (input_ids/attention_mask set; labels and positions are
  // rewritten). Positions with attention_mask 0 or a special id are never selected.
  void Mask(MlmBatch& batch, uint64_t stream) const;

  const MlmOptions& options() const { return options_; }
  const SpecialIds& special_ids() const { return ids_; }
  bool IsSpecial(int32_t id) const {
    return id == ids_.cls || id == ids_.sep || id == ids_.pad || id == ids_.mask || id == ids_.unk;
  }

 private:
  MlmOptions options_;
  SpecialIds ids_;
  int vocab_size_;
  std::vector<uint8_t> is_continuation_;
};

}  // namespace bertc::data

#endif  // BERTC_DATA_MLM_COLLATOR_H_
