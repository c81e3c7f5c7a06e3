#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <sched.h>
#include <thread>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/parallel.h"
#include "data/encoded_dataset.h"
#include "model/intra_op_threads.h"
#include "train/block_cache.h"
#include "train/checkpoint_dir.h"
#include "train/checkpoint_state.h"
#include "train/distributed.h"

namespace bertc::train {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kEvalStreamBit = 1ULL << 63;
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kRngFile = "rng_state.safetensors";
constexpr const char* kSchedulerFile = "scheduler.json";

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The dropout seed of micro-batch `index` of a run seeded with `seed` (splitmix64 finaliser).
uint64_t DropoutSeed(uint64_t seed, uint64_t index) {
  uint64_t z = seed ^ (index * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Runs one micro-batch's dropout from a generator seeded by (seed, global micro-batch index) without
// touching LibTorch's process-wide default generator. Seeding per micro-batch makes the draws a
// function of the data position alone: a resumed run, and a data-parallel run whose ranks each take
// some of a step's micro-batches, draw exactly what one uninterrupted process does. The state after
// the micro-batch is kept in `state` (written to checkpoints as rng_state.safetensors).
class ScopedTrainerGenerator {
 public:
  ScopedTrainerGenerator(at::Tensor& state, uint64_t seed)
      : state_(state), gen_(at::detail::createCPUGenerator(seed)), scope_(gen_) {}
  ~ScopedTrainerGenerator() { state_ = gen_.get_state(); }
  ScopedTrainerGenerator(const ScopedTrainerGenerator&) = delete;
  ScopedTrainerGenerator& operator=(const ScopedTrainerGenerator&) = delete;

 private:
  at::Tensor& state_;
  at::Generator gen_;
  model::ScopedDropoutGenerator scope_;
};

at::Tensor ToLong(const std::vector<int32_t>& v, int64_t rows, int64_t cols, const at::Device& device) {
  at::Tensor t = torch::from_blob(const_cast<int32_t*>(v.data()), {rows, cols}, torch::kInt32).to(torch::kLong);
  return device.is_cpu() ? t : t.to(device);
}

json TrajectoryArgs(const TrainerOptions& o, uint64_t train_fingerprint) {
  char fp[24];
  std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(train_fingerprint));
  return json{{"seed", o.seed},
              {"batch_size", o.batch_size},
              {"grad_accum", o.grad_accum},
              {"grouping", data::GroupingName(o.grouping)},
              {"max_length", o.max_length},
              {"mlm_probability", o.mlm.mlm_probability},
              {"whole_word_mask", o.mlm.whole_word_mask},
              {"at_least_one", o.mlm.at_least_one},
              {"pad_to_max_length", o.pad_to_max_length},
              {"train_data_fingerprint", fp}};
}

// Fingerprint of a model's architecture and weights: parameter and buffer names, shapes, dtypes and
// bytes (FNV-1a), so ranks that would train different models find out before the first step.
uint64_t ModelFingerprint(model::BertImpl& m, const model::BertConfig& cfg) {
  uint64_t h = data::Fnv1a64(model::ConfigToJson(cfg));
  auto add = [&h](const std::string& name, const at::Tensor& t0) {
    const at::Tensor t = t0.detach().to(at::kCPU).contiguous();
    h = data::Fnv1a64(name, h);
    for (int64_t d : t.sizes()) h = data::Fnv1a64(std::string_view(reinterpret_cast<const char*>(&d), sizeof d), h);
    h = data::Fnv1a64(std::string_view(reinterpret_cast<const char*>(t.data_ptr()), t.numel() * t.element_size()), h);
  };
  for (const auto& p : m.named_parameters()) add(p.key(), p.value());
  for (const auto& b : m.named_buffers()) add(b.key(), b.value());
  return h;
}

// What every rank of a data-parallel run must agree on, and what a disagreement means.
void CheckSameRun(ProcessGroup& pg, const std::vector<std::pair<const char*, uint64_t>>& facts) {
  std::vector<int64_t> mine;
  for (const auto& f : facts) mine.push_back(static_cast<int64_t>(f.second));
  const auto all = pg.AllGather(mine);
  for (size_t i = 0; i < facts.size(); ++i) {
    for (size_t r = 1; r < all.size(); ++r) {
      if (all[r][i] != all[0][i]) {
        throw InvalidArgument("distributed training: rank " + std::to_string(r) + " disagrees with rank 0 on " +
                              facts[i].first + "; every rank must run the same command on the same files");
      }
    }
  }
}

}  // namespace

uint64_t ExamplesFingerprint(const data::ExampleSet& examples) {
  uint64_t h = data::Fnv1a64("bertc-examples");
  for (size_t i = 0; i < examples.size(); ++i) {
    const data::TokenSpan s = examples[i];
    const uint64_t n = s.size;
    h = data::Fnv1a64(std::string_view(reinterpret_cast<const char*>(&n), sizeof n), h);
    h = data::Fnv1a64(std::string_view(reinterpret_cast<const char*>(s.data), s.size * sizeof(int32_t)), h);
    if (examples.labels() == data::ExampleSet::Labels::kPerExample) {
      const int32_t l = examples.example_label(i);
      h = data::Fnv1a64(std::string_view(reinterpret_cast<const char*>(&l), sizeof l), h);
    } else if (examples.labels() == data::ExampleSet::Labels::kPerToken) {
      h = data::Fnv1a64(
          std::string_view(reinterpret_cast<const char*>(examples.token_labels(i)), s.size * sizeof(int32_t)), h);
    }
  }
  return h;
}

struct Trainer::State {
  BlockCacheUser block_cache;  // first member: outlives every tensor the trainer holds
  model::Bert model{nullptr};
  TokenizerInfo tok;
  std::shared_ptr<const data::ExampleSet> train, eval;
  TrainerOptions opt;
  bool classifier = false;     // fine-tuning a sequence / token classifier (else MLM)
  bool greater_is_better = false;  // of opt.metric_for_best_model
  int threads = 1;
  at::Device device{at::kCPU};
  std::unique_ptr<data::MlmCollator> collator;
  std::unique_ptr<AdamW> optimizer;
  std::vector<at::Tensor> all_params;
  Schedule schedule;
  data::BatchPlanOptions plan_options;
  uint64_t train_fingerprint = 0;
  size_t batches_per_epoch = 0;
  // Data parallelism (world > 1): this rank's place and the group it all-reduces with.
  std::unique_ptr<ProcessGroup> pg;
  std::unique_ptr<GradientReducer> reducer;  // after pg: destroyed first
  int world = 1;
  int rank = 0;

  // Position.
  int64_t global_step = 0;
  uint64_t data_epoch = 0;
  uint64_t batch_in_epoch = 0;
  uint64_t micro_batches = 0;
  std::vector<std::vector<uint32_t>> plan;
  uint64_t plan_epoch = std::numeric_limits<uint64_t>::max();
  at::Tensor generator_state;

