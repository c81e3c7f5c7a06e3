#include "model/dense.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdlib>
#include <cstring>
#include <string>

#ifdef BERTC_WITH_ONEDNN
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#endif

#include "common/error.h"

namespace bertc::model {

namespace {

#ifdef BERTC_WITH_ONEDNN
const char* IsaName(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "generic";
  }
}
#endif

DenseBackend Detect() {
  DenseBackend b;
#ifdef BERTC_WITH_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  const std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  b.isa = IsaName(dnnl_get_effective_cpu_isa());
  const char* choice = std::getenv("BERTC_GEMM");
  if (choice != nullptr && std::strcmp(choice, "blas") == 0) {
    b.description = "LibTorch BLAS (BERTC_GEMM=blas; oneDNN " + version + " not used)";
    return b;
  }
  b.onednn = true;
  b.description = "oneDNN " + version;
#else
  b.description = "LibTorch BLAS (bertc built without oneDNN)";
#endif
  return b;
}

#ifdef BERTC_WITH_ONEDNN
struct GemmArgs {
  char ta, tb;
  int64_t m, n, k;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
  float alpha = 1.0f;
};

// Blocks the asynchronous signals in this thread while it lives. oneDNN's JIT GEMM kernels (every
// release before the fix of oneDNN issue #4845, Debian's 2.6 included) point rsp into a heap buffer
// while they run, so a signal handled meanwhile (the host's Ctrl-C handler, a profiler's SIGPROF)
// writes its frame into the heap and corrupts it. Blocked, the signal waits the few milliseconds of
// the GEMMs and is then delivered as usual. Synchronous signals stay unblocked.
class ScopedAsyncSignalBlock {
 public:
  ScopedAsyncSignalBlock() {
    sigset_t block;
    sigfillset(&block);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, &old_);
  }
  ~ScopedAsyncSignalBlock() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  ScopedAsyncSignalBlock(const ScopedAsyncSignalBlock&) = delete;
  ScopedAsyncSignalBlock& operator=(const ScopedAsyncSignalBlock&) = delete;

 private:
  sigset_t old_;
};

// One dnnl_sgemm; the caller blocks the asynchronous signals (ScopedAsyncSignalBlock).
dnnl_status_t RawSgemm(const GemmArgs& g) {
  return dnnl_sgemm(g.ta, g.tb, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc);
}

// One dnnl_sgemm with the asynchronous signals blocked in this thread.
dnnl_status_t SignalSafeSgemm(const GemmArgs& g) {
  const ScopedAsyncSignalBlock blocked;
  return RawSgemm(g);
}

void CheckGemmStatus(int status) {
  if (status == dnnl_out_of_memory) Fail(ErrorCode::kOutOfMemory, "out of memory in oneDNN sgemm");
  if (status != dnnl_success) Fail(ErrorCode::kInternal, "oneDNN sgemm failed with status " + std::to_string(status));
}

// Below this many flops a GEMM runs on one thread (splitting costs more than it saves).
constexpr double kSplitMinFlops = 4e6;

// Row-major C[m, n] = op(A) op(B) + beta C on this thread's OpenMP thread count (the intra-op count
// LibTorch set for the calling thread). bertc splits C between the threads itself, so that every
// thread running oneDNN's kernels has its signals blocked (oneDNN's own threads would not).
// `bias` (n floats, or null): C starts as `bias` in every row (beta is then 1), each thread filling
// its own part of C right before its GEMM, while that part is about to be in its cache anyway.
void FillRows(float* c, int64_t ldc, int64_t rows, int64_t cols, const float* bias) {
  for (int64_t i = 0; i < rows; ++i) std::memcpy(c + i * ldc, bias, static_cast<size_t>(cols) * sizeof(float));
}

void Sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc, const float* bias = nullptr) {
  if (bias != nullptr) beta = 1.0f;
  const GemmArgs g{ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc};
  const bool by_rows = m >= n;
  const int64_t dim = by_rows ? m : n;
  constexpr int64_t kAlign = 16;
  int parts = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kSplitMinFlops) parts = 1;
  parts = static_cast<int>(std::min<int64_t>(parts, (dim + kAlign - 1) / kAlign));
  std::atomic<int> status{dnnl_success};
  if (parts <= 1) {
    if (bias != nullptr) FillRows(c, ldc, m, n, bias);
    status = SignalSafeSgemm(g);
  } else {
#pragma omp parallel num_threads(parts)
    {
      omp_set_num_threads(1);  // oneDNN runs single-threaded inside this region
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t chunk = ((dim + nt - 1) / nt + kAlign - 1) / kAlign * kAlign;
      const int64_t lo = std::min(dim, chunk * t), hi = std::min(dim, lo + chunk);
      if (lo < hi) {
        GemmArgs part = g;
        if (by_rows) {  // rows lo..hi of op(A) and C
          part.m = hi - lo;
          part.a = ta == 'N' ? a + lo * lda : a + lo;
          part.c = c + lo * ldc;
          if (bias != nullptr) FillRows(part.c, ldc, part.m, n, bias);
        } else {  // columns lo..hi of op(B) and C
          part.n = hi - lo;
          part.b = tb == 'N' ? b + lo : b + lo * ldb;
          part.c = c + lo;
          if (bias != nullptr) FillRows(part.c, ldc, m, part.n, bias + lo);
        }
        const dnnl_status_t s = SignalSafeSgemm(part);
        if (s != dnnl_success) status = s;
      }
    }
  }
  CheckGemmStatus(status.load());
}

// Runs item(i) -> dnnl_status_t for i in [0, items), split between this thread's OpenMP threads,
// each single-threaded in oneDNN with the asynchronous signals blocked; one thread below
// kSplitMinFlops in all. Throws (CheckGemmStatus) if any item failed.
template <typename Item>
void ForEachGemmItem(int64_t items, double flops, const Item& item) {
  int parts = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (flops < kSplitMinFlops) parts = 1;
  parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(parts, items)));
  std::atomic<int> status{dnnl_success};
#pragma omp parallel num_threads(parts)
  {
    omp_set_num_threads(1);  // oneDNN runs single-threaded inside this region
    const ScopedAsyncSignalBlock blocked;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < items; ++i) {
      const dnnl_status_t s = item(i);
      if (s != dnnl_success) status = s;
    }
  }
  CheckGemmStatus(status.load());
}

// A batch of independent row-major GEMMs, C_i = alpha op(A_i) op(B_i) (beta 0), the i-th operands
// `stride_*` floats after the (i-1)-th. The batch items are split between this thread's OpenMP
// threads, each item one single-threaded GEMM, so the result does not depend on the thread count.
// This replaces LibTorch 1.13's CPU bmm, which runs the items one after another (a tensor select
// and a BLAS call each) and leaves the other threads idle: for attention's many small products
// (batch x heads items of T x T x head_size) that serial loop was the largest cost after the dense GEMMs.
void BatchedSgemm(char ta, char tb, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float* c, int64_t ldc,
                  int64_t stride_c) {
  const double flops = 2.0 * static_cast<double>(batch) * static_cast<double>(m) * static_cast<double>(n) *
                       static_cast<double>(k);
  ForEachGemmItem(batch, flops, [&](int64_t i) {
    const float* ai = a + i * stride_a;
    const float* bi = b + i * stride_b;
    return RawSgemm({ta, tb, m, n, k, ai, lda, bi, ldb, 0.0f, c + i * stride_c, ldc, alpha});
  });
}

// y = x w^T + b; x [n, in] and w [out, in] contiguous float.
at::Tensor Forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
  if (in == 0 || n == 0 || out == 0) {
    return b.defined() ? b.unsqueeze(0).expand({n, out}).contiguous() : at::zeros({n, out}, x.options());
  }
  at::Tensor y = at::empty({n, out}, x.options());
  const at::Tensor bias = b.defined() ? b.contiguous() : at::Tensor();
  Sgemm('N', 'T', n, out, in, x.data_ptr<float>(), in, w.data_ptr<float>(), in, 0.0f, y.data_ptr<float>(), out,
        bias.defined() ? bias.data_ptr<float>() : nullptr);
  return y;
}

