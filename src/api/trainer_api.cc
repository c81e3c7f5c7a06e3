// bert_trainer_*: MLM pre-training and classifier fine-tuning through the C ABI.
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/guard.h"
#include "api/handles.h"
#include "bertc.h"
#include "data/corpus.h"
#include "data/encoded_dataset.h"
#include "data/grouping.h"
#include "data/labeled.h"
#include "data/mlm_collator.h"
#include "data/tokenizer_bridge.h"
#include "model/bert.h"
#include "train/trainer.h"

namespace {

using bertc::InvalidArgument;
using bertc::api::CheckedInt;
namespace data = bertc::data;
namespace train = bertc::train;

bert_trainer_data DataDefaults() {
  bert_trainer_data d;
  std::memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  return d;
}

bert_trainer_params TrainerDefaults() {
  bert_trainer_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.output_dir = nullptr;
  p.max_length = 128;
  p.grouping = BERT_GROUPING_DYNAMIC;
  p.mlm_probability = 0.15;
  p.whole_word_mask = 0;
  p.at_least_one_mask = 1;
  p.masked_only_logits = 1;
  p.pad_to_max_length = 0;
  p.eval_split = 0.1;
  p.cache_dir = nullptr;
  p.use_cache = 1;
  p.batch_size = 8;
  p.eval_batch_size = 0;
  p.grad_accum = 1;
  p.learning_rate = 5e-5;
  p.weight_decay = 0.01;
  p.adam_beta1 = 0.9;
  p.adam_beta2 = 0.999;
  p.adam_epsilon = 1e-8;
  p.max_grad_norm = 1.0;
  p.schedule = BERT_SCHEDULE_LINEAR;
  p.warmup_steps = 0;
  p.warmup_ratio = 0.0;
  p.max_steps = 0;
  p.num_epochs = 3.0;
  p.logging_steps = 50;
  p.eval_steps = 0;
  p.save_steps = 0;
  p.save_total_limit = 0;
  p.load_best_model_at_end = 0;
  p.save_final_model = 1;
  p.seed = 42;
  p.threads = 0;
  p.device = "cpu";
  p.log_file = nullptr;
  p.metric_for_best_model = nullptr;
  p.world_size = 0;
  p.rank = -1;
  p.local_rank = -1;
  p.local_world_size = 0;
  p.master = nullptr;
  p.dist_timeout_seconds = 300;
  return p;
}

struct LoadedData {
  data::EncodedDataset dataset;
  bool cache_hit = false;
  std::string warning;
};

LoadedData LoadData(const bert_trainer_data* user, const char* name, const data::TokenizerHooks& hooks,
                    const bert_trainer_params& p) {
  const bert_trainer_data d = bertc::api::CopyParams(user, DataDefaults(), name);
  if (d.labels != nullptr || d.num_labels > 0 || d.label_field != nullptr || d.words_field != nullptr ||
      d.tags_field != nullptr) {
    throw InvalidArgument(std::string(name) + ": labels, num_labels, label_field, words_field and tags_field are for "
                          "classifiers; this model is a BertForMaskedLM (put a head on it with "
                          "bert_model_load_for_task to fine-tune)");
  }
  const bool has_files = d.num_files > 0 || d.files != nullptr;
  const bool has_ids = d.num_sequences > 0 || d.offsets != nullptr || d.token_ids != nullptr;
  if (has_files == has_ids) {
    throw InvalidArgument(std::string(name) + ": set exactly one of files/num_files or token_ids/offsets/num_sequences");
  }
  LoadedData out;
  if (has_files) {
    bertc::api::RequireNonNull(d.files, (std::string(name) + ".files").c_str());
    if (d.num_files == 0) throw InvalidArgument(std::string(name) + ".num_files is 0");
    std::vector<std::string> files;
    for (size_t i = 0; i < d.num_files; ++i) {
      bertc::api::RequireNonNull(d.files[i], (std::string(name) + ".files[i]").c_str());
      files.emplace_back(d.files[i]);
    }
    data::CorpusOptions corpus;
    if (d.jsonl_field != nullptr) corpus.jsonl_field = d.jsonl_field;
    data::EncodeCacheOptions cache;
    cache.use_cache = p.use_cache != 0;
    if (p.cache_dir != nullptr) cache.cache_dir = p.cache_dir;
    cache.tokenizer_fingerprint = hooks.fingerprint;
    cache.threads = static_cast<int>(p.threads);
    data::EncodeCacheInfo info;
    out.dataset = data::LoadOrEncode(files, corpus, hooks.encode, cache, &info);
    out.cache_hit = info.hit;
    out.warning = info.warning;
  } else {
    bertc::api::RequireNonNull(d.offsets, (std::string(name) + ".offsets").c_str());
    const size_t n = d.num_sequences;
    // offsets has n + 1 entries: refuse counts whose array could not exist (n + 1 or its byte size overflows).
    if (n >= static_cast<size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / sizeof(size_t)) {
      throw InvalidArgument(std::string(name) + ".num_sequences " + std::to_string(n) + " is too large");
    }
    std::vector<uint64_t> offsets(d.offsets, d.offsets + n + 1);
    if (offsets.back() >= static_cast<uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()) / sizeof(int32_t)) {
      throw InvalidArgument(std::string(name) + ".offsets[num_sequences] " + std::to_string(offsets.back()) +
                            " is too large");
    }
    if (offsets.back() > 0) bertc::api::RequireNonNull(d.token_ids, (std::string(name) + ".token_ids").c_str());
    if (offsets.front() != 0) throw InvalidArgument(std::string(name) + ".offsets[0] must be 0");
    for (size_t i = 0; i < n; ++i) {
      if (offsets[i + 1] < offsets[i]) throw InvalidArgument(std::string(name) + ".offsets must be non-decreasing");
    }
    std::vector<int32_t> tokens(d.token_ids, d.token_ids + offsets.back());
    for (int32_t id : tokens) {
      if (id < 0 || id >= hooks.vocab_size) {
        throw InvalidArgument(std::string(name) + ": token id " + std::to_string(id) + " is outside the vocabulary");
      }
    }
    out.dataset = data::EncodedDataset::FromArrays(std::move(tokens), std::move(offsets));
  }
  if (out.dataset.empty()) throw InvalidArgument(std::string(name) + " is empty after filtering (blank lines are skipped)");
  return out;
}

