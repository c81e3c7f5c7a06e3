// Fine-tuning parity with Hugging Face: the fixture tiny_classifiers.json and the models
// tiny_seqcls / tiny_tokcls were produced by tests/fixtures/gen_classifiers.py (transformers 4.49:
// BertForSequenceClassification / BertForTokenClassification on tiny_mlm's encoder, dropout 0).
// Covered: logits and loss of a padded batch, one AdamW step as HF's Trainer takes it, the
// text-classification and token-classification ("first") pipelines, pre-split word tagging, the
// word_ids() label alignment, heads put on an MLM checkpoint, and save/load round trips.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "data/labeled.h"
#include "data/tokenizer_bridge.h"
#include "infer/classify.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

namespace bertc::train {
namespace {

const std::string kModels = BERTC_FIXTURES_DIR "/model/";

nlohmann::json Fixture() { return nlohmann::json::parse(ReadFile(kModels + "tiny_classifiers.json")); }

std::vector<int32_t> Flat(const nlohmann::json& rows) {
  std::vector<int32_t> v;
  for (const auto& r : rows) {
    if (r.is_array()) {
      for (const auto& x : r) v.push_back(x.get<int32_t>());
    } else {
      v.push_back(r.get<int32_t>());
    }
  }
  return v;
}

void FlattenInto(const nlohmann::json& j, std::vector<double>& out) {
  if (j.is_array()) {
    for (const auto& x : j) FlattenInto(x, out);
  } else {
    out.push_back(j.get<double>());
  }
}

at::Tensor Long(const std::vector<int32_t>& v, int64_t rows, int64_t cols) {
  return torch::tensor(std::vector<int64_t>(v.begin(), v.end())).reshape({rows, cols});
}

void ExpectClose(const at::Tensor& got, const nlohmann::json& want, double tol, const std::string& what) {
  std::vector<double> w;
  FlattenInto(want, w);
  const at::Tensor g = got.detach().to(torch::kDouble).reshape({-1}).contiguous();
  ASSERT_EQ(g.numel(), static_cast<int64_t>(w.size())) << what;
  const double* p = g.data_ptr<double>();
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(p[i], w[i], tol) << what << "[" << i << "]";
}

// Logits and loss of the fixture's padded batch.
void CheckForward(const nlohmann::json& fx, bool per_token) {
  model::Bert m = model::LoadBert(kModels + fx["model_dir"].get<std::string>());
  m->eval();
  const int64_t rows = static_cast<int64_t>(fx["input_ids"].size());
  const int64_t cols = static_cast<int64_t>(fx["input_ids"][0].size());
  const at::Tensor ids = Long(Flat(fx["input_ids"]), rows, cols);
  const at::Tensor mask = Long(Flat(fx["attention_mask"]), rows, cols);
  const at::Tensor labels = per_token ? Long(Flat(fx["batch_labels"]), rows, cols)
                                      : Long(Flat(fx["batch_labels"]), 1, rows).view({rows});
  torch::NoGradGuard ng;
  const model::ClassifierOutput out = m->ForwardClassifier(ids, at::zeros_like(ids), mask, labels);
  ExpectClose(out.logits, fx["logits"], 1e-5, "logits");
  EXPECT_NEAR(out.loss.item<double>(), fx["loss"].get<double>(), 1e-5);
  // The inference kernels give the same logits.
  c10::InferenceMode im;
  ExpectClose(m->PredictClasses(ids, at::Tensor(), mask), fx["logits"], 1e-5, "PredictClasses");
}

// One optimizer step on the fixture's batch vs HF's (torch.optim.AdamW, Trainer grouping, clip 1.0).
void CheckStep(const nlohmann::json& fx, bool per_token) {
  const auto& st = fx["step"];
  model::Bert m = model::LoadBert(kModels + fx["model_dir"].get<std::string>());
  const auto groups = m->parameter_groups();
  std::set<std::string> ours(groups.no_decay_names.begin(), groups.no_decay_names.end()), theirs;
  for (const auto& n : st["no_decay_params"]) theirs.insert(n.get<std::string>());
  EXPECT_EQ(ours, theirs);
  TokenizerInfo tok;
  tok.ids = data::SpecialIds{2, 3, 0, 4, 1};
  tok.vocab_size = static_cast<int>(m->config().vocab_size);
  TrainerOptions o;
  o.max_length = 64;
  o.learning_rate = st["lr"].get<double>();
  o.adam = AdamWOptions{st["betas"][0].get<double>(), st["betas"][1].get<double>(), st["eps"].get<double>(),
                        st["weight_decay"].get<double>()};
  o.max_grad_norm = st["max_grad_norm"].get<double>();
  o.schedule = ScheduleKind::kConstant;
  o.max_steps = 1;
  o.threads = 1;
  o.save_final_model = false;
  Trainer t(m, tok, nullptr, nullptr, o);
  data::LabeledBatch b;
  b.rows = static_cast<int64_t>(fx["input_ids"].size());
  b.cols = static_cast<int64_t>(fx["input_ids"][0].size());
  b.input_ids = Flat(fx["input_ids"]);
  b.attention_mask = Flat(fx["attention_mask"]);
  b.labels = Flat(fx["batch_labels"]);
  const StepResult r = t.StepOnLabeledBatch(b);
  EXPECT_NEAR(r.loss, st["loss_before"].get<double>(), 1e-5);
  EXPECT_NEAR(r.grad_norm, st["grad_norm"].get<double>(), 1e-4);
  auto params = m->named_parameters();
  int compared = 0;
  for (const auto& [name, p] : st["params"].items()) {
    ASSERT_TRUE(params.contains(name)) << name;
    const at::Tensor w = params[name].detach().to(torch::kDouble);
    const double numel = static_cast<double>(w.numel()), abs_sum = p["abs_sum"].get<double>();
    if (p["grad_abs_sum"].get<double>() < o.adam.eps * numel) {  // rounding-noise gradients (see hf_step_test)
      EXPECT_NEAR(w.sum().item<double>(), p["sum_before"].get<double>(), o.learning_rate * numel) << name;
      continue;
    }
    EXPECT_NEAR(w.sum().item<double>(), p["sum"].get<double>(), 1e-4 * std::max(1.0, abs_sum)) << name;
    EXPECT_NEAR(w.abs().sum().item<double>(), abs_sum, 1e-4 * std::max(1.0, abs_sum)) << name;
    if (p.contains("value")) {
      ExpectClose(w, p["value"], 2e-6, name);
      ++compared;
    }
  }
  EXPECT_GT(compared, 0);
  torch::NoGradGuard ng;
  m->eval();
  const at::Tensor ids = Long(b.input_ids, b.rows, b.cols);
  const at::Tensor labels = per_token ? Long(b.labels, b.rows, b.cols) : Long(b.labels, 1, b.rows).view({b.rows});
  EXPECT_NEAR(m->ForwardClassifier(ids, at::zeros_like(ids), Long(b.attention_mask, b.rows, b.cols), labels)
                  .loss.item<double>(),
              st["loss_after"].get<double>(), 1e-4);
}

class HfClassifier : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PathExists(kModels + "tiny_classifiers.json")) GTEST_SKIP() << "fixture missing";
    fx_ = Fixture();
    tok_ = tok::Tokenizer::Load(kModels + "tiny_mlm");
  }
  nlohmann::json fx_;
  std::shared_ptr<const tok::Tokenizer> tok_;
};

