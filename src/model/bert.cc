// BERT modules, mirroring transformers' modeling_bert.py (eager attention, post-LayerNorm).
#include "model/bert.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

// at::parallel_for is a header template: with LibTorch's OpenMP backend its `omp parallel` exists
// only where this TU is compiled with OpenMP; without it every parallel_for here is silently serial.
#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#error "compile with OpenMP (bertc_dep_torch links OpenMP::OpenMP_CXX)"
#endif

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BERTC_SKINNY_GEMM_AVX2 1
#endif

#include "common/error.h"
#include "common/limits.h"
#include "model/dense.h"

namespace bertc::model {

namespace nn = torch::nn;

namespace {

thread_local at::Generator* t_dropout_generator = nullptr;

// at::dropout's CPU math (bernoulli noise scaled by 1/(1-p), then a product), drawing from the
// trainer's generator when one is installed on this thread, so training never uses or changes the
// process-wide default generator.
at::Tensor Dropout(const at::Tensor& x, double p, bool train) {
  if (!train || p == 0 || x.numel() == 0) return x;
  if (t_dropout_generator == nullptr) return at::dropout(x, p, true);
  at::Tensor noise = at::empty_like(x, at::MemoryFormat::Contiguous);
  noise.bernoulli_(1 - p, *t_dropout_generator);
  noise.div_(1 - p);
  return x * noise;
}

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

ScopedDropoutGenerator::ScopedDropoutGenerator(at::Generator& generator) : previous_(t_dropout_generator) {
  t_dropout_generator = &generator;
}
ScopedDropoutGenerator::~ScopedDropoutGenerator() { t_dropout_generator = previous_; }

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
    return Dropout(x, dropout_p, dropout);
  }

  nn::Embedding word_embeddings;
  nn::Embedding position_embeddings;
  nn::Embedding token_type_embeddings;
  nn::LayerNorm LayerNorm;
  double dropout_p;
};
TORCH_MODULE(BertEmbeddings);

// ---- attention -----------------------------------------------------------------------------------
// Inputs of one forward pass shared by every layer: the batch geometry and the additive attention
// bias, pre-broadcast once per batch to [B * heads, T, T] (0 where attended, float32 lowest where
// masked, HF's convention) or undefined when nothing is padded (HF then adds zeros: same result).
struct AttentionInputs {
  int64_t batch = 0, seq = 0;
  at::Tensor bias;
};

