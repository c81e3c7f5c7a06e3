// Dense (fully connected) layers of the training graph: y = x W^T + b, as torch.nn.Linear.
//
// The GEMMs of the forward and backward passes run in oneDNN's dnnl_sgemm when bertc is built
// with oneDNN (BERTC_WITH_ONEDNN): oneDNN dispatches on the CPU's instruction set at run time
// (AVX2, AVX-512, AMX) without a table of CPU models, and on the shapes BERT trains with it is
// faster than OpenBLAS even where OpenBLAS picked its best kernels (bench/gemm). Without oneDNN,
// or for tensors it does not cover (not float32, not on the CPU), LibTorch's addmm runs.
// BERTC_GEMM=blas in the environment selects LibTorch's BLAS for comparison.
#ifndef BERTC_MODEL_DENSE_H_
#define BERTC_MODEL_DENSE_H_

#include <ATen/core/Tensor.h>

#include <string>

namespace bertc::model {

// x [N, in], w [out, in], b [out] -> [N, out]; differentiable in x, w and b.
at::Tensor Dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);

// a [B, M, K] times b [B, K, N] (or b [B, N, K] transposed, `trans_b`), times alpha -> [B, M, N], as
// at::bmm; differentiable in a and b. With oneDNN the B products run in parallel over the batch, one
// single-threaded GEMM each (attention's score and context products); otherwise at::bmm.
at::Tensor BatchedMatmul(const at::Tensor& a, const at::Tensor& b, bool trans_b, double alpha);

// Scaled dot-product attention (no dropout) on the fused Q/K/V projection: qkv [B * T, 3H] float
// (each row q | k | v, heads x d each), bias [B * heads, T, T] additive (or undefined: none) ->
// softmax(scale q k^T + bias) v as [B * T, H], heads side by side in each row; differentiable in qkv.
// Available with oneDNN only (AttentionCoreAvailable); the same GEMMs and softmax as BatchedMatmul +
// at::softmax on permuted copies, without the copies.
bool AttentionCoreAvailable();
at::Tensor AttentionCore(const at::Tensor& qkv, const at::Tensor& bias, int64_t batch, int64_t seq, int64_t heads,
                         double scale);

// What Dense runs: "oneDNN 2.6.3 (avx512_core_bf16)" or "LibTorch BLAS (...reason)".
struct DenseBackend {
  bool onednn = false;
  std::string description;  // library and version
  std::string isa;          // instruction set oneDNN dispatches to, empty without oneDNN
};
const DenseBackend& DenseGemmBackend();

}  // namespace bertc::model

#endif  // BERTC_MODEL_DENSE_H_
