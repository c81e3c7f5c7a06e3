// Per-call intra-op thread counts that never touch process-wide LibTorch state.
//
// With LibTorch's OpenMP backend the intra-op team size is the calling thread's OpenMP setting
// (omp_get_max_threads), which ATen's parallel_for and the OpenMP build of OpenBLAS both read at
// every call. ScopedIntraOpThreads sets it for the calling thread only and restores it when the call
// ends, so concurrent calls with different counts do not disturb each other and a host's own setting
// (at::set_num_threads, OMP_NUM_THREADS) is unchanged afterwards. at::set_num_threads is never
// called: it would also change the default of every thread that has not run ATen yet.
#ifndef BERTC_MODEL_INTRA_OP_THREADS_H_
#define BERTC_MODEL_INTRA_OP_THREADS_H_

namespace bertc::model {

// The count a `threads` value of 0 means: OMP_NUM_THREADS when the environment sets it (its first
// number); otherwise the cores of the process's affinity set that other processes leave free (all of
// them on an idle machine), re-measured every 0.25 s from /proc/stat; BERTC_THREADS=all: every core.
int DefaultIntraOpThreads();

// `requested` > 0 as is, 0 (or negative) as DefaultIntraOpThreads().
int ResolveIntraOpThreads(int requested);

// The calling thread's current intra-op thread count.
int CurrentIntraOpThreads();

// The LibTorch version this library runs with, e.g. "1.13.1".
const char* LibTorchVersion();

class ScopedIntraOpThreads {
 public:
  // Sets ResolveIntraOpThreads(threads) on the calling thread until destruction.
  explicit ScopedIntraOpThreads(int threads);
  ~ScopedIntraOpThreads();
  ScopedIntraOpThreads(const ScopedIntraOpThreads&) = delete;
  ScopedIntraOpThreads& operator=(const ScopedIntraOpThreads&) = delete;

  int threads() const { return threads_; }

 private:
  int previous_;
  int threads_;
};

}  // namespace bertc::model

#endif  // BERTC_MODEL_INTRA_OP_THREADS_H_