class DenseFunction : public torch::autograd::Function<DenseFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const at::Tensor& b) {
    ctx->save_for_backward({x, w});
    return Forward(x, w, b);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    const at::Tensor g = grads[0].contiguous();
    const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
    at::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) {  // dx [n, in] = g [n, out] w [out, in]
      dx = at::empty({n, in}, x.options());
      if (out == 0) {
        dx.zero_();
      } else if (n > 0 && in > 0) {
        Sgemm('N', 'N', n, in, out, g.data_ptr<float>(), out, w.data_ptr<float>(), in, 0.0f, dx.data_ptr<float>(), in);
      }
    }
    if (ctx->needs_input_grad(1)) {  // dw [out, in] = g^T [out, n] x [n, in]
      dw = at::empty({out, in}, w.options());
      if (n == 0) {
        dw.zero_();
      } else if (out > 0 && in > 0) {
        Sgemm('T', 'N', out, in, n, g.data_ptr<float>(), out, x.data_ptr<float>(), in, 0.0f, dw.data_ptr<float>(), in);
      }
    }
    if (ctx->needs_input_grad(2)) db = g.sum(0);
    return {dx, dw, db};
  }
};

// a [B, M, K] and b [B, K, N] (or [B, N, K] when trans_b), contiguous float: alpha a op(b) [B, M, N].
at::Tensor BatchedForward(const at::Tensor& a, const at::Tensor& b, bool trans_b, double alpha) {
  const int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = trans_b ? b.size(1) : b.size(2);
  if (k == 0) return at::zeros({batch, m, n}, a.options());
  at::Tensor c = at::empty({batch, m, n}, a.options());
  if (batch > 0 && m > 0 && n > 0) {
    BatchedSgemm('N', trans_b ? 'T' : 'N', batch, m, n, k, static_cast<float>(alpha), a.data_ptr<float>(), k, m * k,
                 b.data_ptr<float>(), trans_b ? k : n, n * k, c.data_ptr<float>(), n, m * n);
  }
  return c;
}

class BatchedMatmulFunction : public torch::autograd::Function<BatchedMatmulFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b,
                            bool trans_b, double alpha) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["trans_b"] = trans_b;
    ctx->saved_data["alpha"] = alpha;
    return BatchedForward(a, b, trans_b, alpha);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& a = saved[0];
    const at::Tensor& b = saved[1];
    const bool trans_b = ctx->saved_data["trans_b"].toBool();
    const auto alpha = static_cast<float>(ctx->saved_data["alpha"].toDouble());
    const at::Tensor g = grads[0].contiguous();
    const int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = g.size(2);
    const bool empty = batch == 0 || m == 0 || n == 0 || k == 0;
    at::Tensor da, db;
    if (ctx->needs_input_grad(0)) {  // da [M, K] = alpha g [M, N] op(b)^T
      da = empty ? at::zeros(a.sizes(), a.options()) : at::empty(a.sizes(), a.options());
      if (!empty) {
        BatchedSgemm('N', trans_b ? 'N' : 'T', batch, m, k, n, alpha, g.data_ptr<float>(), n, m * n,
                     b.data_ptr<float>(), trans_b ? k : n, n * k, da.data_ptr<float>(), k, m * k);
      }
    }
    if (ctx->needs_input_grad(1)) {
      db = empty ? at::zeros(b.sizes(), b.options()) : at::empty(b.sizes(), b.options());
      if (!empty && trans_b) {  // db [N, K] = alpha g^T [N, M] a [M, K]
        BatchedSgemm('T', 'N', batch, n, k, m, alpha, g.data_ptr<float>(), n, m * n, a.data_ptr<float>(), k, m * k,
                     db.data_ptr<float>(), k, n * k);
      } else if (!empty) {  // db [K, N] = alpha a^T [K, M] g [M, N]
        BatchedSgemm('T', 'N', batch, k, n, m, alpha, a.data_ptr<float>(), k, m * k, g.data_ptr<float>(), n, m * n,
                     db.data_ptr<float>(), n, n * k);
      }
    }
    return {da, db, at::Tensor(), at::Tensor()};
  }
};