  // Bookkeeping.
  json log_history = json::array();
  double best_metric = std::numeric_limits<double>::quiet_NaN();
  std::string best_checkpoint;
  double last_eval_metric = std::numeric_limits<double>::quiet_NaN();
  int64_t last_eval_step = -1;
  double log_loss_sum = 0;
  int64_t log_loss_count = 0;
  int64_t log_tokens = 0;
  int64_t log_steps = 0;          // steps in the current logging window
  double log_comm_seconds = 0;    // data-parallel: time spent waiting for all-reduces in the window
  double log_start = 0;
  double train_start = 0;
  std::vector<std::string> warnings;

  std::string LogPath() const {
    if (!opt.log_file.empty()) return opt.log_file;
    return opt.output_dir.empty() ? std::string() : (fs::path(opt.output_dir) / "train_log.jsonl").string();
  }

  void AppendLog(const json& entry) {
    log_history.push_back(entry);
    const std::string path = LogPath();
    if (path.empty() || rank != 0) return;  // rank 0 alone writes the log
    std::FILE* f = std::fopen(path.c_str(), "ab");
    if (f == nullptr) throw IoError("cannot open log file '" + path + "': " + std::strerror(errno));
    const std::string line = entry.dump() + "\n";
    const bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
    if (std::fclose(f) != 0 || !ok) throw IoError("cannot write log file '" + path + "'");
  }

  double Epoch() const {
    if (batches_per_epoch == 0) return 0.0;
    return static_cast<double>(data_epoch) + static_cast<double>(batch_in_epoch) / static_cast<double>(batches_per_epoch);
  }

  const std::vector<uint32_t>& NextBatch() {
    if (plan_epoch != data_epoch) {
      plan = data::PlanEpoch(*train, plan_options, data_epoch);
      plan_epoch = data_epoch;
    }
    if (batch_in_epoch >= plan.size()) {
      ++data_epoch;
      batch_in_epoch = 0;
      plan = data::PlanEpoch(*train, plan_options, data_epoch);
      plan_epoch = data_epoch;
    }
    return plan[batch_in_epoch++];
  }

  bool PadToMax() const { return opt.pad_to_max_length || data::PadsToMaxLength(opt.grouping); }

  // Forward + backward of one micro-batch; returns the (unscaled) loss, NaN when nothing is masked.
  double MicroStep(const data::MlmBatch& b, double accum) {
    if (b.num_masked() == 0) return std::numeric_limits<double>::quiet_NaN();
    const at::Tensor ids = ToLong(b.input_ids, b.rows, b.cols, device);
    const at::Tensor types = ToLong(b.token_type_ids, b.rows, b.cols, device);
    const at::Tensor mask = ToLong(b.attention_mask, b.rows, b.cols, device);
    const at::Tensor labels = ToLong(b.labels, b.rows, b.cols, device);
    model::MlmOutput out = model->ForwardWithLoss(ids, types, mask, labels, opt.masked_only_logits);
    (out.loss / accum).backward();
    return out.loss.item<double>();
  }

  // Forward + backward of one labelled micro-batch; NaN when it has no label.
  double MicroStep(const data::LabeledBatch& b, double accum) {
    if (b.labeled == 0) return std::numeric_limits<double>::quiet_NaN();
    const at::Tensor ids = ToLong(b.input_ids, b.rows, b.cols, device);
    const at::Tensor types = ToLong(b.token_type_ids, b.rows, b.cols, device);
    const at::Tensor mask = ToLong(b.attention_mask, b.rows, b.cols, device);
    const bool per_token = model->task() == model::Task::kTokenClassification;
    at::Tensor labels = ToLong(b.labels, per_token ? b.rows : 1, per_token ? b.cols : b.rows, device);
    if (!per_token) labels = labels.view({b.rows});
    model::ClassifierOutput out = model->ForwardClassifier(ids, types, mask, labels);
    (out.loss / accum).backward();
    return out.loss.item<double>();
  }

  static int64_t Scored(const data::MlmBatch& b) { return b.num_masked(); }
  static int64_t Scored(const data::LabeledBatch& b) { return b.labeled; }

  // One optimizer step over this rank's micro-batches (`index`: their global micro-batch numbers).
  // With world > 1 every rank passes its share of the step's world * micro.size() micro-batches; the
  // gradients (each loss scaled by 1 / all micro-batches) and the step's loss and counts are summed
  // over the ranks before clipping and the update, so every rank makes the same update.
  template <class Batch>
  StepResult Update(const std::vector<const Batch*>& micro, const std::vector<uint64_t>& index) {
    ScopedBlockCache cache;  // the step's large tensors reuse the previous step's blocks
    model->train();
    StepResult r;
    double loss_sum = 0;
    double counted = 0;
    const double all_micro = static_cast<double>(micro.size()) * world;
    for (size_t k = 0; k < micro.size(); ++k) {
      const Batch* b = micro[k];
      double l;
      if (reducer && k + 1 == micro.size()) reducer->Arm();  // the step's last backward: overlap the all-reduce
      {
        ScopedTrainerGenerator gen(generator_state, DropoutSeed(opt.seed, index[k]));
        l = MicroStep(*b, all_micro);
      }
      if (!std::isnan(l)) {
        loss_sum += l;
        ++counted;
      }
      r.tokens += b->real_tokens;
      r.masked += Scored(*b);
    }
    if (pg) {
      const double comm_start = Now();
      reducer->Finish();
      std::vector<at::Tensor> stats{at::tensor({loss_sum, counted, static_cast<double>(r.tokens),
                                                static_cast<double>(r.masked)},
                                               at::kDouble)};
      pg->AllReduceSum(stats);
      const double* v = stats[0].data_ptr<double>();
      loss_sum = v[0];
      counted = v[1];
      r.tokens = static_cast<int64_t>(v[2]);
      r.masked = static_cast<int64_t>(v[3]);
      log_comm_seconds += Now() - comm_start;
    }
    r.loss = counted > 0 ? loss_sum / all_micro : std::numeric_limits<double>::quiet_NaN();
    // One norm pass over the gradients; the clipping factor is applied inside the fused AdamW pass
    // instead of rescaling every gradient in place first (same numbers, one pass fewer).
    r.grad_norm = GradNorm(all_params);
    const double clip = opt.max_grad_norm > 0 ? ClipCoefficient(r.grad_norm, opt.max_grad_norm) : 1.0;
    r.learning_rate = opt.learning_rate * schedule.Multiplier(global_step);
    optimizer->Step(r.learning_rate, clip);
    optimizer->ZeroGrad();
    ++global_step;
    r.step = global_step;
    return r;
  }