// Rows from which one GEMM over concatenated Q/K/V weights beats three: the concatenation copies
// 3 * H * H floats per layer, negligible against a training batch but not against one short query.
constexpr int64_t kFusedQkvMinRows = 128;

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

  // `h` is [B * T, H] (rows of the batch, contiguous); returns the context [B * T, H].
  at::Tensor forward(const at::Tensor& h, const AttentionInputs& in, bool dropout) {
    const int64_t b = in.batch, t = in.seq, hidden = heads * head_size;
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_size));
    // q, k, v as [B * heads, T, d], contiguous, so that the score/context products are plain bmm
    // calls (at::matmul on 4-D permuted views would copy each operand and its gradient again).
    at::Tensor q, k, v;
    if (h.size(0) >= kFusedQkvMinRows) {
      const at::Tensor w = at::cat({query->weight, key->weight, value->weight}, 0);
      const at::Tensor bias = at::cat({query->bias, key->bias, value->bias}, 0);
      const at::Tensor projected = Dense(h, w, bias);
      if (AttentionCoreAvailable() && !(dropout && dropout_p > 0)) {
        return AttentionCore(projected, in.bias, b, t, heads, scale);
      }
      const at::Tensor qkv = projected.view({b, t, 3, heads, head_size}).permute({2, 0, 3, 1, 4}).contiguous();
      q = qkv.select(0, 0).view({b * heads, t, head_size});
      k = qkv.select(0, 1).view({b * heads, t, head_size});
      v = qkv.select(0, 2).view({b * heads, t, head_size});
    } else {
      auto project = [&](nn::Linear& l) {
        return Dense(h, l->weight, l->bias)
            .view({b, t, heads, head_size})
            .permute({0, 2, 1, 3})
            .contiguous()
            .view({b * heads, t, head_size});
      };
      q = project(query);
      k = project(key);
      v = project(value);
    }
    // scores = q k^T / sqrt(d) + bias (alpha scales the product), the batch x heads products in parallel.
    at::Tensor scores = BatchedMatmul(q, k, /*trans_b=*/true, scale);
    if (in.bias.defined()) scores = scores + in.bias;
    at::Tensor probs = at::softmax(scores, -1);
    if (dropout && dropout_p > 0) probs = Dropout(probs, dropout_p, true);
    return BatchedMatmul(probs, v, /*trans_b=*/false, 1.0)
        .view({b, heads, t, head_size})
        .permute({0, 2, 1, 3})
        .reshape({b * t, hidden});
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
  // x [N, in_features], residual [N, H] -> [N, H].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual, bool dropout) {
    at::Tensor y = Dense(x, dense->weight, dense->bias);
    if (dropout && dropout_p > 0) y = Dropout(y, dropout_p, true);
    // In place on a fresh tensor: neither Dense nor dropout's backward needs its output.
    return LayerNorm(y.add_(residual));
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
  at::Tensor forward(const at::Tensor& h, const AttentionInputs& in, bool dropout) {
    return output(self(h, in, dropout), h, dropout);
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
  at::Tensor forward(const at::Tensor& h) { return Activation(Dense(h, dense->weight, dense->bias), act); }
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
  at::Tensor forward(const at::Tensor& h, const AttentionInputs& in, bool dropout) {
    at::Tensor a = attention(h, in, dropout);
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
  at::Tensor forward(at::Tensor h, const AttentionInputs& in, bool dropout) {
    for (auto& l : layers) h = l(h, in, dropout);
    return h;
  }
  nn::ModuleList layer;
  std::vector<BertLayer> layers;  // typed view of `layer`
};
TORCH_MODULE(BertEncoder);

// ---- bert.pooler (BertPooler: dense + tanh on the first token) -------------------------------------
class BertPoolerImpl : public nn::Module {
 public:
  explicit BertPoolerImpl(const BertConfig& c) : dense(c.hidden_size, c.hidden_size) { register_module("dense", dense); }
  at::Tensor forward(const at::Tensor& first_token) { return at::tanh(dense(first_token)); }
  nn::Linear dense;
};

// ---- bert (BertModel; with the pooler only where HF builds one: sequence classification) ---------
class BertModelImpl : public nn::Module {
 public:
  explicit BertModelImpl(const BertConfig& c)
      : embeddings(c), encoder(c), max_positions(c.max_position_embeddings), heads(c.num_attention_heads) {
    register_module("embeddings", embeddings);
    register_module("encoder", encoder);
    if (c.task == Task::kSequenceClassification) pooler = register_module("pooler", std::make_shared<BertPoolerImpl>(c));
  }
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids, const at::Tensor& attention_mask,
                     bool dropout) {
    AttentionInputs in;
    at::Tensor h = Embed(input_ids, token_type_ids, attention_mask, dropout, &in);
    return encoder(h, in, dropout).view({in.batch, in.seq, h.size(1)});
  }
  // Validates the inputs; returns the embeddings as [B * T, H] rows and fills `in`.
  at::Tensor Embed(const at::Tensor& input_ids, const at::Tensor& token_type_ids, const at::Tensor& attention_mask,
                   bool dropout, AttentionInputs* in_out) {
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
    const int64_t batch = input_ids.size(0), hidden = embeddings->LayerNorm->options.normalized_shape()[0];
    // The encoder works on [B * T, H] rows: every dense layer is one 2-D GEMM, no reshapes.
    at::Tensor h = embeddings(input_ids, token_type_ids, dropout).view({batch * seq, hidden});
    AttentionInputs& in = *in_out;
    in.batch = batch;
    in.seq = seq;
    if (attention_mask.defined() && !attention_mask.ne(0).all().item<bool>()) {
      // HF get_extended_attention_mask: (1 - mask) * finfo(float32).min, broadcast over heads and
      // queries; materialised once here instead of being broadcast again in every layer.
      const at::Tensor m = attention_mask.to(at::kFloat).view({batch, 1, 1, seq});
      in.bias = ((1.0 - m) * static_cast<double>(std::numeric_limits<float>::lowest()))
                    .expand({batch, heads, seq, seq})
                    .reshape({batch * heads, seq, seq});
    }
    return h;
  }
  BertEmbeddings embeddings;
  BertEncoder encoder;
  std::shared_ptr<BertPoolerImpl> pooler;  // null unless sequence classification
  int64_t max_positions;
  int64_t heads;
};