TEST_F(HfClassifier, SequenceLogitsAndLoss) { CheckForward(fx_["sequence"], false); }
TEST_F(HfClassifier, TokenLogitsAndLoss) { CheckForward(fx_["token"], true); }
TEST_F(HfClassifier, SequenceAdamWStep) { CheckStep(fx_["sequence"], false); }
TEST_F(HfClassifier, TokenAdamWStep) { CheckStep(fx_["token"], true); }

TEST_F(HfClassifier, ConfigHasArchitectureAndLabels) {
  const auto& fx = fx_["sequence"];
  model::Bert m = model::LoadBert(kModels + "tiny_seqcls");
  EXPECT_EQ(m->task(), model::Task::kSequenceClassification);
  std::vector<std::string> labels;
  for (const auto& l : fx["labels"]) labels.push_back(l.get<std::string>());
  EXPECT_EQ(m->config().id2label, labels);
  EXPECT_EQ(model::LoadBert(kModels + "tiny_tokcls")->task(), model::Task::kTokenClassification);
}

TEST_F(HfClassifier, TextClassificationPipeline) {
  const auto& fx = fx_["sequence"];
  model::Bert m = model::LoadBert(kModels + "tiny_seqcls");
  std::vector<std::string> texts;
  for (const auto& t : fx["texts"]) texts.push_back(t.get<std::string>());
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  infer::ClassifyOptions o;
  o.batch_size = 3;  // two batches, padding in each
  const auto got = infer::Classify(*m, *tok_, views, o);
  ASSERT_EQ(got.size(), texts.size());
  const auto& labels = m->config().id2label;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& want = fx["pipeline"][i]["label_scores"];
    double best = -1;
    std::string best_label;
    for (size_t l = 0; l < labels.size(); ++l) {
      EXPECT_NEAR(got[i].scores[l], want[labels[l]].get<double>(), 1e-6) << texts[i] << " " << labels[l];
      if (want[labels[l]].get<double>() > best) {
        best = want[labels[l]].get<double>();
        best_label = labels[l];
      }
    }
    EXPECT_EQ(labels[static_cast<size_t>(got[i].label)], best_label);
  }
}