  json StepLogEntry(const StepResult& r, double mean_loss, double tps) const {
    json e{{"step", r.step},
           {"epoch", Epoch()},
           {"loss", mean_loss},
           {"learning_rate", r.learning_rate},
           {"grad_norm", r.grad_norm},
           {"tokens_per_second", tps},
           {"elapsed", Now() - train_start}};
    if (world > 1) {
      // Seconds per step this rank spent in the gradient and statistics all-reduces (waiting for
      // the slowest rank included), and the world size, so a log tells what the network costs.
      e["allreduce_seconds"] = log_steps > 0 ? log_comm_seconds / static_cast<double>(log_steps) : 0.0;
      e["world_size"] = world;
    }
    return e;
  }
};

// ------------------------------------------------------------------------------------------------

Trainer::Trainer(model::Bert model, TokenizerInfo tokenizer, std::shared_ptr<const data::ExampleSet> train,
                 std::shared_ptr<const data::ExampleSet> eval, const TrainerOptions& options)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  if (!model) throw InvalidArgument("model must not be null");
  s.model = model;
  s.tok = std::move(tokenizer);
  s.train = std::move(train);
  s.eval = std::move(eval);
  s.opt = options;
  TrainerOptions& o = s.opt;
  o.mlm.seed = o.seed;
  const model::BertConfig& cfg = model->config();
  model::CheckVocabMatches(cfg, s.tok.vocab_size);
  if (o.max_length < 3) throw InvalidArgument("max_length must be at least 3");
  if (o.max_length > cfg.max_position_embeddings) {
    throw InvalidArgument("max_length " + std::to_string(o.max_length) + " exceeds the model's max_position_embeddings " +
                          std::to_string(cfg.max_position_embeddings));
  }
  if (o.batch_size <= 0) throw InvalidArgument("batch_size must be positive");
  if (o.eval_batch_size < 0) throw InvalidArgument("eval_batch_size must be >= 0");
  if (o.eval_batch_size == 0) o.eval_batch_size = o.batch_size;
  if (o.grad_accum <= 0) throw InvalidArgument("grad_accum must be positive");
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) throw InvalidArgument("learning rate must be positive");
  if (o.warmup_steps < 0 || !(o.warmup_ratio >= 0 && o.warmup_ratio < 1)) {
    throw InvalidArgument("warmup_steps must be >= 0 and warmup_ratio in [0, 1)");
  }
  if (!(o.adam.beta1 >= 0 && o.adam.beta1 < 1 && o.adam.beta2 >= 0 && o.adam.beta2 < 1 && o.adam.eps > 0 &&
        o.adam.weight_decay >= 0)) {
    throw InvalidArgument("AdamW needs betas in [0, 1), eps > 0 and weight_decay >= 0");
  }
  if (o.max_steps < 0 || !(o.num_epochs > 0) || !std::isfinite(o.num_epochs)) {
    throw InvalidArgument("max_steps must be >= 0 and num_epochs positive");
  }
  if (o.logging_steps < 0 || o.eval_steps < 0 || o.save_steps < 0 || o.save_total_limit < 0) {
    throw InvalidArgument("logging_steps, eval_steps, save_steps and save_total_limit must be >= 0");
  }
  if (o.eval_steps > 0 && !s.eval) throw InvalidArgument("eval_steps is set but there is no evaluation data");
  if (o.load_best_model_at_end) {
    if (o.eval_steps <= 0 || o.save_steps <= 0 || o.save_steps % o.eval_steps != 0) {
      throw InvalidArgument("load_best_model_at_end needs eval_steps > 0 and save_steps a multiple of eval_steps");
    }
  }
  if ((o.save_steps > 0 || o.save_final_model) && o.output_dir.empty() && s.train) {
    throw InvalidArgument("output_dir must be set to save checkpoints or the final model");
  }
  s.classifier = model::IsClassifier(cfg.task);
  if (o.metric_for_best_model == "loss") {
    s.greater_is_better = false;
  } else if (o.metric_for_best_model == "accuracy" || (o.metric_for_best_model == "f1" && s.classifier)) {
    s.greater_is_better = true;
  } else {
    throw InvalidArgument("metric_for_best_model '" + o.metric_for_best_model + "' is not one of loss, accuracy" +
                          (s.classifier ? ", f1" : " (f1 is for classifiers)"));
  }
  if (s.classifier) {
    if (o.grouping != data::Grouping::kDynamic && o.grouping != data::Grouping::kTruncatePad) {
      throw InvalidArgument(std::string("fine-tuning needs one example per line: grouping must be dynamic or "
                                        "truncate_pad, not ") + data::GroupingName(o.grouping));
    }
    const auto want = cfg.task == model::Task::kTokenClassification ? data::ExampleSet::Labels::kPerToken
                                                                     : data::ExampleSet::Labels::kPerExample;
    for (const auto* set : {s.train.get(), s.eval.get()}) {
      if (set != nullptr && !set->empty() && set->labels() != want) {
        throw InvalidArgument(std::string("the model is a ") + model::ArchitectureName(cfg.task) + " but the " +
                              (set == s.train.get() ? "training" : "evaluation") + " data carries " +
                              (set->labels() == data::ExampleSet::Labels::kNone ? "no labels"
                               : set->labels() == data::ExampleSet::Labels::kPerToken
                                   ? "token labels (a token classification task)"
                                   : "one label per example (a sequence classification task)"));
      }
    }
  } else {
    s.collator = std::make_unique<data::MlmCollator>(o.mlm, s.tok.ids, s.tok.vocab_size, s.tok.is_continuation);
  }
  if (s.train) {
    if (s.train->empty()) throw InvalidArgument("the training dataset is empty after filtering");
    if (static_cast<size_t>(o.batch_size) > s.train->size()) {
      throw InvalidArgument("batch_size " + std::to_string(o.batch_size) + " is larger than the training dataset (" +
                            std::to_string(s.train->size()) + " examples)");
    }
    for (size_t i = 0; i < s.train->size(); ++i) {
      if (s.train->length(i) > static_cast<size_t>(o.max_length)) {
        throw InvalidArgument("training example " + std::to_string(i) + " is longer than max_length");
      }
    }
    s.train_fingerprint = ExamplesFingerprint(*s.train);
  }
  if (s.eval && s.eval->empty()) throw InvalidArgument("the evaluation dataset is empty after filtering");
  // Device.
  if (o.device.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw Unsupported("device '" + o.device + "' was requested but this LibTorch build has no CUDA support (or no "
                        "GPU is visible); build bertc with -DTorch_DIR= pointing at a CUDA LibTorch, or use 'cpu'");
    }
    s.device = at::Device(o.device);
    s.model->to(s.device);
  } else if (o.device != "cpu") {
    throw InvalidArgument("unknown device '" + o.device + "' (expected cpu or cuda[:N])");
  }
  s.threads = o.threads;  // 0: adaptive, resolved at each call (model/intra_op_threads.h)
  const DistributedOptions& d = o.distributed;
  if (d.world_size < 1 || d.rank < 0 || d.rank >= d.world_size) {
    throw InvalidArgument("distributed: rank " + std::to_string(d.rank) + " / world size " +
                          std::to_string(d.world_size) + " is impossible");
  }
  s.world = d.world_size;
  s.rank = d.rank;
  if (s.world > 1) {
    if (!s.device.is_cpu()) throw Unsupported("data-parallel training runs on the CPU (Gloo); device must be 'cpu'");
    if (s.threads <= 0 && d.local_world_size > 1) {
      // The machine's cores shared by its processes, so they do not oversubscribe it.
      cpu_set_t set;
      const int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                                     : static_cast<int>(std::thread::hardware_concurrency());
      s.threads = std::max(1, cores / d.local_world_size);
    }
  }
  if (!o.output_dir.empty() && s.rank == 0) {
    EnsureWritableDir(o.output_dir);
    RemoveStaleTemps(o.output_dir);
  }
  // Optimizer: HF's two groups.
  model::ParameterGroups groups = s.model->parameter_groups();
  std::vector<ParamGroup> pg(2);
  pg[0] = ParamGroup{groups.decay, groups.decay_names, o.adam.weight_decay};
  pg[1] = ParamGroup{groups.no_decay, groups.no_decay_names, 0.0};
  for (const auto& g : pg) s.all_params.insert(s.all_params.end(), g.params.begin(), g.params.end());
  s.optimizer = std::make_unique<AdamW>(std::move(pg), o.adam);
  // Plan and schedule.
  s.plan_options.grouping = o.grouping;
  s.plan_options.batch_size = o.batch_size;
  s.plan_options.seed = o.seed;
  int64_t total = o.max_steps;
  if (s.train) {
    s.batches_per_epoch = data::BatchesPerEpoch(s.train->size(), s.plan_options);
    if (total == 0) {
      const double steps =
          std::ceil(o.num_epochs * static_cast<double>(s.batches_per_epoch) / static_cast<double>(o.grad_accum * s.world));
      if (!(steps <= 1e15)) {  // also catches overflow to inf before the integer cast
        throw InvalidArgument("num_epochs " + std::to_string(o.num_epochs) + " gives an impossible number of steps");
      }
      total = static_cast<int64_t>(steps);
    }
  }
  s.schedule.kind = o.schedule;
  s.schedule.total_steps = std::max<int64_t>(1, total);
  s.schedule.warmup_steps =
      o.warmup_steps > 0 ? o.warmup_steps
                         : static_cast<int64_t>(std::ceil(o.warmup_ratio * static_cast<double>(s.schedule.total_steps)));
  s.generator_state = at::detail::createCPUGenerator(o.seed).get_state();
  if (s.world > 1) {
    s.pg = ProcessGroup::Connect(d);
    s.reducer = std::make_unique<GradientReducer>(*s.pg, s.all_params);
    json run = TrajectoryArgs(o, 0);
    run.erase("seed");
    run["learning_rate"] = o.learning_rate;
    run["adam"] = {o.adam.beta1, o.adam.beta2, o.adam.eps, o.adam.weight_decay};
    run["max_grad_norm"] = o.max_grad_norm;
    run["schedule"] = ScheduleName(o.schedule);
    run["warmup"] = {o.warmup_steps, o.warmup_ratio};
    run["steps"] = {o.max_steps, o.num_epochs, s.schedule.total_steps};
    run["cadence"] = {o.logging_steps, o.eval_steps, o.save_steps, o.save_total_limit, o.load_best_model_at_end};
    run["masked_only_logits"] = o.masked_only_logits;
    run["metric_for_best_model"] = o.metric_for_best_model;
    CheckSameRun(*s.pg, {{"the world size", static_cast<uint64_t>(s.world)},
                         {"the training data", s.train_fingerprint},
                         {"the evaluation data", s.eval ? ExamplesFingerprint(*s.eval) : 0},
                         {"the seed", o.seed},
                         {"the model (config or initial weights)", ModelFingerprint(*s.model, cfg)},
                         {"the training options", data::Fnv1a64(run.dump())}});
  }
  s.train_start = s.log_start = Now();
}