// ---- cls (BertOnlyMLMHead) -----------------------------------------------------------------------
class BertPredictionHeadTransformImpl : public nn::Module {
 public:
  explicit BertPredictionHeadTransformImpl(const BertConfig& c)
      : dense(c.hidden_size, c.hidden_size), LayerNorm(MakeLayerNorm(c)), act(c.hidden_act) {
    register_module("dense", dense);
    register_module("LayerNorm", LayerNorm);
  }
  at::Tensor forward(const at::Tensor& h) {  // [N, H]
    return LayerNorm(Activation(Dense(h, dense->weight, dense->bias), act));
  }
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
  at::Tensor forward(const at::Tensor& h, const at::Tensor& decoder_weight) {  // [N, H] -> [N, V]
    return Dense(transform(h), decoder_weight, bias);
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

// ---- inference path (Predict with masked positions) ---------------------------------------------
// Same math as the modules' forward() without dropout, laid out for one short query: no autograd
// concerns, so every product picks the BLAS call that is fastest for its shape, and the last layer
// computes queries, attention output and FFN only for the rows whose logits are wanted (keys and
// values still span every token, so those rows are exactly what the full layer would give).
namespace {

// Rows below which a down-projection (in_features > out_features) runs as W x^T: OpenBLAS packs the
// weight for that orientation much faster than for x W^T, and for few rows packing dominates.
constexpr int64_t kSwappedDenseMaxRows = 64;

#ifdef BERTC_SKINNY_GEMM_AVX2
// y = x W^T + b for few rows of x (a short query), streaming W [N, K] once: OpenBLAS packs both
// operands of every GEMM, and for ~15 rows packing the weight costs as much as the product. Here a
// block of MB rows of x and NB rows of W is reduced along K in MB * NB AVX2 accumulators; the x rows
// stay in cache while W is read once from memory. fp32 throughout (different summation order than
// BLAS: rounding-level differences only).
__attribute__((target("avx2,fma"))) inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// `prefetch` (NB rows of k floats, may be null) is the W block a later call needs: requesting it
// into L2 while this block computes keeps memory busy during the passes that find W in cache.
template <int MB, int NB>
__attribute__((target("avx2,fma"))) void SkinnyBlock(const float* x, const float* w, int64_t k, const float* bias,
                                                     float* y, int64_t ldy, const float* prefetch) {
  __m256 acc[MB][NB];
#pragma GCC unroll 4
  for (int m = 0; m < MB; ++m) {
#pragma GCC unroll 4
    for (int n = 0; n < NB; ++n) acc[m][n] = _mm256_setzero_ps();
  }
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    if (prefetch != nullptr && (i & 15) == 0) {
#pragma GCC unroll 4
      for (int n = 0; n < NB; ++n) _mm_prefetch(reinterpret_cast<const char*>(prefetch + n * k + i), _MM_HINT_T1);
    }
    __m256 wv[NB];
#pragma GCC unroll 4
    for (int n = 0; n < NB; ++n) wv[n] = _mm256_loadu_ps(w + n * k + i);
#pragma GCC unroll 4
    for (int m = 0; m < MB; ++m) {
      const __m256 xv = _mm256_loadu_ps(x + m * k + i);
#pragma GCC unroll 4
      for (int n = 0; n < NB; ++n) acc[m][n] = _mm256_fmadd_ps(xv, wv[n], acc[m][n]);
    }
  }
  for (int m = 0; m < MB; ++m) {
    for (int n = 0; n < NB; ++n) {
      float sum = HorizontalSum(acc[m][n]);
      for (int64_t j = i; j < k; ++j) sum += x[m * k + j] * w[n * k + j];
      y[m * ldy + n] = sum + bias[n];
    }
  }
}

using SkinnyBlockFn = void (*)(const float*, const float*, int64_t, const float*, float*, int64_t, const float*);
constexpr int kSkinnyMB = 4, kSkinnyNB = 3;
constexpr SkinnyBlockFn kSkinnyBlocks[kSkinnyMB][kSkinnyNB] = {
    {SkinnyBlock<1, 1>, SkinnyBlock<1, 2>, SkinnyBlock<1, 3>},
    {SkinnyBlock<2, 1>, SkinnyBlock<2, 2>, SkinnyBlock<2, 3>},
    {SkinnyBlock<3, 1>, SkinnyBlock<3, 2>, SkinnyBlock<3, 3>},
    {SkinnyBlock<4, 1>, SkinnyBlock<4, 2>, SkinnyBlock<4, 3>},
};

// How many W blocks ahead SkinnyLinear prefetches.
constexpr int64_t kSkinnyPrefetchBlocks = 2;

// Weight floats per parallel task (1 MiB): a fork/join costs microseconds on idle cores and a
// scheduler time slice on busy ones, so small layers (a 256-wide model's) stay on one thread.
constexpr int64_t kSkinnyTaskFloats = 262144;

// Rows of x up to which SkinnyLinear beats OpenBLAS's GEMM.
constexpr int64_t kSkinnyMaxRows = 32;

bool SkinnyLinearSupported() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

// x [M, K], w [N, K], bias [N] (contiguous float) -> [M, N]; parallel over blocks of W rows.
at::Tensor SkinnyLinear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias) {
  const int64_t m_rows = x.size(0), k = x.size(1), n_cols = w.size(0);
  at::Tensor y = at::empty({m_rows, n_cols}, x.options());
  const float* xp = x.data_ptr<float>();
  const float* wp = w.data_ptr<float>();
  const float* bp = bias.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const int64_t blocks = (n_cols + kSkinnyNB - 1) / kSkinnyNB;
  const int64_t grain = std::max<int64_t>(1, kSkinnyTaskFloats / (k * kSkinnyNB));
  at::parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t n = b * kSkinnyNB, nb = std::min<int64_t>(kSkinnyNB, n_cols - n);
      const int64_t ahead = n + kSkinnyPrefetchBlocks * kSkinnyNB;
      const float* prefetch = ahead + kSkinnyNB <= n_cols ? wp + ahead * k : nullptr;
      for (int64_t m = 0; m < m_rows; m += kSkinnyMB) {
        const int64_t mb = std::min<int64_t>(kSkinnyMB, m_rows - m);
        kSkinnyBlocks[mb - 1][nb - 1](xp + m * k, wp + n * k, k, bp + n, yp + m * n_cols + n, n_cols, prefetch);
      }
    }
  });
  return y;
}

