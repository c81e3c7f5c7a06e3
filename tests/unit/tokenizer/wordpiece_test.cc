// WordPiece: LinMaxMatch must equal HF's greedy MaxMatch on every word; normalizer/pre-tokenizer
// edge cases; decoder; files round trip.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "tests/unit/tokenizer/test_util.h"
#include "tokenizer/decoder.h"
#include "tokenizer/files.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/wordpiece.h"

namespace bertc::tok {
namespace {

using namespace bertc::tok::testing;  // NOLINT

std::vector<std::pair<int32_t, std::pair<uint32_t, uint32_t>>> Flat(const std::vector<WordPiece>& p) {
  std::vector<std::pair<int32_t, std::pair<uint32_t, uint32_t>>> out;
  for (const auto& w : p) out.push_back({w.id, {w.start, w.end}});
  return out;
}

TEST(WordPiece, LinMaxMatchEqualsGreedyOnRandomVocabularies) {
  std::mt19937 rng(1234);
  const std::string alphabet = "abc\xc3\xa9";  // includes a 2-byte character
  auto random_string = [&](size_t max_chars) {
    std::string s;
    const size_t n = 1 + rng() % max_chars;
    for (size_t i = 0; i < n; ++i) {
      const size_t k = rng() % 4;
      s += k == 3 ? std::string("\xc3\xa9") : std::string(1, alphabet[k]);
    }
    return s;
  };
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::string> tokens = {"[UNK]"};
    const size_t n = 3 + rng() % 25;
    for (size_t i = 0; i < n; ++i) tokens.push_back((rng() % 2 ? "##" : "") + random_string(4));
    Vocab vocab(tokens);
    WordPieceModel::Options opt;
    opt.max_input_chars_per_word = 12;
    WordPieceModel model(vocab, opt);
    for (int w = 0; w < 200; ++w) {
      const std::string word = random_string(14);
      std::vector<WordPiece> fast, slow;
      model.Encode(word, CountChars(word), &fast);
      model.EncodeGreedy(word, &slow);
      ASSERT_EQ(Flat(fast), Flat(slow)) << "word " << word << " trial " << trial;
    }
  }
}

TEST(WordPiece, UnknownAndLongWords) {
  Vocab vocab({"[UNK]", "un", "##aff", "##able", "a"});
  WordPieceModel::Options opt;
  opt.max_input_chars_per_word = 8;
  WordPieceModel model(vocab, opt);
  std::vector<WordPiece> out;
  model.Encode("unaffable", 9, &out);  // 9 chars > 8
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, 0);
  out.clear();
  model.Encode("unaff", 5, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].start, 2u);
  EXPECT_EQ(out[1].end, 5u);
  out.clear();
  model.Encode("unx", 3, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, 0);
  EXPECT_THROW(WordPieceModel(Vocab({"a"}), {}), Error);
}

TEST(Normalizer, BertRules) {
  Normalizer n;
  EXPECT_EQ(n.NormalizeString("H\xc3\xa9llo\tW\xc3\xb6rld"), "hello world");
  EXPECT_EQ(n.NormalizeString("a\x01" "b\xef\xbf\xbd" "c"), "abc");           // control + U+FFFD dropped
  EXPECT_EQ(n.NormalizeString("\xe4\xb8\xad\xe6\x96\x87"), " \xe4\xb8\xad  \xe6\x96\x87 ");  // CJK padded
  EXPECT_EQ(n.NormalizeString("\xc4\xb0x"), "ix");                            // U+0130
  NormalizerOptions keep;
  keep.lowercase = false;
  EXPECT_EQ(Normalizer(keep).NormalizeString("Caf\xc3\xa9"), "Caf\xc3\xa9");
  keep.strip_accents = true;
  EXPECT_EQ(Normalizer(keep).NormalizeString("Caf\xc3\xa9"), "Cafe");
}

TEST(PreTokenizer, SplitsAndKeepsOriginalOffsets) {
  Normalizer n;
  const auto words = PreTokenize("Don't  stop\xc3\xa9!", n);
  ASSERT_EQ(words.size(), 5u);
  EXPECT_EQ(words[0].first, "don");
  EXPECT_EQ(words[1].first, "'");
  EXPECT_EQ(words[3].first, "stope");
  EXPECT_EQ(words[3].second, (std::pair<size_t, size_t>{7, 13}));  // é is 2 bytes in the original
  EXPECT_EQ(words[4].second, (std::pair<size_t, size_t>{13, 14}));
  // U+2E43 (Unicode 9) is not punctuation for HF (Unicode 8 tables); U+2E42 (Unicode 7) is.
  EXPECT_EQ(PreTokenize("a\xe2\xb9\x83" "b", n).size(), 1u);
  EXPECT_EQ(PreTokenize("a\xe2\xb9\x82" "b", n).size(), 3u);
  EXPECT_THROW(PreTokenize("bad \xff", n), Error);
}

TEST(Decoder, JoinsPiecesAndCleansUp) {
  EXPECT_EQ(DecodeWordPieces({"hello", "##s", ",", "i", "do", "n", "'", "t", "know", "."}, {}),
            "hellos, i do n ' t know.");  // cleanup is per token in HF: "n ' t" stays apart
  EXPECT_EQ(CleanupTokenization("i do n't , ok ."), "i don't, ok.");
  DecoderOptions raw;
  raw.cleanup = false;
  EXPECT_EQ(DecodeWordPieces({"a", "##b", "."}, raw), "ab .");
}

TEST(Files, JsonAndVocabRoundTrip) {
  TokenizerConfig config;
  config.normalizer.strip_accents = false;
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "##s", "world", "\""};
  Tokenizer tok(vocab, config);
  const std::string dir = TempDir("files");
  ASSERT_FALSE(dir.empty());
  tok.Save(dir);
  auto back = Tokenizer::Load(dir);
  EXPECT_EQ(back->vocab().tokens(), vocab);
  EXPECT_EQ(back->config().normalizer, config.normalizer);
  EXPECT_EQ(back->ToJson(), tok.ToJson());
  EXPECT_EQ(ParseVocabTxt("a\r\nb  \n", "v"), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(ParseVocabTxt("", "v"), Error);
  EXPECT_THROW(ParseTokenizerJson("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"[UNK]\":3}}}", "t", 512), Error);
}

TEST(Files, LoadsHfTokenizerJsonWithTemplateProcessing) {
  const std::string path = FixturePath("bert_base_uncased/tokenizer.json");
  if (!FileExists(path)) GTEST_SKIP() << "fixture missing";
  auto tok = Tokenizer::Load(path);
  EXPECT_EQ(tok->vocab_size(), 30522u);
  EXPECT_EQ(tok->cls_id(), 101);
  EXPECT_EQ(tok->sep_id(), 102);
  EXPECT_EQ(tok->mask_id(), 103);
  EXPECT_EQ(tok->pad_id(), 0);
  std::vector<int32_t> ids;
  tok->EncodeIds("hello [MASK] world", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{7592, 103, 2088}));
}

}  // namespace
}  // namespace bertc::tok
