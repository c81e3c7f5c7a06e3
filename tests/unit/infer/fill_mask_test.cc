#include "infer/fill_mask.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bert.h"
#include "tokenizer/tokenizer.h"

namespace bertc::infer {
namespace {

using nlohmann::json;

const std::string kTiny = std::string(BERTC_FIXTURES_DIR) + "/model/tiny_mlm";

class FillMaskTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new model::Bert(model::LoadBert(kTiny));
    tok_ = new std::shared_ptr<const tok::Tokenizer>(tok::Tokenizer::Load(kTiny));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete tok_;
  }
  const model::BertImpl& model() { return **model_; }
  const tok::Tokenizer& tok() { return **tok_; }

  // log P(id at pos | ids) computed directly with the model.
  double LogProb(std::vector<int32_t> ids, int64_t pos, int32_t id) {
    c10::InferenceMode guard;
    at::Tensor t = at::tensor(std::vector<int64_t>(ids.begin(), ids.end()), at::kLong).unsqueeze(0);
    at::Tensor logits = model().Predict(t)[0][pos];
    return at::log_softmax(logits, -1)[id].item<float>();
  }

  static model::Bert* model_;
  static std::shared_ptr<const tok::Tokenizer>* tok_;
};
model::Bert* FillMaskTest::model_ = nullptr;
std::shared_ptr<const tok::Tokenizer>* FillMaskTest::tok_ = nullptr;

ErrorCode CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;
}

TEST_F(FillMaskTest, MatchesHuggingFacePipeline) {
  const json fx = json::parse(ReadFile(std::string(BERTC_FIXTURES_DIR) + "/model/tiny_fill_mask.json"));
  double max_score_diff = 0;
  for (const auto& q : fx["queries"]) {
    FillMaskOptions opt;
    opt.top_k = q["top_k"].get<int>();
    if (q.contains("targets")) opt.targets = q["targets"].get<std::vector<std::string>>();
    const std::string text = q["text"].get<std::string>();
    FillMaskResult r = FillMask(model(), tok(), text, opt);
    ASSERT_EQ(r.masks.size(), q["results"].size()) << text;
    for (size_t m = 0; m < r.masks.size(); ++m) {
      const auto& want = q["results"][m];
      ASSERT_EQ(r.masks[m].size(), want.size()) << text;
      for (size_t i = 0; i < want.size(); ++i) {
        const FillMaskPrediction& p = r.masks[m][i];
        EXPECT_EQ(p.token_id, want[i]["token"].get<int32_t>()) << text << " rank " << i;
        EXPECT_EQ(p.token, want[i]["token_str"].get<std::string>()) << text;
        EXPECT_EQ(p.sequence, want[i]["sequence"].get<std::string>()) << text;
        max_score_diff = std::max(max_score_diff, std::fabs(p.score - want[i]["score"].get<double>()));
      }
    }
  }
  std::printf("[parity] fill-mask: max |score - HF pipeline| = %.3g over %zu queries\n", max_score_diff,
              fx["queries"].size());
  EXPECT_LE(max_score_diff, 1e-6);
}

TEST_F(FillMaskTest, BadInput) {
  FillMaskOptions opt;
  EXPECT_EQ(CodeOf([&] { FillMask(model(), tok(), "no mask here", opt); }), ErrorCode::kInvalidArgument);
  std::string long_text;
  for (int i = 0; i < 70; ++i) long_text += "the ";
  long_text += "[MASK]";
  try {
    FillMask(model(), tok(), long_text, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("max_position_embeddings 64"), std::string::npos) << e.what();
  }
  opt.top_k = 0;
  EXPECT_EQ(CodeOf([&] { FillMask(model(), tok(), "a [MASK]", opt); }), ErrorCode::kInvalidArgument);
  opt.top_k = 1001;
  EXPECT_EQ(CodeOf([&] { FillMask(model(), tok(), "a [MASK]", opt); }), ErrorCode::kInvalidArgument);
  opt.top_k = 1000;  // the whole vocabulary is fine
  EXPECT_EQ(FillMask(model(), tok(), "a [MASK]", opt).masks[0].size(), 1000u);
  opt.top_k = 5;
  opt.targets = {""};
  EXPECT_EQ(CodeOf([&] { FillMask(model(), tok(), "a [MASK]", opt); }), ErrorCode::kInvalidArgument);
  opt.targets = {};
  EXPECT_EQ(CodeOf([&] { FillMask(model(), tok(), "a [MASK] \xff", opt); }), ErrorCode::kInvalidUtf8);
}

