// The C++ SDK (bertc.hpp) against the built library: the whole pipeline, errors as exceptions and as
// Expected values, RAII, callbacks, concurrency, and the HF reference numbers of the C suites.
#include <bertc.hpp>

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

// The trainer tests' setup: an 80-token tokenizer trained on Lines(), their ids (no specials) with
// offsets, and a 1-layer hidden-32 model config for it.
struct TinyTraining {
  bertc::Tokenizer tok;
  std::vector<int32_t> ids;
  std::vector<size_t> offsets{0};
  bertc::ModelConfig mc;
};

TinyTraining MakeTinyTraining() {
  TinyTraining t;
  bertc::TokenizerTrainOptions to;
  to.vocab_size = 80;
  to.min_frequency = 1;
  t.tok = bertc::Tokenizer::train_from_lines(Lines(), to);
  bertc::EncodeOptions eo;
  eo.add_special_tokens = false;
  for (const auto& e : t.tok.encode_batch(Lines(), eo)) {
    t.ids.insert(t.ids.end(), e.ids.begin(), e.ids.end());
    t.offsets.push_back(t.ids.size());
  }
  t.mc.vocab_size = t.tok.vocab_size();
  t.mc.hidden_size = 32;
  t.mc.num_hidden_layers = 1;
  t.mc.num_attention_heads = 2;
  t.mc.intermediate_size = 64;
  t.mc.max_position_embeddings = 32;
  t.mc.seed = 3;
  return t;
}

