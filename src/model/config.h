// BertConfig: the hyper-parameters of a BERT model with its task head (masked LM, sequence or token
// classification), read from and written to Hugging Face's config.json. No LibTorch here, so parsing
// and validation are cheap to build and test.
#ifndef BERTC_MODEL_CONFIG_H_
#define BERTC_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertc::model {

// The head on top of the encoder, as HF's architectures: BertForMaskedLM, BertForSequenceClassification
// (pooler + classifier on [CLS]), BertForTokenClassification (classifier on every token).
enum class Task { kMaskedLM = 0, kSequenceClassification = 1, kTokenClassification = 2 };

// "masked_lm", "sequence_classification", "token_classification".
const char* TaskName(Task task);
// "BertForMaskedLM", "BertForSequenceClassification", "BertForTokenClassification".
const char* ArchitectureName(Task task);
inline bool IsClassifier(Task task) { return task != Task::kMaskedLM; }

// The BertConfig fields a BERT model uses, with Hugging Face's defaults (bert-base-uncased).
struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  // "gelu" (exact, erf), "gelu_new" / "gelu_pytorch_tanh" / "gelu_fast" (tanh approximation),
  // "relu", "silu" / "swish".
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  double initializer_range = 0.02;
  int64_t pad_token_id = 0;
  std::string position_embedding_type = "absolute";  // the only type supported
  // Head (config.json "architectures", "id2label", "classifier_dropout").
  Task task = Task::kMaskedLM;
  std::vector<std::string> id2label;  // classifiers: one name per label id (num_labels = size)
  double classifier_dropout = -1;     // < 0: unset (null), hidden_dropout_prob is used

  int64_t num_labels() const { return static_cast<int64_t>(id2label.size()); }
  double ClassifierDropout() const { return classifier_dropout < 0 ? hidden_dropout_prob : classifier_dropout; }
  // The id of label `name`, or -1.
  int64_t LabelId(std::string_view name) const;

  bool operator==(const BertConfig& o) const;
  bool operator!=(const BertConfig& o) const { return !(*this == o); }
};

// Throws Error(kInvalidArgument) naming the first offending field: sizes <= 0, hidden_size not a
// multiple of num_attention_heads, dropout outside [0, 1), eps <= 0, unknown activation,
// pad_token_id outside [0, vocab_size), position_embedding_type other than "absolute"; a classifier
// without labels, with an empty or duplicate label name or more than 2^20 labels, classifier_dropout
// outside [0, 1).
void Validate(const BertConfig& config);

// Throws Error(kInvalidArgument) when a tokenizer's vocabulary size does not match the model's.
void CheckVocabMatches(const BertConfig& config, int64_t tokenizer_vocab_size);

// Parses config.json text. Missing fields take the defaults above (as HF does); fields of the wrong
// JSON type, or values that fail Validate(), throw Error(kFormat) with the field name. The task is
// the first of "architectures" bertc knows (anything else, e.g. BertModel or BertForPreTraining, is
// read as masked LM); a classifier without id2label gets HF's default LABEL_0, LABEL_1; a
// problem_type other than single_label_classification throws Error(kUnsupported).
// `source` names the file in messages.
BertConfig ConfigFromJson(const std::string& json_text, const std::string& source = "config.json");

// Serialises as HF writes it: architectures [ArchitectureName(task)], model_type "bert", sorted keys;
// classifiers add id2label / label2id (and problem_type single_label_classification for sequences).
std::string ConfigToJson(const BertConfig& config);

// File helpers: <dir>/config.json. ReadConfig throws Error(kIo) when missing.
BertConfig ReadConfig(const std::string& dir);

}  // namespace bertc::model

#endif  // BERTC_MODEL_CONFIG_H_