TEST_F(FillMaskTest, VocabMismatchIsRejected) {
  model::BertConfig c = model().config();
  c.vocab_size = 1001;
  model::Bert other(c, 1);
  EXPECT_EQ(CodeOf([&] { FillMask(*other, tok(), "a [MASK]", {}); }), ErrorCode::kInvalidArgument);
}

TEST_F(FillMaskTest, BatchEqualsSingleQueries) {
  const std::vector<std::string_view> texts = {"the [MASK] of the house.", "[MASK]", "a [MASK] and a [MASK] of it"};
  FillMaskOptions opt;
  opt.top_k = 3;
  std::vector<FillMaskResult> batch = FillMaskBatch(model(), tok(), texts, opt);
  ASSERT_EQ(batch.size(), 3u);
  for (size_t i = 0; i < texts.size(); ++i) {
    FillMaskResult one = FillMask(model(), tok(), texts[i], opt);
    ASSERT_EQ(one.masks.size(), batch[i].masks.size());
    for (size_t m = 0; m < one.masks.size(); ++m) {
      for (size_t k = 0; k < 3; ++k) {
        EXPECT_EQ(one.masks[m][k].token_id, batch[i].masks[m][k].token_id);
        EXPECT_NEAR(one.masks[m][k].score, batch[i].masks[m][k].score, 1e-6);
      }
    }
  }
  // One bad query fails the whole batch.
  EXPECT_EQ(CodeOf([&] { FillMaskBatch(model(), tok(), {"a [MASK]", "none"}, opt); }), ErrorCode::kInvalidArgument);
}

TEST_F(FillMaskTest, MultiPieceTargetsAreScoredJointly) {
  std::vector<int32_t> pieces;
  tok().EncodeIds("housework", &pieces);
  ASSERT_GT(pieces.size(), 1u) << "fixture vocabulary changed: housework should split";
  FillMaskOptions opt;
  opt.targets = {"housework", "man"};
  // HF behaviour: first piece only.
  FillMaskResult hf = FillMask(model(), tok(), "the first [MASK] in the state", opt);
  bool first_piece_seen = false;
  for (const auto& p : hf.masks[0]) first_piece_seen |= p.token_id == pieces[0] && p.token_ids.size() == 1;
  EXPECT_TRUE(first_piece_seen);
  // Extension: expand [MASK] to the pieces and multiply the left-to-right probabilities.
  opt.expand_multi_piece_targets = true;
  FillMaskResult ex = FillMask(model(), tok(), "the first [MASK] in the state", opt);
  ASSERT_EQ(ex.masks[0].size(), 2u);
  const FillMaskPrediction* hw = nullptr;
  for (const auto& p : ex.masks[0]) {
    if (p.token_ids.size() > 1) hw = &p;
  }
  ASSERT_NE(hw, nullptr);
  EXPECT_EQ(hw->token_ids, pieces);
  EXPECT_EQ(hw->token, "housework");
  EXPECT_EQ(hw->sequence, "the first housework in the state");
  // Recompute: [CLS] the first [MASK]*k in the state [SEP].
  tok::Encoding enc = tok().Encode("the first [MASK] in the state", nullptr, {});
  std::vector<int32_t> ids = enc.ids;
  const int64_t pos = 3;
  ASSERT_EQ(ids[pos], tok().mask_id());
  ids.insert(ids.begin() + pos, pieces.size() - 1, tok().mask_id());
  double logp = 0;
  for (size_t s = 0; s < pieces.size(); ++s) {
    logp += LogProb(ids, pos + static_cast<int64_t>(s), pieces[s]);
    ids[pos + static_cast<int64_t>(s)] = pieces[s];
  }
  EXPECT_NEAR(hw->score, std::exp(logp), 1e-6 * std::exp(logp) + 1e-12);
  EXPECT_GE(ex.masks[0][0].score, ex.masks[0][1].score);
}

