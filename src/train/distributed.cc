#include "train/distributed.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "common/error.h"

namespace bertc::train {
namespace {

using std::chrono::milliseconds;

// The first of `names` the environment sets, as an int; `fallback` when none is set.
int EnvInt(std::initializer_list<const char*> names, int fallback) {
  for (const char* name : names) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    errno = 0;
    const long x = std::strtol(v, &end, 10);
    // SLURM_NTASKS_PER_NODE may read "2(x3)": the leading number is the count.
    if (end == v || errno != 0 || x < 0 || x > 1 << 20 || (*end != '\0' && *end != '(')) {
      throw InvalidArgument(std::string("environment variable ") + name + "='" + v + "' is not a valid count");
    }
    return static_cast<int>(x);
  }
  return fallback;
}

std::string EnvString(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return {};
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

HostPort ParseHostPort(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    throw InvalidArgument("rendezvous '" + s + "' is not host:port or file:///path");
  }
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = s.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535) {
    throw InvalidArgument("rendezvous '" + s + "': port '" + port_text + "' is not in 1..65535");
  }
  return HostPort{host, static_cast<uint16_t>(port)};
}

constexpr const char* kFilePrefix = "file://";

}  // namespace

DistributedOptions ResolveDistributed(DistributedOptions o) {
  if (o.world_size < 0) throw InvalidArgument("world_size must be >= 0 (0: from WORLD_SIZE)");
  if (o.world_size == 0) o.world_size = std::max(1, EnvInt({"WORLD_SIZE", "SLURM_NTASKS"}, 1));
  if (o.rank < 0) o.rank = EnvInt({"RANK", "SLURM_PROCID"}, 0);
  if (o.local_rank < 0) o.local_rank = EnvInt({"LOCAL_RANK", "SLURM_LOCALID"}, o.world_size == 1 ? 0 : o.rank);
  if (o.local_world_size <= 0) {
    o.local_world_size = std::max(1, EnvInt({"LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE"}, 0));
    if (std::getenv("LOCAL_WORLD_SIZE") == nullptr && std::getenv("SLURM_NTASKS_PER_NODE") == nullptr) {
      // Without a count of this machine's processes, assume they all run here (the conservative choice
      // for threads: never oversubscribe).
      o.local_world_size = o.world_size;
    }
  }
  if (o.rank >= o.world_size) {
    throw InvalidArgument("rank " + std::to_string(o.rank) + " is not below the world size " +
                          std::to_string(o.world_size));
  }
  if (o.local_rank >= o.local_world_size && o.world_size > 1) {
    throw InvalidArgument("local rank " + std::to_string(o.local_rank) + " is not below the local world size " +
                          std::to_string(o.local_world_size));
  }
  if (!(o.timeout_seconds > 0) || !(o.timeout_seconds <= 7 * 24 * 3600.0)) {
    throw InvalidArgument("the distributed timeout must be in (0, 604800] seconds");
  }
  if (o.rendezvous.empty() && o.world_size > 1) {
    const std::string addr = EnvString({"MASTER_ADDR"});
    const std::string port = EnvString({"MASTER_PORT"});
    if (addr.empty() || port.empty()) {
      throw InvalidArgument("world size " + std::to_string(o.world_size) +
                            " needs a rendezvous: set master (host:port or file:///path) or MASTER_ADDR and "
                            "MASTER_PORT");
    }
    std::string p = port;
    if (EnvString({"TORCHELASTIC_USE_AGENT_STORE"}) == "True") {
      // torchrun's agent already serves a TCPStore on MASTER_PORT, in the store protocol of the
      // PyTorch that runs torchrun — which LibTorch 1.13's client may not speak (PyTorch 2.x's does
      // not). bertc's rank 0 serves its own on the next port instead.
      char* end = nullptr;
      const long n = std::strtol(port.c_str(), &end, 10);
      if (*end != '\0' || n <= 0 || n >= 65535) throw InvalidArgument("MASTER_PORT='" + port + "' is not a port");
      p = std::to_string(n + 1);
    }
    o.rendezvous = (addr.find(':') != std::string::npos ? "[" + addr + "]" : addr) + ":" + p;
  }
  if (o.world_size > 1 && o.rendezvous.rfind(kFilePrefix, 0) != 0) ParseHostPort(o.rendezvous);  // validates
  return o;
}

struct ProcessGroup::Impl {
  DistributedOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  bool store_on_rank0 = false;

