// Fine-tuning data (HF run_glue / run_ner style): JSON Lines with a text and a label per line
// (sequence classification) or words and one tag per word (token classification), turned into
// labelled examples. Token labels follow HF's word_ids() alignment: the first word piece of each word
// carries the word's tag, every other piece and [CLS]/[SEP] carry -100. Also the padding collator for
// such examples and the metrics the trainer reports (accuracy, macro-F1 over the labels).
#ifndef BERTC_DATA_LABELED_H_
#define BERTC_DATA_LABELED_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/encoded_dataset.h"
#include "data/grouping.h"

namespace bertc::data {

enum class LabelTask { kSequence, kToken };

struct LabeledFields {
  std::string text = "text";    // sequence: the text (a string)
  std::string label = "label";  // sequence: the label (a name, or an integer id)
  std::string words = "words";  // token: the words (an array of strings)
  std::string tags = "tags";    // token: one tag per word (names or integer ids)
};

struct LabeledReadOptions {
  LabelTask task = LabelTask::kSequence;
  LabeledFields fields;
  int max_length = 128;  // tokens per example incl. [CLS]/[SEP]; longer inputs are truncated
  SpecialIds ids;
  int threads = 0;       // tokenization threads; <= 0: all cores
};

// Every distinct label name of the files' label field (sequence) or tags field (token), sorted (as
// HF's run_glue / run_ner build their label lists). Integer labels are listed by their decimal text.
// Throws IoError / FormatError (naming file and line).
std::vector<std::string> CollectLabels(const std::vector<std::string>& files, const LabeledReadOptions& options);

// Reads the files into labelled examples. Label names are looked up in `label_names` (the model's
// id2label); an integer label must be an id in [0, label_names.size()). Blank lines are skipped; a
// token-task line without words is skipped. Throws IoError (unreadable file), FormatError (bad JSON, a
// missing or mistyped field), InvalidArgument (a label the model does not know; words and tags of
// different lengths), Utf8Error, LimitError — each naming the file and line.
ExampleSet ReadLabeledJsonl(const std::vector<std::string>& files, const EncodeFn& encode,
                            const std::vector<std::string>& label_names, const LabeledReadOptions& options);

// In-memory examples: sequence i is ids[offsets[i] .. offsets[i+1]) (word pieces without
// [CLS]/[SEP]). Sequence task: labels[i] is its label; token task: labels is aligned with ids (one per
// piece, -100 = no label). Labels must be in [0, num_labels) or -100 (token task). Truncated to
// max_length. Throws InvalidArgument.
ExampleSet LabeledFromMemory(const int32_t* ids, const size_t* offsets, size_t num_sequences, const int32_t* labels,
                             int num_labels, const LabeledReadOptions& options);

// A padded batch of labelled examples as row-major int32 arrays.
struct LabeledBatch {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int32_t> input_ids;
  std::vector<int32_t> token_type_ids;  // all 0
  std::vector<int32_t> attention_mask;  // 1 real, 0 padding
  std::vector<int32_t> labels;          // sequence: rows entries; token: rows * cols (-100 on padding)
  int64_t real_tokens = 0;
  int64_t labeled = 0;                  // labels != -100
};

// Pads examples `batch` of `examples` (which must carry labels) to `width` columns.
LabeledBatch CollateLabeled(const ExampleSet& examples, const std::vector<uint32_t>& batch, int width, int32_t pad_id);

// Counts (gold, predicted) pairs over `num_labels` labels.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(size_t num_labels) : n_(num_labels), counts_(num_labels * num_labels, 0) {}
  void Add(size_t gold, size_t predicted) { ++counts_[gold * n_ + predicted]; }
  void Add(size_t gold, size_t predicted, int64_t count) { counts_[gold * n_ + predicted] += count; }
  int64_t count(size_t gold, size_t predicted) const { return counts_[gold * n_ + predicted]; }
  int64_t total() const;
  size_t num_labels() const { return n_; }
  double Accuracy() const;  // 0 when empty
  // Unweighted mean of the per-label F1 over the labels that occur as gold or prediction
  // (scikit-learn's f1_score(average="macro")); 0 when empty.
  double MacroF1() const;
  // Per-label F1 (0 for a label with no gold and no prediction).
  std::vector<double> PerLabelF1() const;

 private:
  size_t n_;
  std::vector<int64_t> counts_;
};

}  // namespace bertc::data

#endif  // BERTC_DATA_LABELED_H_
