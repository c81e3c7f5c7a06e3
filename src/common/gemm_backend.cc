#include "common/gemm_backend.h"

#include <cpuid.h>
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>

namespace bertc {

int BlasKernelLevel(const std::string& core) {
  static const char* const kAvx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  static const char* const kAvx2[] = {"Haswell", "Zen", "Excavator"};
  static const char* const kAvx[] = {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller"};
  for (const char* k : kAvx512) if (core == k) return 3;
  for (const char* k : kAvx2) if (core == k) return 2;
  for (const char* k : kAvx) if (core == k) return 1;
  return 0;  // Prescott, Core2, Nehalem, Penryn, Atom, Barcelona, ...: SSE kernels
}

namespace {

// OpenBLAS kernel tables to try, best first, for a CPU of that level (nullptr-terminated). The AVX-512
// lists end in an AVX2 table, so a CPU whose AVX-512 tables OpenBLAS rejects still leaves SSE behind.
const char* const* KernelCandidates(int cpu_level, bool bf16, bool amd) {
  static const char* const kAvx512Bf16[] = {"Cooperlake", "SkylakeX", "Haswell", nullptr};
  static const char* const kAvx512[] = {"SkylakeX", "Haswell", nullptr};
  static const char* const kAvx2Amd[] = {"Zen", "Haswell", nullptr};
  static const char* const kAvx2[] = {"Haswell", "Zen", nullptr};
  static const char* const kAvx[] = {"Sandybridge", nullptr};
  static const char* const kNone[] = {nullptr};
  switch (cpu_level) {
    case 3: return bf16 ? kAvx512Bf16 : kAvx512;
    case 2: return amd ? kAvx2Amd : kAvx2;
    case 1: return kAvx;
    default: return kNone;
  }
}

}  // namespace

std::string UpgradeBlasKernel(int cpu_level, bool bf16, bool amd, std::string kernel,
                              const std::function<std::string(const char*)>& switch_to) {
  // Best table first. A name OpenBLAS does not look up falls back to its own choice: Debian's 0.3.21
  // answers "Core not found" for "Cooperlake" (measured; its name lookup skips that table) and picks
  // by feature test, which gives Cooperlake on a BF16 CPU but can give less where its test and cpuid's
  // disagree; so each result is checked and the next candidate tried while the kernels stay below the CPU.
  const char* const* candidates = KernelCandidates(cpu_level, bf16, amd);
  for (size_t i = 0; candidates[i] != nullptr && BlasKernelLevel(kernel) < cpu_level; ++i) {
    kernel = switch_to(candidates[i]);
  }
  return kernel;
}

namespace {

// Instruction-set level of this CPU, on BlasKernelLevel's scale; *bf16: it has AVX512_BF16.
int CpuLevel(bool* bf16) {
  *bf16 = false;
  __builtin_cpu_init();
  int level = 0;
  if (__builtin_cpu_supports("avx")) level = 1;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    level = 3;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) *bf16 = (a >> 5) & 1u;  // AVX512_BF16
  }
  return level;
}

// The processor's brand string from cpuid (leaves 0x80000002-4): what this process runs on, also inside
// an emulator or a container whose /proc/cpuinfo describes another CPU; /proc/cpuinfo when cpuid lacks it.
std::string CpuModel() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000004u) {
    unsigned regs[12] = {};
    for (unsigned i = 0; i < 3; ++i) {
      __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    }
    char text[sizeof regs + 1] = {};
    std::memcpy(text, regs, sizeof regs);
    std::string brand(text);
    const size_t first = brand.find_first_not_of(' ');
    const size_t last = brand.find_last_not_of(' ');
    if (first != std::string::npos) return brand.substr(first, last - first + 1);
  }
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

bool IsAmd() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
  return b == 0x68747541u;  // "Auth" of "AuthenticAMD"
}

template <class Fn>
Fn Symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

GemmBackend Select() {
  GemmBackend g;
  g.cpu = CpuModel();
  bool bf16 = false;
  const int cpu_level = CpuLevel(&bf16);
  static const char* const kIsa[] = {"sse", "avx", "avx2", "avx512"};
  g.isa = kIsa[cpu_level];
  auto corename = Symbol<char* (*)()>("openblas_get_corename");
  auto config = Symbol<char* (*)()>("openblas_get_config");
  if (corename == nullptr || config == nullptr) {
    // Not OpenBLAS: MKL, BLIS, or the reference BLAS (the slowest by far).
    if (Symbol<void* (*)()>("mkl_get_version_string") != nullptr || Symbol<void* (*)()>("MKL_Get_Version") != nullptr) {
      g.library = "Intel MKL";
    } else if (Symbol<void* (*)()>("bli_info_get_version_str") != nullptr) {
      g.library = "BLIS";
    } else {
      g.library = "unknown BLAS (libblas.so.3 is not OpenBLAS: possibly the slow reference BLAS)";
    }
    g.kernel = "(chosen by the library)";
    g.chosen_by = g.library;
    return g;
  }
  g.library = config();
  g.kernel = corename();
  g.chosen_by = "OpenBLAS";
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  const char* policy = std::getenv("BERTC_GEMM_KERNEL");
  const bool keep = policy != nullptr && std::strcmp(policy, "keep") == 0;
  // Test hook: behave as on a CPU OpenBLAS does not recognise (it falls back to Prescott).
  const bool simulate = std::getenv("BERTC_SIMULATE_GENERIC_BLAS") != nullptr;
  auto quit = Symbol<void (*)()>("gotoblas_dynamic_quit");
  auto init = Symbol<void (*)()>("gotoblas_dynamic_init");
  auto switch_to = [&](const char* core) {
    const char* before = std::getenv("OPENBLAS_CORETYPE");
    const std::string saved = before != nullptr ? before : "";
    setenv("OPENBLAS_CORETYPE", core, 1);  // read by gotoblas_dynamic_init, restored right after
    quit();
    init();
    if (before != nullptr) {
      setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
    } else {
      unsetenv("OPENBLAS_CORETYPE");
    }
  };
  if (quit == nullptr || init == nullptr || keep) {
    g.generic = BlasKernelLevel(g.kernel) < cpu_level;
    if (keep) g.chosen_by = "OpenBLAS (BERTC_GEMM_KERNEL=keep)";
    return g;
  }
  if (simulate && forced == nullptr) {
    switch_to("Prescott");
    g.kernel = corename();
  } else if (forced != nullptr) {
    g.chosen_by = std::string("OPENBLAS_CORETYPE=") + forced;
    g.generic = BlasKernelLevel(g.kernel) < cpu_level;
    return g;
  }
  if (BlasKernelLevel(g.kernel) < cpu_level) {
    const std::string before = g.kernel;
    g.kernel = UpgradeBlasKernel(cpu_level, bf16, IsAmd(), g.kernel, [&](const char* core) {
      switch_to(core);
      return std::string(corename());
    });
    g.chosen_by = "bertc (OpenBLAS chose " + before + (simulate ? ", simulated" : "") + ")";
  }
  g.generic = BlasKernelLevel(g.kernel) < cpu_level;
  g.library = config();  // names the kernel set now in use
  return g;
}

}  // namespace

const GemmBackend& SelectGemmBackend() {
  static const GemmBackend backend = Select();
  return backend;
}

}  // namespace bertc