// Whether x W^T + b goes through SkinnyLinear (also for one row: it streams W faster than sgemv).
bool UseSkinnyLinear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias) {
  return x.size(0) <= kSkinnyMaxRows && SkinnyLinearSupported() && x.scalar_type() == at::kFloat &&
         w.scalar_type() == at::kFloat && bias.scalar_type() == at::kFloat && w.is_contiguous() &&
         bias.is_contiguous();
}
#endif

// x [N, in] -> x W^T + b [N, out] (possibly a transposed view). Without SkinnyLinear one row is a
// GEMV: GEMM would pack the whole weight to multiply it by one vector.
at::Tensor InferDense(const at::Tensor& x, const nn::Linear& l) {
  const at::Tensor& w = l->weight;
#ifdef BERTC_SKINNY_GEMM_AVX2
  if (UseSkinnyLinear(x, w, l->bias)) return SkinnyLinear(x.contiguous(), w, l->bias);
#endif
  if (x.size(0) == 1) return at::addmv(l->bias, w, x[0]).unsqueeze(0);
  if (w.size(1) > w.size(0) && x.size(0) < kSwappedDenseMaxRows) {
    return at::addmm(l->bias.unsqueeze(1), w, x.t()).t();
  }
  return Dense(x, w, l->bias);
}

at::Tensor InferLayerNorm(const at::Tensor& x, const nn::LayerNorm& ln) {
  return at::layer_norm(x, ln->options.normalized_shape(), ln->weight, ln->bias, ln->options.eps());
}

// dense + residual -> LayerNorm (BertResidualOutput without dropout).
at::Tensor InferResidual(const BertResidualOutputImpl& o, const at::Tensor& x, const at::Tensor& residual) {
  return InferLayerNorm(at::add(residual, InferDense(x, o.dense)).contiguous(), o.LayerNorm);
}