// The file paths of `d` (InvalidArgument when none / NULL entries).
std::vector<std::string> FilesOf(const bert_trainer_data& d, const char* name) {
  bertc::api::RequireNonNull(d.files, (std::string(name) + ".files").c_str());
  if (d.num_files == 0) throw InvalidArgument(std::string(name) + ".num_files is 0");
  std::vector<std::string> files;
  for (size_t i = 0; i < d.num_files; ++i) {
    bertc::api::RequireNonNull(d.files[i], (std::string(name) + ".files[i]").c_str());
    files.emplace_back(d.files[i]);
  }
  return files;
}

data::LabeledReadOptions LabeledOptions(const bert_trainer_data& d, bertc::model::Task task, const data::SpecialIds& ids,
                                        int max_length, int threads) {
  data::LabeledReadOptions o;
  o.task = task == bertc::model::Task::kTokenClassification ? data::LabelTask::kToken : data::LabelTask::kSequence;
  auto set = [](const char* value, std::string& field) {
    if (value != nullptr && *value != '\0') field = value;
  };
  set(d.jsonl_field, o.fields.text);
  set(d.label_field, o.fields.label);
  set(d.words_field, o.fields.words);
  set(d.tags_field, o.fields.tags);
  o.max_length = max_length;
  o.ids = ids;
  o.threads = threads;
  return o;
}