Trainer::~Trainer() = default;

int64_t Trainer::global_step() const { return s_->global_step; }
int Trainer::rank() const { return s_->rank; }
int Trainer::world_size() const { return s_->world; }
int64_t Trainer::total_steps() const { return s_->schedule.total_steps; }
double Trainer::epoch() const { return s_->Epoch(); }
int64_t Trainer::train_examples() const { return s_->train ? static_cast<int64_t>(s_->train->size()) : 0; }
int64_t Trainer::eval_examples() const { return s_->eval ? static_cast<int64_t>(s_->eval->size()) : 0; }
std::string Trainer::best_checkpoint() const { return s_->best_checkpoint; }
double Trainer::best_metric() const { return s_->best_metric; }
model::Bert Trainer::model() const { return s_->model; }
const TrainerOptions& Trainer::options() const { return s_->opt; }
std::vector<std::string> Trainer::TakeWarnings() {
  std::vector<std::string> w;
  w.swap(s_->warnings);
  return w;
}

namespace {
void Emit(const ProgressFn& progress, const Event& ev, bool& cancel) {
  if (progress && !progress(ev)) cancel = true;
}
}  // namespace

StepResult Trainer::Step(const ProgressFn& progress) {
  State& s = *s_;
  // Every public call (and the progress callbacks it makes) runs with the trainer's thread count on
  // the calling thread only; the caller's own setting is back when it returns.
  const model::ScopedIntraOpThreads scoped_threads(s.threads);
  if (!s.train) throw InvalidArgument("the trainer has no training data; use StepOnBatch");
  StepResult r;
  // A step takes world * grad_accum micro-batches of the global batch order; rank r collates
  // numbers [r * grad_accum, (r + 1) * grad_accum) of them (every rank walks the whole order, so the
  // data position is the same everywhere and equals a 1-process run with grad_accum * world).
  const int per_rank = s.opt.grad_accum;
  std::vector<uint64_t> index;
  index.reserve(static_cast<size_t>(per_rank));
  if (s.classifier) {
    std::vector<data::LabeledBatch> micro;
    micro.reserve(static_cast<size_t>(per_rank));
    for (int k = 0; k < per_rank * s.world; ++k) {
      const std::vector<uint32_t>& idx = s.NextBatch();
      if (k / per_rank == s.rank) {
        const int width = data::PaddedWidth(*s.train, idx, s.PadToMax(), s.opt.max_length);
        micro.push_back(data::CollateLabeled(*s.train, idx, width, s.tok.ids.pad));
        index.push_back(s.micro_batches);
      }
      ++s.micro_batches;
    }
    std::vector<const data::LabeledBatch*> ptrs;
    for (auto& b : micro) ptrs.push_back(&b);
    r = s.Update(ptrs, index);
  } else {
    std::vector<data::MlmBatch> micro;
    micro.reserve(static_cast<size_t>(per_rank));
    for (int k = 0; k < per_rank * s.world; ++k) {
      const std::vector<uint32_t>& idx = s.NextBatch();
      if (k / per_rank == s.rank) {
        const int width = data::PaddedWidth(*s.train, idx, s.PadToMax(), s.opt.max_length);
        micro.push_back(s.collator->Collate(*s.train, idx, width, s.micro_batches));
        index.push_back(s.micro_batches);
      }
      ++s.micro_batches;
    }
    std::vector<const data::MlmBatch*> ptrs;
    for (auto& b : micro) ptrs.push_back(&b);
    r = s.Update(ptrs, index);
  }
  r.epoch = s.Epoch();

  // Cadence: log, evaluate, save.
  bool cancel = false;
  if (!std::isnan(r.loss)) {
    s.log_loss_sum += r.loss;
    ++s.log_loss_count;
  }
  s.log_tokens += r.tokens;
  ++s.log_steps;
  const int64_t step = s.global_step;
  if (s.opt.logging_steps > 0 && (step % s.opt.logging_steps == 0 || step == s.schedule.total_steps)) {
    const double now = Now();
    const double tps = static_cast<double>(s.log_tokens) / std::max(1e-9, now - s.log_start);
    const double mean = s.log_loss_count > 0 ? s.log_loss_sum / static_cast<double>(s.log_loss_count) : r.loss;
    s.AppendLog(s.StepLogEntry(r, mean, tps));
    Event ev;
    ev.kind = Event::kStep;
    ev.step = step;
    ev.total_steps = s.schedule.total_steps;
    ev.elapsed_seconds = now - s.train_start;
    ev.loss = mean;
    ev.learning_rate = r.learning_rate;
    ev.grad_norm = r.grad_norm;
    ev.tokens_per_second = tps;
    ev.epoch = r.epoch;
    Emit(progress, ev, cancel);
    s.log_loss_sum = 0;
    s.log_loss_count = 0;
    s.log_tokens = 0;
    s.log_steps = 0;
    s.log_comm_seconds = 0;
    s.log_start = Now();
  }
  if (s.opt.eval_steps > 0 && step % s.opt.eval_steps == 0) {
    const EvalResult e = Evaluate();
    Event ev;
    ev.kind = Event::kEval;
    ev.step = step;
    ev.total_steps = s.schedule.total_steps;
    ev.elapsed_seconds = Now() - s.train_start;
    ev.eval_loss = e.loss;
    ev.eval_perplexity = e.perplexity;
    ev.eval_accuracy = e.accuracy;
    ev.eval_f1 = e.f1;
    ev.epoch = r.epoch;
    Emit(progress, ev, cancel);
  }
  if (s.opt.save_steps > 0 && step % s.opt.save_steps == 0) {
    Event ev;
    ev.kind = Event::kCheckpoint;
    ev.step = step;
    ev.total_steps = s.schedule.total_steps;
    ev.path = SaveCheckpoint();
    ev.elapsed_seconds = Now() - s.train_start;
    ev.epoch = r.epoch;
    Emit(progress, ev, cancel);
  }
  const bool had_event = (s.opt.logging_steps > 0 && (step % s.opt.logging_steps == 0 || step == s.schedule.total_steps)) ||
                         (s.opt.eval_steps > 0 && step % s.opt.eval_steps == 0) ||
                         (s.opt.save_steps > 0 && step % s.opt.save_steps == 0);
  if (s.pg && had_event) {
    // Every rank reaches the same events; one rank's cancellation (Ctrl-C forwarded to all of them a
    // moment apart) stops them all after this same step instead of leaving the others waiting.
    std::vector<at::Tensor> flag{at::tensor({cancel ? 1.0 : 0.0}, at::kDouble)};
    s.pg->AllReduceSum(flag);
    if (flag[0].item<double>() > 0 && !cancel) {
      throw Cancelled("training cancelled by another rank's progress callback after step " + std::to_string(step));
    }
  }
  if (cancel) throw Cancelled("training cancelled by the progress callback after step " + std::to_string(step));
  return r;
}


