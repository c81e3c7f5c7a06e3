#include "model/intra_op_threads.h"

#include <ATen/Parallel.h>
#include <sched.h>

#include <cstdlib>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#else
#error "bertc's per-call thread counts need LibTorch TUs built with OpenMP (see cmake/BertcDependencies.cmake)"
#endif

namespace bertc::model {

namespace {

int CoresAvailable() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

}  // namespace

int DefaultIntraOpThreads() {
  static const int value = [] {
    if (const char* env = std::getenv("OMP_NUM_THREADS")) {
      char* end = nullptr;
      const long n = std::strtol(env, &end, 10);
      if (end != env && n > 0 && n <= 1024) return static_cast<int>(n);
    }
    return CoresAvailable();
  }();
  return value;
}

int ResolveIntraOpThreads(int requested) { return requested > 0 ? requested : DefaultIntraOpThreads(); }

int CurrentIntraOpThreads() {
  // at::get_num_threads also runs ATen's once-per-thread lazy init, which would otherwise reset the
  // team size at the first parallel_for after we set it.
  return at::get_num_threads();
}

ScopedIntraOpThreads::ScopedIntraOpThreads(int threads)
    : previous_(omp_get_max_threads()),  // the host's setting, before ATen's per-thread init can change it
      threads_(ResolveIntraOpThreads(threads)) {
  // ATen initialises each thread's team size at its first parallel region (overwriting whatever the
  // thread had); trigger that now, so it neither overrides our setting nor survives the call.
  (void)at::get_num_threads();
  omp_set_num_threads(threads_);
}

ScopedIntraOpThreads::~ScopedIntraOpThreads() { omp_set_num_threads(previous_); }

}  // namespace bertc::model
