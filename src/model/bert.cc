// BERT modules, mirroring transformers' modeling_bert.py (eager attention, post-LayerNorm).
#include "model/bert.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <cmath>
#include <limits>

#include "common/error.h"

namespace bertc::model {

namespace nn = torch::nn;

namespace {

at::Tensor Activation(const at::Tensor& x, const std::string& act) {
  if (act == "gelu") return at::gelu(x);
  if (act == "gelu_pytorch_tanh") return at::gelu(x, "tanh");
  if (act == "gelu_new") {  // transformers' NewGELUActivation, written out as HF does
    return 0.5 * x * (1.0 + at::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * at::pow(x, 3.0))));
  }
  if (act == "gelu_fast") return 0.5 * x * (1.0 + at::tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)));
  if (act == "relu") return at::relu(x);
  if (act == "silu" || act == "swish") return at::silu(x);
  throw InvalidArgument("unsupported hidden_act '" + act + "'");
}

nn::LayerNorm MakeLayerNorm(const BertConfig& c) {
  return nn::LayerNorm(nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}

}  // namespace

// ---- bert.embeddings -----------------------------------------------------------------------------
class BertEmbeddingsImpl : public nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertConfig& c)
      : word_embeddings(nn::EmbeddingOptions(c.vocab_size, c.hidden_size).padding_idx(c.pad_token_id)),
        position_embeddings(nn::EmbeddingOptions(c.max_position_embeddings, c.hidden_size)),
        token_type_embeddings(nn::EmbeddingOptions(c.type_vocab_size, c.hidden_size)),
        LayerNorm(MakeLayerNorm(c)),
        dropout_p(c.hidden_dropout_prob) {
    register_module("word_embeddings", word_embeddings);
    register_module("position_embeddings", position_embeddings);
    register_module("token_type_embeddings", token_type_embeddings);
    register_module("LayerNorm", LayerNorm);
  }

  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids, bool dropout) {
    const int64_t seq = input_ids.size(1);
    at::Tensor positions = at::arange(seq, input_ids.options().dtype(at::kLong)).unsqueeze(0);
    at::Tensor types = token_type_ids.defined() ? token_type_ids : at::zeros_like(input_ids);
    at::Tensor x = word_embeddings(input_ids) + token_type_embeddings(types);
    x = x + position_embeddings(positions);
    x = LayerNorm(x);
    return at::dropout(x, dropout_p, dropout);
  }

  nn::Embedding word_embeddings;
  nn::Embedding position_embeddings;
  nn::Embedding token_type_embeddings;
  nn::LayerNorm LayerNorm;
  double dropout_p;
};
TORCH_MODULE(BertEmbeddings);

// ---- attention -----------------------------------------------------------------------------------
class BertSelfAttentionImpl : public nn::Module {
 public:
  explicit BertSelfAttentionImpl(const BertConfig& c)
      : query(c.hidden_size, c.hidden_size),
        key(c.hidden_size, c.hidden_size),
        value(c.hidden_size, c.hidden_size),
        heads(c.num_attention_heads),
        head_size(c.hidden_size / c.num_attention_heads),
        dropout_p(c.attention_probs_dropout_prob) {
    register_module("query", query);
    register_module("key", key);
    register_module("value", value);
  }

  // `additive_mask` is [B, 1, 1, T]: 0 where attended, float32 lowest where masked (HF's convention).
  at::Tensor forward(const at::Tensor& h, const at::Tensor& additive_mask, bool dropout) {
    const int64_t b = h.size(0), t = h.size(1);
    auto split = [&](const at::Tensor& x) { return x.view({b, t, heads, head_size}).permute({0, 2, 1, 3}); };
    at::Tensor q = split(query(h));
    at::Tensor k = split(key(h));
    at::Tensor v = split(value(h));
    at::Tensor scores = at::matmul(q, k.transpose(-1, -2));
    scores = scores / std::sqrt(static_cast<double>(head_size));
    if (additive_mask.defined()) scores = scores + additive_mask;
    at::Tensor probs = at::softmax(scores, -1);
    probs = at::dropout(probs, dropout_p, dropout);
    at::Tensor ctx = at::matmul(probs, v).permute({0, 2, 1, 3}).contiguous();
    return ctx.view({b, t, heads * head_size});
  }