// A classifier's examples from JSONL files or labelled ids in memory.
data::ExampleSet LoadLabeled(const bert_trainer_data* user, const char* name, const data::TokenizerHooks& hooks,
                             const bertc::model::BertConfig& cfg, const bert_trainer_params& p) {
  const bert_trainer_data d = bertc::api::CopyParams(user, DataDefaults(), name);
  const bool has_files = d.num_files > 0 || d.files != nullptr;
  const bool has_ids = d.num_sequences > 0 || d.offsets != nullptr || d.token_ids != nullptr;
  if (has_files == has_ids) {
    throw InvalidArgument(std::string(name) + ": set exactly one of files/num_files or token_ids/offsets/num_sequences");
  }
  const data::LabeledReadOptions o =
      LabeledOptions(d, cfg.task, hooks.ids, static_cast<int>(p.max_length), static_cast<int>(p.threads));
  data::ExampleSet out;
  if (has_files) {
    try {
      out = data::ReadLabeledJsonl(FilesOf(d, name), hooks.encode, cfg.id2label, o);
    } catch (const bertc::Error& e) {
      throw bertc::Error(e.code(), std::string(name) + ": " + e.what());
    }
  } else {
    bertc::api::RequireNonNull(d.offsets, (std::string(name) + ".offsets").c_str());
    const size_t n = d.num_sequences;
    if (n >= static_cast<size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / sizeof(size_t)) {
      throw InvalidArgument(std::string(name) + ".num_sequences " + std::to_string(n) + " is too large");
    }
    if (d.offsets[0] != 0) throw InvalidArgument(std::string(name) + ".offsets[0] must be 0");
    for (size_t i = 0; i < n; ++i) {
      if (d.offsets[i + 1] < d.offsets[i]) throw InvalidArgument(std::string(name) + ".offsets must be non-decreasing");
    }
    if (d.offsets[n] > 0) bertc::api::RequireNonNull(d.token_ids, (std::string(name) + ".token_ids").c_str());
    for (size_t k = 0; k < d.offsets[n]; ++k) {
      if (d.token_ids[k] < 0 || d.token_ids[k] >= hooks.vocab_size) {
        throw InvalidArgument(std::string(name) + ": token id " + std::to_string(d.token_ids[k]) +
                              " is outside the vocabulary");
      }
    }
    if (d.labels == nullptr) {
      throw InvalidArgument(std::string(name) + ".labels is NULL: a " + bertc::model::ArchitectureName(cfg.task) +
                            " is fine-tuned on labelled data");
    }
    const bool per_token = cfg.task == bertc::model::Task::kTokenClassification;
    const size_t want = per_token ? d.offsets[n] : n;
    if (d.num_labels != want) {
      throw InvalidArgument(std::string(name) + ".num_labels is " + std::to_string(d.num_labels) + " but the " +
                            (per_token ? "token classifier needs one label per token id (" :
                                         "sequence classifier needs one label per sequence (") +
                            std::to_string(want) + ")");
    }
    try {
      out = data::LabeledFromMemory(d.token_ids, d.offsets, n, d.labels, static_cast<int>(cfg.num_labels()), o);
    } catch (const bertc::Error& e) {
      throw bertc::Error(e.code(), std::string(name) + ": " + e.what());
    }
  }
  if (out.empty()) throw InvalidArgument(std::string(name) + " is empty after filtering (blank lines are skipped)");
  return out;
}

// The examples of `set` at `indices`, labels included.
data::ExampleSet Subset(const data::ExampleSet& set, const std::vector<uint32_t>& indices) {
  data::ExampleSet out;
  for (uint32_t i : indices) {
    const data::TokenSpan s = set[i];
    if (set.labels() == data::ExampleSet::Labels::kPerExample) {
      out.AddWithLabel(s.data, s.data + s.size, set.example_label(i));
    } else {
      out.AddWithTokenLabels(s.data, s.data + s.size, set.token_labels(i));
    }
  }
  return out;
}

