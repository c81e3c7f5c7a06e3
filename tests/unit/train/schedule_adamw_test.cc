#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "common/error.h"
#include "train/adamw.h"
#include "train/block_cache.h"
#include "train/kernels.h"
#include "train/schedule.h"

namespace bertc::train {
namespace {

TEST(Schedule, LinearWarmupThenDecay) {
  Schedule s{ScheduleKind::kLinear, 4, 12};
  EXPECT_DOUBLE_EQ(s.Multiplier(0), 0.0);
  EXPECT_DOUBLE_EQ(s.Multiplier(2), 0.5);
  EXPECT_DOUBLE_EQ(s.Multiplier(4), 1.0);
  EXPECT_DOUBLE_EQ(s.Multiplier(8), 0.5);
  EXPECT_DOUBLE_EQ(s.Multiplier(12), 0.0);
  EXPECT_DOUBLE_EQ(s.Multiplier(20), 0.0);
  Schedule no_warmup{ScheduleKind::kLinear, 0, 10};
  EXPECT_DOUBLE_EQ(no_warmup.Multiplier(0), 1.0);
}

TEST(Schedule, ConstantAndCosine) {
  Schedule c{ScheduleKind::kConstant, 2, 10};
  EXPECT_DOUBLE_EQ(c.Multiplier(1), 0.5);
  EXPECT_DOUBLE_EQ(c.Multiplier(9), 1.0);
  Schedule cos{ScheduleKind::kCosine, 0, 10};
  EXPECT_DOUBLE_EQ(cos.Multiplier(0), 1.0);
  EXPECT_NEAR(cos.Multiplier(5), 0.5, 1e-12);
  EXPECT_NEAR(cos.Multiplier(10), 0.0, 1e-12);
  EXPECT_EQ(ParseSchedule("cosine"), ScheduleKind::kCosine);
  EXPECT_THROW(ParseSchedule("polynomial"), Error);
}

// Closed-form AdamW in double precision on a scalar, as torch.optim.AdamW defines it.
TEST(AdamW, MatchesTorchFormulaWithDecoupledDecay) {
  at::Tensor w = torch::tensor({0.5f, -1.0f}).set_requires_grad(true);
  at::Tensor b = torch::tensor({0.25f}).set_requires_grad(true);
  AdamWOptions opt{0.9, 0.999, 1e-8, 0.1};
  AdamW adam({ParamGroup{{w}, {"w"}, 0.1}, ParamGroup{{b}, {"b"}, 0.0}}, opt);
  double wr[2] = {0.5, -1.0}, br = 0.25, m[3] = {0, 0, 0}, v[3] = {0, 0, 0};
  const double lr = 0.01;
  for (int t = 1; t <= 5; ++t) {
    const double g[3] = {0.3 * t, -0.2, 0.1 / t};
    w.mutable_grad() = torch::tensor({static_cast<float>(g[0]), static_cast<float>(g[1])});
    b.mutable_grad() = torch::tensor({static_cast<float>(g[2])});
    adam.Step(lr);
    double* params[3] = {&wr[0], &wr[1], &br};
    for (int i = 0; i < 3; ++i) {
      const double gi = static_cast<float>(g[i]);
      const double wd = i < 2 ? 0.1 : 0.0;
      *params[i] *= 1 - lr * wd;
      m[i] = 0.9 * m[i] + 0.1 * gi;
      v[i] = 0.999 * v[i] + 0.001 * gi * gi;
      const double mhat = m[i] / (1 - std::pow(0.9, t));
      const double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(0.999, t)) + 1e-8;
      *params[i] -= lr * mhat / denom;
    }
    EXPECT_NEAR(w[0].item<double>(), wr[0], 1e-6);
    EXPECT_NEAR(w[1].item<double>(), wr[1], 1e-6);
    EXPECT_NEAR(b[0].item<double>(), br, 1e-6);
  }
  EXPECT_EQ(adam.step_count(), 5);
  // State round trip.
  auto state = adam.StateTensors();
  EXPECT_EQ(state.size(), 4u);
  AdamW copy({ParamGroup{{w}, {"w"}, 0.1}, ParamGroup{{b}, {"b"}, 0.0}}, opt);
  copy.LoadState(state, 5);
  EXPECT_EQ(copy.step_count(), 5);
  EXPECT_THROW(copy.LoadState({}, 5), Error);
}

TEST(ClipGradNorm, ScalesToMaxNorm) {
  at::Tensor a = torch::zeros({2}).set_requires_grad(true);
  at::Tensor c = torch::zeros({1}).set_requires_grad(true);
  a.mutable_grad() = torch::tensor({3.0f, 0.0f});
  c.mutable_grad() = torch::tensor({4.0f});
  EXPECT_NEAR(ClipGradNorm({a, c}, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(a.grad()[0].item<double>(), 3.0 / (5.0 + 1e-6), 1e-6);
  EXPECT_NEAR(c.grad()[0].item<double>(), 4.0 / (5.0 + 1e-6), 1e-6);
  EXPECT_NEAR(ClipGradNorm({a, c}, 10.0), 1.0, 1e-5);  // below the limit: unchanged
  EXPECT_NEAR(c.grad()[0].item<double>(), 0.8, 1e-5);
}

TEST(GradNorm, SumOfSquaresIndependentOfThreads) {
  at::Tensor x = at::randn({100003});
  const int saved = at::get_num_threads();
  at::set_num_threads(1);
  const double one = kernels::SumOfSquares(x.data_ptr<float>(), x.numel());
  at::set_num_threads(2);
  const double two = kernels::SumOfSquares(x.data_ptr<float>(), x.numel());
  at::set_num_threads(saved);
  EXPECT_EQ(one, two);
  EXPECT_NEAR(one, x.to(at::kDouble).pow(2).sum().item<double>(), 1e-6 * one);
}

TEST(BlockCache, ReusesLargeBlocksWhileAUserExists) {
  const size_t before = BlockCacheFreeBytes();
  {
    BlockCacheUser user;
    void* first = nullptr;
    {
      ScopedBlockCache scope;
      at::Tensor a = at::ones({1 << 20});  // 4 MiB: cached
      first = a.data_ptr();
      at::Tensor small = at::ones({16});    // left to c10's allocator
    }
    EXPECT_GE(BlockCacheFreeBytes(), before + (size_t{4} << 20));
    {
      ScopedBlockCache scope;
      at::Tensor b = at::zeros({1 << 20});
      EXPECT_EQ(b.data_ptr(), first);
      EXPECT_EQ(b.sum().item<float>(), 0.f);
    }
    at::Tensor outside = at::ones({1 << 20});  // no scope: not ours
    EXPECT_NE(outside.data_ptr(), first);
  }
  EXPECT_EQ(BlockCacheFreeBytes(), 0u);
}

// Dynamic padding gives every step other shapes: free blocks that no later request fits must not
// pile up beyond the largest working set seen (here one 16 MiB tensor).
TEST(BlockCache, KeepsAtMostThePeakInUse) {
  ASSERT_EQ(BlockCacheFreeBytes(), 0u);
  BlockCacheUser user;
  constexpr int64_t kMiB = 1 << 18;  // floats
  {
    ScopedBlockCache scope;
    at::Tensor peak = at::ones({16 * kMiB});
  }
  EXPECT_EQ(BlockCacheFreeBytes(), size_t{16} << 20);
  // None of these fits another's block (best fit takes at most 2x the request).
  for (double mib : {1.1, 2.3, 4.7}) {
    ScopedBlockCache scope;
    at::Tensor t = at::ones({static_cast<int64_t>(mib * kMiB)});
  }
  EXPECT_LE(BlockCacheFreeBytes(), size_t{16} << 20);
  EXPECT_GE(BlockCacheFreeBytes(), size_t{8} << 20);  // the recent small blocks stay cached
  {
    ScopedBlockCache scope;  // a request the cache can serve again
    at::Tensor t = at::ones({static_cast<int64_t>(4.5 * kMiB)});
    EXPECT_LE(BlockCacheFreeBytes(), size_t{4} << 20);
  }
}

}  // namespace
}  // namespace bertc::train
