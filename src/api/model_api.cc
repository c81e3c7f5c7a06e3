// bert_model_*: create / load / save / inspect a BERT model with its head.
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <string_view>

#include "api/guard.h"
#include "api/handles.h"
#include "bertc.h"
#include "model/bert.h"
#include "tokenizer/unicode.h"

namespace {

using bertc::model::BertConfig;

using bertc::api::CheckedInt;

bertc::model::Task TaskFrom(bert_task task) {
  switch (task) {
    case BERT_TASK_MASKED_LM: return bertc::model::Task::kMaskedLM;
    case BERT_TASK_SEQUENCE_CLASSIFICATION: return bertc::model::Task::kSequenceClassification;
    case BERT_TASK_TOKEN_CLASSIFICATION: return bertc::model::Task::kTokenClassification;
    default: throw bertc::InvalidArgument("task " + std::to_string(task) + " is not a bert_task value");
  }
}

// Label names from a (labels, label_lengths, num_labels) triple; LABEL_i when labels is NULL.
std::vector<std::string> LabelsFrom(const char* const* labels, const size_t* lengths, size_t n, const char* name) {
  if (n > (size_t{1} << 20)) throw bertc::InvalidArgument(std::string(name) + ": too many labels");
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (labels == nullptr) {
      out.push_back("LABEL_" + std::to_string(i));
      continue;
    }
    bertc::api::RequireNonNull(labels[i], (std::string(name) + "[i]").c_str());
    std::string l = lengths != nullptr ? std::string(labels[i], lengths[i]) : std::string(labels[i]);
    bertc::tok::ValidateUtf8(l, std::string(name) + "[" + std::to_string(i) + "]");
    out.push_back(std::move(l));
  }
  return out;
}

BertConfig ConfigFromParams(const bert_model_params& p) {
  bertc::api::RequireNonNull(p.hidden_act, "params.hidden_act");
  bertc::api::RequireNonNull(p.position_embedding_type, "params.position_embedding_type");
  BertConfig c;
  c.vocab_size = CheckedInt<int64_t>(p.vocab_size, "params.vocab_size");
  c.hidden_size = CheckedInt<int64_t>(p.hidden_size, "params.hidden_size");
  c.num_hidden_layers = CheckedInt<int64_t>(p.num_hidden_layers, "params.num_hidden_layers");
  c.num_attention_heads = CheckedInt<int64_t>(p.num_attention_heads, "params.num_attention_heads");
  c.intermediate_size = CheckedInt<int64_t>(p.intermediate_size, "params.intermediate_size");
  c.hidden_act = p.hidden_act;
  c.hidden_dropout_prob = p.hidden_dropout_prob;
  c.attention_probs_dropout_prob = p.attention_probs_dropout_prob;
  c.max_position_embeddings = CheckedInt<int64_t>(p.max_position_embeddings, "params.max_position_embeddings");
  c.type_vocab_size = CheckedInt<int64_t>(p.type_vocab_size, "params.type_vocab_size");
  c.layer_norm_eps = p.layer_norm_eps;
  c.initializer_range = p.initializer_range;
  c.pad_token_id = p.pad_token_id;
  c.position_embedding_type = p.position_embedding_type;
  c.task = TaskFrom(p.task);
  if (bertc::model::IsClassifier(c.task)) {
    c.id2label = LabelsFrom(p.labels, p.label_lengths, p.num_labels, "params.labels");
  } else if (p.num_labels > 0 || p.labels != nullptr) {
    throw bertc::InvalidArgument("params.labels / num_labels are for classification tasks, not a masked LM");
  }
  c.classifier_dropout = p.classifier_dropout < 0 ? -1 : p.classifier_dropout;
  return c;
}

bert_model* NewHandle(bertc::model::Bert model) {
  auto* h = new bert_model;
  h->impl = model.ptr();
  return h;
}

bert_model_params ModelDefaults() {
  const BertConfig d;
  bert_model_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.vocab_size = static_cast<size_t>(d.vocab_size);
  p.hidden_size = static_cast<size_t>(d.hidden_size);
  p.num_hidden_layers = static_cast<size_t>(d.num_hidden_layers);
  p.num_attention_heads = static_cast<size_t>(d.num_attention_heads);
  p.intermediate_size = static_cast<size_t>(d.intermediate_size);
  p.hidden_act = "gelu";
  p.hidden_dropout_prob = d.hidden_dropout_prob;
  p.attention_probs_dropout_prob = d.attention_probs_dropout_prob;
  p.max_position_embeddings = static_cast<size_t>(d.max_position_embeddings);
  p.type_vocab_size = static_cast<size_t>(d.type_vocab_size);
  p.layer_norm_eps = d.layer_norm_eps;
  p.initializer_range = d.initializer_range;
  p.pad_token_id = static_cast<int32_t>(d.pad_token_id);
  p.position_embedding_type = "absolute";
  p.seed = 42;
  p.task = BERT_TASK_MASKED_LM;
  p.labels = nullptr;
  p.label_lengths = nullptr;
  p.num_labels = 0;
  p.classifier_dropout = -1;
  return p;
}

