// Which GEMM kernels LibTorch's BLAS runs, and making sure they suit the CPU.
//
// Debian's LibTorch does its matrix products in the system BLAS (libblas.so.3, OpenBLAS with
// DYNAMIC_ARCH). OpenBLAS picks its kernels from the CPU's family/model; a CPU newer than the OpenBLAS
// release (e.g. Sapphire Rapids for 0.3.21) gets the generic SSE3 "Prescott" kernels, 4-5x slower.
// bertc reads the CPU's instruction sets itself (cpuid) and, when OpenBLAS chose kernels below them,
// switches OpenBLAS to the best table it ships for that ISA (AVX-512: SkylakeX/Cooperlake, AVX2:
// Haswell/Zen) through OpenBLAS's exported dynamic-arch entry points. That does not depend on OpenBLAS
// recognising the CPU. An OPENBLAS_CORETYPE the host set is respected; BERTC_GEMM_KERNEL=keep turns
// the selection off. No LibTorch here: everything is looked up with dlsym at run time.
#ifndef BERTC_COMMON_GEMM_BACKEND_H_
#define BERTC_COMMON_GEMM_BACKEND_H_

#include <functional>
#include <string>

namespace bertc {

struct GemmBackend {
  std::string library;       // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... " or what else was found
  std::string kernel;        // kernel set in use, e.g. "SkylakeX"
  std::string chosen_by;     // "OpenBLAS", "bertc (OpenBLAS chose Prescott)", "OPENBLAS_CORETYPE", ...
  std::string cpu;           // model name
  std::string isa;           // best instruction set: "avx512", "avx2", "avx", "sse"
  bool generic = false;      // the kernels in use are below the CPU's instruction set
};

// Instruction-set level an OpenBLAS kernel table needs: 0 SSE, 1 AVX, 2 AVX2+FMA, 3 AVX-512.
int BlasKernelLevel(const std::string& kernel);

// The selection itself, apart from OpenBLAS so it can be tested for CPUs this machine is not: for a CPU
// of `cpu_level` (as BlasKernelLevel; `bf16`: AVX512_BF16, `amd`: AMD's vendor id) whose OpenBLAS runs
// `kernel`, asks `switch_to` for better tables, best first, until the table OpenBLAS reports back
// (switch_to's result) reaches the CPU's level or the candidates run out; returns the table in use.
// Calls switch_to not at all when `kernel` already suits the CPU.
std::string UpgradeBlasKernel(int cpu_level, bool bf16, bool amd, std::string kernel,
                              const std::function<std::string(const char*)>& switch_to);

// Applies the selection once (thread-safe; idempotent) and describes the result.
const GemmBackend& SelectGemmBackend();

}  // namespace bertc

#endif  // BERTC_COMMON_GEMM_BACKEND_H_