// Create, train with a callback, cancel, evaluate, checkpoint, resume, save, reload.
TEST(Cpp, TrainerPipelineCheckpointResume) {
  const TinyTraining tt = MakeTinyTraining();
  const auto& tok = tt.tok;
  const auto& ids = tt.ids;
  const auto& offsets = tt.offsets;
  const auto& mc = tt.mc;
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

// (1.2) Two ranks of a data-parallel run (threads here; processes or machines in real use) make the
// same updates; a rank alone fails its rendezvous with kIo.
TEST(Cpp, DataParallelRanksTrainInStep) {
  const TinyTraining tt = MakeTinyTraining();
  const auto& tok = tt.tok;
  const auto& ids = tt.ids;
  const auto& offsets = tt.offsets;
  const auto& mc = tt.mc;
  bertc::TrainerOptions o;
  o.max_length = 16;
  o.batch_size = 4;
  o.max_steps = 3;
  o.threads = 1;
  o.eval_split = 0.0;
  o.save_final_model = false;
  o.world_size = 2;
  o.dist_timeout_seconds = 60;
  {  // a free port: bind to port 0, read it, close
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    ::close(fd);
    o.master = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  std::vector<std::vector<double>> losses(2);
  std::vector<bertc::TrainerInfo> infos(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> ranks;
  for (int32_t r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      bertc::TrainerOptions mine = o;
      mine.rank = r;
      auto model = bertc::Model::create(mc);
      auto trainer = bertc::Trainer::try_create(model, tok, bertc::TrainerData::FromIds(ids, offsets), std::nullopt, mine);
      if (!trainer) {
        errors[static_cast<size_t>(r)] = trainer.error().message;
        return;
      }
      infos[static_cast<size_t>(r)] = trainer->info();
      for (int i = 0; i < 3; ++i) losses[static_cast<size_t>(r)].push_back(trainer->step().loss);
    });
  }
  for (auto& t : ranks) t.join();
  ASSERT_EQ(errors, std::vector<std::string>(2)) << errors[0] << errors[1];
  EXPECT_EQ(infos[0].rank, 0);
  EXPECT_EQ(infos[1].rank, 1);
  EXPECT_EQ(infos[1].world_size, 2);
  EXPECT_EQ(losses[0], losses[1]);
  bertc::TrainerOptions lonely = o;
  lonely.rank = 1;
  lonely.master = "127.0.0.1:9";
  lonely.dist_timeout_seconds = 1;
  auto model = bertc::Model::create(mc);
  auto t = bertc::Trainer::try_create(model, tok, bertc::TrainerData::FromIds(ids, offsets), std::nullopt, lonely);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().status, bertc::Status::kIo);
  EXPECT_NE(t.error().message.find("could not rendezvous"), std::string::npos) << t.error().message;
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

// ---- fine-tuning (ABI 1.1) ------------------------------------------------------------------------

const std::string kModels = std::string(BERTC_FIXTURES_DIR) + "/model";
const std::vector<std::string> kGenres = {"fiction", "nonfiction", "press"};
const char* const kWords[] = {"the", "man", "said", "that", "people", "of", "house", "were", "good", "he",
                              "was", "in", "world", "a", "new", "city", "and", "old", "time", "day"};
const char* const kTags[] = {"at", "nn", "vbd", "cs", "nns", "in", "nn", "bed", "jj", "pps",
                             "bedz", "in", "nn", "at", "jj", "nn", "cc", "jj", "nn", "nn"};

// n JSONL lines {"text", "label"}: the label follows the first word (learnable); line 4 may be bad.
std::string WriteGenre(const std::string& path, int n, const std::string& bad_label = {}) {
  std::ofstream f(path, std::ios::binary);
  uint32_t x = 777;
  for (int i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    const unsigned first = (x >> 16) % 3;
    std::string text = kWords[first];
    for (int j = 0; j < 6; ++j) {
      x = x * 1103515245u + 12345u;
      text += std::string(" ") + kWords[(x >> 16) % 20];
    }
    const std::string label = !bad_label.empty() && i == 3 ? bad_label : kGenres[first];
    f << "{\"text\": \"" << text << ".\", \"genre\": \"g" << first << "\", \"label\": \"" << label << "\"}\n";
  }
  return path;
}

// n JSONL lines {"words", "tags"}; with `mismatch` line 3 has one tag too few.
std::string WritePos(const std::string& path, int n, bool mismatch = false) {
  std::ofstream f(path, std::ios::binary);
  uint32_t x = 99;
  for (int i = 0; i < n; ++i) {
    std::vector<unsigned> idx;
    for (int j = 0; j < 3 + i % 5; ++j) {
      x = x * 1103515245u + 12345u;
      idx.push_back((x >> 16) % 20);
    }
    f << "{\"words\": [";
    for (size_t j = 0; j < idx.size(); ++j) f << (j ? ", " : "") << '"' << kWords[idx[j]] << '"';
    f << "], \"tags\": [";
    const size_t tags = mismatch && i == 2 ? idx.size() - 1 : idx.size();
    for (size_t j = 0; j < tags; ++j) f << (j ? ", " : "") << '"' << kTags[idx[j]] << '"';
    f << "]}\n";
  }
  return path;
}

bertc::TrainerOptions FineTuneOptions(const std::string& out) {
  bertc::TrainerOptions o;
  o.output_dir = out;
  o.max_length = 32;
  o.batch_size = 8;
  o.learning_rate = 2e-3;
  o.max_steps = 12;
  o.logging_steps = 4;
  o.threads = 1;
  o.eval_split = 0;
  return o;
}

// Values of tests/fixtures/model/tiny_classifiers.json (transformers 4.49 pipelines).
TEST(CppFineTune, ClassifyMatchesHfPipeline) {
  const auto tok = bertc::Tokenizer::load(kModels + "/tiny_seqcls");
  const auto seq = bertc::Model::load(kModels + "/tiny_seqcls");
  EXPECT_EQ(seq.task(), bertc::Task::kSequenceClassification);
  EXPECT_EQ(seq.labels(), kGenres);
  EXPECT_TRUE(seq.warning().empty()) << seq.warning();
  const std::vector<std::string_view> texts = {
      "The man said that the people of the house were good.", "He was in the world.", "Yes!",
      "It was the first time that they had come to the city, and the house was old."};
  // pipeline label_scores by id (fiction, nonfiction, press), and the first text's logits.
  const double want[4][3] = {{0.208826706, 0.251282215, 0.539891064},
                             {0.191835195, 0.302292347, 0.505872488},
                             {0.265534997, 0.270300508, 0.464164495},
                             {0.186834276, 0.292523116, 0.520642579}};
  const std::vector<bertc::Classification> got = seq.classify_batch(tok, texts);
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(got[i].label, 2u);
    EXPECT_EQ(got[i].label_name, "press");
    EXPECT_NEAR(got[i].score, want[i][2], 1e-6);
    ASSERT_EQ(got[i].scores.size(), 3u);
    ASSERT_EQ(got[i].logits.size(), 3u);
    for (size_t j = 0; j < 3; ++j) EXPECT_NEAR(got[i].scores[j], want[i][j], 1e-6) << i << " " << j;
  }
  EXPECT_NEAR(got[0].logits[0], -1.35699999, 1e-5);
  EXPECT_NEAR(got[0].logits[2], -0.407136738, 1e-5);
  // One text, the MLM's tokenizer files (same vocabulary), batches of one: the same numbers.
  const auto mlm_tok = bertc::Tokenizer::load(kTiny);
  bertc::ClassifyOptions o;
  o.batch_size = 1;
  o.threads = 1;
  const bertc::Classification one = seq.classify(mlm_tok, texts[0], o);
  EXPECT_EQ(one.label_name, "press");
  EXPECT_NEAR(one.score, 0.539891064, 1e-6);
  EXPECT_TRUE(seq.classify_batch(tok, {}).empty());
}