train::TrainerOptions OptionsFrom(const bert_trainer_params& p) {
  train::TrainerOptions o;
  if (p.output_dir != nullptr) o.output_dir = p.output_dir;
  o.max_length = CheckedInt<int>(p.max_length, "params.max_length");
  switch (p.grouping) {
    case BERT_GROUPING_TRUNCATE_PAD: o.grouping = data::Grouping::kTruncatePad; break;
    case BERT_GROUPING_CONCAT_CHUNK: o.grouping = data::Grouping::kConcatChunk; break;
    case BERT_GROUPING_DYNAMIC: o.grouping = data::Grouping::kDynamic; break;
    case BERT_GROUPING_PACKED: o.grouping = data::Grouping::kPacked; break;
    default: throw InvalidArgument("params.grouping " + std::to_string(p.grouping) + " is unknown");
  }
  o.mlm.mlm_probability = p.mlm_probability;
  o.mlm.whole_word_mask = p.whole_word_mask != 0;
  o.mlm.at_least_one = p.at_least_one_mask != 0;
  o.masked_only_logits = p.masked_only_logits != 0;
  o.pad_to_max_length = p.pad_to_max_length != 0;
  o.batch_size = CheckedInt<int>(p.batch_size, "params.batch_size");
  o.eval_batch_size = CheckedInt<int>(p.eval_batch_size, "params.eval_batch_size");
  o.grad_accum = CheckedInt<int>(p.grad_accum, "params.grad_accum");
  o.learning_rate = p.learning_rate;
  o.adam = train::AdamWOptions{p.adam_beta1, p.adam_beta2, p.adam_epsilon, p.weight_decay};
  o.max_grad_norm = p.max_grad_norm;
  switch (p.schedule) {
    case BERT_SCHEDULE_LINEAR: o.schedule = train::ScheduleKind::kLinear; break;
    case BERT_SCHEDULE_CONSTANT: o.schedule = train::ScheduleKind::kConstant; break;
    case BERT_SCHEDULE_COSINE: o.schedule = train::ScheduleKind::kCosine; break;
    default: throw InvalidArgument("params.schedule " + std::to_string(p.schedule) + " is unknown");
  }
  o.warmup_steps = CheckedInt<int64_t>(p.warmup_steps, "params.warmup_steps");
  o.warmup_ratio = p.warmup_ratio;
  o.max_steps = CheckedInt<int64_t>(p.max_steps, "params.max_steps");
  o.num_epochs = p.num_epochs;
  o.logging_steps = CheckedInt<int64_t>(p.logging_steps, "params.logging_steps");
  o.eval_steps = CheckedInt<int64_t>(p.eval_steps, "params.eval_steps");
  o.save_steps = CheckedInt<int64_t>(p.save_steps, "params.save_steps");
  o.save_total_limit = CheckedInt<int>(p.save_total_limit, "params.save_total_limit");
  o.load_best_model_at_end = p.load_best_model_at_end != 0;
  o.save_final_model = p.save_final_model != 0;
  o.seed = p.seed;
  o.threads = bertc::api::CheckThreads(p.threads, "params.threads");
  o.device = p.device != nullptr ? p.device : "cpu";
  if (p.log_file != nullptr) o.log_file = p.log_file;
  if (p.metric_for_best_model != nullptr) o.metric_for_best_model = p.metric_for_best_model;
  train::DistributedOptions d;
  d.world_size = CheckedInt<int>(p.world_size, "params.world_size");
  d.rank = p.rank;
  d.local_rank = p.local_rank;
  d.local_world_size = p.local_world_size;
  if (p.master != nullptr) d.rendezvous = p.master;
  d.timeout_seconds = p.dist_timeout_seconds;
  o.distributed = train::ResolveDistributed(d);
  return o;
}

struct Callback {
  bert_progress_fn fn;
  void* user;
  bool operator()(const train::Event& e) const {
    bert_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    ev.kind = static_cast<bert_event_kind>(e.kind);
    ev.current = static_cast<uint64_t>(e.step);
    ev.total = static_cast<uint64_t>(e.total_steps);
    ev.elapsed_seconds = e.elapsed_seconds;
    ev.loss = e.loss;
    ev.learning_rate = e.learning_rate;
    ev.grad_norm = e.grad_norm;
    ev.tokens_per_second = e.tokens_per_second;
    ev.eval_loss = e.eval_loss;
    ev.eval_perplexity = e.eval_perplexity;
    ev.eval_accuracy = e.eval_accuracy;
    ev.eval_f1 = e.eval_f1;
    ev.epoch = e.epoch;
    ev.path = e.path.empty() ? nullptr : e.path.c_str();
    bertc::api::StampGrowthField(ev, bertc::api::kGrowthEvent);
    return fn(user, &ev) == 0;
  }
};

train::ProgressFn Progress(bert_progress_fn fn, void* user) {
  if (fn == nullptr) return {};
  return Callback{fn, user};
}

void FillStep(const train::StepResult& r, int64_t total, bert_trainer_step_result* out) {
  if (out == nullptr) return;
  bert_trainer_step_result v;
  std::memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  v.step = r.step;
  v.total_steps = total;
  v.loss = r.loss;
  v.learning_rate = r.learning_rate;
  v.grad_norm = r.grad_norm;
  v.epoch = r.epoch;
  v.tokens = r.tokens;
  v.masked_tokens = r.masked;
  bertc::api::CopyResult(v, out, "out");
}

void PassWarnings(bert_trainer* t) {
  for (const auto& w : t->impl->TakeWarnings()) bertc::api::Warn(w);
}

}  // namespace

