#include "common/gemm_backend.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace bertc {
namespace {

// What Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does with OPENBLAS_CORETYPE, as measured on it: names in
// its lookup table switch to that table; any other name ("Cooperlake", "SapphireRapids": its name lookup
// skips them) gives "Core not found" and the table its own feature test picks.
struct FakeOpenBlas {
  std::string fallback;  // what its feature test picks on the simulated CPU
  std::vector<std::string> asked;
  std::string Switch(const char* core) {
    static const std::set<std::string> kByName = {"Prescott", "Core2", "Nehalem", "Sandybridge", "Haswell",
                                                  "Zen", "SkylakeX", "Bulldozer", "Excavator"};
    asked.push_back(core);
    return kByName.count(core) ? std::string(core) : fallback;
  }
  std::function<std::string(const char*)> Fn() {
    return [this](const char* core) { return Switch(core); };
  }
};

TEST(GemmBackend, KernelLevels) {
  EXPECT_EQ(BlasKernelLevel("Prescott"), 0);
  EXPECT_EQ(BlasKernelLevel("Nehalem"), 0);
  EXPECT_EQ(BlasKernelLevel("Sandybridge"), 1);
  EXPECT_EQ(BlasKernelLevel("Haswell"), 2);
  EXPECT_EQ(BlasKernelLevel("Zen"), 2);
  EXPECT_EQ(BlasKernelLevel("SkylakeX"), 3);
  EXPECT_EQ(BlasKernelLevel("Cooperlake"), 3);
  EXPECT_EQ(BlasKernelLevel("SapphireRapids"), 3);
  EXPECT_EQ(BlasKernelLevel("something new"), 0);
}

// The CPU: a recent Xeon (AVX-512 with BF16) that OpenBLAS 0.3.21 does not know.
TEST(GemmBackend, AvxBf16XeonGetsCooperlakeThroughOpenBlasFallback) {
  FakeOpenBlas blas{"Cooperlake", {}};
  EXPECT_EQ(UpgradeBlasKernel(3, true, false, "Prescott", blas.Fn()), "Cooperlake");
  EXPECT_EQ(blas.asked, (std::vector<std::string>{"Cooperlake"}));
}

// OpenBLAS's own AVX-512 test disagreeing with cpuid must not leave AVX-512 unused.
TEST(GemmBackend, AvxBf16FallsToSkylakeXWhenOpenBlasFallbackIsLower) {
  FakeOpenBlas blas{"Haswell", {}};
  EXPECT_EQ(UpgradeBlasKernel(3, true, false, "Prescott", blas.Fn()), "SkylakeX");
  EXPECT_EQ(blas.asked, (std::vector<std::string>{"Cooperlake", "SkylakeX"}));
}

TEST(GemmBackend, Avx512WithoutBf16GetsSkylakeX) {
  FakeOpenBlas blas{"Prescott", {}};
  EXPECT_EQ(UpgradeBlasKernel(3, false, false, "Prescott", blas.Fn()), "SkylakeX");
}

TEST(GemmBackend, Avx2GetsZenOnAmdAndHaswellOnIntel) {
  FakeOpenBlas amd{"Prescott", {}};
  EXPECT_EQ(UpgradeBlasKernel(2, false, true, "Prescott", amd.Fn()), "Zen");
  FakeOpenBlas intel{"Prescott", {}};
  EXPECT_EQ(UpgradeBlasKernel(2, false, false, "Prescott", intel.Fn()), "Haswell");
  FakeOpenBlas avx{"Prescott", {}};
  EXPECT_EQ(UpgradeBlasKernel(1, false, false, "Prescott", avx.Fn()), "Sandybridge");
}

TEST(GemmBackend, KernelsThatSuitTheCpuAreLeftAlone) {
  FakeOpenBlas blas{"Prescott", {}};
  EXPECT_EQ(UpgradeBlasKernel(2, false, true, "Zen", blas.Fn()), "Zen");
  EXPECT_EQ(UpgradeBlasKernel(3, true, false, "SkylakeX", blas.Fn()), "SkylakeX");
  EXPECT_EQ(UpgradeBlasKernel(0, false, false, "Nehalem", blas.Fn()), "Nehalem");  // SSE CPU: SSE kernels
  EXPECT_TRUE(blas.asked.empty());
}

// An OpenBLAS that knows none of the tables: every candidate is tried once, then the result stands
// (and is reported generic by the caller) instead of looping.
TEST(GemmBackend, OpenBlasWithoutTheTablesEndsAfterEveryCandidate) {
  struct Stuck {
    std::vector<std::string> asked;
  } stuck;
  auto fn = [&](const char* core) {
    stuck.asked.push_back(core);
    return std::string("Prescott");
  };
  EXPECT_EQ(UpgradeBlasKernel(3, true, false, "Prescott", fn), "Prescott");
  EXPECT_EQ(stuck.asked, (std::vector<std::string>{"Cooperlake", "SkylakeX", "Haswell"}));
}

}  // namespace
}  // namespace bertc