bert_task_params TaskDefaults() {
  bert_task_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.task = BERT_TASK_SEQUENCE_CLASSIFICATION;
  p.labels = nullptr;
  p.label_lengths = nullptr;
  p.num_labels = 0;
  p.classifier_dropout = -1;
  p.seed = 42;
  p.hidden_dropout_prob = -1;
  p.attention_probs_dropout_prob = -1;
  return p;
}

// Publishes the load report's warnings as the call's message.
void WarnAbout(const bertc::model::LoadReport& report) {
  if (report.warnings.empty()) return;
  std::string msg = "warning: ";
  for (size_t i = 0; i < report.warnings.size(); ++i) msg += (i ? "; " : "") + report.warnings[i];
  bertc::api::Warn(msg);
}

}  // namespace

extern "C" {

BERT_API bert_status bert_model_params_init(bert_model_params* params, size_t struct_size) {
  return bertc::api::InitStruct(__func__, params, struct_size, ModelDefaults());
}

BERT_API bert_status bert_model_create(const bert_model_params* params, bert_model** out_model) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(out_model, "out_model");
    const bert_model_params p = bertc::api::CopyParams(params, ModelDefaults(), "params");
    bertc::model::Bert model(ConfigFromParams(p), p.seed);
    model->eval();  // inference-ready; a trainer switches to train() itself
    bert_model* h = NewHandle(std::move(model));
    h->seed = p.seed;
    *out_model = h;
  });
}

BERT_API bert_status bert_model_load(const char* dir, bert_model** out_model) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(dir, "dir");
    bertc::api::RequireNonNull(out_model, "out_model");
    bertc::model::LoadReport report;
    bertc::model::Bert model = bertc::model::LoadBert(dir, &report);
    WarnAbout(report);
    *out_model = NewHandle(std::move(model));
  });
}

BERT_API bert_status bert_task_params_init(bert_task_params* params, size_t struct_size) {
  return bertc::api::InitStruct(__func__, params, struct_size, TaskDefaults());
}

BERT_API bert_status bert_model_load_for_task(const char* dir, const bert_task_params* params, bert_model** out_model) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(dir, "dir");
    bertc::api::RequireNonNull(out_model, "out_model");
    const bert_task_params p = bertc::api::CopyParams(params, TaskDefaults(), "params");
    bertc::model::HeadSpec head;
    head.task = TaskFrom(p.task);
    if (p.labels != nullptr && p.num_labels == 0) throw bertc::InvalidArgument("params.labels given with num_labels 0");
    if (p.num_labels > 0) {
      if (!bertc::model::IsClassifier(head.task)) {
        throw bertc::InvalidArgument("params.labels are for classification tasks, not a masked LM");
      }
      head.labels = LabelsFrom(p.labels, p.label_lengths, p.num_labels, "params.labels");
    }
    if (!(p.classifier_dropout < 1.0) || std::isnan(p.classifier_dropout)) {
      throw bertc::InvalidArgument("params.classifier_dropout must be in [0, 1) or -1");
    }
    head.classifier_dropout = p.classifier_dropout;
    head.seed = p.seed;
    // (1.3) from_pretrained(DIR, hidden_dropout_prob=..., attention_probs_dropout_prob=...).
    auto dropout = [](double v, const char* name) {
      if (v == -1) return -1.0;
      if (!(v >= 0 && v < 1)) {
        throw bertc::InvalidArgument(std::string("params.") + name + " must be in [0, 1) or -1 (the checkpoint's)");
      }
      return v;
    };
    head.hidden_dropout_prob = dropout(p.hidden_dropout_prob, "hidden_dropout_prob");
    head.attention_probs_dropout_prob = dropout(p.attention_probs_dropout_prob, "attention_probs_dropout_prob");
    bertc::model::LoadReport report;
    bertc::model::Bert model = bertc::model::LoadBertForTask(dir, head, &report);
    WarnAbout(report);
    *out_model = NewHandle(std::move(model));
  });
}

