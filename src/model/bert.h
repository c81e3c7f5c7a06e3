// BERT in LibTorch with one of Hugging Face's heads (config.task), laid out exactly like HF's
// BertForMaskedLM / BertForSequenceClassification / BertForTokenClassification so that
// named_parameters() keys equal HF state-dict keys (bert.embeddings.word_embeddings.weight,
// bert.encoder.layer.0.attention.self.query.weight, ...; masked LM: cls.predictions.transform.*,
// cls.predictions.bias with the decoder tied to the word embeddings; sequence classification:
// bert.pooler.dense.*, classifier.*; token classification: classifier.*).
//
// Typical use (trainer):
//
//   bertc::model::Bert model(config, /*seed=*/42);                    // HF init, train() mode
//   auto groups = model->parameter_groups();                         // AdamW weight-decay groups
//   auto out = model->ForwardWithLoss(ids, token_types, mask, labels); // MLM, masked-only logits
//   auto cls = model->ForwardClassifier(ids, token_types, mask, labels); // classifiers
//   out.loss.backward();
//   bertc::model::SaveBert(*model, "out/dir");                       // config.json + model.safetensors
//   auto loaded = bertc::model::LoadBert("out/dir");                 // eval() mode
//
// Tensors: input_ids / token_type_ids / labels are int64 [B, T]; attention_mask is [B, T] of any
// numeric or bool dtype (1 = attend, 0 = padding). token_type_ids / attention_mask may be undefined
// (at::Tensor()) to mean all zeros / all ones. Parameters are float32 on CPU.
//
// Thread-safety: a module may serve concurrent Predict()/Encode(.., dropout=false) calls from many
// threads as long as nobody mutates it (optimizer step, load, train()/eval()) at the same time.
#ifndef BERTC_MODEL_BERT_H_
#define BERTC_MODEL_BERT_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/config.h"

namespace torch::nn {
class LinearImpl;
}  // namespace torch::nn

namespace bertc::model {

class SafetensorsFile;  // model/safetensors.h

class BertModelImpl;    // bert.*  (embeddings + encoder, no pooler)
class BertOnlyMLMHeadImpl;  // cls.*

// Label value ignored by the MLM loss (as in HF / PyTorch cross_entropy).
inline constexpr int64_t kIgnoreIndex = -100;

// Weight-decay groups as HF's Trainer builds them: biases and LayerNorm weights get no decay.
struct ParameterGroups {
  std::vector<at::Tensor> decay;
  std::vector<std::string> decay_names;
  std::vector<at::Tensor> no_decay;
  std::vector<std::string> no_decay_names;
};

struct ClassifierOutput {
  at::Tensor loss;    // scalar, mean cross-entropy over labels != -100 (NaN when there are none)
  at::Tensor logits;  // [B, L] (sequence) or [B, T, L] (token)
};

struct MlmOutput {
  at::Tensor loss;    // scalar, mean cross-entropy over labels != -100 (NaN when there are none, as HF)
  at::Tensor logits;  // [N, V] for the masked positions only (masked_only) or [B, T, V]
  at::Tensor labels;  // labels aligned with logits' rows: [N] or [B, T]
};

class BertImpl : public torch::nn::Module {
 public:
  // Validates `config` (throws Error(kInvalidArgument)) and initialises the weights like HF's
  // _init_weights: Linear/Embedding weights ~ N(0, initializer_range), biases 0, LayerNorm 1/0,
  // the padding row of the word embeddings 0. With a seed the init is reproducible (its own
  // generator); without one torch's global generator is used. Starts in train() mode like torch.
  explicit BertImpl(const BertConfig& config, std::optional<uint64_t> seed = std::nullopt);

  const BertConfig& config() const { return config_; }
  Task task() const { return config_.task; }

  // Last hidden states [B, T, H] of the encoder. `dropout` applies hidden/attention dropout.
  at::Tensor Encode(const at::Tensor& input_ids, const at::Tensor& token_type_ids, const at::Tensor& attention_mask,
                    bool dropout) const;