// Self-attention context for `rows` (flat indices into the B * T rows of h; undefined = all rows).
at::Tensor InferSelfAttention(const BertSelfAttentionImpl& s, const at::Tensor& h, const AttentionInputs& in,
                              const at::Tensor& rows) {
  const int64_t b = in.batch, t = in.seq, heads = s.heads, d = s.head_size;
  auto per_head = [&](const at::Tensor& x) {  // [B * T, H] -> [B, heads, T, d]
    return x.reshape({b, t, heads, d}).permute({0, 2, 1, 3});
  };
  at::Tensor k = per_head(InferDense(h, s.key)), v = per_head(InferDense(h, s.value));
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  at::Tensor q, bias;
  int64_t n = 0, qt = 0;  // query groups and queries per group
  if (!rows.defined()) {
    q = per_head(InferDense(h, s.query)).reshape({b * heads, t, d});
    k = k.reshape({b * heads, t, d});
    v = v.reshape({b * heads, t, d});
    bias = in.bias;
    n = b;
    qt = t;
  } else {
    n = rows.size(0);
    qt = 1;
    q = InferDense(h.index_select(0, rows), s.query).reshape({n * heads, 1, d});
    const at::Tensor batch_of_row = at::div(rows, t, "floor");
    k = k.index_select(0, batch_of_row);
    v = v.index_select(0, batch_of_row);
    // The additive mask is the same for every query of a sequence: take one query row of it.
    if (in.bias.defined()) {
      bias = in.bias.view({b, heads, t, t}).index_select(0, batch_of_row).narrow(2, 0, 1).reshape({n * heads, 1, t});
    }
    k = k.reshape({n * heads, t, d});
    v = v.reshape({n * heads, t, d});
  }
  at::Tensor scores = BatchedMatmul(q, k, /*trans_b=*/true, scale);
  if (bias.defined()) scores.add_(bias);
  return BatchedMatmul(at::softmax(scores, -1), v, /*trans_b=*/false, 1.0)
      .view({n, heads, qt, d})
      .permute({0, 2, 1, 3})
      .reshape({n * qt, heads * d});
}

at::Tensor InferLayer(const BertLayerImpl& l, const at::Tensor& h, const AttentionInputs& in, const at::Tensor& rows) {
  const at::Tensor residual = rows.defined() ? h.index_select(0, rows) : h;
  const at::Tensor a = InferResidual(*l.attention->output, InferSelfAttention(*l.attention->self, h, in, rows), residual);
  return InferResidual(*l.output, Activation(InferDense(a, l.intermediate->dense), l.intermediate->act), a);
}

// MLM head on hidden rows [N, H] -> logits [N, V]; a few rows go through the decoder as GEMVs.
at::Tensor InferHead(const BertLMPredictionHeadImpl& p, const at::Tensor& hidden, const at::Tensor& decoder_weight) {
  const BertPredictionHeadTransformImpl& t = *p.transform;
  const at::Tensor x = InferLayerNorm(Activation(InferDense(hidden, t.dense), t.act).contiguous(), t.LayerNorm);
  const int64_t n = x.size(0);
#ifdef BERTC_SKINNY_GEMM_AVX2
  if (UseSkinnyLinear(x, decoder_weight, p.bias)) return SkinnyLinear(x.contiguous(), decoder_weight, p.bias);
#endif
  if (n > 2) return Dense(x, decoder_weight, p.bias);
  at::Tensor out = at::empty({n, decoder_weight.size(0)}, x.options());
  for (int64_t i = 0; i < n; ++i) {
    at::Tensor row = out[i];
    at::addmv_out(row, p.bias, decoder_weight, x[i]);
  }
  return out;
}

}  // namespace

// ---- BertForMaskedLM -----------------------------------------------------------------------------
BertImpl::BertImpl(const BertConfig& config, std::optional<uint64_t> seed) : config_(config) {
  Validate(config_);
  // Counted in double (no overflow) before anything is allocated.
  const double v = static_cast<double>(config_.vocab_size), h = static_cast<double>(config_.hidden_size);
  const double i = static_cast<double>(config_.intermediate_size);
  const double per_layer = 4 * (h * h + h) + 2 * (h * i) + i + h + 4 * h;
  const double labels = static_cast<double>(config_.num_labels());
  const double head = config_.task == Task::kMaskedLM ? v + h * h + 3 * h : (h + 1) * labels + h * h + h;
  const double params = (v + static_cast<double>(config_.max_position_embeddings + config_.type_vocab_size)) * h +
                        2 * h + static_cast<double>(config_.num_hidden_layers) * per_layer + head;
  CheckModelBytes(4 * params, "the model's");
  bert = register_module("bert", std::make_shared<BertModelImpl>(config_));
  if (config_.task == Task::kMaskedLM) {
    cls = register_module("cls", std::make_shared<BertOnlyMLMHeadImpl>(config_));
  } else {
    classifier = register_module("classifier", nn::Linear(config_.hidden_size, config_.num_labels()).ptr());
  }
  InitWeights(seed);
}

