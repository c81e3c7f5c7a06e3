// Turning encoded lines into model-ready examples ([CLS] ... [SEP], at most max_length tokens) and
// planning each epoch's batches. Selectable policies:
//   truncate_pad  one line per example, truncated; batches padded to max_length (the seed's default)
//   concat_chunk  lines concatenated and cut into max_length blocks, each wrapped in [CLS]/[SEP]
//                 (the trailing partial block is kept, not dropped)
//   dynamic       one line per example; batches formed from length-sorted windows of shuffled
//                 examples and padded only to the longest row
//   packed        consecutive lines packed greedily into one sequence: [CLS] a [SEP] b [SEP] ...
// The batch plan of epoch e is a pure function of (seed, e): resuming at (epoch, batch) replays it.
#ifndef BERTC_DATA_GROUPING_H_
#define BERTC_DATA_GROUPING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/encoded_dataset.h"

namespace bertc::data {

enum class Grouping { kTruncatePad = 0, kConcatChunk = 1, kDynamic = 2, kPacked = 3 };

// "truncate_pad", "concat_chunk", "dynamic", "packed"; throws InvalidArgument otherwise.
Grouping ParseGrouping(std::string_view name);
const char* GroupingName(Grouping g);

struct SpecialIds {
  int32_t cls = 101;
  int32_t sep = 102;
  int32_t pad = 0;
  int32_t mask = 103;
  int32_t unk = 100;
};

// Model-ready examples stored flat. Each example begins with [CLS] and ends with [SEP]. Fine-tuning
// sets also carry labels: one per example (sequence classification) or one per token (token
// classification; -100 where a token carries none).
class ExampleSet {
 public:
  enum class Labels { kNone, kPerExample, kPerToken };
  size_t size() const { return offsets_.size() - 1; }
  bool empty() const { return size() == 0; }
  TokenSpan operator[](size_t i) const {
    return TokenSpan{tokens_.data() + offsets_[i], static_cast<size_t>(offsets_[i + 1] - offsets_[i])};
  }
  size_t length(size_t i) const { return static_cast<size_t>(offsets_[i + 1] - offsets_[i]); }
  size_t num_tokens() const { return tokens_.size(); }
  void Add(const int32_t* begin, const int32_t* end) {
    tokens_.insert(tokens_.end(), begin, end);
    offsets_.push_back(tokens_.size());
  }
  // Labelled examples; a set holds one kind of labels only.
  void AddWithLabel(const int32_t* begin, const int32_t* end, int32_t label) {
    Add(begin, end);
    example_labels_.push_back(label);
  }
  void AddWithTokenLabels(const int32_t* begin, const int32_t* end, const int32_t* labels) {
    token_labels_.insert(token_labels_.end(), labels, labels + (end - begin));
    Add(begin, end);
  }
  Labels labels() const {
    if (!example_labels_.empty()) return Labels::kPerExample;
    if (!token_labels_.empty()) return Labels::kPerToken;
    return Labels::kNone;
  }
  int32_t example_label(size_t i) const { return example_labels_[i]; }
  const int32_t* token_labels(size_t i) const { return token_labels_.data() + offsets_[i]; }

 private:
  std::vector<int32_t> tokens_;
  std::vector<uint64_t> offsets_{0};
  std::vector<int32_t> example_labels_;  // kPerExample: size()
  std::vector<int32_t> token_labels_;    // kPerToken: num_tokens()
};

// Builds examples from the lines `indices` of `ds` (all lines when `indices` is null), in that order.
// Lines that encode to no token are skipped. max_length must be >= 3.
ExampleSet BuildExamples(const EncodedDataset& ds, const std::vector<uint32_t>* indices, Grouping grouping,
                         int max_length, const SpecialIds& ids);

struct BatchPlanOptions {
  Grouping grouping = Grouping::kTruncatePad;
  int batch_size = 8;
  uint64_t seed = 42;
  bool shuffle = true;     // false: corpus order (evaluation)
  bool drop_last = false;  // drop a trailing batch smaller than batch_size
  int bucket_window = 50;  // dynamic: sort windows of bucket_window * batch_size examples by length
};

// The batches (lists of example indices) of epoch `epoch`.
std::vector<std::vector<uint32_t>> PlanEpoch(const ExampleSet& examples, const BatchPlanOptions& options,
                                            uint64_t epoch);

// Number of batches per epoch (independent of the epoch).
size_t BatchesPerEpoch(size_t num_examples, const BatchPlanOptions& options);

// The padded width of a batch: max_length when pad_to_max, else the longest row.
int PaddedWidth(const ExampleSet& examples, const std::vector<uint32_t>& batch, bool pad_to_max, int max_length);

struct PaddingStats {
  uint64_t real_tokens = 0;
  uint64_t padded_tokens = 0;  // rows * width summed over batches (real + pad)
  double pad_share() const {
    return padded_tokens == 0 ? 0.0 : 1.0 - static_cast<double>(real_tokens) / static_cast<double>(padded_tokens);
  }
};

PaddingStats MeasurePadding(const ExampleSet& examples, const std::vector<std::vector<uint32_t>>& batches,
                            bool pad_to_max, int max_length);

// Whether a grouping pads every batch to max_length (only truncate_pad does).
inline bool PadsToMaxLength(Grouping g) { return g == Grouping::kTruncatePad; }

}  // namespace bertc::data

#endif  // BERTC_DATA_GROUPING_H_