  // MLM head (transform + tied decoder) on hidden states [..., H] -> logits [..., V].
  at::Tensor Head(const at::Tensor& hidden) const;

  // Logits [B, T, V]; with `masked_positions` (bool [B, T]) only the selected positions go through
  // the head (gathered before the transform), giving [N, V] in row-major order of the true entries.
  // Dropout follows is_training().
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids = {},
                     const at::Tensor& attention_mask = {}, const at::Tensor& masked_positions = {});

  // Like forward() but never applies dropout and does not depend on train()/eval(): safe for
  // concurrent inference. Call it under c10::InferenceMode or torch::NoGradGuard.
  at::Tensor Predict(const at::Tensor& input_ids, const at::Tensor& token_type_ids = {},
                     const at::Tensor& attention_mask = {}, const at::Tensor& masked_positions = {}) const;

  // Forward + MLM loss (cross-entropy, ignore_index -100). With masked_only the head runs only where
  // labels != -100 (HF computes all positions; the loss is the same).
  MlmOutput ForwardWithLoss(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                            const at::Tensor& attention_mask, const at::Tensor& labels, bool masked_only = true);

  // Classifier logits: [B, L] for sequence classification (pooler on [CLS], dropout, classifier),
  // [B, T, L] for token classification (dropout, classifier on every token). Throws
  // InvalidArgument for a masked-LM model.
  at::Tensor ClassifierLogits(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                              const at::Tensor& attention_mask, bool dropout) const;
  // The same without dropout through the inference kernels (only the [CLS] rows go through the last
  // layer for sequence classification). Call it under c10::InferenceMode; thread-safe like Predict.
  at::Tensor PredictClasses(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                            const at::Tensor& attention_mask) const;
  // Forward (dropout follows is_training()) + cross-entropy with ignore_index -100. labels: int64 [B]
  // (sequence) or [B, T] (token), each in [0, num_labels) or -100.
  ClassifierOutput ForwardClassifier(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                     const at::Tensor& attention_mask, const at::Tensor& labels);

  ParameterGroups parameter_groups() const;

  // Number of distinct parameter elements (the tied decoder counted once), as HF num_parameters().
  int64_t num_parameters() const;

  // Re-runs the HF initialisation on every parameter, or on those whose names `names` lists (used
  // for a head missing from a checkpoint).
  void InitWeights(std::optional<uint64_t> seed = std::nullopt);
  void InitParameters(const std::vector<std::string>& names, std::optional<uint64_t> seed = std::nullopt);

  // Submodules, named as in HF (cls only for masked LM, classifier only for classifiers; the
  // pooler is bert.pooler, present for sequence classification).
  std::shared_ptr<BertModelImpl> bert;
  std::shared_ptr<BertOnlyMLMHeadImpl> cls;
  std::shared_ptr<torch::nn::LinearImpl> classifier;

 private:
  at::Tensor LogitsAt(const at::Tensor& hidden, const at::Tensor& masked_positions) const;
  void RequireMlm(const char* what) const;
  void RequireClassifier(const char* what) const;

  BertConfig config_;
};
TORCH_MODULE(Bert);

// While alive, dropout on the calling thread draws from `generator` (which must outlive this) instead of
// LibTorch's process-wide default generator. Nestable.
class ScopedDropoutGenerator {
 public:
  explicit ScopedDropoutGenerator(at::Generator& generator);
  ~ScopedDropoutGenerator();
  ScopedDropoutGenerator(const ScopedDropoutGenerator&) = delete;
  ScopedDropoutGenerator& operator=(const ScopedDropoutGenerator&) = delete;

 private:
  at::Generator* previous_;
};

// Cross-entropy over the last dimension with ignore_index -100, mean over the counted labels.
at::Tensor MlmLoss(const at::Tensor& logits, const at::Tensor& labels);

// Which head group a parameter belongs to: "cls" (MLM head), "pooler", "classifier", or "" for the
// encoder (embeddings + layers).
std::string HeadGroup(const std::string& parameter_name);

