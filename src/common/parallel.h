// Minimal data parallelism for the core: run fn(i) for i in [0, n) on up to `threads` threads.
// Exceptions from workers are rethrown on the calling thread (the first one wins).
#ifndef BERTC_COMMON_PARALLEL_H_
#define BERTC_COMMON_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace bertc {

// Number of hardware threads (at least 1).
inline int HardwareThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// Resolves a user thread count: <= 0 means all cores.
inline int ResolveThreads(int requested) { return requested > 0 ? requested : HardwareThreads(); }

// Calls fn(begin, end) on contiguous chunks of [0, n), dynamically scheduled in chunks of `grain`.
template <class Fn>
void ParallelForRange(size_t n, int threads, size_t grain, Fn&& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(1, grain);
  const size_t chunks = (n + grain - 1) / grain;
  const size_t workers = std::min<size_t>(static_cast<size_t>(std::max(1, threads)), chunks);
  if (workers <= 1) {
    fn(size_t{0}, n);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mu;
  auto work = [&] {
    for (;;) {
      const size_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      try {
        fn(c * grain, std::min(n, (c + 1) * grain));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!error) error = std::current_exception();
        next.store(chunks);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  try {
    pool.reserve(workers - 1);
    for (size_t i = 1; i < workers; ++i) pool.emplace_back(work);
  } catch (...) {
    // A thread could not be created (resource limits, out of memory): go on with the workers that
    // exist. Leaving this scope with joinable threads would call std::terminate.
  }
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace bertc

#endif  // BERTC_COMMON_PARALLEL_H_