TEST_F(HfClassifier, TokenClassificationPipelineFirst) {
  const auto& fx = fx_["token"];
  model::Bert m = model::LoadBert(kModels + "tiny_tokcls");
  std::vector<std::string> texts;
  for (const auto& t : fx["texts"]) texts.push_back(t.get<std::string>());
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  const auto got = infer::Tag(*m, *tok_, views, infer::ClassifyOptions{});
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& want = fx["pipeline"][i];
    ASSERT_EQ(got[i].groups.size(), want.size()) << texts[i];
    for (size_t g = 0; g < want.size(); ++g) {
      const auto& grp = got[i].groups[g];
      EXPECT_EQ(grp.label, want[g]["entity_group"].get<std::string>());
      EXPECT_NEAR(grp.score, want[g]["score"].get<double>(), 1e-6);
      EXPECT_EQ(grp.start, want[g]["start"].get<size_t>());
      EXPECT_EQ(grp.end, want[g]["end"].get<size_t>());
      std::string span = texts[i].substr(grp.start, grp.end - grp.start);
      for (char& c : span) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_EQ(span, want[g]["word"].get<std::string>());  // HF decodes the (lowercased) tokens
    }
  }
}

TEST_F(HfClassifier, PreSplitWordsTakeTheirFirstPiecesLabel) {
  const auto& fx = fx_["token"];
  model::Bert m = model::LoadBert(kModels + "tiny_tokcls");
  std::vector<std::vector<std::string>> words;
  for (const auto& row : fx["words"]) words.push_back(row.get<std::vector<std::string>>());
  std::vector<std::vector<std::string_view>> views;
  for (const auto& w : words) views.emplace_back(w.begin(), w.end());
  const auto got = infer::TagWords(*m, *tok_, views, infer::ClassifyOptions{});
  for (size_t i = 0; i < words.size(); ++i) {
    const auto& want = fx["word_predictions"][i];
    ASSERT_EQ(got[i].words.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(got[i].words[k].word_index, want[k]["word"].get<size_t>());
      EXPECT_EQ(got[i].words[k].label, want[k]["label"].get<int64_t>());
      EXPECT_NEAR(got[i].words[k].score, want[k]["score"].get<double>(), 1e-6);
    }
  }
}

TEST_F(HfClassifier, TrainingLabelsFollowWordIds) {
  const auto& fx = fx_["token"];
  std::string jsonl;
  for (size_t i = 0; i < fx["words"].size(); ++i) {
    jsonl += nlohmann::json{{"words", fx["words"][i]}, {"tags", fx["tags"][i]}}.dump() + "\n";
  }
  const std::string path = ::testing::TempDir() + "/bertc_tok_labels.jsonl";
  WriteFileAtomic(path, jsonl);
  data::LabeledReadOptions o;
  o.task = data::LabelTask::kToken;
  o.max_length = 64;
  o.ids = data::SpecialIds{tok_->cls_id(), tok_->sep_id(), tok_->pad_id(), tok_->mask_id(), tok_->unk_id()};
  std::vector<std::string> labels;
  for (const auto& l : fx["labels"]) labels.push_back(l.get<std::string>());
  const data::ExampleSet set = data::ReadLabeledJsonl({path}, data::HooksFor(tok_).encode, labels, o);
  ASSERT_EQ(set.size(), fx["input_ids"].size());
  for (size_t i = 0; i < set.size(); ++i) {
    const data::TokenSpan s = set[i];
    for (size_t k = 0; k < s.size; ++k) {
      EXPECT_EQ(s.data[k], fx["input_ids"][i][k].get<int32_t>()) << i << "," << k;
      EXPECT_EQ(set.token_labels(i)[k], fx["batch_labels"][i][k].get<int32_t>()) << i << "," << k;
    }
  }
}

