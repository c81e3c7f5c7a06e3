// The C++ SDK (bertc.hpp) against the built library: the whole pipeline, errors as exceptions and as
// Expected values, RAII, callbacks, concurrency, and the HF reference numbers of the C suites.
#include <bertc.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

namespace fs = std::filesystem;
const std::string kTiny = std::string(BERTC_FIXTURES_DIR) + "/model/tiny_mlm";

static_assert(!std::is_copy_constructible_v<bertc::Tokenizer>, "handles are move-only");
static_assert(std::is_nothrow_move_constructible_v<bertc::Model>, "handles move without throwing");
static_assert(!std::is_copy_assignable_v<bertc::Trainer>, "handles are move-only");

std::string TempDir(const std::string& tag) {
  const fs::path p = fs::temp_directory_path() / ("bertc_hpp_" + tag + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  return p.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string_view> Lines() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    const char* subjects[] = {"the cat", "the dog", "a bird", "my friend", "the teacher"};
    const char* verbs[] = {"sat on", "looked at", "walked to", "ran past"};
    const char* objects[] = {"the mat", "the house", "a tree", "the river", "the garden"};
    unsigned seed = 7;
    for (int i = 0; i < 200; ++i) {
      seed = seed * 1103515245u + 12345u;
      out.push_back(std::string(subjects[(seed >> 8) % 5]) + " " + verbs[(seed >> 12) % 4] + " " +
                    objects[(seed >> 16) % 5] + ".");
    }
    return out;
  }();
  return {lines.begin(), lines.end()};
}

TEST(Cpp, VersionAndErrors) {
  EXPECT_TRUE(bertc::check_version());
  EXPECT_STREQ(bertc::version(), BERTC_VERSION_STRING);
  const std::string info = bertc::build_info();
  EXPECT_NE(info.find(std::string("\"version\":\"") + BERTC_VERSION_STRING + "\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"kernel\""), std::string::npos) << info;
  // Missing file: an exception carrying the status and bertc's message...
  try {
    bertc::Tokenizer::load("/nonexistent/dir");
    FAIL() << "no exception";
  } catch (const bertc::Exception& e) {
    EXPECT_EQ(e.status(), bertc::Status::kIo);
    EXPECT_NE(e.error().message.find("bert_tokenizer_load"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("I/O error"), std::string::npos);
  }
  // ... or an Expected without exceptions.
  auto r = bertc::Model::try_load("/nonexistent/dir");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, bertc::Status::kIo);
  EXPECT_NE(r.error().message.find("does not exist"), std::string::npos);
  // Empty (moved-from / default) handles fail cleanly.
  bertc::Tokenizer empty;
  EXPECT_EQ(empty.try_encode("x").error().status, bertc::Status::kInvalidArgument);
  EXPECT_EQ(empty.vocab_size(), 0u);
}

TEST(Cpp, Limits) {
  const bertc::Limits before = bertc::get_limits();
  EXPECT_EQ(before.max_text_bytes, uint64_t{1} << 30);
  bertc::Limits tight = before;
  tight.max_text_bytes = 8;
  bertc::set_limits(tight);
  const auto tok = bertc::Tokenizer::load(kTiny);
  auto r = tok.try_encode("more than eight bytes");
  bertc::set_limits(before);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, bertc::Status::kLimit);
  EXPECT_NE(r.error().message.find("max_text_bytes"), std::string::npos);
  EXPECT_TRUE(tok.try_encode("more than eight bytes"));
}

