// Built with -O3 -fno-math-errno (see CMakeLists.txt) so that the loops vectorise, sqrt included;
// no -ffast-math: results are IEEE and identical across the clones.
#include "train/kernels.h"

#include <ATen/Parallel.h>

// at::parallel_for is a header template: with LibTorch's OpenMP backend its `omp parallel` exists
// only where this TU is compiled with OpenMP; without it every parallel_for here is silently serial.
#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#error "compile with OpenMP (bertc_dep_torch links OpenMP::OpenMP_CXX)"
#endif

#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)  // sanitizers instrument the ifunc resolver, which runs before their runtime
#define BERTC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BERTC_CLONES
#endif

namespace bertc::train::kernels {
namespace {

BERTC_CLONES void AdamWRange(float* __restrict p, const float* __restrict g, float* __restrict m,
                             float* __restrict v, int64_t n, AdamWScalars c) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] * c.grad_scale;
    const float pi = p[i] * c.decay;
    const float mi = m[i] * c.b1 + c.one_minus_b1 * gi;
    const float vi = v[i] * c.b2 + c.one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + c.neg_step_size * (mi / (std::sqrt(vi) / c.bc2_sqrt + c.eps));
  }
}

BERTC_CLONES double SumOfSquaresRange(const float* __restrict d, int64_t n) {
  double t = 0;
  int64_t i = 0;
  while (i + 8 <= n) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const int64_t stop = std::min(n, i + 512);
    for (; i + 8 <= stop; i += 8) {
      for (int k = 0; k < 8; ++k) s[k] += d[i + k] * d[i + k];
    }
    for (int k = 0; k < 8; ++k) t += s[k];
  }
  for (; i < n; ++i) t += static_cast<double>(d[i]) * d[i];
  return t;
}

}  // namespace

void AdamW(float* p, const float* grad, float* m, float* v, int64_t n, const AdamWScalars& c) {
  at::parallel_for(0, n, 16384, [&](int64_t b, int64_t e) { AdamWRange(p + b, grad + b, m + b, v + b, e - b, c); });
}

double SumOfSquares(const float* x, int64_t n) {
  // Fixed blocks summed in order (at::parallel_reduce's chunks follow the thread count): the
  // result does not depend on the number of threads.
  constexpr int64_t kBlock = 32768;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  at::parallel_for(0, blocks, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      partial[static_cast<size_t>(i)] = SumOfSquaresRange(x + i * kBlock, std::min(kBlock, n - i * kBlock));
    }
  });
  double sum = 0.0;
  for (double v : partial) sum += v;
  return sum;
}

}  // namespace bertc::train::kernels
