#include "train/adamw.h"

#include <ATen/ATen.h>

#include <cmath>
#include <map>

#include "common/error.h"

namespace bertc::train {

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : groups_(std::move(groups)), options_(options) {
  for (const auto& g : groups_) {
    if (g.names.size() != g.params.size()) throw InvalidArgument("parameter group names and tensors differ in count");
    exp_avg_.emplace_back(g.params.size());
    exp_avg_sq_.emplace_back(g.params.size());
  }
}

void AdamW::Step(double lr) {
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
      const at::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      at::Tensor& m = exp_avg_[gi][i];
      at::Tensor& v = exp_avg_sq_[gi][i];
      if (!m.defined()) {
        m = at::zeros_like(p, at::MemoryFormat::Preserve);
        v = at::zeros_like(p, at::MemoryFormat::Preserve);
      }
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

double ClipGradNorm(const std::vector<at::Tensor>& params, double max_norm) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  std::vector<at::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) {
      grads.push_back(p.grad());
      norms.push_back(at::norm(p.grad().detach(), 2));
    }
  }
  if (grads.empty()) return 0.0;
  const at::Tensor total = at::norm(at::stack(norms), 2);
  const at::Tensor coef = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
  for (auto& g : grads) g.mul_(coef);
  return total.item<double>();
}

}  // namespace bertc::train