  nn::Linear query, key, value;
  int64_t heads, head_size;
  double dropout_p;
};
TORCH_MODULE(BertSelfAttention);

// dense -> dropout -> LayerNorm(x + residual); used by attention.output and the layer output.
class BertResidualOutputImpl : public nn::Module {
 public:
  BertResidualOutputImpl(const BertConfig& c, int64_t in_features)
      : dense(in_features, c.hidden_size), LayerNorm(MakeLayerNorm(c)), dropout_p(c.hidden_dropout_prob) {
    register_module("dense", dense);
    register_module("LayerNorm", LayerNorm);
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual, bool dropout) {
    return LayerNorm(at::dropout(dense(x), dropout_p, dropout) + residual);
  }
  nn::Linear dense;
  nn::LayerNorm LayerNorm;
  double dropout_p;
};
TORCH_MODULE(BertResidualOutput);

class BertAttentionImpl : public nn::Module {
 public:
  explicit BertAttentionImpl(const BertConfig& c) : self(c), output(c, c.hidden_size) {
    register_module("self", self);
    register_module("output", output);
  }
  at::Tensor forward(const at::Tensor& h, const at::Tensor& mask, bool dropout) {
    return output(self(h, mask, dropout), h, dropout);
  }
  BertSelfAttention self;
  BertResidualOutput output;
};
TORCH_MODULE(BertAttention);

class BertIntermediateImpl : public nn::Module {
 public:
  explicit BertIntermediateImpl(const BertConfig& c) : dense(c.hidden_size, c.intermediate_size), act(c.hidden_act) {
    register_module("dense", dense);
  }
  at::Tensor forward(const at::Tensor& h) { return Activation(dense(h), act); }
  nn::Linear dense;
  std::string act;
};
TORCH_MODULE(BertIntermediate);

class BertLayerImpl : public nn::Module {
 public:
  explicit BertLayerImpl(const BertConfig& c) : attention(c), intermediate(c), output(c, c.intermediate_size) {
    register_module("attention", attention);
    register_module("intermediate", intermediate);
    register_module("output", output);
  }
  at::Tensor forward(const at::Tensor& h, const at::Tensor& mask, bool dropout) {
    at::Tensor a = attention(h, mask, dropout);
    return output(intermediate(a), a, dropout);
  }
  BertAttention attention;
  BertIntermediate intermediate;
  BertResidualOutput output;
};
TORCH_MODULE(BertLayer);

class BertEncoderImpl : public nn::Module {
 public:
  explicit BertEncoderImpl(const BertConfig& c) {
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      layers.push_back(BertLayer(c));
      layer->push_back(layers.back());
    }
    register_module("layer", layer);
  }
  at::Tensor forward(at::Tensor h, const at::Tensor& mask, bool dropout) {
    for (auto& l : layers) h = l(h, mask, dropout);
    return h;
  }
  nn::ModuleList layer;
  std::vector<BertLayer> layers;  // typed view of `layer`
};
TORCH_MODULE(BertEncoder);

