#include "model/intra_op_threads.h"

#include <ATen/Parallel.h>
#include <torch/version.h>
#include <sched.h>

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#else
#error "bertc's per-call thread counts need LibTorch TUs built with OpenMP (see cmake/BertcDependencies.cmake)"
#endif

namespace bertc::model {

namespace {

cpu_set_t Affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    const unsigned hw = std::thread::hardware_concurrency();
    for (unsigned i = 0; i < (hw == 0 ? 1u : hw) && i < CPU_SETSIZE; ++i) CPU_SET(i, &set);
  }
  return set;
}

int CoresAvailable() {
  const cpu_set_t set = Affinity();
  const int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

// OMP_NUM_THREADS when the environment sets it (its first number), else 0.
int EnvThreads() {
  static const int value = [] {
    if (const char* env = std::getenv("OMP_NUM_THREADS")) {
      char* end = nullptr;
      const long n = std::strtol(env, &end, 10);
      if (end != env && n > 0 && n <= 1024) return static_cast<int>(n);
    }
    return 0;
  }();
  return value;
}

double Seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Busy time (user, nice, system, irq, softirq, steal) of the CPUs this process may run on, in
// seconds, from /proc/stat; < 0 when unreadable.
double BusySecondsOfOurCpus(const cpu_set_t& cpus) {
  std::FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) return -1;
  static const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  char line[512];
  double busy = 0;
  bool any = false;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9') continue;
    char* end = nullptr;
    const long cpu = std::strtol(line + 3, &end, 10);
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(static_cast<int>(cpu), &cpus)) continue;
    unsigned long long v[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // user nice system idle iowait irq softirq steal
    if (std::sscanf(end, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                    &v[7]) < 4) {
      continue;
    }
    busy += static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / tick;
    any = true;
  }
  std::fclose(f);
  return any ? busy : -1;
}

// The default intra-op thread count when neither the call nor OMP_NUM_THREADS sets one: the cores of
// this process's affinity set that other processes leave free, measured over the last ~0.25 s. On a
// busy host (a game loop, a server, another job) OpenMP teams wider than the free cores stall at
// every barrier waiting for a descheduled thread; one thread fewer is then much faster. Idle, this is
// every core.
class AdaptiveThreads {
 public:
  int Get() {
    std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return decision_.load();  // another caller is sampling right now
    const double now = Seconds(CLOCK_MONOTONIC);
    if (last_wall_ > 0 && now - last_wall_ < kWindow) return decision_.load();
    const double busy = BusySecondsOfOurCpus(cpus_);
    const double self = Seconds(CLOCK_PROCESS_CPUTIME_ID);
    if (busy >= 0 && last_wall_ > 0) {
      const double window = now - last_wall_;
      // CPUs' worth of work by other processes (ours, spinning OpenMP workers included, subtracted).
      const double others = std::max(0.0, (busy - last_busy_) - (self - last_self_)) / window;
      const double free = static_cast<double>(cores_) - others;
      decision_.store(std::clamp(static_cast<int>(free + 0.3), 1, cores_));
    }
    last_wall_ = now;
    last_busy_ = busy;
    last_self_ = self;
    return decision_.load();
  }

 private:
  static constexpr double kWindow = 0.25;
  std::mutex mu_;
  const cpu_set_t cpus_ = Affinity();
  const int cores_ = CoresAvailable();
  std::atomic<int> decision_{CoresAvailable()};
  double last_wall_ = 0, last_busy_ = 0, last_self_ = 0;
};

AdaptiveThreads& Adaptive() {
  static auto* adaptive = new AdaptiveThreads();  // leaked: may be used during static destruction
  return *adaptive;
}

}  // namespace

int DefaultIntraOpThreads() {
  const int env = EnvThreads();
  if (env > 0) return env;
  if (const char* policy = std::getenv("BERTC_THREADS"); policy != nullptr && std::strcmp(policy, "all") == 0) {
    return CoresAvailable();
  }
  return Adaptive().Get();
}

int ResolveIntraOpThreads(int requested) { return requested > 0 ? requested : DefaultIntraOpThreads(); }

const char* LibTorchVersion() { return TORCH_VERSION; }

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