TEST_F(FillMaskTest, ScoreTextIsPseudoLogLikelihood) {
  const std::vector<std::string_view> texts = {"the man of the house.", "house the of man the.", ""};
  std::vector<TextScore> s = ScoreTexts(model(), tok(), texts, 0, 3);  // small batches span texts
  ASSERT_EQ(s.size(), 3u);
  tok::Encoding enc = tok().Encode(texts[0], nullptr, {});
  double want = 0;
  for (size_t i = 1; i + 1 < enc.ids.size(); ++i) {
    std::vector<int32_t> ids = enc.ids;
    ids[i] = tok().mask_id();
    want += LogProb(ids, static_cast<int64_t>(i), enc.ids[i]);
  }
  EXPECT_EQ(s[0].num_tokens, enc.ids.size() - 2);
  EXPECT_NEAR(s[0].log_likelihood, want, 1e-4);
  EXPECT_LT(s[0].log_likelihood, 0);
  EXPECT_EQ(s[2].num_tokens, 0u);
  EXPECT_EQ(s[2].log_likelihood, 0);
  std::vector<TextScore> again = ScoreTexts(model(), tok(), {texts[1]}, 1, 64);
  EXPECT_NEAR(again[0].log_likelihood, s[1].log_likelihood, 1e-4);
}

// Predict with masked positions takes the inference path (last layer on the selected rows only,
// GEMV for single rows, W x^T down-projections): its logits must equal the full forward's at those
// positions, with padding, token types, several masks per row, and in each BLAS regime.
TEST_F(FillMaskTest, MaskedPredictEqualsFullLogitsAtThosePositions) {
  c10::InferenceMode guard;
  at::manual_seed(7);
  struct Case {
    int64_t batch, seq;
    std::vector<std::vector<int64_t>> positions;  // per row
    bool pad;
  };
  std::vector<Case> cases = {
      {1, 9, {{4}}, false},                          // one row: GEMV everywhere in the last layer and head
      {1, 12, {{0, 7}}, false},                      // two rows: GEMM in the layer, GEMV decoder rows
      {3, 9, {{1, 4}, {2}, {0, 3, 5}}, true},         // padded batch, GEMM head
      {2, 40, {{39}, {0, 10, 20}}, true},            // 80 rows: the plain x W^T orientation
      {2, 5, {{}, {}}, false},                       // nothing selected
  };
  cases.push_back({2, 40, {{}, {}}, true});  // 36 selected rows: past the skinny-GEMM row limit
  for (int64_t p = 0; p < 20; ++p) cases.back().positions[0].push_back(p);
  for (int64_t p = 0; p < 16; ++p) cases.back().positions[1].push_back(2 * p);
  for (const Case& c : cases) {
    SCOPED_TRACE("batch " + std::to_string(c.batch) + " seq " + std::to_string(c.seq));
    at::Tensor ids = at::randint(5, 1000, {c.batch, c.seq}, at::kLong);
    at::Tensor types = at::randint(0, 2, {c.batch, c.seq}, at::kLong);
    at::Tensor mask = at::ones({c.batch, c.seq}, at::kLong);
    if (c.pad) {
      for (int64_t b = 1; b < c.batch; ++b) mask[b].narrow(0, c.seq - 2 * b, 2 * b).zero_();
    }
    at::Tensor sel = at::zeros({c.batch, c.seq}, at::kBool);
    for (int64_t b = 0; b < c.batch; ++b) {
      for (int64_t p : c.positions[static_cast<size_t>(b)]) sel[b][p] = true;
    }
    const at::Tensor full = model().Predict(ids, types, mask);  // [B, T, V]
    const at::Tensor want = full.reshape({-1, full.size(2)}).index_select(0, sel.reshape({-1}).nonzero().squeeze(1));
    const at::Tensor got = model().Predict(ids, types, mask, sel);
    ASSERT_EQ(got.sizes(), want.sizes());
    if (got.numel() > 0) {
      EXPECT_LE((got - want).abs().max().item<float>(), 1e-4);
    }
  }
  EXPECT_EQ(CodeOf([&] {
              model().Predict(at::ones({1, 4}, at::kLong), {}, {}, at::ones({1, 5}, at::kBool));
            }),
            ErrorCode::kInvalidArgument);
}

TEST_F(FillMaskTest, ConcurrentCallsOnOneModel) {
  FillMaskOptions opt;
  opt.top_k = 5;
  const FillMaskResult ref = FillMask(model(), tok(), "the [MASK] of the house.", opt);
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      FillMaskOptions o = opt;
      o.threads = 1 + t % 2;
      bool good = true;
      for (int i = 0; i < 10; ++i) {
        FillMaskResult r = FillMask(model(), tok(), "the [MASK] of the house.", o);
        for (size_t k = 0; k < 5; ++k) {
          good &= r.masks[0][k].token_id == ref.masks[0][k].token_id;
          good &= std::fabs(r.masks[0][k].score - ref.masks[0][k].score) < 1e-6;
        }
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int v : ok) EXPECT_EQ(v, 1);
}

}  // namespace
}  // namespace bertc::infer
