#include "train/adamw.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "common/error.h"
#include "train/kernels.h"

namespace bertc::train {

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : groups_(std::move(groups)), options_(options) {
  for (const auto& g : groups_) {
    if (g.names.size() != g.params.size()) throw InvalidArgument("parameter group names and tensors differ in count");
    exp_avg_.emplace_back(g.params.size());
    exp_avg_sq_.emplace_back(g.params.size());
  }
}

void AdamW::Step(double lr, double grad_scale) {
  at::NoGradGuard no_grad;
  ++step_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bias_correction1 = 1.0 - std::pow(b1, static_cast<double>(step_));
  const double bias_correction2 = 1.0 - std::pow(b2, static_cast<double>(step_));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const ParamGroup& g = groups_[gi];
    for (size_t i = 0; i < g.params.size(); ++i) {
      at::Tensor p = g.params[i];
      at::Tensor grad = p.grad();
      if (!grad.defined()) continue;
      at::Tensor& m = exp_avg_[gi][i];
      at::Tensor& v = exp_avg_sq_[gi][i];
      if (!m.defined()) {
        m = at::zeros_like(p, at::MemoryFormat::Contiguous);
        v = at::zeros_like(p, at::MemoryFormat::Contiguous);
      }
      // One fused pass (kernels.h) instead of torch.optim.AdamW's ~8 tensor ops and 2 temporaries.
      if (p.scalar_type() == at::kFloat && p.device().is_cpu() && p.is_contiguous() && m.is_contiguous() &&
          v.is_contiguous() && grad.scalar_type() == at::kFloat && grad.device().is_cpu()) {
        grad = grad.contiguous();
        const kernels::AdamWScalars c{static_cast<float>(1.0 - lr * g.weight_decay),
                             static_cast<float>(b1),
                             static_cast<float>(1.0 - b1),
                             static_cast<float>(b2),
                             static_cast<float>(1.0 - b2),
                             static_cast<float>(bias_correction2_sqrt),
                             static_cast<float>(options_.eps),
                             static_cast<float>(-step_size),
                             static_cast<float>(grad_scale)};
        kernels::AdamW(p.data_ptr<float>(), grad.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), p.numel(), c);
        continue;
      }
      // Generic path (other dtypes/devices): torch.optim.AdamW's tensor ops.
      if (grad_scale != 1.0) grad = grad * grad_scale;
      p.mul_(1.0 - lr * g.weight_decay);
      m.mul_(b1).add_(grad, 1.0 - b1);
      v.mul_(b2).addcmul_(grad, grad, 1.0 - b2);
      at::Tensor denom = (v.sqrt() / bias_correction2_sqrt).add_(options_.eps);
      p.addcdiv_(m, denom, -step_size);
    }
  }
}

void AdamW::ZeroGrad() {
  for (auto& g : groups_) {
    for (auto& p : g.params) {
      if (p.grad().defined()) p.mutable_grad() = at::Tensor();  // set_to_none, as HF/torch >= 2 do
    }
  }
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::StateTensors() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    for (size_t i = 0; i < groups_[gi].params.size(); ++i) {
      if (!exp_avg_[gi][i].defined()) continue;
      out.emplace_back("exp_avg." + groups_[gi].names[i], exp_avg_[gi][i]);
      out.emplace_back("exp_avg_sq." + groups_[gi].names[i], exp_avg_sq_[gi][i]);
    }
  }
  return out;
}

void AdamW::LoadState(const std::vector<std::pair<std::string, at::Tensor>>& tensors, int64_t step) {
  std::map<std::string, at::Tensor> by_name(tensors.begin(), tensors.end());
  auto take = [&](const std::string& key, const at::Tensor& like) -> at::Tensor {
    auto it = by_name.find(key);
    if (it == by_name.end()) {
      if (step == 0) return at::Tensor();
      throw FormatError("optimizer state lacks '" + key + "'");
    }
    if (it->second.sizes() != like.sizes()) throw FormatError("optimizer state '" + key + "' has the wrong shape");
    return it->second.to(like.options()).clone();
  };
  std::vector<std::vector<at::Tensor>> m(groups_.size()), v(groups_.size());
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    for (size_t i = 0; i < groups_[gi].params.size(); ++i) {
      const at::Tensor& p = groups_[gi].params[i];
      m[gi].push_back(take("exp_avg." + groups_[gi].names[i], p));
      v[gi].push_back(take("exp_avg_sq." + groups_[gi].names[i], p));
    }
  }
  exp_avg_ = std::move(m);
  exp_avg_sq_ = std::move(v);
  step_ = step;
}

double GradNorm(const std::vector<at::Tensor>& params) {
  at::NoGradGuard no_grad;
  // Sum of squares per tensor in double (one pass each), combined here: one number, no stack.
  double sum = 0.0;
  bool any = false;
  for (const auto& p : params) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    any = true;
    if (g.scalar_type() == at::kFloat && g.device().is_cpu() && g.is_contiguous()) {
      sum += kernels::SumOfSquares(g.data_ptr<float>(), g.numel());
    } else {
      const double n = at::norm(g.detach(), 2).item<double>();
      sum += n * n;
    }
  }
  return any ? std::sqrt(sum) : 0.0;
}

double ClipCoefficient(double total_norm, double max_norm) {
  return std::min(1.0, max_norm / (total_norm + 1e-6));
}

double ClipGradNorm(const std::vector<at::Tensor>& params, double max_norm) {
  at::NoGradGuard no_grad;
  const double total = GradNorm(params);
  const double coef = ClipCoefficient(total, max_norm);
  for (const auto& p : params) {
    if (p.grad().defined()) p.grad().mul_(coef);
  }
  return total;
}

}  // namespace bertc::train