TEST_F(HfClassifier, HeadOnAnMlmCheckpointKeepsTheEncoder) {
  model::HeadSpec head;
  head.task = model::Task::kSequenceClassification;
  for (const auto& l : fx_["sequence"]["labels"]) head.labels.push_back(l.get<std::string>());
  model::LoadReport rep;
  model::Bert m = model::LoadBertForTask(kModels + "tiny_mlm", head, &rep);
  EXPECT_TRUE(rep.head_initialized);
  EXPECT_EQ(rep.initialized_keys, (std::vector<std::string>{"bert.pooler.dense.weight", "bert.pooler.dense.bias",
                                                             "classifier.weight", "classifier.bias"}));
  ASSERT_FALSE(rep.warnings.empty());
  EXPECT_NE(rep.warnings[0].find("newly initialized"), std::string::npos) << rep.warnings[0];
  EXPECT_NE(rep.warnings[1].find("were not used when initializing BertForSequenceClassification"), std::string::npos);
  // The encoder is tiny_mlm's, as in tiny_seqcls (built on the same encoder by the generator).
  model::Bert ref = model::LoadBert(kModels + "tiny_seqcls");
  auto a = m->named_parameters(), b = ref->named_parameters();
  for (const auto& item : a) {
    if (model::HeadGroup(item.key()).empty()) {
      EXPECT_TRUE(item.value().equal(b[item.key()])) << item.key();
    }
  }
  // Seeded: the same head twice.
  model::Bert again = model::LoadBertForTask(kModels + "tiny_mlm", head);
  EXPECT_TRUE(m->named_parameters()["classifier.weight"].equal(again->named_parameters()["classifier.weight"]));
}

// from_pretrained(dir, hidden_dropout_prob=..., attention_probs_dropout_prob=...): the config's dropout
// is replaced (on a kept head too), the weights are the checkpoint's.
TEST_F(HfClassifier, DropoutOverrideReplacesTheConfigsOnly) {
  model::HeadSpec head;
  head.task = model::Task::kSequenceClassification;
  const model::Bert plain = model::LoadBertForTask(kModels + "tiny_seqcls", head);
  EXPECT_EQ(plain->config().hidden_dropout_prob, 0.0);  // as the generator saved it
  head.hidden_dropout_prob = 0.2;
  head.attention_probs_dropout_prob = 0.3;
  const model::Bert m = model::LoadBertForTask(kModels + "tiny_seqcls", head);
  EXPECT_DOUBLE_EQ(m->config().hidden_dropout_prob, 0.2);
  EXPECT_DOUBLE_EQ(m->config().attention_probs_dropout_prob, 0.3);
  EXPECT_DOUBLE_EQ(m->config().ClassifierDropout(), 0.2);  // classifier_dropout unset: follows hidden
  auto a = m->named_parameters(), b = plain->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& item : a) EXPECT_TRUE(item.value().equal(b[item.key()])) << item.key();
}

TEST_F(HfClassifier, LabelMapsMustAgree) {
  model::HeadSpec head;
  head.task = model::Task::kSequenceClassification;
  head.labels = {"press", "fiction", "nonfiction"};  // the checkpoint's, in another order
  try {
    model::LoadBertForTask(kModels + "tiny_seqcls", head);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("disagrees with the checkpoint's [fiction, nonfiction, press]"),
              std::string::npos)
        << e.what();
  }
  head.labels = {"fiction", "nonfiction", "press"};
  EXPECT_EQ(model::LoadBertForTask(kModels + "tiny_seqcls", head)->config().id2label, head.labels);
  head.labels.clear();  // the checkpoint's own map
  EXPECT_EQ(model::LoadBertForTask(kModels + "tiny_seqcls", head)->config().num_labels(), 3);
  head.task = model::Task::kTokenClassification;  // a new head needs labels
  EXPECT_THROW(model::LoadBertForTask(kModels + "tiny_seqcls", head), Error);
}

TEST_F(HfClassifier, SaveLoadRoundTrip) {
  for (const char* name : {"tiny_seqcls", "tiny_tokcls"}) {
    model::Bert m = model::LoadBert(kModels + name);
    const std::string dir = ::testing::TempDir() + "/bertc_rt_" + name;
    std::filesystem::remove_all(dir);
    model::SaveBert(*m, dir);
    model::Bert back = model::LoadBert(dir);
    EXPECT_EQ(back->config(), m->config());
    auto a = m->named_parameters(), b = back->named_parameters();
    ASSERT_EQ(a.size(), b.size());
    for (const auto& item : a) EXPECT_TRUE(item.value().equal(b[item.key()])) << item.key();
    const std::string cfg = ReadFile(dir + "/config.json");
    EXPECT_NE(cfg.find(model::ArchitectureName(m->task())), std::string::npos);
    EXPECT_NE(cfg.find("\"label2id\""), std::string::npos);
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace bertc::train