// Validates a batch the caller built (MLM or labelled: rows x cols ids) and fills in the defaults for
// an absent attention mask (non-[PAD]) and token types (0). Returns rows * cols.
template <typename Batch>
size_t CheckCallerBatch(Batch& batch, int64_t max_length, int64_t vocab_size, int32_t pad) {
  const size_t n = static_cast<size_t>(batch.rows * batch.cols);
  if (batch.rows <= 0 || batch.cols <= 0 || batch.input_ids.size() != n) {
    throw InvalidArgument("batch must have rows, cols > 0 and rows * cols input ids");
  }
  if (batch.cols > max_length) {
    throw InvalidArgument("batch width " + std::to_string(batch.cols) + " exceeds max_length " +
                          std::to_string(max_length));
  }
  for (int32_t id : batch.input_ids) {
    if (id < 0 || id >= vocab_size) throw InvalidArgument("token id " + std::to_string(id) + " is outside the vocabulary");
  }
  if (batch.attention_mask.empty()) {
    batch.attention_mask.resize(n);
    for (size_t i = 0; i < n; ++i) batch.attention_mask[i] = batch.input_ids[i] != pad;
  }
  if (batch.attention_mask.size() != n) throw InvalidArgument("attention_mask must have rows * cols entries");
  if (batch.token_type_ids.empty()) batch.token_type_ids.assign(n, 0);
  return n;
}

StepResult Trainer::StepOnBatch(data::MlmBatch batch, const ProgressFn& progress) {
  State& s = *s_;
  const model::ScopedIntraOpThreads scoped_threads(s.threads);
  if (s.classifier) {
    throw InvalidArgument(std::string("the model is a ") + model::ArchitectureName(s.model->task()) +
                          ": a batch for it needs classification labels");
  }
  const size_t n = CheckCallerBatch(batch, s.opt.max_length, s.tok.vocab_size, s.tok.ids.pad);
  batch.real_tokens = 0;
  for (int32_t m : batch.attention_mask) batch.real_tokens += m != 0;
  // Caller batches in a data-parallel run: each rank's is its own micro-batch number (and mask stream).
  const uint64_t micro_index = s.micro_batches * static_cast<uint64_t>(s.world) + static_cast<uint64_t>(s.rank);
  if (batch.labels.empty()) {
    s.collator->Mask(batch, micro_index);
    ++s.micro_batches;
  } else {
    if (batch.labels.size() != n) throw InvalidArgument("labels must have rows * cols entries");
    batch.masked_positions.clear();
    for (size_t i = 0; i < n; ++i) {
      if (batch.labels[i] != data::kIgnoreIndex) {
        if (batch.labels[i] < 0 || batch.labels[i] >= s.tok.vocab_size) throw InvalidArgument("label outside the vocabulary");
        batch.masked_positions.push_back(static_cast<int64_t>(i));
      }
    }
    ++s.micro_batches;
  }
  StepResult r = s.Update(std::vector<const data::MlmBatch*>{&batch}, {micro_index});
  r.epoch = s.Epoch();
  if (progress) {
    Event ev;
    ev.kind = Event::kStep;
    ev.step = r.step;
    ev.total_steps = s.schedule.total_steps;
    ev.loss = r.loss;
    ev.learning_rate = r.learning_rate;
    ev.grad_norm = r.grad_norm;
    ev.elapsed_seconds = Now() - s.train_start;
    if (!progress(ev)) throw Cancelled("cancelled by the progress callback after step " + std::to_string(r.step));
  }
  return r;
}