// Scaled dot-product attention on the fused projection, without a single layout copy: qkv is the
// [B * T, 3H] output of the Q/K/V dense layer (row b * T + t holds q | k | v, each heads x d), so
// head h of sequence b's Q is the T x d matrix at qkv + b*T*3H + h*d with leading dimension 3H, and
// K and V sit H and 2H floats further. The score and context products read those strided matrices
// directly, and the context is written straight into the [B * T, H] layout the output dense layer
// reads; backward writes dQ, dK and dV into one [B * T, 3H] gradient the same way. This replaces
// view/permute/contiguous copies, three selects whose backward each zero-fills and copies a full
// qkv-sized tensor, and the sum of those three, in both passes. Same GEMMs (operands, order and
// scaling) and the same LibTorch softmax as the unfused path, one single-threaded GEMM per
// (sequence, head) item.
class AttentionCoreFunction : public torch::autograd::Function<AttentionCoreFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& qkv, const at::Tensor& bias,
                            int64_t batch, int64_t seq, int64_t heads, double scale) {
    const int64_t hidden = qkv.size(1) / 3, d = hidden / heads, items = batch * heads, ld = 3 * hidden;
    const float* src = qkv.data_ptr<float>();
    at::Tensor scores = at::empty({items, seq, seq}, qkv.options());
    float* s = scores.data_ptr<float>();
    const double flops = 2.0 * static_cast<double>(items) * static_cast<double>(seq * seq) * static_cast<double>(d);
    auto q_of = [&](int64_t i) { return src + (i / heads) * seq * ld + (i % heads) * d; };
    ForEachGemmItem(items, flops, [&](int64_t i) {
      const float* q = q_of(i);
      const float alpha = static_cast<float>(scale);
      return RawSgemm({'N', 'T', seq, seq, d, q, ld, q + hidden, ld, 0.0f, s + i * seq * seq, seq, alpha});
    });
    if (bias.numel() > 0) scores.add_(bias);
    at::Tensor probs = at::_softmax(scores, -1, false);
    at::Tensor context = at::empty({batch * seq, hidden}, qkv.options());
    float* c = context.data_ptr<float>();
    const float* p = probs.data_ptr<float>();
    ForEachGemmItem(items, flops, [&](int64_t i) {
      const float* v = q_of(i) + 2 * hidden;
      float* out = c + (i / heads) * seq * hidden + (i % heads) * d;
      return RawSgemm({'N', 'N', seq, d, seq, p + i * seq * seq, seq, v, ld, 0.0f, out, hidden});
    });
    ctx->save_for_backward({qkv, probs});
    ctx->saved_data["batch"] = batch;
    ctx->saved_data["seq"] = seq;
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = scale;
    return context;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& qkv = saved[0];
    const at::Tensor& probs = saved[1];
    const int64_t batch = ctx->saved_data["batch"].toInt(), seq = ctx->saved_data["seq"].toInt();
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const auto scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const int64_t hidden = qkv.size(1) / 3, d = hidden / heads, items = batch * heads, ld = 3 * hidden;
    const at::Tensor g = grads[0].contiguous();  // d context, [B * T, H]
    const float* src = qkv.data_ptr<float>();
    const float* gc = g.data_ptr<float>();
    const float* p = probs.data_ptr<float>();
    const double flops = 2.0 * static_cast<double>(items) * static_cast<double>(seq * seq) * static_cast<double>(d);
    auto row0 = [&](int64_t i) { return (i / heads) * seq; };
    auto col0 = [&](int64_t i) { return (i % heads) * d; };
    at::Tensor dqkv = at::empty_like(qkv, at::MemoryFormat::Contiguous);
    float* dst = dqkv.data_ptr<float>();
    at::Tensor dprobs = at::empty_like(probs, at::MemoryFormat::Contiguous);
    float* dp = dprobs.data_ptr<float>();
    // d probs = dC V^T and dV = probs^T dC, per item.
    ForEachGemmItem(items, 2 * flops, [&](int64_t i) {
      const float* dc = gc + row0(i) * hidden + col0(i);
      const float* v = src + row0(i) * ld + col0(i) + 2 * hidden;
      const float* pi = p + i * seq * seq;
      dnnl_status_t s = RawSgemm({'N', 'T', seq, seq, d, dc, hidden, v, ld, 0.0f, dp + i * seq * seq, seq});
      if (s != dnnl_success) return s;
      float* dv = dst + row0(i) * ld + col0(i) + 2 * hidden;
      return RawSgemm({'T', 'N', seq, d, seq, pi, seq, dc, hidden, 0.0f, dv, ld});
    });
    const at::Tensor dscores = at::_softmax_backward_data(dprobs, probs, -1, at::kFloat);
    const float* ds = dscores.data_ptr<float>();
    // scores = scale Q K^T: dQ = scale dS K and dK = scale dS^T Q, per item.
    ForEachGemmItem(items, 2 * flops, [&](int64_t i) {
      const float* q = src + row0(i) * ld + col0(i);
      const float* dsi = ds + i * seq * seq;
      float* dq = dst + row0(i) * ld + col0(i);
      dnnl_status_t s = RawSgemm({'N', 'N', seq, d, seq, dsi, seq, q + hidden, ld, 0.0f, dq, ld, scale});
      if (s != dnnl_success) return s;
      return RawSgemm({'T', 'N', seq, d, seq, dsi, seq, q, ld, 0.0f, dq + hidden, ld, scale});
    });
    return {dqkv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};
#endif

}  // namespace