std::string HeadGroup(const std::string& name) {
  if (name.rfind("cls.", 0) == 0) return "cls";
  if (name.rfind("classifier.", 0) == 0) return "classifier";
  if (name.rfind("bert.pooler.", 0) == 0) return "pooler";
  return "";
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

void BertImpl::InitWeights(std::optional<uint64_t> seed) {
  at::NoGradGuard no_grad;
  c10::optional<at::Generator> gen;
  if (seed) gen = at::detail::createCPUGenerator(*seed);
  for (auto& item : named_parameters()) InitParameter(item.key(), item.value(), config_, gen);
}

void BertImpl::InitParameters(const std::vector<std::string>& names, std::optional<uint64_t> seed) {
  at::NoGradGuard no_grad;
  c10::optional<at::Generator> gen;
  if (seed) gen = at::detail::createCPUGenerator(*seed);
  for (auto& item : named_parameters()) {
    if (std::find(names.begin(), names.end(), item.key()) != names.end()) {
      InitParameter(item.key(), item.value(), config_, gen);
    }
  }
}

void BertImpl::RequireMlm(const char* what) const {
  if (config_.task != Task::kMaskedLM) {
    throw InvalidArgument(std::string(what) + " needs a masked-LM model, but this model is a " +
                          ArchitectureName(config_.task) + " (it has no MLM head)");
  }
}

void BertImpl::RequireClassifier(const char* what) const {
  if (!IsClassifier(config_.task)) {
    throw InvalidArgument(std::string(what) +
                          " needs a sequence or token classification model, but this model is a BertForMaskedLM");
  }
}

at::Tensor BertImpl::ClassifierLogits(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                      const at::Tensor& attention_mask, bool dropout) const {
  RequireClassifier("classification");
  nn::LinearImpl& linear = *classifier;
  const double p = config_.ClassifierDropout();
  const at::Tensor h = Encode(input_ids, token_type_ids, attention_mask, dropout);  // [B, T, H]
  if (config_.task == Task::kSequenceClassification) {
    return linear.forward(Dropout(bert->pooler->forward(h.select(1, 0)), p, dropout));
  }
  return linear.forward(Dropout(h, p, dropout));
}

at::Tensor BertImpl::PredictClasses(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                    const at::Tensor& attention_mask) const {
  RequireClassifier("classification");
  const nn::LinearImpl& linear = *classifier;
  AttentionInputs in;
  at::Tensor h = bert->Embed(input_ids, token_type_ids, attention_mask, false, &in);
  const bool sequence = config_.task == Task::kSequenceClassification;
  // Sequence classification reads only [CLS]: the last layer computes just those rows.
  const at::Tensor cls_rows = sequence ? at::arange(in.batch, at::kLong).mul_(in.seq) : at::Tensor();
  const auto& layers = bert->encoder->layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    h = InferLayer(*layers[i], h, in, i + 1 == layers.size() ? cls_rows : at::Tensor());
  }
  if (sequence) {
    if (layers.empty()) h = h.index_select(0, cls_rows);
    const at::Tensor pooled = at::tanh(InferDense(h, bert->pooler->dense));
    return at::addmm(linear.bias, pooled, linear.weight.t());
  }
  return at::addmm(linear.bias, h, linear.weight.t()).view({in.batch, in.seq, -1});
}

ClassifierOutput BertImpl::ForwardClassifier(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                             const at::Tensor& attention_mask, const at::Tensor& labels) {
  RequireClassifier("classification training");
  const bool sequence = config_.task == Task::kSequenceClassification;
  if (!labels.defined() || labels.scalar_type() != at::kLong ||
      (sequence ? (labels.dim() != 1 || labels.size(0) != input_ids.size(0)) : labels.sizes() != input_ids.sizes())) {
    throw InvalidArgument(sequence ? "labels must be an int64 [batch] tensor"
                                   : "labels must be an int64 tensor shaped like input_ids");
  }
  ClassifierOutput out;
  out.logits = ClassifierLogits(input_ids, token_type_ids, attention_mask, is_training());
  const int64_t n = config_.num_labels();
  out.loss = at::cross_entropy_loss(out.logits.reshape({-1, n}), labels.reshape({-1}), {}, at::Reduction::Mean,
                                    kIgnoreIndex);
  return out;
}

