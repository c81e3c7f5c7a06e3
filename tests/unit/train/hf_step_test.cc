// One optimizer step against Hugging Face: the fixture tiny_train_step.json was produced by
// tests/fixtures/gen_models.py (HF BertForMaskedLM from tiny_mlm_nodrop, a fixed batch and labels,
// torch.optim.AdamW with HF Trainer's decay grouping, clip_grad_norm_ 1.0).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "common/atomic_file.h"
#include "train/trainer.h"

namespace bertc::train {
namespace {

const std::string kFixtures = BERTC_FIXTURES_DIR "/model/";

std::vector<int32_t> Flat(const nlohmann::json& rows) {
  std::vector<int32_t> v;
  for (const auto& r : rows)
    for (const auto& x : r) v.push_back(x.get<int32_t>());
  return v;
}

void FlattenInto(const nlohmann::json& j, std::vector<double>& out) {
  if (j.is_array()) {
    for (const auto& x : j) FlattenInto(x, out);
  } else {
    out.push_back(j.get<double>());
  }
}

TEST(HfEquivalence, OneAdamWStepMatchesTransformers) {
  if (!PathExists(kFixtures + "tiny_train_step.json")) GTEST_SKIP() << "fixture missing";
  const auto fx = nlohmann::json::parse(ReadFile(kFixtures + "tiny_train_step.json"));
  model::Bert m = model::LoadBert(kFixtures + fx["model_dir"].get<std::string>());
  ASSERT_EQ(m->config().hidden_dropout_prob, 0.0);

  // Same decay grouping as HF's Trainer.
  const auto groups = m->parameter_groups();
  std::set<std::string> ours(groups.no_decay_names.begin(), groups.no_decay_names.end());
  std::set<std::string> theirs;
  for (const auto& n : fx["optimizer"]["no_decay_params"]) theirs.insert(n.get<std::string>());
  EXPECT_EQ(ours, theirs);

  TokenizerInfo tok;
  tok.ids = data::SpecialIds{2, 3, 0, 4, 1};
  tok.vocab_size = static_cast<int>(m->config().vocab_size);
  TrainerOptions o;
  o.max_length = 64;
  o.learning_rate = fx["optimizer"]["lr"].get<double>();
  o.adam = AdamWOptions{fx["optimizer"]["betas"][0].get<double>(), fx["optimizer"]["betas"][1].get<double>(),
                        fx["optimizer"]["eps"].get<double>(), fx["optimizer"]["weight_decay"].get<double>()};
  o.max_grad_norm = fx["max_grad_norm"].get<double>();
  o.schedule = ScheduleKind::kConstant;
  o.max_steps = 1;
  o.threads = 1;
  o.save_final_model = false;
  o.masked_only_logits = false;  // HF computes logits everywhere (same loss either way)
  Trainer t(m, tok, nullptr, nullptr, o);

  data::MlmBatch b;
  b.rows = static_cast<int64_t>(fx["input_ids"].size());
  b.cols = static_cast<int64_t>(fx["input_ids"][0].size());
  b.input_ids = Flat(fx["input_ids"]);
  b.token_type_ids = Flat(fx["token_type_ids"]);
  b.attention_mask = Flat(fx["attention_mask"]);
  b.labels = Flat(fx["labels"]);
  const StepResult r = t.StepOnBatch(b);
  EXPECT_NEAR(r.loss, fx["loss_before"].get<double>(), 1e-5);
  EXPECT_NEAR(r.grad_norm, fx["grad_norm"].get<double>(), 1e-4);

  auto params = m->named_parameters();
  int compared_values = 0;
  for (const auto& [name, p] : fx["params"].items()) {
    ASSERT_TRUE(params.contains(name)) << name;
    const at::Tensor w = params[name].detach().to(torch::kDouble);
    const double sum = p["sum"].get<double>(), abs_sum = p["abs_sum"].get<double>();
    const double numel = static_cast<double>(w.numel());
    if (p["grad_abs_sum"].get<double>() < o.adam.eps * numel) {
      // A gradient that is mathematically zero and numerically rounding noise below eps (the key
      // biases: softmax ignores a per-query shift of the scores). AdamW turns noise g into a step
      // of lr * g / (|g| + eps), whose sign any change of summation order flips; only its size
      // is comparable: at most lr per element.
      const double lr = o.learning_rate;
      EXPECT_NEAR(w.sum().item<double>(), p["sum_before"].get<double>(), lr * numel) << name;
      EXPECT_NEAR(w.abs().sum().item<double>(), abs_sum, 2 * lr * numel) << name;
      continue;
    }
    EXPECT_NEAR(w.sum().item<double>(), sum, 1e-4 * std::max(1.0, std::abs(abs_sum))) << name;
    EXPECT_NEAR(w.abs().sum().item<double>(), abs_sum, 1e-4 * std::max(1.0, abs_sum)) << name;
    if (p.contains("value")) {
      const auto flat = w.reshape({-1});
      std::vector<double> want;
      FlattenInto(p["value"], want);
      ASSERT_EQ(flat.size(0), static_cast<int64_t>(want.size())) << name;
      for (int64_t i = 0; i < flat.size(0); ++i) {
        EXPECT_NEAR(flat[i].item<double>(), want[static_cast<size_t>(i)], 2e-6) << name << "[" << i << "]";
      }
      ++compared_values;
    }
  }
  EXPECT_GT(compared_values, 0);

  // Loss after the step, on the same batch (no dropout in this model).
  torch::NoGradGuard ng;
  auto ids = torch::tensor(std::vector<int64_t>(b.input_ids.begin(), b.input_ids.end())).reshape({b.rows, b.cols});
  auto tt = torch::tensor(std::vector<int64_t>(b.token_type_ids.begin(), b.token_type_ids.end())).reshape({b.rows, b.cols});
  auto am = torch::tensor(std::vector<int64_t>(b.attention_mask.begin(), b.attention_mask.end())).reshape({b.rows, b.cols});
  auto lab = torch::tensor(std::vector<int64_t>(b.labels.begin(), b.labels.end())).reshape({b.rows, b.cols});
  m->eval();
  EXPECT_NEAR(m->ForwardWithLoss(ids, tt, am, lab, true).loss.item<double>(), fx["loss_after"].get<double>(), 1e-4);
}

}  // namespace
}  // namespace bertc::train
