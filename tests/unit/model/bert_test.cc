#include "model/bert.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <fstream>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "model/intra_op_threads.h"
#include "model/weights_layout.h"
#include "common/error.h"
#include "model/safetensors.h"

namespace bertc::model {
namespace {

BertConfig Tiny() {
  BertConfig c;
  c.vocab_size = 50;
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 24;
  c.max_position_embeddings = 20;
  c.type_vocab_size = 2;
  c.pad_token_id = 0;
  return c;
}

std::string TempDir(const std::string& name) {
  const std::string d = testing::TempDir() + "/bert_" + std::to_string(getpid()) + "_" + name;
  std::filesystem::remove_all(d);
  return d;
}

at::Tensor Ids(std::vector<std::vector<int64_t>> rows) {
  const int64_t b = static_cast<int64_t>(rows.size()), t = static_cast<int64_t>(rows[0].size());
  at::Tensor out = at::empty({b, t}, at::kLong);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < t; ++j) out[i][j] = rows[i][j];
  return out;
}

ErrorCode CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;  // "no error" shows up as a mismatch
}

TEST(BertForMaskedLM, ParameterNamesMirrorHuggingFace) {
  Bert m(Tiny(), 1);
  std::vector<std::string> names;
  for (const auto& p : m->named_parameters()) names.push_back(p.key());
  ASSERT_EQ(names.size(), 5u + 16u * 2u + 5u);
  EXPECT_EQ(names.front(), "bert.embeddings.word_embeddings.weight");
  const std::set<std::string> set(names.begin(), names.end());
  for (const char* k :
       {"bert.embeddings.position_embeddings.weight", "bert.embeddings.token_type_embeddings.weight",
        "bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias",
        "bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.0.attention.self.key.bias",
        "bert.encoder.layer.1.attention.self.value.weight", "bert.encoder.layer.1.attention.output.dense.weight",
        "bert.encoder.layer.1.attention.output.LayerNorm.bias", "bert.encoder.layer.0.intermediate.dense.weight",
        "bert.encoder.layer.0.output.dense.bias", "bert.encoder.layer.1.output.LayerNorm.weight",
        "cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.predictions.transform.LayerNorm.weight",
        "cls.predictions.transform.LayerNorm.bias"}) {
    EXPECT_TRUE(set.count(k)) << k;
  }
  EXPECT_FALSE(set.count("cls.predictions.decoder.weight"));  // tied to the word embeddings
  const int64_t h = 16, v = 50, i = 24, l = 2;
  const int64_t expected = v * h + 20 * h + 2 * h + 2 * h + l * (4 * (h * h + h) + 2 * h + h * i + i + i * h + h + 2 * h) +
                           v + h * h + h + 2 * h;
  EXPECT_EQ(m->num_parameters(), expected);
}

TEST(BertForMaskedLM, HuggingFaceInitialisation) {
  BertConfig c = Tiny();
  c.vocab_size = 400;
  c.hidden_size = 64;
  c.initializer_range = 0.05;
  c.pad_token_id = 3;
  Bert m(c, 7);
  auto params = m->named_parameters();
  at::Tensor w = params["bert.embeddings.word_embeddings.weight"];
  EXPECT_EQ(w[3].abs().sum().item<float>(), 0.f);  // padding row
  EXPECT_NEAR(w.std().item<float>(), 0.05, 0.005);
  EXPECT_NEAR(params["bert.encoder.layer.0.attention.self.query.weight"].std().item<float>(), 0.05, 0.005);
  EXPECT_TRUE(params["bert.encoder.layer.0.output.LayerNorm.weight"].eq(1).all().item<bool>());
  EXPECT_TRUE(params["bert.encoder.layer.0.output.LayerNorm.bias"].eq(0).all().item<bool>());
  EXPECT_TRUE(params["cls.predictions.bias"].eq(0).all().item<bool>());
  EXPECT_TRUE(params["bert.encoder.layer.1.intermediate.dense.bias"].eq(0).all().item<bool>());
  Bert same(c, 7), other(c, 8);
  EXPECT_TRUE(at::equal(w, same->named_parameters()["bert.embeddings.word_embeddings.weight"]));
  EXPECT_FALSE(at::equal(w, other->named_parameters()["bert.embeddings.word_embeddings.weight"]));
}

TEST(BertForMaskedLM, InvalidConfigThrows) {
  BertConfig c = Tiny();
  c.num_attention_heads = 5;
  EXPECT_EQ(CodeOf([&] { Bert m(c); }), ErrorCode::kInvalidArgument);
}

