// Data-parallel training across processes (and machines) on LibTorch's c10d with the Gloo backend.
//
// Setup: every rank connects to a rendezvous — a c10d TCPStore served by rank 0 at "host:port", or a
// FileStore at "file:///path" on a filesystem all ranks share — and builds a ProcessGroupGloo over
// it. World size, rank, local rank and the rendezvous come from the caller or, where the caller
// leaves them unset, from the variables the launchers set: torchrun / torch.distributed.launch
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), Slurm's srun
// (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE with MASTER_ADDR/MASTER_PORT set
// by the job script) and bertc launch (the torchrun set).
//
// Failures: a collective that fails (a peer closed its connections, or nothing arrived within the
// timeout) becomes Error(kIo) naming the lost ranks: the survivors check in at the store for a short
// while and the ranks that do not are named (when rank 0, which serves the TCPStore, is the one
// lost, the store is gone too and the message says so).
#ifndef BERTC_TRAIN_DISTRIBUTED_H_
#define BERTC_TRAIN_DISTRIBUTED_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bertc::train {

struct DistributedOptions {
  int world_size = 1;        // 1: not distributed
  int rank = 0;              // in [0, world_size)
  int local_rank = 0;        // rank among the processes of this machine
  int local_world_size = 1;  // processes on this machine (sets the default thread count)
  std::string rendezvous;    // "host:port" (TCPStore served by rank 0) or "file:///path" (FileStore)
  double timeout_seconds = 300;  // a collective or the rendezvous waits this long for the others
};

// Fills the unset fields (world_size 0, rank / local_rank / local_world_size < 0, empty rendezvous)
// from the launchers' environment variables; world_size stays 1 when nothing sets it. Throws
// Error(kInvalidArgument) for an impossible combination or an unparsable variable (naming it).
DistributedOptions ResolveDistributed(DistributedOptions requested);

class ProcessGroup {
 public:
  // Rendezvous with the other ranks (waits up to the timeout for all of them). Throws Error(kIo) when
  // the rendezvous fails or times out, Error(kInvalidArgument) for a bad rendezvous address.
  static std::unique_ptr<ProcessGroup> Connect(const DistributedOptions& options);
  ~ProcessGroup();

  int rank() const;
  int world_size() const;
  const DistributedOptions& options() const;

  // In-place sums over all ranks (float32 / float64 / int64 CPU tensors, contiguous). Every rank
  // ends with bit-identical results.
  void AllReduceSum(std::vector<at::Tensor>& tensors);
  // Every rank's `values` (same length on all ranks), indexed by rank.
  std::vector<std::vector<int64_t>> AllGather(const std::vector<int64_t>& values);
  void Barrier();

  struct Impl;

 private:
  friend class GradientReducer;
  explicit ProcessGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Sums gradients over the ranks in flat buckets of about `bucket_bytes`, overlapped with the backward
// pass of a step's last micro-batch: hooks on the parameters copy each finished gradient (plus what
// earlier micro-batches accumulated) into its bucket, and a full bucket's all-reduce starts while
// backward goes on. Buckets follow the parameters in reverse (the order backward finishes them) and
// start strictly in bucket order, so every rank issues the same collectives in the same order whatever
// its timing. Parameters that got no gradient take part as zeros (or their earlier accumulation).
// Not thread-safe; the hooks are removed when the reducer is destroyed.
class GradientReducer {
 public:
  GradientReducer(ProcessGroup& pg, std::vector<at::Tensor> params, size_t bucket_bytes = 16u << 20);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // The next backward pass is the step's last: collect and start the buckets as gradients arrive.
  void Arm();
  // After that backward pass: starts what has not started, waits, and writes the sums into .grad.
  void Finish();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertc::train

#endif  // BERTC_TRAIN_DISTRIBUTED_H_