StepResult Trainer::StepOnLabeledBatch(data::LabeledBatch batch, const ProgressFn& progress) {
  State& s = *s_;
  const model::ScopedIntraOpThreads scoped_threads(s.threads);
  if (!s.classifier) throw InvalidArgument("the model is a BertForMaskedLM: labelled batches are for classifiers");
  const size_t n = CheckCallerBatch(batch, s.opt.max_length, s.tok.vocab_size, s.tok.ids.pad);
  const bool per_token = s.model->task() == model::Task::kTokenClassification;
  const size_t want = per_token ? n : static_cast<size_t>(batch.rows);
  if (batch.labels.size() != want) {
    throw InvalidArgument(per_token ? "token classification needs rows * cols labels (-100 where none)"
                                    : "sequence classification needs one label per row");
  }
  const int64_t num_labels = s.model->config().num_labels();
  batch.labeled = 0;
  for (int32_t l : batch.labels) {
    if (l == data::kIgnoreIndex && per_token) continue;
    if (l < 0 || l >= num_labels) {
      throw InvalidArgument("label " + std::to_string(l) + " is outside [0, " + std::to_string(num_labels) + ")" +
                            (per_token ? " and not -100" : ""));
    }
    ++batch.labeled;
  }
  batch.real_tokens = 0;
  for (int32_t m : batch.attention_mask) batch.real_tokens += m != 0;
  const uint64_t micro_index = s.micro_batches * static_cast<uint64_t>(s.world) + static_cast<uint64_t>(s.rank);
  ++s.micro_batches;
  StepResult r = s.Update(std::vector<const data::LabeledBatch*>{&batch}, {micro_index});
  r.epoch = s.Epoch();
  if (progress) {
    Event ev;
    ev.kind = Event::kStep;
    ev.step = r.step;
    ev.total_steps = s.schedule.total_steps;
    ev.loss = r.loss;
    ev.learning_rate = r.learning_rate;
    ev.grad_norm = r.grad_norm;
    ev.elapsed_seconds = Now() - s.train_start;
    if (!progress(ev)) throw Cancelled("cancelled by the progress callback after step " + std::to_string(r.step));
  }
  return r;
}

namespace {

// Loss, accuracy and macro-F1 of a classifier over `examples` (no dropout).
// With a process group, each rank scores batches rank, rank + world, ... and the sums are all-reduced.
EvalResult EvaluateClassifier(model::BertImpl& model, const data::ExampleSet& examples, const TrainerOptions& o,
                              bool pad_to_max, int32_t pad_id, const at::Device& device, ProcessGroup* pg) {
  data::BatchPlanOptions po;
  po.grouping = o.grouping;
  po.batch_size = o.eval_batch_size;
  po.shuffle = false;
  const auto batches = data::PlanEpoch(examples, po, 0);
  const size_t num_labels = static_cast<size_t>(model.config().num_labels());
  data::ConfusionMatrix cm(num_labels);
  double loss_sum = 0;
  for (size_t bi = 0; bi < batches.size(); ++bi) {
    if (pg != nullptr && static_cast<int>(bi % static_cast<size_t>(pg->world_size())) != pg->rank()) continue;
    const auto& idx = batches[bi];
    const int width = data::PaddedWidth(examples, idx, pad_to_max, o.max_length);
    const data::LabeledBatch b = data::CollateLabeled(examples, idx, width, pad_id);
    if (b.labeled == 0) continue;
    const at::Tensor ids = ToLong(b.input_ids, b.rows, b.cols, device);
    const at::Tensor types = ToLong(b.token_type_ids, b.rows, b.cols, device);
    const at::Tensor mask = ToLong(b.attention_mask, b.rows, b.cols, device);
    const at::Tensor logits =
        model.ClassifierLogits(ids, types, mask, /*dropout=*/false).reshape({-1, static_cast<int64_t>(num_labels)});
    const at::Tensor labels = ToLong(b.labels, 1, static_cast<int64_t>(b.labels.size()), device).view({-1});
    loss_sum += at::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum, model::kIgnoreIndex).item<double>();
    const at::Tensor pred = logits.argmax(-1).to(at::kCPU).contiguous();
    const int64_t* p = pred.data_ptr<int64_t>();
    for (size_t i = 0; i < b.labels.size(); ++i) {
      if (b.labels[i] == data::kIgnoreIndex) continue;
      cm.Add(static_cast<size_t>(b.labels[i]), static_cast<size_t>(p[i]));
    }
  }
  if (pg != nullptr) {
    std::vector<at::Tensor> sums{at::empty({static_cast<int64_t>(num_labels * num_labels) + 1}, at::kDouble)};
    double* v = sums[0].data_ptr<double>();
    for (size_t g = 0; g < num_labels; ++g) {
      for (size_t q = 0; q < num_labels; ++q) v[g * num_labels + q] = static_cast<double>(cm.count(g, q));
    }
    v[num_labels * num_labels] = loss_sum;
    pg->AllReduceSum(sums);
    v = sums[0].data_ptr<double>();
    data::ConfusionMatrix all(num_labels);
    for (size_t g = 0; g < num_labels; ++g) {
      for (size_t q = 0; q < num_labels; ++q) all.Add(g, q, static_cast<int64_t>(v[g * num_labels + q]));
    }
    cm = std::move(all);
    loss_sum = v[num_labels * num_labels];
  }
  EvalResult e;
  e.masked_tokens = cm.total();
  e.examples = static_cast<int64_t>(examples.size());
  e.loss = e.masked_tokens > 0 ? loss_sum / static_cast<double>(e.masked_tokens) : std::numeric_limits<double>::quiet_NaN();
  e.perplexity = std::numeric_limits<double>::quiet_NaN();
  e.accuracy = cm.Accuracy();
  e.f1 = cm.MacroF1();
  e.confusion.resize(num_labels * num_labels);
  for (size_t g = 0; g < num_labels; ++g) {
    for (size_t q = 0; q < num_labels; ++q) e.confusion[g * num_labels + q] = cm.count(g, q);
  }
  return e;
}

}  // namespace