// What LoadBert found, beyond the tensors it used.
struct LoadReport {
  bool head_initialized = false;  // a head (MLM head, pooler or classifier) was freshly initialised
  std::vector<std::string> initialized_keys;  // the parameters that were, as HF lists them
  std::string source_dtype;       // "F32", "F16", "BF16" (of the word embeddings)
  std::vector<std::string> unused_keys;  // e.g. pooler.*, position_ids buffers
  std::vector<std::string> warnings;     // human-readable, one per issue
};

// Loads <dir>/config.json and <dir>/model.safetensors (HF BertForMaskedLM, BertForSequence/
// TokenClassification or BertModel layout, keys with or without the "bert." prefix, F32/F16/BF16/F64
// converted to float32); the head is config.json's architecture. A head absent from the file is
// initialised (with a warning). The model is returned in eval() mode. Throws Error(kIo) for a
// missing/unreadable file, Error(kFormat) for a corrupt file, a missing tensor, a shape mismatch or a
// non-float dtype.
Bert LoadBert(const std::string& dir, LoadReport* report = nullptr);

// The head a caller wants on a loaded encoder (LoadBertForTask).
struct HeadSpec {
  Task task = Task::kMaskedLM;
  std::vector<std::string> labels;  // classifiers: empty = the checkpoint's own label map
  double classifier_dropout = -1;   // < 0: the checkpoint's (or unset)
  uint64_t seed = 42;               // initialisation of a new head
  // < 0: the checkpoint's; else replaces config.json's value (from_pretrained's keyword arguments).
  double hidden_dropout_prob = -1;
  double attention_probs_dropout_prob = -1;
};

// Loads <dir> for `head.task`. When the checkpoint already has that head, it is kept (its label map
// must equal head.labels when given: Error(kInvalidArgument) otherwise, naming both). Otherwise (an
// MLM, BertModel or other-task checkpoint) the encoder is kept, the pooler where the checkpoint has
// one, and the new head is initialised from head.seed; the report lists initialised and unused keys
// and warns as HF does ("... newly initialized ... You should probably TRAIN this model ...").
Bert LoadBertForTask(const std::string& dir, const HeadSpec& head, LoadReport* report = nullptr);

// Same from memory: config.json text and a model.safetensors image. With `borrow`, float32 tensors
// aligned in `weights` become parameters that alias it (the caller keeps it alive and unchanged for
// the model's lifetime); everything else is copied. Throws Error(kFormat) for corrupt input.
Bert LoadBertFromMemory(std::string_view config_json, std::string_view weights, bool borrow,
                                              LoadReport* report = nullptr);

// Gives every parameter its own memory (after a borrowing load, before the weights may change).
void OwnParameters(BertImpl& model);

// Copies a checkpoint's tensors into an existing model (same validation as above).
void LoadWeights(BertImpl& model, const std::string& safetensors_path, LoadReport* report = nullptr);
// Same from a parsed file; with `borrow`, aligned float32 tensors alias the file's bytes. A head
// group absent from the file is initialised from `head_seed` (torch's generator when unset).
// Groups named in `fresh_groups` (see HeadGroup) are initialised even when the file has them.
void LoadWeights(BertImpl& model, const SafetensorsFile& file, bool borrow, LoadReport* report = nullptr,
                 std::optional<uint64_t> head_seed = std::nullopt, const std::vector<std::string>& fresh_groups = {});

// Writes config.json + model.safetensors (float32, HF key names, the tied decoder stored once as HF
// saves it) into `dir`, atomically: files are written to a temp dir and renamed into place, so an
// existing good model is never destroyed by a failed save. Other files already in `dir` (tokenizer
// files) are kept. Throws Error(kIo) on failure.
void SaveBert(const BertImpl& model, const std::string& dir);

// Writes/reads arbitrary named CPU tensors (any float/int dtype) as safetensors, e.g. optimizer state.
void SaveTensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors);
std::vector<std::pair<std::string, at::Tensor>> LoadTensors(const std::string& path);

}  // namespace bertc::model

#endif  // BERTC_MODEL_BERT_H_