const DenseBackend& DenseGemmBackend() {
  static const DenseBackend backend = Detect();
  return backend;
}

at::Tensor Dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
#ifdef BERTC_WITH_ONEDNN
  if (DenseGemmBackend().onednn && x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1) &&
      x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat && x.device().is_cpu() && w.device().is_cpu() &&
      (!b.defined() || (b.scalar_type() == at::kFloat && b.dim() == 1 && b.size(0) == w.size(0)))) {
    // autograd::Function takes no undefined inputs: no bias is a zero bias that needs no gradient.
    return DenseFunction::apply(x.contiguous(), w.contiguous(), b.defined() ? b : at::zeros({w.size(0)}, w.options()));
  }
#endif
  return b.defined() ? at::addmm(b, x, w.t()) : at::mm(x, w.t());
}

bool AttentionCoreAvailable() { return DenseGemmBackend().onednn; }

at::Tensor AttentionCore(const at::Tensor& qkv, const at::Tensor& bias, int64_t batch, int64_t seq, int64_t heads,
                         double scale) {
#ifdef BERTC_WITH_ONEDNN
  if (AttentionCoreAvailable() && qkv.dim() == 2 && qkv.scalar_type() == at::kFloat && qkv.device().is_cpu() &&
      batch > 0 && seq > 0 && heads > 0 && qkv.size(1) > 0 && qkv.size(0) == batch * seq &&
      qkv.size(1) % (3 * heads) == 0 &&
      (!bias.defined() || (bias.scalar_type() == at::kFloat && bias.numel() == batch * heads * seq * seq))) {
    // autograd::Function takes no undefined inputs: no bias is an empty tensor.
    const at::Tensor b = bias.defined() ? bias.reshape({batch * heads, seq, seq}) : at::empty({0}, qkv.options());
    return AttentionCoreFunction::apply(qkv.contiguous(), b, batch, seq, heads, scale);
  }
#endif
  (void)qkv, (void)bias, (void)batch, (void)seq, (void)heads, (void)scale;
  Fail(ErrorCode::kInternal, "AttentionCore: unsupported inputs (check AttentionCoreAvailable first)");
}

at::Tensor BatchedMatmul(const at::Tensor& a, const at::Tensor& b, bool trans_b, double alpha) {
  const int64_t inner = trans_b && b.dim() == 3 ? b.size(2) : (b.dim() == 3 ? b.size(1) : -1);
#ifdef BERTC_WITH_ONEDNN
  if (DenseGemmBackend().onednn && a.dim() == 3 && b.dim() == 3 && a.size(0) == b.size(0) && a.size(2) == inner &&
      a.scalar_type() == at::kFloat && b.scalar_type() == at::kFloat && a.device().is_cpu() && b.device().is_cpu()) {
    return BatchedMatmulFunction::apply(a.contiguous(), b.contiguous(), trans_b, alpha);
  }
#endif
  (void)inner;
  at::Tensor c = at::bmm(a, trans_b ? b.transpose(1, 2) : b);
  return alpha == 1.0 ? c : c.mul_(alpha);
}

}  // namespace bertc::model