extern "C" {

BERT_API bert_status bert_trainer_params_init(bert_trainer_params* params, size_t struct_size) {
  return bertc::api::InitStruct(__func__, params, struct_size, TrainerDefaults());
}

BERT_API bert_status bert_trainer_data_init(bert_trainer_data* data, size_t struct_size) {
  return bertc::api::InitStruct(__func__, data, struct_size, DataDefaults());
}

BERT_API bert_status bert_trainer_create(bert_model* model, const bert_tokenizer* tokenizer,
                                         const bert_trainer_data* train_data, const bert_trainer_data* eval_data,
                                         const bert_trainer_params* params, bert_trainer** out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(model, "model");
    bertc::api::RequireNonNull(tokenizer, "tokenizer");
    bertc::api::RequireNonNull(out, "out");
    if (!model->impl || !tokenizer->impl) throw InvalidArgument("model or tokenizer handle is empty");
    bert_trainer_params p = bertc::api::CopyParams(params, TrainerDefaults(), "params");
    if (params != nullptr && params->struct_size < offsetof(bert_trainer_params, dist_timeout_seconds) + sizeof(double)) {
      p.world_size = 1;  // built against a header before 1.2: never distributed by the environment
    }
    if (!(p.eval_split >= 0 && p.eval_split < 1)) throw InvalidArgument("params.eval_split must be in [0, 1)");
    if (p.max_length < 3) throw InvalidArgument("params.max_length must be at least 3");
    if (p.max_length > static_cast<uint64_t>(model->impl->config().max_position_embeddings)) {
      throw InvalidArgument("params.max_length " + std::to_string(p.max_length) +
                            " exceeds the model's max_position_embeddings " +
                            std::to_string(model->impl->config().max_position_embeddings));
    }
    train::TrainerOptions o = OptionsFrom(p);
    const bertc::model::BertConfig& cfg = model->impl->config();
    const bool classifier = bertc::model::IsClassifier(cfg.task);
    const data::TokenizerHooks hooks = data::HooksFor(tokenizer->impl, /*need_mask=*/!classifier);
    bertc::model::CheckVocabMatches(cfg, hooks.vocab_size);

    auto handle = std::make_unique<bert_trainer>();
    std::string warning;
    std::shared_ptr<data::ExampleSet> train_set, eval_set;
    if (classifier) {
      if (train_data != nullptr) {
        data::ExampleSet all = LoadLabeled(train_data, "train", hooks, cfg, p);
        if (eval_data == nullptr && p.eval_split > 0) {
          const data::Split split = data::SplitIndices(all.size(), p.eval_split, p.seed);
          train_set = std::make_shared<data::ExampleSet>(Subset(all, split.train));
          if (!split.test.empty()) eval_set = std::make_shared<data::ExampleSet>(Subset(all, split.test));
        } else {
          train_set = std::make_shared<data::ExampleSet>(std::move(all));
        }
      }
      if (eval_data != nullptr) {
        eval_set = std::make_shared<data::ExampleSet>(LoadLabeled(eval_data, "eval", hooks, cfg, p));
      }
    } else if (train_data != nullptr) {
      LoadedData tr = LoadData(train_data, "train", hooks, p);
      handle->cache_hit = tr.cache_hit;
      warning = tr.warning;
      if (eval_data == nullptr && p.eval_split > 0) {
        const data::Split split = data::SplitIndices(tr.dataset.size(), p.eval_split, p.seed);
        train_set = std::make_shared<data::ExampleSet>(
            data::BuildExamples(tr.dataset, &split.train, o.grouping, o.max_length, hooks.ids));
        if (!split.test.empty()) {
          eval_set = std::make_shared<data::ExampleSet>(
              data::BuildExamples(tr.dataset, &split.test, o.grouping, o.max_length, hooks.ids));
        }
      } else {
        train_set = std::make_shared<data::ExampleSet>(
            data::BuildExamples(tr.dataset, nullptr, o.grouping, o.max_length, hooks.ids));
      }
    }
    if (!classifier && eval_data != nullptr) {
      LoadedData ev = LoadData(eval_data, "eval", hooks, p);
      eval_set = std::make_shared<data::ExampleSet>(
          data::BuildExamples(ev.dataset, nullptr, o.grouping, o.max_length, hooks.ids));
      if (warning.empty()) warning = ev.warning;
    }
    if (train_set) {
      handle->train_tokens = static_cast<int64_t>(train_set->num_tokens());
      if (!train_set->empty() && static_cast<size_t>(std::max(1, o.batch_size)) <= train_set->size()) {
        data::BatchPlanOptions po;
        po.grouping = o.grouping;
        po.batch_size = o.batch_size;
        po.seed = o.seed;
        handle->train_padding_share =
            data::MeasurePadding(*train_set, data::PlanEpoch(*train_set, po, 0),
                                 o.pad_to_max_length || data::PadsToMaxLength(o.grouping), o.max_length)
                .pad_share();
      }
    }
    train::TokenizerInfo info;
    info.ids = hooks.ids;
    info.vocab_size = hooks.vocab_size;
    info.is_continuation = hooks.is_continuation;
    std::shared_ptr<const bertc::tok::Tokenizer> tok = tokenizer->impl;
    info.save = [tok](const std::string& dir) { tok->Save(dir); };
    {
      const bertc::api::ModelWriteLock lock(*model);
      if (model->borrowed) {
        // The weights alias the caller's read-only buffer (BERT_MODEL_LOAD_BORROW): train a copy.
        bertc::model::OwnParameters(*model->impl);
        model->borrowed = false;
      }
      handle->impl = std::make_shared<train::Trainer>(bertc::model::Bert(model->impl), std::move(info),
                                                      train_set, eval_set, o);
    }
    handle->model = model;
    handle->tokenizer = tokenizer->impl;
    *out = handle.release();
    bertc::api::Warn(warning);
  });
}

