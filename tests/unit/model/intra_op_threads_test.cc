// Per-call thread counts: set on the calling thread only, restored afterwards, never process-wide.
#include "model/intra_op_threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <thread>

namespace bertc::model {
namespace {

// The team size an ATen parallel region really gets on this thread.
int TeamSizeOfParallelFor() {
  std::atomic<int> team{0};
  at::parallel_for(0, 1 << 16, 1, [&](int64_t, int64_t) {
    int n = omp_get_num_threads();
    int seen = team.load();
    while (n > seen && !team.compare_exchange_weak(seen, n)) {
    }
  });
  return team.load();
}

TEST(IntraOpThreads, ZeroMeansTheDefault) {
  EXPECT_GE(DefaultIntraOpThreads(), 1);
  EXPECT_EQ(ResolveIntraOpThreads(0), DefaultIntraOpThreads());
  EXPECT_EQ(ResolveIntraOpThreads(3), 3);
}

TEST(IntraOpThreads, ScopedSettingIsRestored) {
  const int before = CurrentIntraOpThreads();
  {
    ScopedIntraOpThreads scoped(before + 2);
    EXPECT_EQ(CurrentIntraOpThreads(), before + 2);
    EXPECT_EQ(TeamSizeOfParallelFor(), before + 2);
    {
      ScopedIntraOpThreads inner(1);
      EXPECT_EQ(TeamSizeOfParallelFor(), 1);
    }
    EXPECT_EQ(CurrentIntraOpThreads(), before + 2);
  }
  EXPECT_EQ(CurrentIntraOpThreads(), before);
}

// Two threads with different settings at once: each runs with its own, and a thread started
// afterwards still gets LibTorch's default (nothing process-wide changed).
TEST(IntraOpThreads, ConcurrentCallersKeepTheirOwnSetting) {
  int fresh_before = 0;
  std::thread([&] { fresh_before = at::get_num_threads(); }).join();
  std::atomic<int> ready{0};
  int seen1 = 0, seen3 = 0, after1 = 0, after3 = 0;
  auto worker = [&](int threads, int* seen, int* after) {
    const int mine = CurrentIntraOpThreads();
    {
      ScopedIntraOpThreads scoped(threads);
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();  // both scopes are open now
      for (int i = 0; i < 20; ++i) *seen = std::max(*seen, TeamSizeOfParallelFor());
    }
    *after = CurrentIntraOpThreads() == mine ? 1 : 0;
  };
  std::thread a(worker, 1, &seen1, &after1);
  std::thread b(worker, 3, &seen3, &after3);
  a.join();
  b.join();
  EXPECT_EQ(seen1, 1);
  EXPECT_EQ(seen3, 3);
  EXPECT_EQ(after1, 1);
  EXPECT_EQ(after3, 1);
  int fresh_after = 0;
  std::thread([&] { fresh_after = at::get_num_threads(); }).join();
  EXPECT_EQ(fresh_after, fresh_before);
}

}  // namespace
}  // namespace bertc::model