EvalResult Trainer::Evaluate() {
  State& s = *s_;
  if (!s.eval) throw InvalidArgument("the trainer has no evaluation data");
  const model::ScopedIntraOpThreads scoped_threads(s.threads);
  if (s.classifier) {
    ScopedBlockCache cache;
    torch::NoGradGuard no_grad;
    s.model->eval();
    EvalResult e = EvaluateClassifier(*s.model, *s.eval, s.opt, s.PadToMax(), s.tok.ids.pad, s.device, s.pg.get());
    s.model->train();
    s.last_eval_metric = s.opt.metric_for_best_model == "loss" ? e.loss
                         : s.opt.metric_for_best_model == "f1" ? e.f1
                                                               : e.accuracy;
    s.last_eval_step = s.global_step;
    s.AppendLog(json{{"step", s.global_step},
                     {"epoch", s.Epoch()},
                     {"eval_loss", e.loss},
                     {"eval_accuracy", e.accuracy},
                     {"eval_f1", e.f1},
                     {"eval_labels", e.masked_tokens}});
    return e;
  }
  ScopedBlockCache cache;
  torch::NoGradGuard no_grad;
  s.model->eval();
  data::BatchPlanOptions po;
  po.grouping = s.opt.grouping;
  po.batch_size = s.opt.eval_batch_size;
  po.shuffle = false;
  const auto batches = data::PlanEpoch(*s.eval, po, 0);
  double loss_sum = 0;
  int64_t correct = 0, total = 0;
  for (size_t bi = 0; bi < batches.size(); ++bi) {
    if (static_cast<int>(bi % static_cast<size_t>(s.world)) != s.rank) continue;  // another rank's batch
    const int width = data::PaddedWidth(*s.eval, batches[bi], s.PadToMax(), s.opt.max_length);
    const data::MlmBatch b = s.collator->Collate(*s.eval, batches[bi], width, kEvalStreamBit | bi);
    if (b.num_masked() == 0) continue;
    const at::Tensor ids = ToLong(b.input_ids, b.rows, b.cols, s.device);
    const at::Tensor types = ToLong(b.token_type_ids, b.rows, b.cols, s.device);
    const at::Tensor mask = ToLong(b.attention_mask, b.rows, b.cols, s.device);
    const at::Tensor labels = ToLong(b.labels, b.rows, b.cols, s.device);
    model::MlmOutput out = s.model->ForwardWithLoss(ids, types, mask, labels, /*masked_only=*/true);
    const at::Tensor lab = out.labels.reshape({-1});
    const at::Tensor logits = out.logits.reshape({lab.size(0), -1});
    const at::Tensor valid = lab.ne(model::kIgnoreIndex);
    const int64_t n = valid.sum().item<int64_t>();
    loss_sum += out.loss.item<double>() * static_cast<double>(n);
    correct += logits.argmax(-1).eq(lab).logical_and(valid).sum().item<int64_t>();
    total += n;
  }
  s.model->train();
  if (s.pg) {
    std::vector<at::Tensor> sums{at::tensor({loss_sum, static_cast<double>(correct), static_cast<double>(total)}, at::kDouble)};
    s.pg->AllReduceSum(sums);
    const double* v = sums[0].data_ptr<double>();
    loss_sum = v[0];
    correct = static_cast<int64_t>(v[1]);
    total = static_cast<int64_t>(v[2]);
  }
  EvalResult e;
  e.masked_tokens = total;
  e.examples = static_cast<int64_t>(s.eval->size());
  e.loss = total > 0 ? loss_sum / static_cast<double>(total) : std::numeric_limits<double>::quiet_NaN();
  e.perplexity = std::exp(e.loss);
  e.accuracy = total > 0 ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
  e.f1 = std::numeric_limits<double>::quiet_NaN();
  s.last_eval_metric = s.opt.metric_for_best_model == "loss" ? e.loss : e.accuracy;
  s.last_eval_step = s.global_step;
  s.AppendLog(json{{"step", s.global_step},
                   {"epoch", s.Epoch()},
                   {"eval_loss", e.loss},
                   {"eval_perplexity", e.perplexity},
                   {"eval_accuracy", e.accuracy},
                   {"eval_masked_tokens", e.masked_tokens}});
  return e;
}

void Trainer::Train(const ProgressFn& progress) {
  State& s = *s_;
  const model::ScopedIntraOpThreads scoped_threads(s.threads);
  if (!s.train) throw InvalidArgument("the trainer has no training data");
  while (s.global_step < s.schedule.total_steps) Step(progress);
  if (s.opt.load_best_model_at_end && !s.best_checkpoint.empty() && IsDirectory(s.best_checkpoint)) {
    model::LoadWeights(*s.model, (fs::path(s.best_checkpoint) / "model.safetensors").string());
  }
  if (s.opt.save_final_model && !s.opt.output_dir.empty() && s.rank == 0) {
    model::SaveBert(*s.model, s.opt.output_dir);
    if (s.tok.save) s.tok.save(s.opt.output_dir);
    json state{{"global_step", s.global_step},
               {"epoch", s.Epoch()},
               {"best_metric", std::isnan(s.best_metric) ? json(nullptr) : json(s.best_metric)},
               {"best_model_checkpoint", s.best_checkpoint},
               {"log_history", s.log_history}};
    WriteFileAtomic((fs::path(s.opt.output_dir) / kTrainerStateFile).string(), state.dump(2));
  }
}

// ------------------------------------------------------------------------------------------------
// Checkpoints.

namespace {


}  // namespace

