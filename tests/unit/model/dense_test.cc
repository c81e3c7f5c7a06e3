// Dense layers and batched products (model/dense.h): the same numbers as LibTorch's addmm / bmm forward
// and backward, for every transpose the GEMMs use, on 1 and 2 threads, and safe while the process is
// flooded with signals; attention on the fused Q/K/V projection as on permuted copies.
#include "model/dense.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <torch/csrc/autograd/autograd.h>

#include <unistd.h>

#include <array>
#include <cmath>
#include <limits>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "model/intra_op_threads.h"

namespace bertc::model {
namespace {

struct Grads {
  at::Tensor y, dx, dw, db;
};

Grads RunDense(bool reference, const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& b0, const at::Tensor& gy) {
  at::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true),
             b = b0.clone().requires_grad_(true);
  at::Tensor y = reference ? at::addmm(b, x, w.t()) : Dense(x, w, b);
  torch::autograd::backward({y}, {gy});
  return {y.detach(), x.grad(), w.grad(), b.grad()};
}

void ExpectSame(const Grads& a, const Grads& b, int64_t n, int64_t in, int64_t out) {
  SCOPED_TRACE(testing::Message() << "n " << n << " in " << in << " out " << out);
  // Float sums of up to 3,000 products in another order: relative 1e-5 of the magnitude.
  EXPECT_TRUE(at::allclose(a.y, b.y, 1e-5, 1e-4));
  EXPECT_TRUE(at::allclose(a.dx, b.dx, 1e-5, 1e-4 * (1 + out / 100)));
  EXPECT_TRUE(at::allclose(a.dw, b.dw, 1e-5, 1e-4 * (1 + n / 100)));
  EXPECT_TRUE(at::allclose(a.db, b.db, 1e-5, 1e-4 * (1 + n / 100)));
}

TEST(Dense, MatchesAddmmForwardAndBackward) {
  at::manual_seed(3);
  // Row counts below, at and above the split granularity; shapes where rows or columns dominate.
  const std::vector<std::array<int64_t, 3>> shapes = {{1, 8, 5},      {7, 16, 33},   {64, 128, 384},
                                                      {200, 128, 512}, {33, 512, 128}, {150, 64, 3000},
                                                      {0, 16, 8}};
  for (int threads : {1, 2}) {
    ScopedIntraOpThreads scoped(threads);
    for (const auto& s : shapes) {
      const int64_t n = s[0], in = s[1], out = s[2];
      const at::Tensor x = at::randn({n, in}), w = at::randn({out, in}), b = at::randn({out}), gy = at::randn({n, out});
      ExpectSame(RunDense(true, x, w, b, gy), RunDense(false, x, w, b, gy), n, in, out);
    }
  }
}

struct BatchedGrads {
  at::Tensor c, da, db;
};

BatchedGrads RunBatched(bool reference, const at::Tensor& a0, const at::Tensor& b0, bool trans_b, double alpha,
                        const at::Tensor& gc) {
  at::Tensor a = a0.clone().requires_grad_(true), b = b0.clone().requires_grad_(true);
  at::Tensor c = reference ? at::bmm(a, trans_b ? b.transpose(1, 2) : b) * alpha : BatchedMatmul(a, b, trans_b, alpha);
  torch::autograd::backward({c}, {gc});
  return {c.detach(), a.grad(), b.grad()};
}

TEST(BatchedMatmul, MatchesBmmForwardAndBackwardOnAnyThreadCount) {
  at::manual_seed(5);
  // {batch, m, k, n}: attention's shapes (batch x heads items of T x d and T x T), a single item, one
  // query row (fill-mask), and empty batch / rows / inner dimension.
  const std::vector<std::array<int64_t, 4>> shapes = {{128, 30, 64, 30}, {8, 57, 32, 57}, {1, 5, 7, 3}, {24, 1, 64, 19},
                                                      {0, 4, 8, 4},      {6, 0, 8, 4},    {6, 4, 0, 4}, {6, 4, 8, 0}};
  for (bool trans_b : {true, false}) {
    for (const auto& s : shapes) {
      const int64_t batch = s[0], m = s[1], k = s[2], n = s[3];
      SCOPED_TRACE(testing::Message() << "batch " << batch << " m " << m << " k " << k << " n " << n << " trans_b "
                                      << trans_b);
      const at::Tensor a = at::randn({batch, m, k});
      const at::Tensor b = trans_b ? at::randn({batch, n, k}) : at::randn({batch, k, n});
      const at::Tensor gc = at::randn({batch, m, n});
      const double alpha = trans_b ? 0.125 : 1.0;
      const BatchedGrads ref = RunBatched(true, a, b, trans_b, alpha, gc);
      BatchedGrads one;
      for (int threads : {1, 2}) {
        ScopedIntraOpThreads scoped(threads);
        const BatchedGrads got = RunBatched(false, a, b, trans_b, alpha, gc);
        ASSERT_EQ(got.c.sizes(), ref.c.sizes());
        EXPECT_TRUE(at::allclose(got.c, ref.c, 1e-5, 1e-4));
        EXPECT_TRUE(at::allclose(got.da, ref.da, 1e-5, 1e-4));
        EXPECT_TRUE(at::allclose(got.db, ref.db, 1e-5, 1e-4));
        if (threads == 1) {
          one = got;
        } else {  // every item is one GEMM on one thread: the same bits on any thread count
          EXPECT_TRUE(at::equal(got.c, one.c));
          EXPECT_TRUE(at::equal(got.da, one.da));
          EXPECT_TRUE(at::equal(got.db, one.db));
        }
      }
    }
  }
}

struct AttentionGrads {
  at::Tensor context, dqkv;
};

// softmax(scale q k^T + bias) v on the [B * T, 3H] projection, heads side by side: `how` 0 = LibTorch
// ops on permuted copies (the reference), 1 = BatchedMatmul on contiguous copies (bertc's unfused
// path), 2 = AttentionCore.
AttentionGrads RunAttention(int how, const at::Tensor& qkv0, const at::Tensor& bias, int64_t b, int64_t t,
                            int64_t heads, const at::Tensor& gc) {
  const int64_t hidden = qkv0.size(1) / 3, d = hidden / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  at::Tensor qkv = qkv0.clone().requires_grad_(true);
  at::Tensor context;
  if (how == 2) {
    context = AttentionCore(qkv, bias, b, t, heads, scale);
  } else {
    const at::Tensor x = qkv.view({b, t, 3, heads, d}).permute({2, 0, 3, 1, 4}).contiguous();
    const at::Tensor q = x.select(0, 0).reshape({b * heads, t, d}), k = x.select(0, 1).reshape({b * heads, t, d}),
                     v = x.select(0, 2).reshape({b * heads, t, d});
    at::Tensor scores = how == 0 ? at::bmm(q, k.transpose(1, 2)) * scale : BatchedMatmul(q, k, true, scale);
    if (bias.defined()) scores = scores + bias;
    const at::Tensor probs = at::softmax(scores, -1);
    const at::Tensor c = how == 0 ? at::bmm(probs, v) : BatchedMatmul(probs, v, false, 1.0);
    context = c.view({b, heads, t, d}).permute({0, 2, 1, 3}).reshape({b * t, hidden});
  }
  torch::autograd::backward({context}, {gc});
  return {context.detach(), qkv.grad()};
}

TEST(AttentionCore, MatchesPermutedAttentionForwardAndBackwardOnAnyThreadCount) {
  if (!AttentionCoreAvailable()) GTEST_SKIP() << "built without oneDNN";
  at::manual_seed(9);
  // {batch, seq, heads, hidden}: the demo's shape, BERT-small's, a single token, and one too small to split.
  const std::vector<std::array<int64_t, 4>> shapes = {{64, 30, 2, 128}, {3, 57, 4, 256}, {2, 1, 1, 8}, {2, 5, 2, 16}};
  for (const auto& s : shapes) {
    const int64_t b = s[0], t = s[1], heads = s[2], hidden = s[3];
    for (bool padded : {false, true}) {
      SCOPED_TRACE(testing::Message() << "batch " << b << " seq " << t << " heads " << heads << " hidden " << hidden
                                      << " padded " << padded);
      const at::Tensor qkv = at::randn({b * t, 3 * hidden}), gc = at::randn({b * t, hidden});
      at::Tensor bias;
      if (padded) {  // the last third of every other sequence is padding: HF's additive float32-lowest bias
        at::Tensor keep = at::ones({b, t});
        for (int64_t i = 1; i < b; i += 2) keep[i].slice(0, t - t / 3).zero_();
        bias = ((1.0 - keep) * static_cast<double>(std::numeric_limits<float>::lowest()))
                   .view({b, 1, 1, t})
                   .expand({b, heads, t, t})
                   .reshape({b * heads, t, t});
      }
      const AttentionGrads ref = RunAttention(0, qkv, bias, b, t, heads, gc);
      AttentionGrads one;
      for (int threads : {1, 2}) {
        ScopedIntraOpThreads scoped(threads);
        const AttentionGrads unfused = RunAttention(1, qkv, bias, b, t, heads, gc);
        const AttentionGrads got = RunAttention(2, qkv, bias, b, t, heads, gc);
        ASSERT_EQ(got.context.sizes(), ref.context.sizes());
        EXPECT_TRUE(at::allclose(got.context, ref.context, 1e-5, 1e-4));
        EXPECT_TRUE(at::allclose(got.dqkv, ref.dqkv, 1e-5, 1e-4));
        // The same GEMMs and softmax as the unfused path: the same bits, without its copies.
        EXPECT_TRUE(at::equal(got.context, unfused.context));
        EXPECT_TRUE(at::equal(got.dqkv, unfused.dqkv));
        if (threads == 1) {
          one = got;
        } else {
          EXPECT_TRUE(at::equal(got.context, one.context));
          EXPECT_TRUE(at::equal(got.dqkv, one.dqkv));
        }
      }
    }
  }
}

TEST(AttentionCore, WorksWithoutGradAndRejectsWhatItCannotRun) {
  if (!AttentionCoreAvailable()) GTEST_SKIP() << "built without oneDNN";
  const at::Tensor qkv = at::randn({2 * 7, 3 * 16});
  {
    at::NoGradGuard no_grad;
    const at::Tensor c = AttentionCore(qkv, at::Tensor(), 2, 7, 2, 0.25);
    EXPECT_EQ(c.sizes(), (at::IntArrayRef{14, 16}));
    EXPECT_FALSE(c.requires_grad());
  }
  EXPECT_THROW(AttentionCore(qkv, at::Tensor(), 3, 7, 2, 0.25), std::exception);    // rows != batch * seq
  EXPECT_THROW(AttentionCore(qkv, at::Tensor(), 2, 7, 5, 0.25), std::exception);    // 3H not a multiple of heads
  EXPECT_THROW(AttentionCore(qkv.to(at::kDouble), at::Tensor(), 2, 7, 2, 0.25), std::exception);
  EXPECT_THROW(AttentionCore(at::empty({0, 48}), at::Tensor(), 0, 7, 2, 0.25), std::exception);  // no rows
  EXPECT_THROW(AttentionCore(qkv, at::zeros({2 * 2 * 7 * 6}), 2, 7, 2, 0.25), std::exception);  // bias size
}

TEST(BatchedMatmul, NonContiguousOperands) {
  at::manual_seed(6);
  // Transposed views, as attention's permuted q/k/v would be before their copy.
  const at::Tensor a = at::randn({4, 9, 6}).transpose(1, 2);  // [4, 6, 9]
  const at::Tensor b = at::randn({4, 5, 9}).transpose(1, 2);  // [4, 9, 5]
  EXPECT_TRUE(at::allclose(BatchedMatmul(a, b, false, 2.0), at::bmm(a, b) * 2.0, 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(BatchedMatmul(a, b.transpose(1, 2), true, 1.0), at::bmm(a, b), 1e-5, 1e-5));
  // Double falls back to at::bmm.
  const at::Tensor ad = a.to(at::kDouble), bd = b.to(at::kDouble);
  EXPECT_TRUE(at::allclose(BatchedMatmul(ad, bd, false, 1.0), at::bmm(ad, bd)));
}

TEST(Dense, NonContiguousInputsAndNoBias) {
  at::manual_seed(4);
  const at::Tensor x = at::randn({40, 96}).t();  // [96, 40], a transposed view
  const at::Tensor w = at::randn({24, 40});
  EXPECT_TRUE(at::allclose(Dense(x, w, at::Tensor()), at::mm(x, w.t()), 1e-5, 1e-5));
  const at::Tensor xd = at::randn({5, 6}, at::kDouble), wd = at::randn({3, 6}, at::kDouble);  // falls back
  EXPECT_TRUE(at::allclose(Dense(xd, wd, at::zeros({3}, at::kDouble)), at::mm(xd, wd.t())));
}

std::atomic<int> g_signals{0};
void CountSignal(int) { g_signals.fetch_add(1, std::memory_order_relaxed); }

// oneDNN's JIT GEMM kernels point rsp into the heap (oneDNN issue #4845): a signal handled while one
// runs used to corrupt the heap (a Ctrl-C during distributed training aborted in free()). Flood this
// thread and the process with signals during thousands of GEMMs; results must stay exact.
TEST(Dense, SignalsDuringGemmsAreHarmless) {
  struct sigaction sa = {}, old = {};
  sa.sa_handler = CountSignal;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  at::manual_seed(5);
  const at::Tensor x0 = at::randn({160, 512}), w0 = at::randn({128, 512}), b0 = at::randn({128});
  const at::Tensor gy = at::randn({160, 128});
  const Grads expected = RunDense(true, x0, w0, b0, gy);
  const at::Tensor qa = at::randn({32, 30, 64}), kb = at::randn({32, 30, 64}), gs = at::randn({32, 30, 30});
  const BatchedGrads expected_scores = RunBatched(true, qa, kb, true, 0.125, gs);
  const pthread_t target = pthread_self();
  std::atomic<bool> stop{false};
  std::thread pinger([&] {
    while (!stop.load()) {
      pthread_kill(target, SIGUSR1);
      kill(getpid(), SIGUSR1);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  int wrong = 0;
  for (int threads : {1, 2}) {
    ScopedIntraOpThreads scoped(threads);
    for (int i = 0; i < 600; ++i) {
      const Grads got = RunDense(false, x0, w0, b0, gy);  // all three GEMM forms: NT, NN, TN
      if (!at::allclose(got.y, expected.y, 1e-4, 1e-3) || !at::allclose(got.dx, expected.dx, 1e-4, 1e-3) ||
          !at::allclose(got.dw, expected.dw, 1e-4, 1e-3)) {
        ++wrong;
      }
      const BatchedGrads scores = RunBatched(false, qa, kb, true, 0.125, gs);  // attention's batched GEMMs
      if (!at::allclose(scores.c, expected_scores.c, 1e-4, 1e-3) ||
          !at::allclose(scores.da, expected_scores.da, 1e-4, 1e-3) ||
          !at::allclose(scores.db, expected_scores.db, 1e-4, 1e-3)) {
        ++wrong;
      }
      at::Tensor scratch = at::empty({1 << 14});  // heap traffic that would trip over a corrupted heap
      scratch.fill_(1);
    }
  }
  stop = true;
  pinger.join();
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(g_signals.load(), 0);
}

TEST(Dense, BackendIsDescribed) {
  const DenseBackend& b = DenseGemmBackend();
  EXPECT_FALSE(b.description.empty());
  if (b.onednn) {
    EXPECT_NE(b.description.find("oneDNN"), std::string::npos);
    EXPECT_FALSE(b.isa.empty());
  }
}

}  // namespace
}  // namespace bertc::model
