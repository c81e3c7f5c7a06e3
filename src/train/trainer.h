// The training loop (HF Trainer + TrainingArguments): MLM pre-training for a masked-LM model, and
// fine-tuning for a sequence or token classification model (examples with labels, padded per batch).
// AdamW with HF's weight-decay groups, warmup + linear/constant/cosine schedule, gradient
// accumulation and clipping, periodic logging (JSONL + callback), evaluation (MLM: loss, perplexity,
// accuracy; classifiers: loss, accuracy, macro-F1), checkpoints with the best one kept by a chosen
// metric, and exact resume.
//
// Determinism: batch order is a function of (seed, epoch), masks of (seed, micro-batch counter),
// dropout draws from the trainer's own torch generator (swapped into torch's default generator only
// while the trainer computes). A checkpoint stores all three positions plus the optimizer, so a
// resumed run reproduces the uninterrupted run's losses bit for bit (same thread count and build).
//
// Not thread-safe: one thread drives a Trainer at a time. The trainer sets torch's intra-op thread
// count (process-wide in LibTorch) to `threads` while it computes.
#ifndef BERTC_TRAIN_TRAINER_H_
#define BERTC_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/grouping.h"
#include "data/labeled.h"
#include "data/mlm_collator.h"
#include "model/bert.h"
#include "train/adamw.h"
#include "train/distributed.h"
#include "train/schedule.h"

