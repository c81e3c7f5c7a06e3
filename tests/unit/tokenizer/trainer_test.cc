// Trainer: HF parity on Brown (token set within HF's own run-to-run variation), determinism,
// bad input, and the likelihood algorithm.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "common/error.h"
#include "tests/unit/tokenizer/test_util.h"
#include "tokenizer/trainer.h"

namespace bertc::tok {
namespace {

using namespace bertc::tok::testing;  // NOLINT

TrainerOptions BrownOptions(size_t vocab_size) {
  TrainerOptions o;  // = the fixture's trainer_settings.json
  o.vocab_size = vocab_size;
  o.special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<S>", "<T>"};
  return o;
}

size_t SymmetricDifference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  size_t d = 0;
  for (const auto& t : sa) d += !sb.count(t);
  for (const auto& t : sb) d += !sa.count(t);
  return d;
}

class BrownTrainerParity : public ::testing::TestWithParam<size_t> {};

TEST_P(BrownTrainerParity, TokenSetWithinHfVariation) {
  const size_t n = GetParam();
  const std::string train = BrownPath("train.txt");
  if (!FileExists(train)) GTEST_SKIP() << "Brown corpus not found (BERTC_BROWN_DIR)";
  const std::string ref = FixturePath("hf_brown_" + std::to_string(n) + "/vocab.txt");
  if (!FileExists(ref)) GTEST_SKIP() << "fixture missing: " << ref;
  const auto counts = CountWordsInFiles({train}, BrownOptions(n));
  const auto vocab = BuildVocab(counts, BrownOptions(n));
  const auto hf = Lines(ref);
  EXPECT_EQ(vocab.size(), hf.size());
  const size_t diff = SymmetricDifference(vocab, hf);
  const std::string run2 = FixturePath("hf_brown_" + std::to_string(n) + "_run2.txt");
  const size_t hf_diff = FileExists(run2) ? SymmetricDifference(hf, Lines(run2)) : 0;
  RecordProperty("symmetric_difference", static_cast<int>(diff));
  RecordProperty("hf_run_to_run_difference", static_cast<int>(hf_diff));
  EXPECT_LE(diff * 1000, vocab.size()) << "bertc vs HF differ by " << diff << " tokens (HF vs HF: " << hf_diff << ")";
  // Same special tokens at the same ids.
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(vocab[i], hf[i]);
  // No fragments of special tokens in the learned part.
  for (size_t i = 7; i < vocab.size(); ++i) {
    EXPECT_EQ(vocab[i].find("[sep"), std::string::npos) << vocab[i];
    EXPECT_EQ(vocab[i].find("sep]"), std::string::npos) << vocab[i];
  }
  // Deterministic across thread counts.
  TrainerOptions one = BrownOptions(n);
  one.threads = 1;
  EXPECT_EQ(BuildVocab(CountWordsInFiles({train}, one), one), vocab);
}

INSTANTIATE_TEST_SUITE_P(Brown, BrownTrainerParity, ::testing::Values(size_t{8000}, size_t{30522}));

std::vector<std::string_view> Views(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(Trainer, SpecialTokensNeverLeakAsFragments) {
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) lines.push_back("[CLS] the cat sat [SEP] on the mat [SEP] [MASK] <S>x<T>");
  TrainerOptions o;
  o.vocab_size = 200;
  o.special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<S>", "<T>"};
  auto tok = TrainFromLines(Views(lines), o);
  for (size_t i = 7; i < tok->vocab_size(); ++i) {
    const std::string& t = *tok->IdToToken(static_cast<int32_t>(i));
    EXPECT_TRUE(t.find('[') == std::string::npos || t == "[") << t;
    EXPECT_TRUE(t.find(']') == std::string::npos || t == "]" || t == "##]") << t;
  }
  // Specials in text are matched whole when encoding.
  std::vector<int32_t> ids;
  tok->EncodeIds("the [MASK] sat", &ids);
  EXPECT_NE(std::find(ids.begin(), ids.end(), tok->mask_id()), ids.end());
}

TEST(Trainer, BadInput) {
  TrainerOptions o;
  std::vector<std::string> empty_lines = {"", "   ", "\t"};
  EXPECT_THROW(TrainFromLines(Views(empty_lines), o), Error);
  std::vector<std::string> lines = {"hello world", "hello there"};
  TrainerOptions small = o;
  small.vocab_size = 8;
  try {
    TrainFromLines(Views(lines), small);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("vocab_size"), std::string::npos);
  }
  TrainerOptions dup = o;
  dup.special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[PAD]"};
  EXPECT_THROW(TrainFromLines(Views(lines), dup), Error);
  std::vector<std::string> bad = {"ok line", std::string("bad \xff byte")};
  try {
    TrainFromLines(Views(bad), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidUtf8);
    EXPECT_NE(std::string(e.what()).find("byte 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(TrainFromFiles({"/nonexistent/corpus.txt"}, o), Error);
}

TEST(Trainer, CancelStopsTraining) {
  std::vector<std::string> lines(100, "some words to count here");
  TrainerOptions o;
  o.progress = [](const TrainProgress&) { return false; };
  try {
    TrainFromLines(Views(lines), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  }
}

TEST(Trainer, TieBreakIsDocumentedOrder) {
  // "ab" and "cd" are equally frequent; the pair with the smaller ids (a < c by code point) merges first.
  std::vector<std::string> lines = {"ab cd", "ab cd"};
  TrainerOptions o;
  o.min_frequency = 1;
  o.special_tokens = {"[UNK]", "[CLS]", "[SEP]"};
  o.vocab_size = 3 + 4 + 2 + 1;  // specials + a b c d + ##b ##d + one merge
  auto v = BuildVocab(CountWordsInLines(Views(lines), o), o);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(v.back(), "ab");
  o.vocab_size = 11;
  v = BuildVocab(CountWordsInLines(Views(lines), o), o);
  EXPECT_EQ(v.back(), "cd");
}

// A small corpus with many equal pair counts (ties), accents, CJK and punctuation: the `hf` trainer
// must write byte-identical vocab.txt files whatever the thread count (word counting is split
// between threads, and hash-map iteration order must not leak into the merges).
std::vector<std::string> TieHeavyCorpus() {
  static const char* const kSyllables[] = {"ka", "ri", "to", "ne", "su", "mi", "ra", "lo", "be", "du",
                                           "Caf\xc3\xa9", "na\xc3\xafve", "\xe4\xb8\xad", "x", "qu", "zz"};
  std::vector<std::string> lines;
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (int l = 0; l < 3000; ++l) {
    std::string line;
    const int words = 1 + static_cast<int>(next() % 9);
    for (int w = 0; w < words; ++w) {
      if (w) line += (next() % 7 == 0) ? ", " : " ";
      const int syl = 1 + static_cast<int>(next() % 4);
      for (int k = 0; k < syl; ++k) line += kSyllables[next() % 16];
    }
    if (next() % 3 == 0) line += ".";
    lines.push_back(line);
  }
  return lines;
}

TEST(Trainer, HfVocabIdenticalOnOneToFourThreads) {
  const auto lines = TieHeavyCorpus();
  const std::string dir = TempDir("threads");
  ASSERT_FALSE(dir.empty());
  // Two files so that counting streams more than one input.
  const std::string f1 = dir + "/part1.txt", f2 = dir + "/part2.txt";
  {
    std::ofstream o1(f1, std::ios::binary), o2(f2, std::ios::binary);
    for (size_t i = 0; i < lines.size(); ++i) (i % 2 ? o2 : o1) << lines[i] << "\n";
  }
  std::string reference;
  for (int threads = 1; threads <= 4; ++threads) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    TrainerOptions o;
    o.algorithm = TrainerAlgorithm::kHf;
    o.vocab_size = 400;
    o.threads = threads;
    const std::string vocab_path = dir + "/vocab" + std::to_string(threads) + ".txt";
    TrainFromFiles({f1, f2}, o)->SaveVocab(vocab_path);
    const std::string got = Slurp(vocab_path);
    ASSERT_FALSE(got.empty());
    if (threads == 1) {
      reference = got;
    } else {
      EXPECT_EQ(got, reference);
    }
    // In-memory lines give the same vocabulary as the files.
    const std::string mem_path = dir + "/vocab_mem" + std::to_string(threads) + ".txt";
    TrainFromLines(Views(lines), o)->SaveVocab(mem_path);
    EXPECT_EQ(Slurp(mem_path), reference);
  }
  EXPECT_EQ(Lines(dir + "/vocab1.txt").size(), 400u);
}

TEST(Trainer, LikelihoodPrefersInformativePairs) {
  // "q u" always co-occur; "t h" is more frequent but t and h are frequent elsewhere too.
  std::vector<std::string> lines;
  for (int i = 0; i < 50; ++i) lines.push_back("the that this then ta hi ht tt hh th");
  for (int i = 0; i < 5; ++i) lines.push_back("qu");
  TrainerOptions o;
  o.special_tokens = {"[UNK]", "[CLS]", "[SEP]"};
  o.algorithm = TrainerAlgorithm::kLikelihood;
  const auto base = BuildVocab(CountWordsInLines(Views(lines), [&] { auto p = o; p.vocab_size = 1000; return p; }()),
                               [&] { auto p = o; p.vocab_size = 1000; return p; }());
  TrainerOptions first = o;
  auto counts = CountWordsInLines(Views(lines), o);
  first.vocab_size = 0;
  // The first merge of the likelihood trainer is "qu"; the hf trainer's is "th".
  const size_t initial = [&] {
    try {
      BuildVocab(counts, first);
    } catch (const Error& e) {
      std::string m = e.what();
      return static_cast<size_t>(std::stoul(m.substr(m.find('(') + 1)));
    }
    return size_t{0};
  }();
  ASSERT_GT(initial, 0u);
  first.vocab_size = initial + 1;
  EXPECT_EQ(BuildVocab(counts, first).back(), "qu");
  first.algorithm = TrainerAlgorithm::kHf;
  EXPECT_EQ(BuildVocab(counts, first).back(), "th");
  EXPECT_GT(base.size(), initial);
}

}  // namespace
}  // namespace bertc::tok