TEST(CppFineTune, TagMatchesHfPipeline) {
  const auto tok = bertc::Tokenizer::load(kTiny);
  const auto tagger = bertc::Model::load(kModels + "/tiny_tokcls");
  EXPECT_EQ(tagger.task(), bertc::Task::kTokenClassification);
  EXPECT_EQ(tagger.labels(), (std::vector<std::string>{"O", "B-NP", "I-NP", "VB", "DT"}));
  // HF: 6 groups, all NP: was 0.646672845 (3..6), in, the, world, today, "!" 0.39087379 (25..26).
  const bertc::TaggedText t = tagger.tag(tok, "He was in the world today!");
  ASSERT_EQ(t.groups.size(), 6u);
  ASSERT_EQ(t.words.size(), 7u);
  const double scores[6] = {0.646672845, 0.449057758, 0.437823266, 0.52259475, 0.613835633, 0.39087379};
  const char* const words[6] = {"was", "in", "the", "world", "today", "!"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(t.groups[i].label_name, "NP");
    EXPECT_EQ(t.groups[i].text, words[i]);
    EXPECT_NEAR(t.groups[i].score, scores[i], 1e-6);
  }
  EXPECT_EQ(t.groups[0].start, 3u);
  EXPECT_EQ(t.groups[0].end, 6u);
  EXPECT_EQ(t.groups[5].start, 25u);
  EXPECT_EQ(t.words[0].word, "He");
  EXPECT_EQ(t.words[0].label_name, "O");  // not in any group: HF leaves "O" out
  // The first text: "man" (17..20) and "said" ... "." (45..46).
  const auto batch = tagger.tag_batch(tok, {"The unbelievable man said hello to Washington.", "Yes"});
  ASSERT_EQ(batch.size(), 2u);
  ASSERT_EQ(batch[0].groups.size(), 5u);
  EXPECT_EQ(batch[0].groups[0].start, 17u);
  EXPECT_NEAR(batch[0].groups[0].score, 0.79822278, 1e-6);
  EXPECT_EQ(batch[0].groups[3].text, "Washington");  // HF "washington": decoded tokens
  EXPECT_NEAR(batch[0].groups[4].score, 0.720750928, 1e-6);
  EXPECT_TRUE(batch[1].groups.empty());

  // Pre-split words: the label of each word's first piece (HF word_ids()).
  const bertc::TaggedText w = tagger.tag_words(tok, {"The", "unbelievable", "man", "said", "hello", "."});
  ASSERT_EQ(w.words.size(), 6u);
  const size_t labels[6] = {0, 0, 1, 1, 0, 0};
  const double word_scores[6] = {0.540280223, 0.551126122, 0.833422482, 0.570990622, 0.557990611, 0.483657122};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(w.words[i].word_index, i);
    EXPECT_EQ(w.words[i].label, labels[i]);
    EXPECT_NEAR(w.words[i].score, word_scores[i], 1e-6);
  }
  EXPECT_EQ(w.words[2].word, "man");
  EXPECT_EQ(w.words[2].label_name, "B-NP");
  EXPECT_EQ(w.words[2].start, 17u);  // "The unbelievable man"
  const auto wb = tagger.tag_words_batch(tok, {{"He", "was", "in", "Washington", "today"}, {"Yes", "!"}});
  ASSERT_EQ(wb.size(), 2u);
  EXPECT_EQ(wb[0].words[3].label, 4u);  // DT
  EXPECT_NEAR(wb[0].words[3].score, 0.399008423, 1e-6);
  EXPECT_NEAR(wb[1].words[0].score, 0.626195848, 1e-6);
}