namespace bertc::train {

struct TrainerOptions {
  std::string output_dir;  // checkpoints, logs, final model; "" allowed only when nothing is saved
  // Data.
  int max_length = 128;
  data::Grouping grouping = data::Grouping::kDynamic;
  data::MlmOptions mlm;            // mlm.seed is replaced by `seed`
  bool masked_only_logits = true;  // run the MLM head only on selected positions
  bool pad_to_max_length = false;  // pad every batch to max_length (truncate_pad always does)
  int batch_size = 8;              // per device, per micro-batch
  int eval_batch_size = 0;         // 0: batch_size
  int grad_accum = 1;
  // Optimization.
  double learning_rate = 5e-5;
  AdamWOptions adam{0.9, 0.999, 1e-8, 0.01};
  double max_grad_norm = 1.0;  // <= 0: no clipping
  ScheduleKind schedule = ScheduleKind::kLinear;
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;  // used when warmup_steps == 0
  int64_t max_steps = 0;      // > 0 overrides num_epochs
  double num_epochs = 3.0;
  // Cadence (0 = never).
  int64_t logging_steps = 50;
  int64_t eval_steps = 0;
  int64_t save_steps = 0;
  int save_total_limit = 0;  // 0: keep all
  bool load_best_model_at_end = false;
  // The evaluation metric that picks the best checkpoint: "loss" (lower is better), "accuracy" or
  // "f1" (higher is better; f1 only for classifiers).
  std::string metric_for_best_model = "loss";
  bool save_final_model = true;  // Train() writes the final model to output_dir
  // Environment.
  uint64_t seed = 42;
  int threads = 0;  // <= 0: all cores
  std::string device = "cpu";
  std::string log_file;  // "" -> output_dir/train_log.jsonl (no log when output_dir is "")
  // Data parallelism (resolved: see ResolveDistributed). With world_size > 1 the constructor joins
  // the group (all ranks must construct with the same data, seed, model and options, checked), a
  // step takes world_size * grad_accum micro-batches of the global order (this rank's grad_accum of
  // them), gradients and the step's loss / counts are summed over the ranks, evaluation is sharded and
  // all-reduced, and rank 0 alone writes the log, checkpoints and the final model. Threads 0 means
  // cores / local_world_size.
  DistributedOptions distributed;
};

// What the trainer needs from the tokenizer.
struct TokenizerInfo {
  data::SpecialIds ids;
  int vocab_size = 0;
  std::vector<uint8_t> is_continuation;              // "##" flags per id (whole-word masking)
  std::function<void(const std::string& dir)> save;  // writes tokenizer files into a checkpoint dir
};

struct Event {
  enum Kind { kStep = 4, kEval = 5, kCheckpoint = 6 } kind = kStep;
  int64_t step = 0;
  int64_t total_steps = 0;
  double elapsed_seconds = 0;
  double loss = 0, learning_rate = 0, grad_norm = 0, tokens_per_second = 0;
  double eval_loss = 0, eval_perplexity = 0, eval_accuracy = 0, eval_f1 = 0;
  double epoch = 0;
  std::string path;
};
// Return false to cancel: the current step completes, then the call throws Error(kCancelled).
using ProgressFn = std::function<bool(const Event&)>;

struct StepResult {
  int64_t step = 0;     // global step after this update (1-based)
  double loss = 0;      // mean MLM loss over the step's micro-batches
  double learning_rate = 0;
  double grad_norm = 0;  // before clipping
  int64_t tokens = 0;    // non-padding tokens processed
  int64_t masked = 0;    // predicted positions (MLM) or labels (classifiers)
  double epoch = 0;      // fractional epoch after this step
};

struct EvalResult {
  double loss = 0;        // mean cross-entropy over all masked eval tokens (classifiers: all labels)
  double perplexity = 0;  // exp(loss); NaN for classifiers
  double accuracy = 0;    // share of masked tokens (labels) predicted exactly (argmax)
  double f1 = 0;          // classifiers: macro-F1 over the labels (scikit-learn's average="macro"); NaN for MLM
  int64_t masked_tokens = 0;  // scored positions: masked tokens, examples or tagged words
  int64_t examples = 0;
  std::vector<int64_t> confusion;  // classifiers: num_labels x num_labels counts, [gold][predicted]
};

class Trainer {
 public:
  // `train`/`eval` may be null (no planned training data / no evaluation). Throws
  // Error(kInvalidArgument) for bad options, an empty dataset, a batch larger than the dataset,
  // max_length above the model's max_position_embeddings, a vocab mismatch; Error(kIo) when
  // output_dir cannot be written; Error(kUnsupported) for a device this LibTorch lacks.
  Trainer(model::Bert model, TokenizerInfo tokenizer, std::shared_ptr<const data::ExampleSet> train,
          std::shared_ptr<const data::ExampleSet> eval, const TrainerOptions& options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // One optimizer step (grad_accum micro-batches of the planned data), then logging / evaluation /
  // checkpoint when their cadence hits this step.
  StepResult Step(const ProgressFn& progress = {});
  // One optimizer step on a caller's batch. Empty `labels` means: mask with the MLM collator.
  StepResult StepOnBatch(data::MlmBatch batch, const ProgressFn& progress = {});
  // Classifiers: one optimizer step on a caller's labelled batch (labels: rows for sequence
  // classification, rows * cols with -100 for token classification).
  StepResult StepOnLabeledBatch(data::LabeledBatch batch, const ProgressFn& progress = {});
  // Steps until total_steps(), then loads the best model (when asked) and saves the final model.
  void Train(const ProgressFn& progress = {});
  EvalResult Evaluate();
  // Writes output_dir/checkpoint-<step>/ atomically and rotates; returns its path.
  std::string SaveCheckpoint();
  // Restores a checkpoint ("" = the latest in output_dir). Throws Error(kIo) when there is none,
  // Error(kInvalidArgument) when its model config or data/trajectory settings differ.
  void Resume(const std::string& checkpoint = "");

  int64_t global_step() const;
  int rank() const;        // 0 unless data-parallel
  int world_size() const;  // 1 unless data-parallel
  int64_t total_steps() const;
  double epoch() const;
  bool finished() const { return global_step() >= total_steps(); }
  int64_t train_examples() const;
  int64_t eval_examples() const;
  std::string best_checkpoint() const;
  double best_metric() const;
  std::vector<std::string> TakeWarnings();  // warnings since the last call (e.g. thread mismatch)
  model::Bert model() const;
  const TrainerOptions& options() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

// Fingerprint of an example set (FNV-1a over its tokens and lengths, and its labels when it has any).
uint64_t ExamplesFingerprint(const data::ExampleSet& examples);

}  // namespace bertc::train

#endif  // BERTC_TRAIN_TRAINER_H_
