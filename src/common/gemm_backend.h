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

// Applies the selection once (thread-safe; idempotent) and describes the result.
const GemmBackend& SelectGemmBackend();

}  // namespace bertc

#endif  // BERTC_COMMON_GEMM_BACKEND_H_
