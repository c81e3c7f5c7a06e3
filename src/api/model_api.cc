// bert_model_*: create / load / save / inspect a BertForMaskedLM.
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include "api/guard.h"
#include "api/handles.h"
#include "bertc.h"
#include "model/bert.h"

namespace {

using bertc::model::BertConfig;

BertConfig ConfigFromParams(const bert_model_params& p) {
  bertc::api::RequireNonNull(p.hidden_act, "params.hidden_act");
  bertc::api::RequireNonNull(p.position_embedding_type, "params.position_embedding_type");
  BertConfig c;
  c.vocab_size = p.vocab_size;
  c.hidden_size = p.hidden_size;
  c.num_hidden_layers = p.num_hidden_layers;
  c.num_attention_heads = p.num_attention_heads;
  c.intermediate_size = p.intermediate_size;
  c.hidden_act = p.hidden_act;
  c.hidden_dropout_prob = p.hidden_dropout_prob;
  c.attention_probs_dropout_prob = p.attention_probs_dropout_prob;
  c.max_position_embeddings = p.max_position_embeddings;
  c.type_vocab_size = p.type_vocab_size;
  c.layer_norm_eps = p.layer_norm_eps;
  c.initializer_range = p.initializer_range;
  c.pad_token_id = p.pad_token_id;
  c.position_embedding_type = p.position_embedding_type;
  return c;
}

bert_model* NewHandle(bertc::model::BertForMaskedLM model) {
  auto* h = new bert_model;
  h->impl = model.ptr();
  return h;
}

}  // namespace

extern "C" {

BERT_API bert_model_params bert_model_params_default(void) {
  const BertConfig d;
  bert_model_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.vocab_size = d.vocab_size;
  p.hidden_size = d.hidden_size;
  p.num_hidden_layers = d.num_hidden_layers;
  p.num_attention_heads = d.num_attention_heads;
  p.intermediate_size = d.intermediate_size;
  p.hidden_act = "gelu";
  p.hidden_dropout_prob = d.hidden_dropout_prob;
  p.attention_probs_dropout_prob = d.attention_probs_dropout_prob;
  p.max_position_embeddings = d.max_position_embeddings;
  p.type_vocab_size = d.type_vocab_size;
  p.layer_norm_eps = d.layer_norm_eps;
  p.initializer_range = d.initializer_range;
  p.pad_token_id = d.pad_token_id;
  p.position_embedding_type = "absolute";
  p.seed = 42;
  return p;
}

BERT_API bert_status bert_model_create(const bert_model_params* params, bert_model** out_model) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(out_model, "out_model");
    const bert_model_params p = bertc::api::CopyParams(params, bert_model_params_default(), "params");
    bertc::model::BertForMaskedLM model(ConfigFromParams(p), p.seed);
    model->eval();  // inference-ready; a trainer switches to train() itself
    *out_model = NewHandle(std::move(model));
  });
}

BERT_API bert_status bert_model_load(const char* dir, bert_model** out_model) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(dir, "dir");
    bertc::api::RequireNonNull(out_model, "out_model");
    bertc::model::LoadReport report;
    bertc::model::BertForMaskedLM model = bertc::model::LoadBertForMaskedLM(dir, &report);
    std::string msg;
    if (!report.warnings.empty()) {
      msg = "warning: ";
      for (size_t i = 0; i < report.warnings.size(); ++i) msg += (i ? "; " : "") + report.warnings[i];
    }
    bert_model* h = NewHandle(std::move(model));
    *out_model = h;  // nothing below throws: the output is set only on success
    if (!msg.empty()) bertc::api::SetMessage(std::move(msg));
  });
}

BERT_API bert_status bert_model_save(const bert_model* model, const char* dir) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(model, "model");
    bertc::api::RequireNonNull(dir, "dir");
    if (*dir == '\0') throw bertc::InvalidArgument("dir must not be empty");
    const bertc::api::ModelReadLock lock(*model);
    bertc::model::SaveBertForMaskedLM(*model->impl, dir);
  });
}

BERT_API bert_status bert_model_config(const bert_model* model, bert_model_params* out_params) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(model, "model");
    bertc::api::RequireNonNull(out_params, "out_params");
    bertc::api::CheckResultSize(out_params, "out_params");
    const BertConfig& c = model->impl->config();
    bert_model_params p = bert_model_params_default();
    p.vocab_size = c.vocab_size;
    p.hidden_size = c.hidden_size;
    p.num_hidden_layers = c.num_hidden_layers;
    p.num_attention_heads = c.num_attention_heads;
    p.intermediate_size = c.intermediate_size;
    p.hidden_act = c.hidden_act.c_str();
    p.hidden_dropout_prob = c.hidden_dropout_prob;
    p.attention_probs_dropout_prob = c.attention_probs_dropout_prob;
    p.max_position_embeddings = c.max_position_embeddings;
    p.type_vocab_size = c.type_vocab_size;
    p.layer_norm_eps = c.layer_norm_eps;
    p.initializer_range = c.initializer_range;
    p.pad_token_id = c.pad_token_id;
    p.position_embedding_type = c.position_embedding_type.c_str();
    p.seed = 0;
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

BERT_API void bert_model_free(bert_model* model) { delete model; }

}  // extern "C"