BERT_API bert_status bert_model_load_from_memory(const char* config_json, size_t config_size, const void* weights,
                                                 size_t weights_size, unsigned flags, bert_model** out_model) {
  return bertc::api::Guard(__func__, [&] {
    if (config_size > 0) bertc::api::RequireNonNull(config_json, "config_json");
    if (weights_size > 0) bertc::api::RequireNonNull(weights, "weights");
    bertc::api::RequireNonNull(out_model, "out_model");
    if ((flags & ~BERT_MODEL_LOAD_BORROW) != 0) {
      throw bertc::InvalidArgument("flags " + std::to_string(flags) + " has unknown bits");
    }
    const bool borrow = (flags & BERT_MODEL_LOAD_BORROW) != 0;
    bertc::model::LoadReport report;
    bertc::model::Bert model = bertc::model::LoadBertFromMemory(
        std::string_view(config_json == nullptr ? "" : config_json, config_size),
        std::string_view(static_cast<const char*>(weights == nullptr ? "" : weights), weights_size), borrow, &report);
    WarnAbout(report);
    bert_model* h = NewHandle(std::move(model));
    h->borrowed = borrow;
    *out_model = h;
  });
}

BERT_API bert_status bert_model_save(const bert_model* model, const char* dir) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(model, "model");
    bertc::api::RequireNonNull(dir, "dir");
    if (*dir == '\0') throw bertc::InvalidArgument("dir must not be empty");
    const bertc::api::ModelReadLock lock(*model);
    bertc::model::SaveBert(*model->impl, dir);
  });
}

BERT_API bert_status bert_model_config(const bert_model* model, bert_model_params* out_params) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(model, "model");
    bertc::api::RequireNonNull(out_params, "out_params");
    bertc::api::CheckResultSize(out_params, "out_params");
    const BertConfig& c = model->impl->config();
    bert_model_params p = ModelDefaults();
    p.vocab_size = static_cast<size_t>(c.vocab_size);
    p.hidden_size = static_cast<size_t>(c.hidden_size);
    p.num_hidden_layers = static_cast<size_t>(c.num_hidden_layers);
    p.num_attention_heads = static_cast<size_t>(c.num_attention_heads);
    p.intermediate_size = static_cast<size_t>(c.intermediate_size);
    p.hidden_act = c.hidden_act.c_str();
    p.hidden_dropout_prob = c.hidden_dropout_prob;
    p.attention_probs_dropout_prob = c.attention_probs_dropout_prob;
    p.max_position_embeddings = static_cast<size_t>(c.max_position_embeddings);
    p.type_vocab_size = static_cast<size_t>(c.type_vocab_size);
    p.layer_norm_eps = c.layer_norm_eps;
    p.initializer_range = c.initializer_range;
    p.pad_token_id = static_cast<int32_t>(c.pad_token_id);
    p.position_embedding_type = c.position_embedding_type.c_str();
    p.seed = model->seed;
    p.task = static_cast<bert_task>(c.task);
    {
      std::lock_guard<std::mutex> g(model->labels_mu);
      if (model->label_ptrs.size() != c.id2label.size()) {
        model->label_ptrs.clear();
        model->label_lengths.clear();
        for (const auto& l : c.id2label) {
          model->label_ptrs.push_back(l.c_str());
          model->label_lengths.push_back(l.size());
        }
      }
    }
    p.labels = c.id2label.empty() ? nullptr : model->label_ptrs.data();
    p.label_lengths = c.id2label.empty() ? nullptr : model->label_lengths.data();
    p.num_labels = c.id2label.size();
    p.classifier_dropout = c.classifier_dropout < 0 ? -1 : c.classifier_dropout;
    // Only as many bytes as the caller's struct has; its struct_size stays as it was.
    bertc::api::CopyResult(p, out_params, "out_params");
  });
}

BERT_API bert_status bert_model_num_parameters(const bert_model* model, uint64_t* out_count) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(model, "model");
    bertc::api::RequireNonNull(out_count, "out_count");
    const bertc::api::ModelReadLock lock(*model);
    *out_count = static_cast<uint64_t>(model->impl->num_parameters());
  });
}

BERT_API bert_task bert_model_task(const bert_model* model) {
  return model == nullptr || !model->impl ? -1 : static_cast<bert_task>(model->impl->config().task);
}

BERT_API size_t bert_model_num_labels(const bert_model* model) {
  return model == nullptr || !model->impl ? 0 : model->impl->config().id2label.size();
}

BERT_API const char* bert_model_label(const bert_model* model, size_t id) {
  if (model == nullptr || !model->impl) return nullptr;
  const auto& labels = model->impl->config().id2label;
  return id < labels.size() ? labels[id].c_str() : nullptr;
}

BERT_API void bert_model_free(bert_model* model) { delete model; }

}  // extern "C"
