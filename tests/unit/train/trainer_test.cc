#include "train/trainer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"
#include "train/checkpoint_dir.h"
#include "toy.h"

namespace bertc::train {
namespace {
namespace fs = std::filesystem;
using testing::FreshDir;
using testing::TinyConfig;
using testing::ToyExamples;
using testing::ToyOptions;
using testing::ToyTokenizer;

std::unique_ptr<Trainer> MakeTrainer(const TrainerOptions& o, std::shared_ptr<data::ExampleSet> train,
                                     std::shared_ptr<data::ExampleSet> eval = nullptr, uint64_t init_seed = 1,
                                     model::BertConfig cfg = TinyConfig()) {
  return std::make_unique<Trainer>(model::Bert(cfg, init_seed), ToyTokenizer(), train, eval, o);
}

ErrorCode CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return static_cast<ErrorCode>(0);
}

TEST(Trainer, LossFallsAndEvalBeatsUniform) {
  auto train = ToyExamples(200, 1);
  auto eval = ToyExamples(40, 2);
  TrainerOptions o = ToyOptions(FreshDir("falls"));
  o.max_steps = 300;
  o.eval_steps = 150;
  o.warmup_steps = 10;
  o.learning_rate = 5e-3;
  o.mlm.mlm_probability = 0.2;
  auto t = MakeTrainer(o, train, eval);
  const int caller_threads = at::get_num_threads();
  const EvalResult before = t->Evaluate();
  double first = 0, last = 0;
  for (int i = 0; i < 300; ++i) {
    const StepResult r = t->Step();
    EXPECT_EQ(r.step, i + 1);
    EXPECT_TRUE(std::isfinite(r.loss));
    if (i < 10) first += r.loss / 10;
    if (i >= 290) last += r.loss / 10;
  }
  EXPECT_EQ(at::get_num_threads(), caller_threads);  // o.threads applied to each call only
  const EvalResult after = t->Evaluate();
  // ln(59) is the best a context-free model can do on the toy language (59 equiprobable words).
  EXPECT_LT(last, first - 0.15) << "first " << first << " last " << last;
  EXPECT_LT(after.loss, std::log(59.0) - 0.05);
  EXPECT_LT(after.loss, before.loss);
  EXPECT_GT(after.accuracy, before.accuracy);
  EXPECT_NEAR(after.perplexity, std::exp(after.loss), 1e-9);
  EXPECT_GT(after.masked_tokens, 0);
  EXPECT_TRUE(t->finished());
  // JSONL log: one line per step + the evaluations.
  const std::string log = ReadFile(o.output_dir + "/train_log.jsonl");
  int lines = 0, evals = 0;
  size_t pos = 0;
  while (pos < log.size()) {
    const size_t nl = log.find('\n', pos);
    auto j = nlohmann::json::parse(log.substr(pos, nl - pos));
    ++lines;
    evals += j.contains("eval_loss");
    if (!j.contains("eval_loss")) {
      EXPECT_TRUE(j.contains("learning_rate") && j.contains("grad_norm") && j.contains("tokens_per_second") &&
                  j.contains("elapsed"));
    }
    pos = nl + 1;
  }
  EXPECT_EQ(lines, 300 + 4);  // 2 scheduled + 2 explicit evaluations
  EXPECT_EQ(evals, 4);
}

struct ResumeCase {
  int grad_accum;
  int resume_at;
  const char* what;
};

class ResumeTest : public ::testing::TestWithParam<ResumeCase> {};

// 40 examples / batch 8 = 5 batches per epoch; 12 steps cross epoch boundaries.
TEST_P(ResumeTest, LossSequenceIsBitIdentical) {
  const ResumeCase c = GetParam();
  auto train = ToyExamples(40, 3);
  TrainerOptions o = ToyOptions(FreshDir(std::string("resume_") + c.what));
  o.grad_accum = c.grad_accum;
  o.max_steps = 12;
  std::vector<double> straight_loss, straight_norm;
  auto straight = MakeTrainer(o, train);
  for (int i = 0; i < 12; ++i) {
    const StepResult r = straight->Step();
    straight_loss.push_back(r.loss);
    straight_norm.push_back(r.grad_norm);
  }
  fs::remove_all(o.output_dir);
  {
    auto first = MakeTrainer(o, train);
    for (int i = 0; i < c.resume_at; ++i) ASSERT_EQ(first->Step().loss, straight_loss[static_cast<size_t>(i)]);
    first->SaveCheckpoint();
  }
  // A fresh process state: another model init, and torch's global generator disturbed.
  torch::manual_seed(12345);
  (void)torch::rand({10});
  auto second = MakeTrainer(o, train, nullptr, /*init_seed=*/999);
  second->Resume();
  EXPECT_EQ(second->global_step(), c.resume_at);
  for (int i = c.resume_at; i < 12; ++i) {
    const StepResult r = second->Step();
    EXPECT_EQ(r.loss, straight_loss[static_cast<size_t>(i)]) << "step " << i + 1;
    EXPECT_EQ(r.grad_norm, straight_norm[static_cast<size_t>(i)]) << "step " << i + 1;
  }
  EXPECT_DOUBLE_EQ(second->epoch(), straight->epoch());
  auto a = straight->model()->named_parameters();
  auto b = second->model()->named_parameters();
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();
}

INSTANTIATE_TEST_SUITE_P(Trainer, ResumeTest,
                         ::testing::Values(ResumeCase{1, 3, "inside_epoch"}, ResumeCase{1, 5, "at_epoch_end"},
                                           ResumeCase{1, 7, "after_boundary"}, ResumeCase{2, 3, "accum_across"}),
                         [](const auto& p) { return std::string(p.param.what); });

TEST(Trainer, CheckpointHasEverythingAndFinalModelLoads) {
  auto train = ToyExamples(40, 4);
  auto eval = ToyExamples(16, 5);
  TrainerOptions o = ToyOptions(FreshDir("contents"));
  o.max_steps = 4;
  o.save_steps = 2;
  o.eval_steps = 2;
  TokenizerInfo tok = ToyTokenizer();
  tok.save = [](const std::string& dir) { WriteFileAtomic(dir + "/vocab.txt", "[PAD]\n"); };
  Trainer t(model::Bert(TinyConfig(), 1), tok, train, eval, o);
  std::vector<Event> events;
  t.Train([&](const Event& e) {
    events.push_back(e);
    return true;
  });
  const std::string ck = CheckpointPath(o.output_dir, 4);
  for (const char* f : {"config.json", "model.safetensors", "optimizer.safetensors", "rng_state.safetensors",
                        "scheduler.json", "trainer_state.json", "vocab.txt"}) {
    EXPECT_TRUE(PathExists(ck + "/" + f)) << f;
  }
  auto state = nlohmann::json::parse(ReadFile(ck + "/trainer_state.json"));
  EXPECT_EQ(state["global_step"], 4);
  EXPECT_EQ(state["data_position"]["micro_batches"], 4);
  EXPECT_FALSE(state["best_metric"].is_null());
  EXPECT_EQ(state["log_history"].size(), 4u + 2u);
  // Final model in output_dir, loadable, equal to the trained weights.
  auto loaded = model::LoadBert(o.output_dir);
  EXPECT_TRUE(torch::equal(loaded->named_parameters()["bert.embeddings.word_embeddings.weight"],
                           t.model()->named_parameters()["bert.embeddings.word_embeddings.weight"]));
  EXPECT_TRUE(PathExists(o.output_dir + "/vocab.txt"));
  int steps = 0, evals = 0, cks = 0;
  for (const auto& e : events) {
    steps += e.kind == Event::kStep;
    evals += e.kind == Event::kEval;
    cks += e.kind == Event::kCheckpoint;
  }
  EXPECT_EQ(steps, 4);
  EXPECT_EQ(evals, 2);
  EXPECT_EQ(cks, 2);
}

TEST(Trainer, RotationKeepsLimitAndBestAndLoadsBest) {
  auto train = ToyExamples(64, 6);
  auto eval = ToyExamples(16, 7);
  TrainerOptions o = ToyOptions(FreshDir("rotation"));
  o.max_steps = 12;
  o.save_steps = 2;
  o.eval_steps = 2;
  o.save_total_limit = 1;
  o.load_best_model_at_end = true;
  o.learning_rate = 2e-2;  // large enough that eval loss moves around
  auto t = MakeTrainer(o, train, eval);
  t->Train();
  auto left = ListCheckpoints(o.output_dir);
  ASSERT_GE(left.size(), 1u);
  ASSERT_LE(left.size(), 2u);
  EXPECT_EQ(left.back().step, 12);
  const std::string best = t->best_checkpoint();
  ASSERT_FALSE(best.empty());
  EXPECT_TRUE(PathExists(best));
  // The best metric is the minimum eval loss seen at a save step.
  double min_eval = 1e9;
  auto state = nlohmann::json::parse(ReadFile(o.output_dir + "/trainer_state.json"));
  for (const auto& e : state["log_history"]) {
    if (e.contains("eval_loss")) min_eval = std::min(min_eval, e["eval_loss"].get<double>());
  }
  EXPECT_DOUBLE_EQ(t->best_metric(), min_eval);
  // load_best_model_at_end: the final model equals the best checkpoint's.
  auto best_model = model::LoadBert(best);
  auto final_model = model::LoadBert(o.output_dir);
  EXPECT_TRUE(torch::equal(best_model->named_parameters()["cls.predictions.bias"],
                           final_model->named_parameters()["cls.predictions.bias"]));
}

TEST(Trainer, FailedSaveKeepsPreviousCheckpoint) {
  auto train = ToyExamples(40, 8);
  TrainerOptions o = ToyOptions(FreshDir("diskfull"));
  TokenizerInfo tok = ToyTokenizer();
  bool fail = false;
  tok.save = [&](const std::string& dir) {
    if (fail) throw IoError("cannot write '" + dir + "/vocab.txt': No space left on device");
    WriteFileAtomic(dir + "/vocab.txt", "v1");
  };
  Trainer t(model::Bert(TinyConfig(), 1), tok, train, nullptr, o);
  t.Step();
  const std::string first = t.SaveCheckpoint();
  t.Step();
  fail = true;
  EXPECT_EQ(CodeOf([&] { t.SaveCheckpoint(); }), ErrorCode::kIo);
  EXPECT_EQ(LatestCheckpoint(o.output_dir), first);
  EXPECT_EQ(RemoveStaleTemps(o.output_dir), 0);  // the temp dir was cleaned up
  // Saving over an existing checkpoint of the same step fails without destroying it either.
  EXPECT_EQ(CodeOf([&] { t.SaveCheckpoint(); }), ErrorCode::kIo);
  fail = false;
  auto again = MakeTrainer(o, train);
  again->Resume();
  EXPECT_EQ(again->global_step(), 1);
}

TEST(Trainer, CancelFromCallbackStopsAfterStep) {
  auto train = ToyExamples(40, 9);
  TrainerOptions o = ToyOptions(FreshDir("cancel"));
  auto t = MakeTrainer(o, train);
  EXPECT_EQ(CodeOf([&] { t->Train([](const Event& e) { return e.step < 3; }); }), ErrorCode::kCancelled);
  EXPECT_EQ(t->global_step(), 3);
}

TEST(Trainer, StepOnCallerBatch) {
  TrainerOptions o = ToyOptions("");
  o.threads = 1;
  o.save_final_model = false;
  o.max_steps = 5;
  auto t = MakeTrainer(o, nullptr);
  const int threads_before = at::get_num_threads();
  data::MlmBatch b;
  b.rows = 2;
  b.cols = 6;
  b.input_ids = {2, 10, 11, 12, 13, 3, 2, 20, 21, 3, 0, 0};
  StepResult masked_by_collator = t->StepOnBatch(b);
  EXPECT_TRUE(std::isfinite(masked_by_collator.loss));
  b.labels.assign(12, -100);
  b.labels[2] = 11;
  b.input_ids[2] = 4;
  StepResult r = t->StepOnBatch(b);
  EXPECT_EQ(r.step, 2);
  EXPECT_EQ(r.masked, 1);
  // Intra-op threads apply to the step only: the calling thread's own setting is back afterwards.
  EXPECT_EQ(at::get_num_threads(), threads_before);
  b.input_ids[0] = 64;  // outside the vocabulary
  EXPECT_EQ(CodeOf([&] { t->StepOnBatch(b); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { t->Step(); }), ErrorCode::kInvalidArgument);  // no planned data
}

TEST(Trainer, BadInput) {
  auto train = ToyExamples(20, 10);
  const std::string out = FreshDir("bad");
  TrainerOptions o = ToyOptions(out);
  auto bad = [&](auto mutate, std::shared_ptr<data::ExampleSet> data = nullptr) {
    TrainerOptions x = o;
    mutate(x);
    return CodeOf([&] { MakeTrainer(x, data ? data : train); });
  };
  EXPECT_EQ(bad([](TrainerOptions& x) { x.max_length = 65; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad([](TrainerOptions& x) { x.batch_size = 21; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad([](TrainerOptions&) {}, std::make_shared<data::ExampleSet>()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad([](TrainerOptions& x) { x.mlm.mlm_probability = 0.0; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad([](TrainerOptions& x) { x.mlm.mlm_probability = 1.0; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad([](TrainerOptions& x) { x.grad_accum = 0; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad([](TrainerOptions& x) { x.eval_steps = 5; }), ErrorCode::kInvalidArgument);  // no eval data
  EXPECT_EQ(bad([](TrainerOptions& x) { x.device = "tpu"; }), ErrorCode::kInvalidArgument);
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(bad([](TrainerOptions& x) { x.device = "cuda"; }), ErrorCode::kUnsupported);
  }
  MakeDirs(out);
  WriteFileAtomic(out + "/a_file", "x");
  EXPECT_EQ(bad([&](TrainerOptions& x) { x.output_dir = out + "/a_file/run"; }), ErrorCode::kIo);
  // Vocabulary mismatch between tokenizer and model.
  model::BertConfig other = TinyConfig();
  other.vocab_size = 80;
  EXPECT_EQ(CodeOf([&] { MakeTrainer(o, train, nullptr, 1, other); }), ErrorCode::kInvalidArgument);
}

TEST(Trainer, ResumeRefusesDifferentConfigOrData) {
  auto train = ToyExamples(40, 11);
  TrainerOptions o = ToyOptions(FreshDir("resume_bad"));
  EXPECT_EQ(CodeOf([&] { MakeTrainer(o, train)->Resume(); }), ErrorCode::kIo);  // nothing to resume
  {
    auto t = MakeTrainer(o, train);
    t->Step();
    t->SaveCheckpoint();
  }
  model::BertConfig wider = TinyConfig();
  wider.intermediate_size = 48;
  EXPECT_EQ(CodeOf([&] { MakeTrainer(o, train, nullptr, 1, wider)->Resume(); }), ErrorCode::kInvalidArgument);
  TrainerOptions other_batch = o;
  other_batch.batch_size = 4;
  EXPECT_EQ(CodeOf([&] { MakeTrainer(other_batch, train)->Resume(); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { MakeTrainer(o, ToyExamples(40, 12))->Resume(); }), ErrorCode::kInvalidArgument);
  TrainerOptions other_threads = o;
  other_threads.threads = 2;
  auto t = MakeTrainer(other_threads, train);
  t->Resume();
  EXPECT_EQ(t->TakeWarnings().size(), 1u);
}

// Runs in a child process (re-executed test binary): trains and checkpoints forever until killed.
TEST(TrainerCrash, Helper) {
  const char* out = std::getenv("BERTC_CRASH_HELPER_OUT");
  if (out == nullptr) GTEST_SKIP() << "only run as the child of KillMidCheckpoint";
  TrainerOptions o = ToyOptions(out);
  o.max_steps = 1000000;
  o.save_total_limit = 3;
  o.threads = 1;
  auto t = MakeTrainer(o, ToyExamples(40, 13));
  try {
    t->Resume();
  } catch (const Error&) {
  }
  for (;;) {
    t->Step();
    t->SaveCheckpoint();
  }
}

TEST(TrainerCrash, KillMidCheckpointLeavesPreviousLoadable) {
  const std::string out = FreshDir("kill");
  MakeDirs(out);
  for (int round = 0; round < 4; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      setenv("BERTC_CRASH_HELPER_OUT", out.c_str(), 1);
      execl("/proc/self/exe", "unit_train", "--gtest_filter=TrainerCrash.Helper", static_cast<char*>(nullptr));
      _exit(127);
    }
    // Let it get past startup and a few checkpoints, then kill at an arbitrary point.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500 + 137 * round));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "helper exited on its own with " << status;
  }
  const auto before = ListCheckpoints(out);
  ASSERT_FALSE(before.empty());
  TrainerOptions o = ToyOptions(out);
  o.max_steps = 1000000;
  o.save_total_limit = 3;
  o.threads = 1;
  auto t = MakeTrainer(o, ToyExamples(40, 13));  // removes stale temp dirs
  t->Resume();
  EXPECT_EQ(t->global_step(), before.back().step);
  EXPECT_TRUE(std::isfinite(t->Step().loss));
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace bertc::train