at::Tensor BertImpl::Encode(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                       const at::Tensor& attention_mask, bool dropout) const {
  return bert->forward(input_ids, token_type_ids, attention_mask, dropout);
}

at::Tensor BertImpl::Head(const at::Tensor& hidden) const {
  RequireMlm("the MLM head");
  const int64_t h = hidden.size(-1);
  std::vector<int64_t> shape = hidden.sizes().vec();
  at::Tensor logits = cls->predictions->forward(hidden.reshape({-1, h}), bert->embeddings->word_embeddings->weight);
  shape.back() = logits.size(1);
  return logits.view(shape);
}

at::Tensor BertImpl::LogitsAt(const at::Tensor& hidden, const at::Tensor& masked_positions) const {
  if (!masked_positions.defined()) return Head(hidden);
  if (masked_positions.scalar_type() != at::kBool || masked_positions.dim() != 2 ||
      masked_positions.size(0) != hidden.size(0) || masked_positions.size(1) != hidden.size(1)) {
    throw InvalidArgument("masked_positions must be a bool [batch, seq] tensor");
  }
  // Gather before the transform: only the selected rows pay for the vocab-sized decoder.
  at::Tensor rows = masked_positions.reshape({-1}).nonzero().squeeze(1);
  return Head(hidden.reshape({-1, hidden.size(-1)}).index_select(0, rows));
}

at::Tensor BertImpl::forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                        const at::Tensor& attention_mask, const at::Tensor& masked_positions) {
  return LogitsAt(Encode(input_ids, token_type_ids, attention_mask, is_training()), masked_positions);
}

at::Tensor BertImpl::Predict(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                        const at::Tensor& attention_mask, const at::Tensor& masked_positions) const {
  RequireMlm("fill-mask");
  if (!masked_positions.defined()) return LogitsAt(Encode(input_ids, token_type_ids, attention_mask, false), {});
  AttentionInputs in;
  at::Tensor h = bert->Embed(input_ids, token_type_ids, attention_mask, false, &in);
  if (masked_positions.scalar_type() != at::kBool || masked_positions.dim() != 2 ||
      masked_positions.size(0) != in.batch || masked_positions.size(1) != in.seq) {
    throw InvalidArgument("masked_positions must be a bool [batch, seq] tensor");
  }
  const at::Tensor rows = masked_positions.reshape({-1}).nonzero().squeeze(1);
  const auto& layers = bert->encoder->layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    h = InferLayer(*layers[i], h, in, i + 1 == layers.size() ? rows : at::Tensor());
  }
  if (layers.empty()) h = h.index_select(0, rows);
  return InferHead(*cls->predictions, h, bert->embeddings->word_embeddings->weight);
}

MlmOutput BertImpl::ForwardWithLoss(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                               const at::Tensor& attention_mask, const at::Tensor& labels,
                                               bool masked_only) {
  RequireMlm("masked-LM training");
  if (!labels.defined() || labels.sizes() != input_ids.sizes() || labels.scalar_type() != at::kLong) {
    throw InvalidArgument("labels must be an int64 tensor shaped like input_ids");
  }
  MlmOutput out;
  if (masked_only) {
    at::Tensor selected = labels.ne(kIgnoreIndex);
    out.logits = forward(input_ids, token_type_ids, attention_mask, selected);
    out.labels = labels.masked_select(selected);
    out.loss = MlmLoss(out.logits, out.labels);
  } else {
    out.logits = forward(input_ids, token_type_ids, attention_mask);
    out.labels = labels;
    // Logits at every position (HF's math), but the log-softmax only on rows whose label counts:
    // the loss and every gradient equal those of cross-entropy over all rows with ignore_index (the
    // other rows contribute exactly zero), without two vocab-sized passes over the ignored rows.
    const at::Tensor flat = labels.reshape({-1});
    const at::Tensor rows = flat.ne(kIgnoreIndex).nonzero().squeeze(1);
    out.loss = MlmLoss(out.logits.reshape({-1, out.logits.size(-1)}).index_select(0, rows), flat.index_select(0, rows));
  }
  return out;
}