std::string Trainer::SaveCheckpoint() {
  State& s = *s_;
  const model::ScopedIntraOpThreads scoped_threads(s.threads);
  if (s.opt.output_dir.empty()) throw InvalidArgument("output_dir is not set; cannot save a checkpoint");
  const std::string final_dir = CheckpointPath(s.opt.output_dir, s.global_step);
  if (s.rank != 0) {
    // Rank 0 alone writes; the others keep the same best-checkpoint bookkeeping (the metric is the
    // all-reduced one, identical on every rank).
    if (s.last_eval_step == s.global_step && !std::isnan(s.last_eval_metric) &&
        (std::isnan(s.best_metric) ||
         (s.greater_is_better ? s.last_eval_metric > s.best_metric : s.last_eval_metric < s.best_metric))) {
      s.best_metric = s.last_eval_metric;
      s.best_checkpoint = final_dir;
    }
    return final_dir;
  }
  // Unique per process and per save, so two trainers of one process never share a temp directory.
  static std::atomic<uint64_t> save_counter{0};
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".tmp-%d-%llu", static_cast<int>(getpid()),
                static_cast<unsigned long long>(save_counter.fetch_add(1)));
  const std::string tmp =
      (fs::path(s.opt.output_dir) / (".checkpoint-" + std::to_string(s.global_step) + suffix)).string();
  std::error_code ec;
  fs::remove_all(tmp, ec);
  try {
    MakeDirs(tmp);
    model::SaveBert(*s.model, tmp);
    if (s.tok.save) s.tok.save(tmp);
    model::SaveTensors((fs::path(tmp) / kOptimizerFile).string(), s.optimizer->StateTensors());
    model::SaveTensors((fs::path(tmp) / kRngFile).string(), {{"torch_cpu_generator", s.generator_state}});
    const json sched{{"kind", ScheduleName(s.schedule.kind)},
                     {"warmup_steps", s.schedule.warmup_steps},
                     {"total_steps", s.schedule.total_steps},
                     {"last_step", s.global_step},
                     {"base_learning_rate", s.opt.learning_rate}};
    WriteFileAtomic((fs::path(tmp) / kSchedulerFile).string(), sched.dump(2));
    // The checkpoint's metric is the evaluation at this very step (HF's rule).
    const bool has_metric = s.last_eval_step == s.global_step && !std::isnan(s.last_eval_metric);
    std::string best = s.best_checkpoint;
    double best_metric = s.best_metric;
    if (has_metric && (std::isnan(best_metric) || (s.greater_is_better ? s.last_eval_metric > best_metric
                                                                       : s.last_eval_metric < best_metric))) {
      best_metric = s.last_eval_metric;
      best = final_dir;
    }
    const json state{{"global_step", s.global_step},
                     {"epoch", s.Epoch()},
                     {"total_steps", s.schedule.total_steps},
                     {"metric", has_metric ? json(s.last_eval_metric) : json(nullptr)},
                     {"metric_for_best_model", s.opt.metric_for_best_model},
                     {"best_metric", std::isnan(best_metric) ? json(nullptr) : json(best_metric)},
                     {"best_model_checkpoint", best},
                     {"data_position",
                      {{"epoch", s.data_epoch},
                       {"batch_in_epoch", s.batch_in_epoch},
                       {"micro_batches", s.micro_batches},
                       {"log_loss_sum", s.log_loss_sum},
                       {"log_loss_count", s.log_loss_count}}},
                     {"optimizer_step", s.optimizer->step_count()},
                     {"threads", s.threads},
                     {"args", [&] {
                        json a = TrajectoryArgs(s.opt, s.train_fingerprint);
                        a["world_size"] = s.world;
                        return a;
                      }()},
                     {"log_history", s.log_history}};
    // trainer_state.json last: its presence marks the checkpoint complete.
    WriteFileAtomic((fs::path(tmp) / kTrainerStateFile).string(), state.dump(2));
    SyncDir(tmp);
    ReplaceDirAtomic(tmp, final_dir);
    s.best_checkpoint = best;
    s.best_metric = best_metric;
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  RotateCheckpoints(s.opt.output_dir, s.opt.save_total_limit, s.best_checkpoint, final_dir);
  return final_dir;
}

void Trainer::Resume(const std::string& checkpoint) {
  State& s = *s_;
  const model::ScopedIntraOpThreads scoped_threads(s.threads);
  std::string dir = checkpoint;
  if (dir.empty()) {
    if (s.opt.output_dir.empty()) throw InvalidArgument("no checkpoint given and no output_dir to search");
    dir = LatestCheckpoint(s.opt.output_dir);
    if (dir.empty()) throw IoError("no complete checkpoint in '" + s.opt.output_dir + "' to resume from");
  }
  const std::string state_path = (fs::path(dir) / kTrainerStateFile).string();
  if (!PathExists(state_path)) throw IoError("'" + dir + "' is not a complete checkpoint (no trainer_state.json)");
  const model::BertConfig cfg = model::ReadConfig(dir);
  if (cfg != s.model->config()) {
    throw InvalidArgument("checkpoint '" + dir + "' was written for a different model config than this trainer's");
  }
  const CheckpointState state = ParseTrainerState(ReadFile(state_path), state_path);
  const json want = TrajectoryArgs(s.opt, s.train_fingerprint);
  const json& have = state.args;
  const int have_world = have.is_object() && have.contains("world_size") && have.at("world_size").is_number_integer()
                             ? have.at("world_size").get<int>()
                             : 1;
  if (have_world != s.world) {
    throw InvalidArgument("cannot resume from '" + dir + "': it was written by a run with world size " +
                          std::to_string(have_world) + " and this run has world size " + std::to_string(s.world) +
                          "; resume with " + std::to_string(have_world) + " process" + (have_world == 1 ? "" : "es"));
  }
  for (auto it = want.begin(); it != want.end(); ++it) {
    if (!have.contains(it.key()) || have.at(it.key()) != it.value()) {
      throw InvalidArgument("cannot resume from '" + dir + "': " + it.key() + " was " +
                            (have.contains(it.key()) ? have.at(it.key()).dump() : "unset") + ", now " + it.value().dump());
    }
  }
  const std::string sched_path = (fs::path(dir) / kSchedulerFile).string();
  if (PathExists(sched_path)) {
    const SchedulerState sched = ParseSchedulerState(ReadFile(sched_path), sched_path);
    if (sched.last_step != state.global_step) {
      throw FormatError("'" + dir + "': scheduler.json is at step " + std::to_string(sched.last_step) +
                        " but trainer_state.json at step " + std::to_string(state.global_step));
    }
  }
  if (state.threads >= 0 && state.threads != s.threads) {
    s.warnings.push_back("resuming with " + std::to_string(s.threads) + " threads instead of " +
                         std::to_string(state.threads) + ": losses may differ in the last bits");
  }
  // Everything validated: now load (model first; a failure below leaves the trainer unusable but
  // reports the error).
  model::LoadWeights(*s.model, (fs::path(dir) / "model.safetensors").string());
  s.optimizer->LoadState(model::LoadTensors((fs::path(dir) / kOptimizerFile).string()), state.optimizer_step);
  for (auto& [name, t] : model::LoadTensors((fs::path(dir) / kRngFile).string())) {
    if (name == "torch_cpu_generator") s.generator_state = t.to(torch::kUInt8).contiguous().clone();
  }
  s.global_step = state.global_step;
  s.data_epoch = state.data_epoch;
  s.batch_in_epoch = state.batch_in_epoch;
  s.micro_batches = state.micro_batches;
  s.plan_epoch = std::numeric_limits<uint64_t>::max();
  s.log_history = state.log_history;
  s.best_metric = state.best_metric;
  s.best_checkpoint = state.best_checkpoint;
  s.last_eval_step = -1;
  s.log_loss_sum = state.log_loss_sum;
  s.log_loss_count = state.log_loss_count;
  s.log_tokens = 0;
  s.log_steps = 0;
  s.log_comm_seconds = 0;
  s.log_start = Now();
  s.model->train();
  if (s.pg) {
    // Every rank must have picked the same checkpoint (a shared output_dir, or identical copies).
    const auto steps = s.pg->AllGather({s.global_step});
    for (size_t r = 0; r < steps.size(); ++r) {
      if (steps[r][0] != s.global_step) {
        throw InvalidArgument("distributed training: rank " + std::to_string(r) + " resumed at step " +
                              std::to_string(steps[r][0]) + " but rank " + std::to_string(s.rank) + " at step " +
                              std::to_string(s.global_step) + "; every rank must see the same checkpoints");
      }
    }
  }
}

}  // namespace bertc::train