TEST(CppFineTune, WrongHeadAndBadInputErrors) {
  const auto tok = bertc::Tokenizer::load(kTiny);
  const auto seq = bertc::Model::load(kModels + "/tiny_seqcls");
  const auto tagger = bertc::Model::load(kModels + "/tiny_tokcls");
  // A sequence classifier used for tagging: an exception with bertc's message ...
  try {
    seq.tag(tok, "He was in the world today!");
    FAIL() << "no exception";
  } catch (const bertc::Exception& e) {
    EXPECT_EQ(e.status(), bertc::Status::kInvalidArgument);
    EXPECT_NE(e.error().message.find("needs a BertForTokenClassification"), std::string::npos) << e.what();
    EXPECT_NE(e.error().message.find("BertForSequenceClassification"), std::string::npos);
  }
  // ... or an Expected.
  auto tagged = seq.try_tag_words(tok, {"He", "was"});
  ASSERT_FALSE(tagged);
  EXPECT_EQ(tagged.error().status, bertc::Status::kInvalidArgument);
  EXPECT_EQ(tagger.try_classify(tok, "He was in the world.").error().status, bertc::Status::kInvalidArgument);
  auto fill = seq.try_fill_mask(tok, "the [MASK] of the house.");
  ASSERT_FALSE(fill);
  EXPECT_NE(fill.error().message.find("no MLM head"), std::string::npos);
  EXPECT_FALSE(bertc::Model::load(kTiny).try_classify(tok, "a text"));
  // Too long without truncation; fine with it.
  std::string longer;
  for (int i = 0; i < 100; ++i) longer += "the man ";
  auto too_long = seq.try_classify(tok, longer);
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("truncation"), std::string::npos);
  bertc::ClassifyOptions o;
  o.truncation = true;
  EXPECT_EQ(seq.classify(tok, longer, o).scores.size(), 3u);
  o.max_length = 10;
  EXPECT_EQ(tagger.tag(tok, longer, o).words.size(), 8u);
  // An empty model fails cleanly.
  bertc::Model empty;
  EXPECT_EQ(empty.try_classify(tok, "x").error().status, bertc::Status::kInvalidArgument);
  EXPECT_EQ(empty.try_task().error().status, bertc::Status::kInvalidArgument);
}