TEST(Cpp, TokenizerTrainEncodeDecodeSaveLoad) {
  bertc::TokenizerTrainOptions o;
  o.vocab_size = 80;
  o.min_frequency = 1;
  int events = 0;
  o.progress = [&](const bertc::Event& e) {
    EXPECT_TRUE(e.kind == bertc::EventKind::kTokenizerCount || e.kind == bertc::EventKind::kTokenizerMerge);
    ++events;
    return true;
  };
  const bertc::Tokenizer tok = bertc::Tokenizer::train_from_lines(Lines(), o);
  EXPECT_GT(events, 0);
  EXPECT_LE(tok.vocab_size(), 80u);
  const bertc::Encoding e = tok.encode("the cat sat on the river.");
  EXPECT_EQ(e.ids.front(), tok.special_token_id(BERT_SPECIAL_CLS));
  EXPECT_EQ(e.ids.back(), tok.special_token_id(BERT_SPECIAL_SEP));
  EXPECT_EQ(e.ids.size(), e.offsets.size());
  EXPECT_EQ(tok.decode(e.ids), "the cat sat on the river.");
  EXPECT_EQ(tok.id_to_token(tok.token_to_id("cat")), "cat");
  EXPECT_EQ(tok.token_to_id("no-such-token"), -1);

  bertc::EncodeOptions eo;
  eo.padding = bertc::Padding::kLongest;
  const auto batch = tok.encode_batch({"the cat.", "the dog sat on the mat."}, eo);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].ids.size(), batch[1].ids.size());
  EXPECT_EQ(batch[0].attention_mask.back(), 0);
  const auto texts = tok.decode_batch({batch[0].ids, batch[1].ids});
  EXPECT_EQ(texts[0], "the cat.");
  EXPECT_EQ(texts[1], "the dog sat on the mat.");

  // Save to a directory and to memory; both load back to the same tokenizer.
  const std::string dir = TempDir("tok");
  tok.save(dir);
  const bertc::Tokenizer from_dir = bertc::Tokenizer::load(dir);
  const bertc::Tokenizer from_json = bertc::Tokenizer::load_from_memory(tok.save_to_memory());
  const bertc::Tokenizer from_vocab = bertc::Tokenizer::load_from_memory(
      tok.save_to_memory(bertc::TokenizerFile::kVocab), tok.save_to_memory(bertc::TokenizerFile::kConfig));
  for (const bertc::Tokenizer* t : {&from_dir, &from_json, &from_vocab}) {
    EXPECT_EQ(t->encode("the cat sat on the river.").ids, e.ids);
  }
  EXPECT_EQ(ReadFile(dir + "/tokenizer.json"), tok.save_to_memory());
  fs::remove_all(dir);

  // Invalid UTF-8 is an error, not a crash.
  auto bad = tok.try_encode(std::string_view("\xff\xfe", 2));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().status, bertc::Status::kInvalidUtf8);
}

TEST(Cpp, FillMaskMatchesHfPipeline) {
  const auto tok = bertc::Tokenizer::load(kTiny);
  const auto model = bertc::Model::load(kTiny);
  bertc::FillMaskOptions o;
  o.top_k = 3;
  o.targets = {"people", "church"};
  const bertc::FillMaskResult r = model.fill_mask(tok, "the first [MASK] in the state", o);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].size(), 2u);  // capped at the targets
  EXPECT_EQ(r[0][0].token, "church");
  EXPECT_NEAR(r[0][0].score, 0.00503313402, 1e-7);
  EXPECT_EQ(r[0][1].token, "people");
  const auto scores = model.score_text(tok, {"the man said.", ""});
  EXPECT_LT(scores[0].log_likelihood, 0);
  EXPECT_GT(scores[0].num_tokens, 0u);
  EXPECT_EQ(scores[1].num_tokens, 0u);
  auto no_mask = model.try_fill_mask(tok, "no mask here");
  ASSERT_FALSE(no_mask);
  EXPECT_EQ(no_mask.error().status, bertc::Status::kInvalidArgument);
}