BERT_API bert_status bert_trainer_step(bert_trainer* trainer, bert_progress_fn progress, void* user_data,
                                       bert_trainer_step_result* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(trainer, "trainer");
    bertc::api::CheckResultSize(out, "out");
    const bertc::api::ModelWriteLock lock(*trainer->model);
    const train::StepResult r = trainer->impl->Step(Progress(progress, user_data));
    FillStep(r, trainer->impl->total_steps(), out);
  });
}

BERT_API bert_status bert_trainer_step_batch(bert_trainer* trainer, const int32_t* input_ids,
                                             const int32_t* attention_mask, const int32_t* labels, size_t rows,
                                             size_t cols, bert_trainer_step_result* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(trainer, "trainer");
    bertc::api::RequireNonNull(input_ids, "input_ids");
    if (rows == 0 || cols == 0) throw InvalidArgument("rows and cols must be positive");
    if (cols > static_cast<size_t>(std::numeric_limits<int32_t>::max()) || rows > (size_t{1} << 31) / cols) {
      throw InvalidArgument("batch is too large");
    }
    bertc::api::CheckResultSize(out, "out");
    const size_t n = rows * cols;
    const bertc::model::Task task = trainer->model->impl->task();
    if (bertc::model::IsClassifier(task)) {
      if (labels == nullptr) {
        throw InvalidArgument(std::string("labels is NULL: a ") + bertc::model::ArchitectureName(task) +
                              " needs labels for every batch");
      }
      data::LabeledBatch b;
      b.rows = static_cast<int64_t>(rows);
      b.cols = static_cast<int64_t>(cols);
      b.input_ids.assign(input_ids, input_ids + n);
      if (attention_mask != nullptr) b.attention_mask.assign(attention_mask, attention_mask + n);
      b.labels.assign(labels, labels + (task == bertc::model::Task::kTokenClassification ? n : rows));
      const bertc::api::ModelWriteLock lock(*trainer->model);
      const train::StepResult r = trainer->impl->StepOnLabeledBatch(std::move(b));
      FillStep(r, trainer->impl->total_steps(), out);
      return;
    }
    data::MlmBatch b;
    b.rows = static_cast<int64_t>(rows);
    b.cols = static_cast<int64_t>(cols);
    b.input_ids.assign(input_ids, input_ids + n);
    if (attention_mask != nullptr) b.attention_mask.assign(attention_mask, attention_mask + n);
    if (labels != nullptr) b.labels.assign(labels, labels + n);
    const bertc::api::ModelWriteLock lock(*trainer->model);
    const train::StepResult r = trainer->impl->StepOnBatch(std::move(b));
    FillStep(r, trainer->impl->total_steps(), out);
  });
}