// ---- bert (BertModel without pooler, as BertForMaskedLM builds it) -------------------------------
class BertModelImpl : public nn::Module {
 public:
  explicit BertModelImpl(const BertConfig& c) : embeddings(c), encoder(c), max_positions(c.max_position_embeddings) {
    register_module("embeddings", embeddings);
    register_module("encoder", encoder);
  }
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids, const at::Tensor& attention_mask,
                     bool dropout) {
    if (!input_ids.defined() || input_ids.dim() != 2) throw InvalidArgument("input_ids must be a [batch, seq] tensor");
    if (input_ids.scalar_type() != at::kLong) throw InvalidArgument("input_ids must be int64");
    const int64_t seq = input_ids.size(1);
    if (seq > max_positions) {
      throw InvalidArgument("sequence length " + std::to_string(seq) + " exceeds max_position_embeddings " +
                            std::to_string(max_positions));
    }
    auto check_shape = [&](const at::Tensor& t, const char* name) {
      if (t.defined() && t.sizes() != input_ids.sizes()) {
        throw InvalidArgument(std::string(name) + " must have the shape of input_ids");
      }
    };
    check_shape(token_type_ids, "token_type_ids");
    check_shape(attention_mask, "attention_mask");
    if (token_type_ids.defined() && token_type_ids.scalar_type() != at::kLong) {
      throw InvalidArgument("token_type_ids must be int64");
    }
    at::Tensor h = embeddings(input_ids, token_type_ids, dropout);
    at::Tensor additive;
    if (attention_mask.defined()) {
      // HF get_extended_attention_mask: (1 - mask) * finfo(float32).min, broadcast over heads/queries.
      at::Tensor m = attention_mask.to(at::kFloat).unsqueeze(1).unsqueeze(2);
      additive = (1.0 - m) * static_cast<double>(std::numeric_limits<float>::lowest());
    }
    return encoder(h, additive, dropout);
  }
  BertEmbeddings embeddings;
  BertEncoder encoder;
  int64_t max_positions;
};

// ---- cls (BertOnlyMLMHead) -----------------------------------------------------------------------
class BertPredictionHeadTransformImpl : public nn::Module {
 public:
  explicit BertPredictionHeadTransformImpl(const BertConfig& c)
      : dense(c.hidden_size, c.hidden_size), LayerNorm(MakeLayerNorm(c)), act(c.hidden_act) {
    register_module("dense", dense);
    register_module("LayerNorm", LayerNorm);
  }
  at::Tensor forward(const at::Tensor& h) { return LayerNorm(Activation(dense(h), act)); }
  nn::Linear dense;
  nn::LayerNorm LayerNorm;
  std::string act;
};
TORCH_MODULE(BertPredictionHeadTransform);

class BertLMPredictionHeadImpl : public nn::Module {
 public:
  explicit BertLMPredictionHeadImpl(const BertConfig& c) : transform(c) {
    // Registered before `transform` so named_parameters() order matches HF (bias, transform.*).
    bias = register_parameter("bias", at::zeros({c.vocab_size}));
    register_module("transform", transform);
  }
  // The decoder is tied: its weight is the word-embedding matrix, passed in by the caller.
  at::Tensor forward(const at::Tensor& h, const at::Tensor& decoder_weight) {
    return at::linear(transform(h), decoder_weight, bias);
  }
  at::Tensor bias;
  BertPredictionHeadTransform transform;
};
TORCH_MODULE(BertLMPredictionHead);

class BertOnlyMLMHeadImpl : public nn::Module {
 public:
  explicit BertOnlyMLMHeadImpl(const BertConfig& c) : predictions(c) { register_module("predictions", predictions); }
  BertLMPredictionHead predictions;
};

// ---- BertForMaskedLM -----------------------------------------------------------------------------
BertForMaskedLMImpl::BertForMaskedLMImpl(const BertConfig& config, std::optional<uint64_t> seed) : config_(config) {
  Validate(config_);
  bert = register_module("bert", std::make_shared<BertModelImpl>(config_));
  cls = register_module("cls", std::make_shared<BertOnlyMLMHeadImpl>(config_));
  InitWeights(seed);
}

namespace {

bool IsNoDecay(const std::string& name) {
  return name.find("LayerNorm") != std::string::npos || name.find("bias") != std::string::npos;
}

// HF _init_weights for one named parameter.
void InitParameter(const std::string& name, at::Tensor& p, const BertConfig& c, c10::optional<at::Generator>& gen) {
  const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
  if (name.find("LayerNorm") != std::string::npos) {
    if (is_bias) {
      p.zero_();
    } else {
      p.fill_(1.0);
    }
  } else if (is_bias) {
    p.zero_();
  } else {
    p.normal_(0.0, c.initializer_range, gen);
    if (name == "bert.embeddings.word_embeddings.weight") p[c.pad_token_id].zero_();
  }
}

}  // namespace