// 8 threads sharing one tokenizer and one model give the single-threaded results.
TEST(Cpp, ConcurrentInferenceMatchesSequential) {
  const auto tok = bertc::Tokenizer::load(kTiny);
  const auto model = bertc::Model::load(kTiny);
  const std::vector<std::string> queries = {"the [MASK] of the house.", "a [MASK] and a [MASK].",
                                            "the first [MASK] in the state", "he [MASK] that."};
  std::vector<bertc::FillMaskResult> want;
  std::vector<std::vector<int32_t>> want_ids;
  for (const auto& q : queries) {
    want.push_back(model.fill_mask(tok, q));
    want_ids.push_back(tok.encode(q).ids);
  }
  std::vector<int> ok(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      bertc::FillMaskOptions o;
      o.threads = 1;
      int good = 1;
      for (int i = 0; i < 10; ++i) {
        const size_t q = static_cast<size_t>(t + i) % queries.size();
        const auto r = model.try_fill_mask(tok, queries[q], o);
        const auto e = tok.try_encode(queries[q]);
        if (!r || !e || r.error().status != bertc::Status::kOk) good = 0;
        if (r && (*r)[0][0].token != want[q][0][0].token) good = 0;
        if (r && std::fabs((*r)[0][0].score - want[q][0][0].score) > 1e-6) good = 0;
        if (e && e->ids != want_ids[q]) good = 0;
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int v : ok) EXPECT_EQ(v, 1);
}

// Create, train with a callback, cancel, evaluate, checkpoint, resume, save, reload.
TEST(Cpp, TrainerPipelineCheckpointResume) {
  bertc::TokenizerTrainOptions to;
  to.vocab_size = 80;
  to.min_frequency = 1;
  const auto tok = bertc::Tokenizer::train_from_lines(Lines(), to);
  std::vector<int32_t> ids;
  std::vector<size_t> offsets{0};
  bertc::EncodeOptions eo;
  eo.add_special_tokens = false;
  for (const auto& e : tok.encode_batch(Lines(), eo)) {
    ids.insert(ids.end(), e.ids.begin(), e.ids.end());
    offsets.push_back(ids.size());
  }
  bertc::ModelConfig mc;
  mc.vocab_size = tok.vocab_size();
  mc.hidden_size = 32;
  mc.num_hidden_layers = 1;
  mc.num_attention_heads = 2;
  mc.intermediate_size = 64;
  mc.max_position_embeddings = 32;
  mc.seed = 3;
  const std::string out = TempDir("train");
  bertc::TrainerOptions o;
  o.output_dir = out;
  o.max_length = 16;
  o.batch_size = 8;
  o.max_steps = 8;
  o.logging_steps = 1;
  o.learning_rate = 3e-3;
  o.threads = 1;
  o.save_final_model = false;

  // Uninterrupted reference run.
  std::vector<double> reference;
  {
    auto model = bertc::Model::create(mc);
    auto trainer = bertc::Trainer::create(model, tok, bertc::TrainerData::FromIds(ids, offsets), std::nullopt, o);
    for (int i = 0; i < 8; ++i) reference.push_back(trainer.step().loss);
  }
  fs::remove_all(out);

  auto model = bertc::Model::create(mc);
  auto trainer = bertc::Trainer::create(model, tok, bertc::TrainerData::FromIds(ids, offsets), std::nullopt, o);
  const bertc::EvalResult before = trainer.evaluate();
  // Cancel from the callback after step 3: the step is complete, the call reports kCancelled.
  int seen = 0;
  auto cancelled = trainer.try_train([&](const bertc::Event& e) {
    if (e.kind == bertc::EventKind::kTrainStep) ++seen;
    return e.current < 3;
  });
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().status, bertc::Status::kCancelled);
  EXPECT_EQ(trainer.info().global_step, 3u);
  // An exception thrown by the callback cancels and comes out of the call.
  EXPECT_THROW(trainer.train([](const bertc::Event&) -> bool { throw std::runtime_error("stop"); }),
               std::runtime_error);
  EXPECT_EQ(trainer.info().global_step, 4u);
  const std::string ckpt = trainer.save_checkpoint();
  EXPECT_TRUE(fs::exists(ckpt + "/trainer_state.json"));

  // A fresh model + trainer resumed from the checkpoint continues exactly like the reference run.
  auto model2 = bertc::Model::create(mc);
  auto trainer2 = bertc::Trainer::create(model2, tok, bertc::TrainerData::FromIds(ids, offsets), std::nullopt, o);
  trainer2.resume();
  for (size_t i = 4; i < 8; ++i) EXPECT_DOUBLE_EQ(trainer2.step().loss, reference[i]) << "step " << i + 1;
  const bertc::EvalResult after = trainer2.evaluate();
  EXPECT_LT(after.loss, before.loss);

  // Save, reload, fill-mask.
  model2.save(out + "/final");
  const auto reloaded = bertc::Model::load(out + "/final");
  EXPECT_EQ(reloaded.config().hidden_size, 32u);
  EXPECT_EQ(reloaded.fill_mask(tok, "the cat sat on the [MASK].")[0].size(), 5u);
  fs::remove_all(out);
}

TEST(Cpp, ModelFromMemoryBorrowed) {
  const auto tok = bertc::Tokenizer::load(kTiny);
  const std::string config = ReadFile(kTiny + "/config.json");
  const std::string weights = ReadFile(kTiny + "/model.safetensors");
  const auto copied = bertc::Model::load_from_memory(config, weights);
  const auto borrowed = bertc::Model::load_from_memory(config, weights, /*borrow=*/true);
  const auto want = bertc::Model::load(kTiny).fill_mask(tok, "the [MASK] of the house.");
  EXPECT_EQ(copied.fill_mask(tok, "the [MASK] of the house.")[0][0].score, want[0][0].score);
  EXPECT_EQ(borrowed.fill_mask(tok, "the [MASK] of the house.")[0][0].score, want[0][0].score);
  EXPECT_EQ(bertc::Model::try_load_from_memory(config, weights.substr(0, 100)).error().status,
            bertc::Status::kFormat);
}

}  // namespace