  [[noreturn]] void Lost(const std::string& what, const std::exception& e) {
    // Roll call: every survivor checks in; whoever has not within a few seconds is lost.
    const int world = options.world_size;
    const std::string prefix = "bertc/rollcall/";
    std::vector<int> missing;
    std::string store_error;
    try {
      store->set(prefix + std::to_string(options.rank), std::vector<uint8_t>{1});
      const auto deadline = std::chrono::steady_clock::now() +
                            milliseconds(static_cast<int64_t>(std::min(5.0, options.timeout_seconds) * 1000));
      for (;;) {
        missing.clear();
        for (int r = 0; r < world; ++r) {
          if (r != options.rank && !store->check({prefix + std::to_string(r)})) missing.push_back(r);
        }
        if (missing.empty() || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(milliseconds(100));
      }
    } catch (const std::exception& se) {
      store_error = se.what();
    }
    std::string who;
    if (!store_error.empty() && store_on_rank0) {
      who = "lost rank 0 (it served the rendezvous store at " + options.rendezvous + ", which is gone too)";
    } else if (!store_error.empty()) {
      who = "the rendezvous store at " + options.rendezvous + " is unreachable (its launcher is gone?)";
    } else if (missing.empty()) {
      who = "every rank is still running (a timeout or a network error)";
    } else {
      who = missing.size() == 1 ? "lost rank " : "lost ranks ";
      for (size_t i = 0; i < missing.size(); ++i) who += (i ? ", " : "") + std::to_string(missing[i]);
    }
    std::string detail = e.what();
    if (const size_t nl = detail.find('\n'); nl != std::string::npos) detail.resize(nl);
    throw IoError("distributed training: " + what + " failed on rank " + std::to_string(options.rank) + " of " +
                  std::to_string(world) + ": " + who + " (" + detail + ")");
  }

  void Wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) {
    try {
      work->wait(milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000)));
    } catch (const std::exception& e) {
      Lost(what, e);
    }
  }
};

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProcessGroup::~ProcessGroup() = default;
int ProcessGroup::rank() const { return impl_->options.rank; }
int ProcessGroup::world_size() const { return impl_->options.world_size; }
const DistributedOptions& ProcessGroup::options() const { return impl_->options; }

std::unique_ptr<ProcessGroup> ProcessGroup::Connect(const DistributedOptions& o) {
  auto impl = std::make_unique<Impl>();
  impl->options = o;
  const milliseconds timeout(static_cast<int64_t>(o.timeout_seconds * 1000));
  std::string gloo_host;
  try {
    if (o.rendezvous.rfind(kFilePrefix, 0) == 0) {
      const std::string path = o.rendezvous.substr(std::string_view(kFilePrefix).size());
      if (path.empty()) throw InvalidArgument("rendezvous 'file://' needs a path");
      impl->store = c10::make_intrusive<c10d::FileStore>(path, o.world_size);
    } else {
      const HostPort hp = ParseHostPort(o.rendezvous);
      c10d::TCPStoreOptions so;
      so.port = hp.port;
      so.isServer = o.rank == 0;
      so.numWorkers = static_cast<size_t>(o.world_size);
      so.waitWorkers = true;
      so.timeout = timeout;
      impl->store = c10::make_intrusive<c10d::TCPStore>(hp.host, so);
      impl->store_on_rank0 = true;
      if (IsLoopback(hp.host)) gloo_host = "127.0.0.1";
    }
    impl->store->setTimeout(timeout);
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    const std::string ifname = EnvString({"GLOO_SOCKET_IFNAME"});
    if (!ifname.empty()) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname.substr(0, ifname.find(','))));
    } else if (!gloo_host.empty()) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(gloo_host));
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    opts->threads = 2;
    // Keys of this run under their own prefix, so a store shared with other users stays tidy.
    auto pg_store = c10::make_intrusive<c10d::PrefixStore>("bertc/pg", impl->store);
    impl->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(pg_store, o.rank, o.world_size, opts);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string detail = e.what();
    if (const size_t nl = detail.find('\n'); nl != std::string::npos) detail.resize(nl);
    throw IoError("distributed training: rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size) +
                  " could not rendezvous at '" + o.rendezvous + "' within " +
                  std::to_string(static_cast<int64_t>(o.timeout_seconds)) + " s: " + detail);
  }
  return std::unique_ptr<ProcessGroup>(new ProcessGroup(std::move(impl)));
}

void ProcessGroup::AllReduceSum(std::vector<at::Tensor>& tensors) {
  for (at::Tensor& t : tensors) {
    std::vector<at::Tensor> one{t};
    impl_->Wait(impl_->pg->allreduce(one), "an all-reduce");
  }
}

std::vector<std::vector<int64_t>> ProcessGroup::AllGather(const std::vector<int64_t>& values) {
  const int world = impl_->options.world_size;
  const int64_t n = static_cast<int64_t>(values.size());
  std::vector<at::Tensor> in{at::tensor(c10::ArrayRef<int64_t>(values), at::kLong)};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < world; ++r) out[0].push_back(at::empty({n}, at::kLong));
  impl_->Wait(impl_->pg->allgather(out, in), "an all-gather");
  std::vector<std::vector<int64_t>> result(static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) {
    const int64_t* p = out[0][static_cast<size_t>(r)].data_ptr<int64_t>();
    result[static_cast<size_t>(r)].assign(p, p + n);
  }
  return result;
}

void ProcessGroup::Barrier() { impl_->Wait(impl_->pg->barrier(), "a barrier"); }