TEST(CppFineTune, CreateConfigLoadForTask) {
  const auto tok = bertc::Tokenizer::load(kTiny);
  bertc::ModelConfig mc;
  mc.vocab_size = tok.vocab_size();
  mc.hidden_size = 32;
  mc.num_hidden_layers = 1;
  mc.num_attention_heads = 2;
  mc.intermediate_size = 64;
  mc.max_position_embeddings = 64;
  mc.task = bertc::Task::kTokenClassification;
  auto no_labels = bertc::Model::try_create(mc);  // a classifier needs labels
  ASSERT_FALSE(no_labels);
  EXPECT_NE(no_labels.error().message.find("label"), std::string::npos);
  mc.labels = {"x", "y", "x"};
  EXPECT_NE(bertc::Model::try_create(mc).error().message.find("appears twice"), std::string::npos);
  mc.labels = {"O", "B-NP", "I-NP"};
  mc.classifier_dropout = 0.25;
  const auto m = bertc::Model::create(mc);
  const bertc::ModelConfig c = m.config();
  EXPECT_EQ(c.task, bertc::Task::kTokenClassification);
  EXPECT_EQ(c.labels, mc.labels);
  EXPECT_EQ(c.num_labels, 3u);
  ASSERT_TRUE(c.classifier_dropout.has_value());
  EXPECT_DOUBLE_EQ(*c.classifier_dropout, 0.25);
  const std::string dir = TempDir("tagger");
  m.save(dir);
  const auto back = bertc::Model::load(dir);
  EXPECT_EQ(back.task(), bertc::Task::kTokenClassification);
  EXPECT_EQ(back.labels(), mc.labels);
  fs::remove_all(dir);
  // num_labels alone: LABEL_0, LABEL_1; a masked LM has neither labels nor classifier_dropout.
  bertc::ModelConfig anon = mc;
  anon.task = bertc::Task::kSequenceClassification;
  anon.labels.clear();
  anon.num_labels = 2;
  EXPECT_EQ(bertc::Model::create(anon).labels(), (std::vector<std::string>{"LABEL_0", "LABEL_1"}));
  const bertc::ModelConfig mlm = bertc::Model::load(kTiny).config();
  EXPECT_EQ(mlm.task, bertc::Task::kMaskedLm);
  EXPECT_TRUE(mlm.labels.empty());
  EXPECT_FALSE(mlm.classifier_dropout.has_value());

  // A new head on a pre-trained masked LM: HF's warning, kept on the model.
  bertc::TaskOptions to;
  to.task = bertc::Task::kSequenceClassification;
  to.labels = kGenres;
  to.seed = 5;
  const auto clf = bertc::Model::load_for_task(kTiny, to);
  EXPECT_NE(clf.warning().find("newly initialized"), std::string::npos) << clf.warning();
  EXPECT_NE(clf.warning().find("classifier.weight"), std::string::npos);
  EXPECT_EQ(clf.labels(), kGenres);
  const auto again = bertc::Model::load_for_task(kTiny, to);
  EXPECT_EQ(again.classify(tok, "the man.").scores, clf.classify(tok, "the man.").scores);  // same seed
  // A fine-tuned checkpoint keeps its head and label map; a different map is an error.
  const auto kept = bertc::Model::load_for_task(kModels + "/tiny_seqcls", bertc::Task::kSequenceClassification);
  EXPECT_TRUE(kept.warning().empty()) << kept.warning();
  EXPECT_EQ(kept.labels(), kGenres);
  auto other = bertc::Model::try_load_for_task(kModels + "/tiny_seqcls", bertc::Task::kSequenceClassification,
                                               {"press", "fiction", "nonfiction"});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().status, bertc::Status::kInvalidArgument);
  EXPECT_NE(other.error().message.find("disagrees with the checkpoint's"), std::string::npos);
  EXPECT_FALSE(bertc::Model::try_load_for_task(kTiny, bertc::Task::kTokenClassification));  // no labels
  // (1.3) The encoder's dropout, as from_pretrained's keyword arguments (the checkpoint says 0.1).
  bertc::TaskOptions dropout = to;
  dropout.hidden_dropout_prob = 0.3;
  dropout.attention_probs_dropout_prob = 0.0;
  const bertc::ModelConfig dc = bertc::Model::load_for_task(kTiny, dropout).config();
  EXPECT_DOUBLE_EQ(dc.hidden_dropout_prob, 0.3);
  EXPECT_EQ(dc.attention_probs_dropout_prob, 0.0);
  dropout.hidden_dropout_prob = 1.0;
  auto bad_dropout = bertc::Model::try_load_for_task(kTiny, dropout);
  ASSERT_FALSE(bad_dropout);
  EXPECT_EQ(bad_dropout.error().status, bertc::Status::kInvalidArgument);
  EXPECT_NE(bad_dropout.error().message.find("hidden_dropout_prob must be in [0, 1)"), std::string::npos);
}

