// AdamW with decoupled weight decay, the math of torch.optim.AdamW (amsgrad off), applied to named
// parameter groups. State (exp_avg, exp_avg_sq per parameter, the step count) can be exported and
// restored exactly, for checkpoints.
#ifndef BERTC_TRAIN_ADAMW_H_
#define BERTC_TRAIN_ADAMW_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bertc::train {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

struct ParamGroup {
  std::vector<at::Tensor> params;
  std::vector<std::string> names;
  double weight_decay = 0.0;
};

class AdamW {
 public:
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options);

  // One update with learning rate `lr`; parameters without a gradient are skipped (as torch does).
  // Gradients are read multiplied by `grad_scale` (the clipping coefficient), left unchanged.
  // Float32 CPU parameters take one fused pass per tensor; anything else torch's tensor ops.
  void Step(double lr, double grad_scale = 1.0);
  void ZeroGrad();

  int64_t step_count() const { return step_; }
  const std::vector<ParamGroup>& groups() const { return groups_; }

  // Named state: "exp_avg.<param>", "exp_avg_sq.<param>" (lazily created on the first step, as torch).
  std::vector<std::pair<std::string, at::Tensor>> StateTensors() const;
  // Restores state; throws Error(kFormat) when a tensor is missing or has the wrong shape.
  void LoadState(const std::vector<std::pair<std::string, at::Tensor>>& tensors, int64_t step);

 private:
  std::vector<ParamGroup> groups_;
  AdamWOptions options_;
  std::vector<std::vector<at::Tensor>> exp_avg_, exp_avg_sq_;
  int64_t step_ = 0;
};

// Total L2 norm of all gradients (parameters without one are skipped; 0 when none has one).
double GradNorm(const std::vector<at::Tensor>& params);
// torch.nn.utils.clip_grad_norm_'s factor: min(1, max_norm / (total_norm + 1e-6)).
double ClipCoefficient(double total_norm, double max_norm);

// Clips the total L2 norm of all gradients to max_norm (torch.nn.utils.clip_grad_norm_) and
// returns the norm before clipping.
double ClipGradNorm(const std::vector<at::Tensor>& params, double max_norm);

}  // namespace bertc::train

#endif  // BERTC_TRAIN_ADAMW_H_
