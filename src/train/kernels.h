// Fused elementwise kernels of the optimizer step (float32, CPU), vectorised for the CPU at hand
// (function clones for AVX-512 / AVX2 / baseline, all giving bit-identical results: no FMA
// contraction, no reassociation) and parallel over ATen's intra-op threads.
#ifndef BERTC_TRAIN_KERNELS_H_
#define BERTC_TRAIN_KERNELS_H_

#include <cstdint>

namespace bertc::train::kernels {

struct AdamWScalars {
  float decay;          // 1 - lr * weight_decay
  float b1, one_minus_b1, b2, one_minus_b2;
  float bc2_sqrt;       // sqrt(1 - b2^t)
  float eps;
  float neg_step_size;  // -lr / (1 - b1^t)
  float grad_scale;     // gradient clipping factor (1: none)
};

// torch.optim.AdamW's single-tensor update, the same float32 operations in the same order, in one
// pass: g = grad * grad_scale; p *= decay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g;
// p += neg_step_size * (m / (sqrt(v) / bc2_sqrt + eps)).
void AdamW(float* p, const float* grad, float* m, float* v, int64_t n, const AdamWScalars& c);

// Sum of squares, accumulated in fixed-size chunks (float lanes folded into double per 512
// elements), so the result does not depend on the thread count.
double SumOfSquares(const float* x, int64_t n);

}  // namespace bertc::train::kernels

#endif  // BERTC_TRAIN_KERNELS_H_