void BertForMaskedLMImpl::InitWeights(std::optional<uint64_t> seed) {
  at::NoGradGuard no_grad;
  c10::optional<at::Generator> gen;
  if (seed) gen = at::detail::createCPUGenerator(*seed);
  for (auto& item : named_parameters()) InitParameter(item.key(), item.value(), config_, gen);
}

void BertForMaskedLMImpl::InitHead(std::optional<uint64_t> seed) {
  at::NoGradGuard no_grad;
  c10::optional<at::Generator> gen;
  if (seed) gen = at::detail::createCPUGenerator(*seed);
  for (auto& item : named_parameters()) {
    if (item.key().rfind("cls.", 0) == 0) InitParameter(item.key(), item.value(), config_, gen);
  }
}

at::Tensor BertForMaskedLMImpl::Encode(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                       const at::Tensor& attention_mask, bool dropout) const {
  return bert->forward(input_ids, token_type_ids, attention_mask, dropout);
}

at::Tensor BertForMaskedLMImpl::Head(const at::Tensor& hidden) const {
  return cls->predictions->forward(hidden, bert->embeddings->word_embeddings->weight);
}

at::Tensor BertForMaskedLMImpl::LogitsAt(const at::Tensor& hidden, const at::Tensor& masked_positions) const {
  if (!masked_positions.defined()) return Head(hidden);
  if (masked_positions.scalar_type() != at::kBool || masked_positions.dim() != 2 ||
      masked_positions.size(0) != hidden.size(0) || masked_positions.size(1) != hidden.size(1)) {
    throw InvalidArgument("masked_positions must be a bool [batch, seq] tensor");
  }
  // Gather before the transform: only the selected rows pay for the vocab-sized decoder.
  at::Tensor rows = masked_positions.reshape({-1}).nonzero().squeeze(1);
  return Head(hidden.reshape({-1, hidden.size(-1)}).index_select(0, rows));
}

at::Tensor BertForMaskedLMImpl::forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                        const at::Tensor& attention_mask, const at::Tensor& masked_positions) {
  return LogitsAt(Encode(input_ids, token_type_ids, attention_mask, is_training()), masked_positions);
}

at::Tensor BertForMaskedLMImpl::Predict(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                        const at::Tensor& attention_mask, const at::Tensor& masked_positions) const {
  return LogitsAt(Encode(input_ids, token_type_ids, attention_mask, false), masked_positions);
}

MlmOutput BertForMaskedLMImpl::ForwardWithLoss(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                               const at::Tensor& attention_mask, const at::Tensor& labels,
                                               bool masked_only) {
  if (!labels.defined() || labels.sizes() != input_ids.sizes() || labels.scalar_type() != at::kLong) {
    throw InvalidArgument("labels must be an int64 tensor shaped like input_ids");
  }
  MlmOutput out;
  if (masked_only) {
    at::Tensor selected = labels.ne(kIgnoreIndex);
    out.logits = forward(input_ids, token_type_ids, attention_mask, selected);
    out.labels = labels.masked_select(selected);
  } else {
    out.logits = forward(input_ids, token_type_ids, attention_mask);
    out.labels = labels;
  }
  out.loss = MlmLoss(out.logits, out.labels);
  return out;
}

ParameterGroups BertForMaskedLMImpl::parameter_groups() const {
  ParameterGroups g;
  for (const auto& item : named_parameters()) {
    if (IsNoDecay(item.key())) {
      g.no_decay.push_back(item.value());
      g.no_decay_names.push_back(item.key());
    } else {
      g.decay.push_back(item.value());
      g.decay_names.push_back(item.key());
    }
  }
  return g;
}

int64_t BertForMaskedLMImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

at::Tensor MlmLoss(const at::Tensor& logits, const at::Tensor& labels) {
  const int64_t vocab = logits.size(-1);
  return at::cross_entropy_loss(logits.reshape({-1, vocab}), labels.reshape({-1}), {}, at::Reduction::Mean,
                                kIgnoreIndex);
}

}  // namespace bertc::model