TEST(BertForMaskedLM, ShapesAndMaskedOnlyLogits) {
  Bert m(Tiny(), 1);
  m->eval();
  at::Tensor ids = Ids({{2, 5, 4, 7, 3}, {2, 9, 4, 4, 3}});
  at::Tensor logits = m->forward(ids);
  EXPECT_EQ(logits.sizes(), at::IntArrayRef({2, 5, 50}));
  at::Tensor sel = ids.eq(4);
  at::Tensor masked = m->forward(ids, {}, {}, sel);
  ASSERT_EQ(masked.sizes(), at::IntArrayRef({3, 50}));
  EXPECT_TRUE(at::allclose(masked[0], logits[0][2], 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(masked[1], logits[1][2], 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(masked[2], logits[1][3], 1e-5, 1e-6));
  EXPECT_EQ(CodeOf([&] { m->forward(ids, {}, {}, ids); }), ErrorCode::kInvalidArgument);  // not bool
}

TEST(BertForMaskedLM, PaddingDoesNotChangeRealTokens) {
  Bert m(Tiny(), 2);
  c10::InferenceMode guard;
  at::Tensor alone = m->Predict(Ids({{2, 11, 12, 3}}));
  at::Tensor padded = m->Predict(Ids({{2, 11, 12, 3, 0, 0}}), {}, Ids({{1, 1, 1, 1, 0, 0}}));
  EXPECT_LT((padded.slice(1, 0, 4) - alone).abs().max().item<float>(), 1e-5);
  at::Tensor types = m->Predict(Ids({{2, 11, 12, 3}}), Ids({{0, 0, 1, 1}}));
  EXPECT_GT((types - alone).abs().max().item<float>(), 1e-4);  // token types matter
}

TEST(BertForMaskedLM, DropoutOnlyInTrainingForward) {
  Bert m(Tiny(), 3);
  at::NoGradGuard no_grad;
  at::Tensor ids = Ids({{2, 5, 6, 7, 3}});
  m->train();
  at::Tensor a = m->forward(ids), b = m->forward(ids);
  EXPECT_FALSE(at::allclose(a, b));
  EXPECT_TRUE(at::equal(m->Predict(ids), m->Predict(ids)));  // Predict never drops out
  m->eval();
  EXPECT_TRUE(at::allclose(m->forward(ids), m->Predict(ids)));
}

TEST(BertForMaskedLM, RejectsBadInputs) {
  Bert m(Tiny(), 1);
  std::vector<int64_t> long_row(21, 5);
  EXPECT_EQ(CodeOf([&] { m->Predict(Ids({long_row})); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { m->Predict(at::zeros({2, 3}, at::kFloat)); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { m->Predict(Ids({{1, 2, 3}}), Ids({{0, 0}})); }), ErrorCode::kInvalidArgument);
  EXPECT_THROW(m->Predict(Ids({{1, 2, 60}})), std::exception);  // id >= vocab: LibTorch index error
}

TEST(BertForMaskedLM, LossMaskedOnlyEqualsFull) {
  Bert m(Tiny(), 4);
  m->eval();
  at::Tensor ids = Ids({{2, 5, 4, 7, 3}, {2, 4, 4, 8, 3}});
  at::Tensor labels = Ids({{-100, -100, 9, -100, -100}, {-100, 11, 12, -100, -100}});
  MlmOutput masked = m->ForwardWithLoss(ids, {}, {}, labels, true);
  MlmOutput full = m->ForwardWithLoss(ids, {}, {}, labels, false);
  EXPECT_EQ(masked.logits.size(0), 3);
  EXPECT_NEAR(masked.loss.item<float>(), full.loss.item<float>(), 1e-5);
  EXPECT_GT(masked.loss.item<float>(), 0.f);
  masked.loss.backward();
  auto params = m->named_parameters();
  EXPECT_TRUE(params["cls.predictions.bias"].grad().defined());
  EXPECT_TRUE(params["bert.embeddings.word_embeddings.weight"].grad().defined());  // embeddings + tied decoder
}

// Batches of >= 128 rows take one GEMM over concatenated Q/K/V weights and a pre-broadcast mask;
// each row alone (few rows) takes three GEMMs: same numbers.
TEST(BertForMaskedLM, FusedQkvBatchMatchesRowsAlone) {
  Bert m(Tiny(), 5);
  m->eval();
  const int64_t b = 8, t = 20;
  at::Tensor ids = at::randint(5, 50, {b, t}, at::TensorOptions().dtype(at::kLong));
  at::Tensor mask = at::ones({b, t}, at::kLong);
  for (int64_t i = 0; i < b; i += 2) mask[i].narrow(0, t - 3 - i, 3 + i).fill_(0);  // padded rows
  ids.masked_fill_(mask.eq(0), 0);
  torch::NoGradGuard ng;
  const at::Tensor batch = m->Predict(ids, {}, mask);
  for (int64_t i = 0; i < b; ++i) {
    const at::Tensor one = m->Predict(ids.narrow(0, i, 1), {}, mask.narrow(0, i, 1));
    const at::Tensor real = mask[i].eq(1);
    EXPECT_LE((batch[i].index({real}) - one[0].index({real})).abs().max().item<double>(), 1e-4) << i;
  }
}

// Full logits: the loss takes the log-softmax of the labelled rows only; loss and gradients equal
// cross-entropy with ignore_index over every row.
TEST(BertForMaskedLM, FullLogitsLossAndGradientsMatchIgnoreIndex) {
  Bert m(Tiny(), 6);
  m->eval();
  at::Tensor ids = Ids({{2, 5, 4, 7, 3}, {2, 4, 4, 8, 3}});
  at::Tensor labels = Ids({{-100, -100, 9, -100, -100}, {-100, 11, 12, -100, -100}});
  MlmOutput ours = m->ForwardWithLoss(ids, {}, {}, labels, false);
  ours.loss.backward();
  auto params = m->named_parameters();
  std::map<std::string, at::Tensor> grads;
  for (const auto& p : params) {
    grads[p.key()] = p.value().grad().clone();
    p.value().mutable_grad() = at::Tensor();
  }
  const at::Tensor logits = m->forward(ids);
  const at::Tensor ref = at::cross_entropy_loss(logits.reshape({-1, 50}), labels.reshape({-1}), {}, at::Reduction::Mean, -100);
  EXPECT_NEAR(ours.loss.item<double>(), ref.item<double>(), 1e-6);
  EXPECT_EQ(ours.logits.sizes(), logits.sizes());
  ref.backward();
  for (const auto& p : params) {
    EXPECT_LE((p.value().grad() - grads[p.key()]).abs().max().item<double>(), 1e-6) << p.key();
  }
}

TEST(MlmLoss, FusedBackwardEqualsCrossEntropyWithIgnoreIndex) {
  // MlmLoss's own backward (softmax minus one-hot in one pass) against LibTorch's cross_entropy_loss:
  // some rows ignored, none ignored, every row ignored (LibTorch: NaN loss, zero gradient), no rows.
  at::manual_seed(9);
  const std::vector<std::vector<int64_t>> cases = {{3, -100, 0, 7, -100, 7}, {1, 2, 3, 4}, {-100, -100}, {}};
  for (const auto& ls : cases) {
    SCOPED_TRACE(testing::Message() << ls.size() << " rows");
    const auto n = static_cast<int64_t>(ls.size());
    const at::Tensor labels = at::tensor(ls.empty() ? std::vector<int64_t>{0} : ls, at::kLong).narrow(0, 0, n);
    const at::Tensor x0 = at::randn({n, 8}) * 3;
    at::Tensor x = x0.clone().requires_grad_(true), xr = x0.clone().requires_grad_(true);
    const at::Tensor loss = MlmLoss(x, labels);
    const at::Tensor ref = at::cross_entropy_loss(xr, labels, {}, at::Reduction::Mean, kIgnoreIndex);
    if (ref.isnan().item<bool>()) {
      EXPECT_TRUE(loss.isnan().item<bool>());
    } else {
      EXPECT_NEAR(loss.item<double>(), ref.item<double>(), 1e-6);
    }
    (loss * 0.5).backward();
    (ref * 0.5).backward();
    ASSERT_TRUE(x.grad().defined());
    EXPECT_EQ(x.grad().sizes(), xr.grad().sizes());
    EXPECT_TRUE(at::allclose(x.grad(), xr.grad(), 1e-6, 1e-7)) << x.grad() << xr.grad();
  }
  // A masked-LM batch's worth of rows: the same bits on 1 and 2 threads, loss and gradient.
  {
    at::Tensor lab = at::randint(0, 500, {300}, at::kLong);
    lab.slice(0, 0, 300, 7).fill_(kIgnoreIndex);
    const at::Tensor x0 = at::randn({300, 500}) * 3;
    std::vector<at::Tensor> losses, grads;
    for (int threads : {1, 2}) {
      ScopedIntraOpThreads scoped(threads);
      at::Tensor x = x0.clone().requires_grad_(true);
      const at::Tensor loss = MlmLoss(x, lab);
      loss.backward();
      losses.push_back(loss.detach());
      grads.push_back(x.grad());
    }
    EXPECT_TRUE(at::equal(losses[0], losses[1]));
    EXPECT_TRUE(at::equal(grads[0], grads[1]));
    EXPECT_NEAR(losses[0].item<double>(),
                at::cross_entropy_loss(x0, lab, {}, at::Reduction::Mean, kIgnoreIndex).item<double>(), 1e-5);
  }
  // Without gradients (evaluation) it is LibTorch's loss itself.
  const at::Tensor x = at::randn({4, 8}), labels = at::tensor(std::vector<int64_t>{1, -100, 2, 3});
  at::NoGradGuard no_grad;
  EXPECT_TRUE(at::equal(MlmLoss(x, labels), at::cross_entropy_loss(x, labels, {}, at::Reduction::Mean, kIgnoreIndex)));
}

TEST(BertForMaskedLM, ParameterGroupsExcludeBiasAndLayerNorm) {
  Bert m(Tiny(), 1);
  ParameterGroups g = m->parameter_groups();
  EXPECT_EQ(g.decay.size() + g.no_decay.size(), m->parameters().size());
  for (const auto& n : g.no_decay_names) {
    EXPECT_TRUE(n.find("bias") != std::string::npos || n.find("LayerNorm") != std::string::npos) << n;
  }
  for (const auto& n : g.decay_names) {
    EXPECT_EQ(n.find("bias"), std::string::npos) << n;
    EXPECT_EQ(n.find("LayerNorm"), std::string::npos) << n;
  }
  EXPECT_EQ(g.decay_names.front(), "bert.embeddings.word_embeddings.weight");
}

TEST(BertIo, SaveLoadRoundTripKeepsOtherFiles) {
  const std::string dir = TempDir("rt");
  MakeDirs(dir);
  WriteFileAtomic(dir + "/vocab.txt", "[PAD]\n");
  Bert m(Tiny(), 5);
  SaveBert(*m, dir);
  EXPECT_EQ(ReadFile(dir + "/vocab.txt"), "[PAD]\n");
  LoadReport rep;
  Bert back = LoadBert(dir, &rep);
  EXPECT_FALSE(rep.head_initialized);
  EXPECT_TRUE(rep.warnings.empty());
  EXPECT_EQ(rep.source_dtype, "F32");
  EXPECT_FALSE(back->is_training());
  EXPECT_EQ(back->config(), m->config());
  auto a = m->named_parameters();
  for (const auto& p : back->named_parameters()) EXPECT_TRUE(at::equal(p.value(), a[p.key()])) << p.key();
  // The tied decoder is stored once, under the word-embedding key (as HF saves it).
  auto f = SafetensorsFile::Open(dir + "/model.safetensors");
  EXPECT_EQ(f.Find("cls.predictions.decoder.weight"), nullptr);
  EXPECT_NE(f.Find("cls.predictions.bias"), nullptr);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  // Saving again over it works and leaves no temp dirs behind.
  SaveBert(*back, dir);
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(dir).parent_path())) {
    entries += e.path().filename().string().rfind(std::filesystem::path(dir).filename().string() + ".tmp", 0) == 0;
  }
  EXPECT_EQ(entries, 0);
  std::filesystem::remove_all(dir);
}

TEST(BertIo, FailedSaveKeepsTheOldModel) {
  const std::string dir = TempDir("ro");
  Bert m(Tiny(), 5);
  SaveBert(*m, dir + "/model");
  std::filesystem::permissions(dir, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  Bert other(Tiny(), 6);
  if (geteuid() != 0) {  // root ignores permissions
    EXPECT_EQ(CodeOf([&] { SaveBert(*other, dir + "/model"); }), ErrorCode::kIo);
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  Bert back = LoadBert(dir + "/model");
  if (geteuid() != 0) {
    EXPECT_TRUE(at::equal(back->named_parameters()["cls.predictions.transform.dense.weight"],
                          m->named_parameters()["cls.predictions.transform.dense.weight"]));
  }
  EXPECT_EQ(CodeOf([&] { SaveBert(*m, dir + "/model/config.json"); }), ErrorCode::kIo);
  std::filesystem::remove_all(dir);
}

// A save killed mid-way leaves a temporary file in the directory (an interrupted atomic write) and a
// staging directory beside it; a forked child shares the staging names' generator. The next save must
// neither trip over them nor carry the leftover temporary file into the new directory.
TEST(BertIo, SaveAfterAKilledSaveAndInAForkedChild) {
  namespace fs = std::filesystem;
  const std::string dir = TempDir("leftovers");
  Bert m(Tiny(), 5);
  SaveBert(*m, dir + "/model");
  { std::ofstream(dir + "/model/model.safetensors.tmp-4242-0badc0de") << "half written"; }
  { std::ofstream(dir + "/model/vocab.txt") << "[PAD]\n"; }  // the user's own file: kept
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the child saves (same generator state as the parent) and dies without cleaning up
    Bert c(Tiny(), 6);
    try {
      SaveBert(*c, dir + "/child");
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int i = 0; i < 3; ++i) ASSERT_NO_THROW(SaveBert(*m, dir + "/model"));
  EXPECT_FALSE(fs::exists(dir + "/model/model.safetensors.tmp-4242-0badc0de"));
  EXPECT_TRUE(fs::exists(dir + "/model/vocab.txt"));
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-save-"), std::string::npos) << e.path();
  }
  Bert back = LoadBert(dir + "/model");
  EXPECT_TRUE(at::equal(back->named_parameters()["cls.predictions.transform.dense.weight"],
                        m->named_parameters()["cls.predictions.transform.dense.weight"]));
  fs::remove_all(dir);
}

// Writes a checkpoint from `m` with tensor names/values transformed by `edit` (return false to drop).
void WriteEdited(const BertImpl& m, const std::string& dir,
                 const std::function<bool(std::string&, at::Tensor&)>& edit) {
  MakeDirs(dir);
  WriteFileAtomic(dir + "/config.json", ConfigToJson(m.config()));
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& p : m.named_parameters()) {
    std::string name = p.key();
    at::Tensor t = p.value().detach().clone();
    if (edit(name, t)) tensors.emplace_back(name, t);
  }
  SaveTensors(dir + "/model.safetensors", tensors);
}

TEST(BertIo, LoadsHalfAndBFloat16) {
  Bert m(Tiny(), 8);
  for (auto [dtype, name] : {std::pair{at::kHalf, "F16"}, std::pair{at::kBFloat16, "BF16"}}) {
    const std::string dir = TempDir(name);
    WriteEdited(*m, dir, [&, dt = dtype](std::string&, at::Tensor& t) {
      t = t.to(dt);
      return true;
    });
    LoadReport rep;
    Bert back = LoadBert(dir, &rep);
    EXPECT_EQ(rep.source_dtype, name);
    at::Tensor w = back->named_parameters()["bert.embeddings.word_embeddings.weight"];
    EXPECT_EQ(w.scalar_type(), at::kFloat);
    EXPECT_TRUE(at::equal(w, m->named_parameters()["bert.embeddings.word_embeddings.weight"].to(dtype).to(at::kFloat)));
    std::filesystem::remove_all(dir);
  }
}

TEST(BertIo, BertModelOnlyCheckpointInitialisesHeadWithWarning) {
  Bert m(Tiny(), 9);
  const std::string dir = TempDir("bertmodel");
  WriteEdited(*m, dir, [](std::string& name, at::Tensor&) {
    if (name.rfind("cls.", 0) == 0) return false;
    name = name.substr(5);  // BertModel keys have no "bert." prefix
    return true;
  });
  LoadReport rep;
  Bert back = LoadBert(dir, &rep);
  EXPECT_TRUE(rep.head_initialized);
  ASSERT_EQ(rep.warnings.size(), 1u);
  EXPECT_NE(rep.warnings[0].find("no MLM head"), std::string::npos);
  EXPECT_TRUE(at::equal(back->named_parameters()["bert.encoder.layer.1.output.dense.weight"],
                        m->named_parameters()["bert.encoder.layer.1.output.dense.weight"]));
  EXPECT_TRUE(back->named_parameters()["cls.predictions.transform.LayerNorm.weight"].eq(1).all().item<bool>());
  std::filesystem::remove_all(dir);
}

TEST(BertIo, BadCheckpoints) {
  Bert m(Tiny(), 10);
  // Missing directory / files.
  EXPECT_EQ(CodeOf([&] { LoadBert("/nonexistent/model"); }), ErrorCode::kIo);
  const std::string empty = TempDir("empty");
  MakeDirs(empty);
  EXPECT_EQ(CodeOf([&] { LoadBert(empty); }), ErrorCode::kIo);
  // A missing encoder tensor.
  const std::string missing = TempDir("missing");
  WriteEdited(*m, missing, [](std::string& n, at::Tensor&) { return n != "bert.encoder.layer.1.output.dense.bias"; });
  EXPECT_EQ(CodeOf([&] { LoadBert(missing); }), ErrorCode::kFormat);
  // Part of the head missing is damage, not a BertModel checkpoint.
  const std::string half_head = TempDir("halfhead");
  WriteEdited(*m, half_head, [](std::string& n, at::Tensor&) { return n != "cls.predictions.transform.dense.bias"; });
  EXPECT_EQ(CodeOf([&] { LoadBert(half_head); }), ErrorCode::kFormat);
  // Shape mismatch.
  const std::string shape = TempDir("shape");
  WriteEdited(*m, shape, [](std::string& n, at::Tensor& t) {
    if (n == "bert.embeddings.LayerNorm.weight") t = at::ones({17});
    return true;
  });
  EXPECT_EQ(CodeOf([&] { LoadBert(shape); }), ErrorCode::kFormat);
  // Wrong (integer) dtype.
  const std::string dtype = TempDir("dtype");
  WriteEdited(*m, dtype, [](std::string& n, at::Tensor& t) {
    if (n == "cls.predictions.bias") t = t.to(at::kLong);
    return true;
  });
  EXPECT_EQ(CodeOf([&] { LoadBert(dtype); }), ErrorCode::kFormat);
  // Config that does not match the weights (vocab size).
  const std::string vocab = TempDir("vocab");
  SaveBert(*m, vocab);
  BertConfig bigger = m->config();
  bigger.vocab_size = 60;
  WriteFileAtomic(vocab + "/config.json", ConfigToJson(bigger));
  EXPECT_EQ(CodeOf([&] { LoadBert(vocab); }), ErrorCode::kFormat);
  // Truncated weights and corrupt config.
  const std::string trunc = TempDir("trunc");
  SaveBert(*m, trunc);
  std::string raw = ReadFile(trunc + "/model.safetensors");
  WriteFileAtomic(trunc + "/model.safetensors", raw.substr(0, raw.size() / 2));
  EXPECT_EQ(CodeOf([&] { LoadBert(trunc); }), ErrorCode::kFormat);
  WriteFileAtomic(trunc + "/model.safetensors", raw.substr(0, 100));  // header cut
  EXPECT_EQ(CodeOf([&] { LoadBert(trunc); }), ErrorCode::kFormat);
  WriteFileAtomic(trunc + "/model.safetensors", raw);
  WriteFileAtomic(trunc + "/config.json", "{\"hidden_size\": ");
  EXPECT_EQ(CodeOf([&] { LoadBert(trunc); }), ErrorCode::kFormat);
  for (const auto& d : {empty, missing, half_head, shape, dtype, vocab, trunc}) std::filesystem::remove_all(d);
}

TEST(BertIo, SaveAndLoadNamedTensors) {
  const std::string dir = TempDir("named");
  MakeDirs(dir);
  at::Tensor a = at::randn({3, 4});
  at::Tensor step = at::full({1}, 42, at::kLong);
  SaveTensors(dir + "/opt.safetensors", {{"exp_avg.w", a}, {"step", step}});
  auto back = LoadTensors(dir + "/opt.safetensors");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].first, "exp_avg.w");
  EXPECT_TRUE(at::equal(back[0].second, a));
  EXPECT_EQ(back[1].second.scalar_type(), at::kLong);
  EXPECT_EQ(back[1].second.item<int64_t>(), 42);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bertc::model

namespace bertc::model {
namespace {

// The torch-free layout the loader checks files against must be exactly the model's parameters.
TEST(WeightsLayout, ExpectedShapesAreTheModelsParameters) {
  BertConfig c;
  c.vocab_size = 37;
  c.hidden_size = 12;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 2;
  c.intermediate_size = 20;
  c.max_position_embeddings = 9;
  c.type_vocab_size = 3;
  Bert m(c, 1);
  std::map<std::string, std::vector<int64_t>> actual;
  for (const auto& p : m->named_parameters()) actual[p.key()] = p.value().sizes().vec();
  std::map<std::string, std::vector<int64_t>> expected;
  for (const auto& [name, shape] : ExpectedParameterShapes(c)) expected[name] = shape;
  EXPECT_EQ(actual, expected);
}

}  // namespace
}  // namespace bertc::model