ParameterGroups BertImpl::parameter_groups() const {
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

int64_t BertImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

namespace {

// Rows of the masked-LM log-softmax per block shared out between the threads.
constexpr int64_t kLogSoftmaxBlockRows = 32;

// Mean cross-entropy over the rows whose label is not kIgnoreIndex, as at::cross_entropy_loss, with
// a backward of one pass over the [rows, vocab] logits: d loss / d logits = (softmax - one-hot) /
// count = exp(log_softmax) * g / count, minus g / count at the label. LibTorch's nll_loss_backward +
// log_softmax_backward write a dense one-hot gradient first and then read it and the saved
// log-probabilities again (three vocab-sized passes); on a small model's masked-LM step they were the
// largest cost after the GEMMs.
class CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& logits, const at::Tensor& labels) {
    // LibTorch 1.13 splits a last-dim log-softmax between threads only in blocks of 256 rows, so a
    // masked-LM batch's few hundred labelled rows ran on one thread (the second biggest cost of the
    // demo recipe's step on an AVX2 CPU, after the GEMMs). Here fixed blocks of rows are shared out:
    // LibTorch's kernel takes the logarithm of a block's sums vectorised, the last few scalar, so a
    // row's last bit depends on its block; with fixed blocks it does not depend on the thread count.
    const at::Tensor logp = at::empty_like(logits, at::MemoryFormat::Contiguous);
    const int64_t rows = logits.size(0), blocks = (rows + kLogSoftmaxBlockRows - 1) / kLogSoftmaxBlockRows;
    at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
      const at::NoGradGuard no_grad;  // grad mode is per thread: the OpenMP workers' is on
      for (int64_t block = first; block < last; ++block) {
        const int64_t begin = block * kLogSoftmaxBlockRows, n = std::min(kLogSoftmaxBlockRows, rows - begin);
        at::Tensor out = logp.narrow(0, begin, n);
        at::_log_softmax_out(out, logits.narrow(0, begin, n), 1, false);
      }
    });
    const at::Tensor ignored = labels.eq(kIgnoreIndex);
    const at::Tensor target = labels.masked_fill(ignored, 0).unsqueeze(1);
    const at::Tensor count = labels.numel() - ignored.sum();
    const at::Tensor picked = logp.gather(1, target).squeeze(1).masked_fill(ignored, 0);
    ctx->save_for_backward({logp, target, ignored, count});
    return picked.sum().neg_().div_(count);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& logp = saved[0];
    const at::Tensor& target = saved[1];
    const at::Tensor& ignored = saved[2];
    const int64_t count = saved[3].item<int64_t>();
    at::Tensor grad = at::empty_like(logp, at::MemoryFormat::Contiguous);
    if (count == 0 || logp.numel() == 0) return {grad.zero_(), at::Tensor()};  // as LibTorch: no label, no gradient
    const at::Tensor scale = grads[0].to(logp.scalar_type()) / static_cast<double>(count);
    at::exp_out(grad, logp).mul_(scale);
    // Minus the scale at each label; ignored rows get no gradient at all.
    grad.scatter_add_(1, target, scale.neg().expand({logp.size(0), 1}).contiguous());
    if (count < logp.size(0)) grad.masked_fill_(ignored.unsqueeze(1), 0);
    return {grad, at::Tensor()};
  }
};

}  // namespace

at::Tensor MlmLoss(const at::Tensor& logits, const at::Tensor& labels) {
  const int64_t vocab = logits.size(-1);
  const at::Tensor flat_logits = logits.reshape({-1, vocab});
  const at::Tensor flat_labels = labels.reshape({-1});
  if (at::GradMode::is_enabled() && logits.requires_grad() && logits.scalar_type() == at::kFloat &&
      logits.device().is_cpu() && flat_labels.scalar_type() == at::kLong &&
      flat_labels.size(0) == flat_logits.size(0)) {
    return CrossEntropyFunction::apply(flat_logits.contiguous(), flat_labels);
  }
  return at::cross_entropy_loss(flat_logits, flat_labels, {}, at::Reduction::Mean, kIgnoreIndex);
}

}  // namespace bertc::model