BERT_API bert_status bert_trainer_train(bert_trainer* trainer, bert_progress_fn progress, void* user_data) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(trainer, "trainer");
    const bertc::api::ModelWriteLock lock(*trainer->model);
    trainer->impl->Train(Progress(progress, user_data));
  });
}

BERT_API bert_status bert_trainer_evaluate(bert_trainer* trainer, bert_trainer_eval_result* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(trainer, "trainer");
    bertc::api::CheckResultSize(out, "out");
    const bertc::api::ModelWriteLock lock(*trainer->model);
    const train::EvalResult e = trainer->impl->Evaluate();
    if (out == nullptr) return;
    bert_trainer_eval_result v;
    std::memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    v.loss = e.loss;
    v.perplexity = e.perplexity;
    v.accuracy = e.accuracy;
    v.masked_tokens = e.masked_tokens;
    v.examples = e.examples;
    v.f1 = e.f1;
    bertc::api::CopyResult(v, out, "out");
  });
}

BERT_API bert_status bert_trainer_save_checkpoint(bert_trainer* trainer, const char** out_path) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(trainer, "trainer");
    const bertc::api::ModelReadLock lock(*trainer->model);
    trainer->last_path = trainer->impl->SaveCheckpoint();
    if (out_path != nullptr) *out_path = trainer->last_path.c_str();
  });
}

BERT_API bert_status bert_trainer_resume(bert_trainer* trainer, const char* checkpoint) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(trainer, "trainer");
    const bertc::api::ModelWriteLock lock(*trainer->model);
    trainer->impl->Resume(checkpoint != nullptr ? checkpoint : "");
    PassWarnings(trainer);
  });
}

BERT_API bert_status bert_trainer_get_info(bert_trainer* trainer, bert_trainer_info* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(trainer, "trainer");
    bertc::api::RequireNonNull(out, "out");
    bertc::api::CheckResultSize(out, "out");
    const train::Trainer& t = *trainer->impl;
    trainer->best_checkpoint = t.best_checkpoint();
    bert_trainer_info v;
    std::memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    v.global_step = t.global_step();
    v.total_steps = t.total_steps();
    v.epoch = t.epoch();
    v.train_examples = t.train_examples();
    v.eval_examples = t.eval_examples();
    v.train_tokens = trainer->train_tokens;
    v.train_padding_share = trainer->train_padding_share;
    v.best_metric = t.best_metric();
    v.best_checkpoint = trainer->best_checkpoint.c_str();
    v.cache_hit = trainer->cache_hit ? 1 : 0;
    v.rank = t.rank();
    v.world_size = t.world_size();
    bertc::api::CopyResult(v, out, "out");
  });
}

BERT_API void bert_trainer_free(bert_trainer* trainer) { delete trainer; }

BERT_API bert_status bert_trainer_data_labels(const bert_trainer_data* data, bert_task task, char*** out_labels,
                                              size_t* out_count) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(data, "data");
    bertc::api::RequireNonNull(out_labels, "out_labels");
    bertc::api::RequireNonNull(out_count, "out_count");
    if (task != BERT_TASK_SEQUENCE_CLASSIFICATION && task != BERT_TASK_TOKEN_CLASSIFICATION) {
      throw InvalidArgument("task " + std::to_string(task) + " is not a classification task");
    }
    const bert_trainer_data d = bertc::api::CopyParams(data, DataDefaults(), "data");
    const auto t = task == BERT_TASK_TOKEN_CLASSIFICATION ? bertc::model::Task::kTokenClassification
                                                          : bertc::model::Task::kSequenceClassification;
    const std::vector<std::string> labels =
        data::CollectLabels(FilesOf(d, "data"), LabeledOptions(d, t, data::SpecialIds{}, 128, 1));
    // One block: the pointer array, then the strings.
    size_t bytes = labels.size() * sizeof(char*);
    for (const auto& l : labels) bytes += l.size() + 1;
    char** array = static_cast<char**>(std::malloc(bytes == 0 ? 1 : bytes));
    if (array == nullptr) throw std::bad_alloc();
    char* text = reinterpret_cast<char*>(array + labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
      array[i] = text;
      std::memcpy(text, labels[i].c_str(), labels[i].size() + 1);
      text += labels[i].size() + 1;
    }
    *out_labels = array;
    *out_count = labels.size();
  });
}

BERT_API void bert_labels_free(char** labels, size_t count) {
  (void)count;
  std::free(labels);
}

}  // extern "C"