// Sequence classification end to end: labels from the data, a new head, fine-tuning with evaluation
// (accuracy, macro-F1, best checkpoint by F1), the saved classifier.
TEST(CppFineTune, SequenceFineTuning) {
  const std::string root = TempDir("seq_ft");
  fs::create_directories(root);
  const auto tok = bertc::Tokenizer::load(kTiny);
  const auto train = bertc::TrainerData::FromFiles({WriteGenre(root + "/genre_train.jsonl", 96)});
  const auto eval = bertc::TrainerData::FromFiles({WriteGenre(root + "/genre_eval.jsonl", 24)});
  const auto bad = bertc::TrainerData::FromFiles({WriteGenre(root + "/genre_bad.jsonl", 8, "poetry")});
  EXPECT_EQ(bertc::dataset_labels(train, bertc::Task::kSequenceClassification), kGenres);
  bertc::TrainerData by_genre = train;
  by_genre.label_field = "genre";
  EXPECT_EQ(bertc::dataset_labels(by_genre, bertc::Task::kSequenceClassification),
            (std::vector<std::string>{"g0", "g1", "g2"}));
  EXPECT_EQ(bertc::try_dataset_labels(train, bertc::Task::kMaskedLm).error().status, bertc::Status::kInvalidArgument);

  bertc::TaskOptions to;
  to.labels = bertc::dataset_labels(train, bertc::Task::kSequenceClassification);
  to.seed = 5;
  auto model = bertc::Model::load_for_task(kTiny, to);
  bertc::TrainerOptions o = FineTuneOptions(root + "/run");
  o.eval_steps = 6;
  o.save_steps = 6;
  o.metric_for_best_model = "f1";
  // An unknown label in the evaluation data: the file and line are named.
  try {
    bertc::Trainer::create(model, tok, train, bad, o);
    FAIL() << "no exception";
  } catch (const bertc::Exception& e) {
    EXPECT_EQ(e.status(), bertc::Status::kInvalidArgument);
    EXPECT_NE(e.error().message.find("unknown label 'poetry'"), std::string::npos) << e.what();
    EXPECT_NE(e.error().message.find("genre_bad.jsonl:4"), std::string::npos) << e.what();
  }
  bertc::TrainerOptions bleu = o;
  bleu.metric_for_best_model = "bleu";
  EXPECT_FALSE(bertc::Trainer::try_create(model, tok, train, eval, bleu));

  auto trainer = bertc::Trainer::create(model, tok, train, eval, o);
  const bertc::EvalResult before = trainer.evaluate();
  EXPECT_EQ(before.examples, 24u);
  EXPECT_EQ(before.masked_tokens, 24u);  // one label per example
  EXPECT_TRUE(std::isnan(before.perplexity));
  std::vector<double> eval_f1;
  trainer.train([&](const bertc::Event& e) {
    if (e.kind == bertc::EventKind::kEval) eval_f1.push_back(e.eval_f1);
    return true;
  });
  ASSERT_EQ(eval_f1.size(), 2u);  // steps 6 and 12
  const bertc::EvalResult after = trainer.evaluate();
  EXPECT_LT(after.loss, before.loss);
  EXPECT_GE(after.f1, 0.0);
  EXPECT_LE(after.f1, 1.0);
  EXPECT_DOUBLE_EQ(after.f1, eval_f1.back());
  const bertc::TrainerInfo info = trainer.info();
  EXPECT_EQ(info.global_step, 12u);
  EXPECT_DOUBLE_EQ(info.best_metric, std::max(eval_f1[0], eval_f1[1]));  // the best macro-F1

  // The final model is a BertForSequenceClassification with the labels.
  const auto saved = bertc::Model::load(root + "/run");
  EXPECT_EQ(saved.task(), bertc::Task::kSequenceClassification);
  EXPECT_EQ(saved.labels(), kGenres);
  const auto c = saved.classify(bertc::Tokenizer::load(root + "/run"), "the man said.");
  EXPECT_NEAR(c.scores[0] + c.scores[1] + c.scores[2], 1.0, 1e-9);

  // In memory: one label per sequence; step_batch takes one label per row.
  bertc::EncodeOptions eo;
  eo.add_special_tokens = false;
  std::vector<int32_t> ids;
  std::vector<size_t> offsets{0};
  for (const auto& e : tok.encode_batch({"the man said.", "of the house.", "he was good.", "a new city."}, eo)) {
    ids.insert(ids.end(), e.ids.begin(), e.ids.end());
    offsets.push_back(ids.size());
  }
  bertc::TrainerOptions mo = FineTuneOptions(root + "/mem");
  mo.batch_size = 2;
  auto wrong = bertc::Trainer::try_create(model, tok, bertc::TrainerData::FromIds(ids, offsets, {0, 1}));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("one label per sequence"), std::string::npos);
  auto mem = bertc::Trainer::create(model, tok, bertc::TrainerData::FromIds(ids, offsets, {0, 1, 2, 0}), std::nullopt,
                                    mo);
  EXPECT_EQ(mem.step().masked_tokens, 2u);
  const std::vector<int32_t> batch = {2, 101, 3, 0, 2, 101, 253, 3};
  EXPECT_EQ(mem.step_batch(batch, 2, 4, {}, {2, 0}).masked_tokens, 2u);
  EXPECT_FALSE(mem.try_step_batch(batch, 2, 4, {}, {2, 0, 1, 0, 0, 0, 0, 0}));  // rows x cols: token labels
  EXPECT_FALSE(mem.try_step_batch(batch, 2, 4));                                 // classifiers need labels
  fs::remove_all(root);
}

