#include "common/parallel.h"

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>

namespace bertc {
namespace {

TEST(Parallel, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 4}) {
    std::vector<int> hits(1000, 0);
    ParallelForRange(hits.size(), threads, 7, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) hits[i]++;
    });
    EXPECT_EQ(std::accumulate(hits.begin(), hits.end(), 0), 1000);
    for (int h : hits) EXPECT_EQ(h, 1);
  }
}

TEST(Parallel, RethrowsWorkerException) {
  EXPECT_THROW(ParallelForRange(100, 2, 1,
                                [](size_t b, size_t) {
                                  if (b == 50) throw std::runtime_error("boom");
                                }),
               std::runtime_error);
}

TEST(Parallel, ResolveThreads) {
  EXPECT_EQ(ResolveThreads(3), 3);
  EXPECT_GE(ResolveThreads(0), 1);
}

}  // namespace
}  // namespace bertc