struct GradientReducer::Impl {
  struct Bucket {
    std::vector<size_t> params;  // indices into Impl::params
    at::Tensor flat;
    size_t pending = 0;          // gradients still to arrive in this backward pass
    bool launched = false;
    c10::intrusive_ptr<c10d::Work> work;
  };
  ProcessGroup::Impl* pg = nullptr;
  std::vector<at::Tensor> params;
  std::vector<size_t> bucket_of, offset_of;
  std::vector<bool> arrived;
  std::vector<Bucket> buckets;
  std::vector<unsigned> hooks;
  size_t next_launch = 0;
  bool armed = false;

  at::Tensor Slot(size_t i) {
    return buckets[bucket_of[i]].flat.narrow(0, static_cast<int64_t>(offset_of[i]), params[i].numel());
  }

  void LaunchReady() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      Bucket& b = buckets[next_launch++];
      std::vector<at::Tensor> one{b.flat};
      b.work = pg->pg->allreduce(one);
      b.launched = true;
    }
  }

  void OnGradient(size_t i, const at::TensorBase& grad) {
    if (!armed || arrived[i]) return;
    arrived[i] = true;
    at::Tensor slot = Slot(i);
    const at::Tensor g = at::Tensor(grad).reshape({-1});
    const at::Tensor& earlier = params[i].grad();
    if (earlier.defined()) {
      at::add_out(slot, earlier.reshape({-1}), g);  // what AccumulateGrad is about to compute
    } else {
      slot.copy_(g);
    }
    if (--buckets[bucket_of[i]].pending == 0) LaunchReady();
  }
};

GradientReducer::GradientReducer(ProcessGroup& pg, std::vector<at::Tensor> params, size_t bucket_bytes)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.pg = pg.impl_.get();
  m.params = std::move(params);
  const size_t n = m.params.size();
  m.bucket_of.assign(n, 0);
  m.offset_of.assign(n, 0);
  m.arrived.assign(n, false);
  // Reverse parameter order: the head and the last layers finish first in backward.
  size_t bytes = 0;
  for (size_t k = n; k-- > 0;) {
    const at::Tensor& p = m.params[k];
    const size_t sz = static_cast<size_t>(p.numel()) * p.element_size();
    if (m.buckets.empty() || bytes + sz > bucket_bytes ||
        m.params[m.buckets.back().params.front()].scalar_type() != p.scalar_type()) {
      m.buckets.emplace_back();
      bytes = 0;
    }
    Impl::Bucket& b = m.buckets.back();
    m.bucket_of[k] = m.buckets.size() - 1;
    m.offset_of[k] = static_cast<size_t>(bytes / p.element_size());
    b.params.push_back(k);
    bytes += sz;
  }
  for (auto& b : m.buckets) {
    int64_t numel = 0;
    for (size_t k : b.params) numel += m.params[k].numel();
    b.flat = at::empty({numel}, m.params[b.params.front()].options().requires_grad(false));
  }
  Impl* self = impl_.get();
  constexpr unsigned kNoHook = ~0u;
  for (size_t k = 0; k < n; ++k) {
    // A frozen parameter gets no gradient and cannot take a hook: Finish() sends its zeros.
    m.hooks.push_back(m.params[k].requires_grad()
                          ? m.params[k].register_hook([self, k](const at::TensorBase& grad) { self->OnGradient(k, grad); })
                          : kNoHook);
  }
}

GradientReducer::~GradientReducer() {
  Impl& m = *impl_;
  for (size_t k = 0; k < m.params.size() && k < m.hooks.size(); ++k) {
    if (m.hooks[k] == ~0u) continue;
    try {
      m.params[k].remove_hook(m.hooks[k]);
    } catch (...) {  // never throw from a destructor
    }
  }
  for (auto& b : m.buckets) {
    if (b.work) {
      try {
        b.work->wait();
      } catch (...) {
      }
    }
  }
}

void GradientReducer::Arm() {
  Impl& m = *impl_;
  std::fill(m.arrived.begin(), m.arrived.end(), false);
  for (auto& b : m.buckets) {
    b.pending = b.params.size();
    b.launched = false;
    b.work.reset();
  }
  m.next_launch = 0;
  m.armed = true;
}

void GradientReducer::Finish() {
  Impl& m = *impl_;
  m.armed = false;
  // Gradients that never arrived (a parameter this rank's last micro-batch did not reach): their
  // accumulation from earlier micro-batches, or zeros — every rank sends every bucket.
  for (size_t k = 0; k < m.params.size(); ++k) {
    if (m.arrived[k]) continue;
    m.arrived[k] = true;
    const at::Tensor& g = m.params[k].grad();
    at::Tensor slot = m.Slot(k);
    if (g.defined()) {
      slot.copy_(g.reshape({-1}));
    } else {
      slot.zero_();
    }
    --m.buckets[m.bucket_of[k]].pending;
  }
  m.LaunchReady();
  for (auto& b : m.buckets) m.pg->Wait(b.work, "a gradient all-reduce");
  for (size_t k = 0; k < m.params.size(); ++k) {
    at::Tensor p = m.params[k];
    const at::Tensor sum = m.Slot(k).view(p.sizes());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(sum);
    } else {
      p.mutable_grad() = sum.clone();
    }
  }
}

}  // namespace bertc::train