// Token classification end to end, labelled batches and in-memory tags.
TEST(CppFineTune, TokenFineTuning) {
  const std::string root = TempDir("tok_ft");
  fs::create_directories(root);
  const auto tok = bertc::Tokenizer::load(kTiny);
  const auto train = bertc::TrainerData::FromFiles({WritePos(root + "/pos_train.jsonl", 80)});
  const auto bad = bertc::TrainerData::FromFiles({WritePos(root + "/pos_bad.jsonl", 5, true)});
  const std::vector<std::string> labels = bertc::dataset_labels(train, bertc::Task::kTokenClassification);
  EXPECT_EQ(labels.size(), 11u);  // at bed bedz cc cs in jj nn nns pps vbd
  EXPECT_EQ(labels.front(), "at");
  auto model = bertc::Model::load_for_task(kTiny, bertc::Task::kTokenClassification, labels);
  bertc::TrainerOptions o = FineTuneOptions(root + "/run");
  o.eval_split = 0.2;
  auto mismatch = bertc::Trainer::try_create(model, tok, bad, std::nullopt, o);
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("pos_bad.jsonl:3"), std::string::npos) << mismatch.error().message;
  EXPECT_NE(mismatch.error().message.find("words but"), std::string::npos);

  auto trainer = bertc::Trainer::create(model, tok, train, std::nullopt, o);
  const bertc::EvalResult before = trainer.evaluate();
  EXPECT_EQ(before.examples, 16u);
  EXPECT_GT(before.masked_tokens, 16u);  // tagged words
  trainer.train();
  const bertc::EvalResult after = trainer.evaluate();
  EXPECT_LT(after.loss, before.loss);
  EXPECT_GT(after.accuracy, before.accuracy);
  EXPECT_GE(after.f1, 0.0);

  // A labelled batch: rows x cols labels, -100 where none.
  const std::vector<int32_t> ids = {2, 40, 41, 3, 2, 42, 3, 0};
  EXPECT_EQ(trainer.step_batch(ids, 2, 4, {}, {-100, 1, 2, -100, -100, 0, -100, -100}).masked_tokens, 3u);
  EXPECT_FALSE(trainer.try_step_batch(ids, 2, 4));
  EXPECT_FALSE(trainer.try_step_batch(ids, 2, 4, {}, {1, 2}));  // one per row is for sequence classifiers
  auto out_of_range = trainer.try_step_batch(ids, 2, 4, {}, {-100, 1, 99, -100, -100, 0, -100, -100});
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(out_of_range.error().status, bertc::Status::kInvalidArgument);

  // In-memory data needs labels, one per token id.
  bertc::TrainerOptions mo = o;
  mo.batch_size = 2;
  mo.eval_split = 0;
  mo.output_dir = root + "/mem";
  auto unlabelled = bertc::Trainer::try_create(model, tok, bertc::TrainerData::FromIds({40, 41, 42}, {0, 2, 3}),
                                               std::nullopt, mo);
  ASSERT_FALSE(unlabelled);
  EXPECT_NE(unlabelled.error().message.find("labels"), std::string::npos);
  EXPECT_FALSE(bertc::Trainer::try_create(model, tok, bertc::TrainerData::FromIds({40, 41, 42}, {0, 2, 3}, {1, 0}),
                                          std::nullopt, mo));
  auto mem = bertc::Trainer::create(model, tok, bertc::TrainerData::FromIds({40, 41, 42}, {0, 2, 3}, {1, -100, 0}),
                                    std::nullopt, mo);
  EXPECT_EQ(mem.step().masked_tokens, 2u);
  // A masked LM takes no in-memory labels.
  auto mlm = bertc::Model::load(kTiny);
  EXPECT_FALSE(bertc::Trainer::try_create(mlm, tok, bertc::TrainerData::FromIds({40, 41, 42}, {0, 2, 3}, {1, 2, 0}),
                                          std::nullopt, mo));
  fs::remove_all(root);
}

}  // namespace
