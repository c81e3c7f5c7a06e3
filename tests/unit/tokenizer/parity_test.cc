// Parity with Hugging Face tokenizers on the committed fixtures (tests/fixtures/tokenizer).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tests/unit/tokenizer/test_util.h"
#include "tokenizer/tokenizer.h"

namespace bertc::tok {
namespace {

using namespace bertc::tok::testing;  // NOLINT
using Json = nlohmann::json;

std::vector<int32_t> Ints(const std::string& s) {
  std::vector<int32_t> out;
  if (s.empty()) return out;
  for (const std::string& t : Split(s, ' ')) out.push_back(std::stoi(t));
  return out;
}

std::string OffsetsStr(const Encoding& e) {
  std::string out;
  for (size_t i = 0; i < e.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(e.offsets[i].start) + ":" + std::to_string(e.offsets[i].end);
  }
  return out;
}

class BrownParity : public ::testing::TestWithParam<const char*> {};

TEST_P(BrownParity, EncodeAndDecodeMatchHf) {
  const std::string name = GetParam();
  const std::string tsv = FixturePath("brown_test." + name + ".tsv");
  const std::string test = BrownPath("test.txt");
  if (!FileExists(test)) GTEST_SKIP() << "Brown corpus not found (BERTC_BROWN_DIR)";
  if (!FileExists(tsv)) GTEST_SKIP() << "fixture missing: " << tsv;
  auto tok = Tokenizer::Load(FixturePath(name + "/tokenizer.json"));
  const auto lines = Lines(test);
  const auto expected = Lines(tsv);
  const auto decoded = Lines(FixturePath("brown_test." + name + ".decode.txt"));
  ASSERT_EQ(lines.size(), expected.size());
  ASSERT_EQ(lines.size(), decoded.size());
  EncodeOptions opt;
  size_t mismatches = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Encoding e = tok->Encode(lines[i], nullptr, opt);
    const auto cols = Split(expected[i], '\t');
    ASSERT_EQ(cols.size(), 4u);
    const bool ok = e.ids == Ints(cols[0]) && e.type_ids == Ints(cols[1]) && e.special_tokens_mask == Ints(cols[2]) &&
                    OffsetsStr(e) == cols[3];
    const std::string dec = tok->Decode(e.ids.data(), e.ids.size());
    if (!ok || dec != decoded[i]) {
      if (++mismatches <= 5) {
        ADD_FAILURE() << "line " << i << ": " << lines[i] << "\n expected " << expected[i] << "\n decode " << dec
                      << "\n     hf " << decoded[i];
      }
    }
    for (int32_t m : e.attention_mask) ASSERT_EQ(m, 1);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << lines.size() << " lines";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BrownParity, ::testing::Values("hf_brown_8000", "bert_base_uncased"));

TEST(HardSetParity, EncodeAndDecodeMatchHf) {
  const std::string path = FixturePath("hard_set.json");
  if (!FileExists(path)) GTEST_SKIP() << "fixture missing: " << path;
  const Json j = Json::parse(Slurp(path));
  for (const char* name : {"hf_brown_8000", "bert_base_uncased"}) {
    auto tok = Tokenizer::Load(FixturePath(std::string(name) + "/tokenizer.json"));
    for (const Json& c : j["results"][name]) {
      const std::string text = c["text"].get<std::string>();
      SCOPED_TRACE(std::string(name) + " input " + std::to_string(c["input_index"].get<int>()) + ": " +
                   Json(text).dump());
      const Encoding e = tok->Encode(text, nullptr, EncodeOptions{});
      EXPECT_EQ(e.ids, c["ids"].get<std::vector<int32_t>>());
      EXPECT_EQ(e.type_ids, c["type_ids"].get<std::vector<int32_t>>());
      EXPECT_EQ(e.attention_mask, c["attention_mask"].get<std::vector<int32_t>>());
      EXPECT_EQ(e.special_tokens_mask, c["special_tokens_mask"].get<std::vector<int32_t>>());
      std::vector<std::vector<size_t>> offs;
      for (const Offset& o : e.offsets) offs.push_back({o.start, o.end});
      EXPECT_EQ(offs, c["offsets"].get<std::vector<std::vector<size_t>>>());
      DecodeOptions skip;
      EXPECT_EQ(tok->Decode(e.ids.data(), e.size(), skip), c["decode_skip_special"].get<std::string>());
      DecodeOptions keep;
      keep.skip_special_tokens = false;
      EXPECT_EQ(tok->Decode(e.ids.data(), e.size(), keep), c["decode_keep_special"].get<std::string>());
    }
  }
}

// Accent stripping is NFD over the whole text: combining marks from different input characters
// are canonically reordered and HF's offsets follow positions (gen_nfd_reorder.py).
TEST(NfdReorderParity, MatchesHf) {
  const std::string path = FixturePath("nfd_reorder/cases.json");
  if (!FileExists(path)) GTEST_SKIP() << "fixture missing: " << path;
  const Json j = Json::parse(Slurp(path));
  size_t checked = 0;
  for (const char* name : {"lower", "cased"}) {
    auto tok = Tokenizer::Load(FixturePath(std::string("nfd_reorder/") + name + "/tokenizer.json"));
    ASSERT_TRUE(tok->normalizer().strip_accents());
    std::vector<std::string> texts;
    for (const Json& c : j["results"][name]) {
      const std::string text = c["text"].get<std::string>();
      texts.push_back(text);
      SCOPED_TRACE(std::string(name) + ": " + Json(text).dump());
      EXPECT_EQ(tok->normalizer().NormalizeString(text), c["normalized"].get<std::string>());
      const Encoding e = tok->Encode(text, nullptr, EncodeOptions{});
      EXPECT_EQ(e.ids, c["ids"].get<std::vector<int32_t>>());
      std::vector<std::vector<size_t>> offs;
      for (const Offset& o : e.offsets) offs.push_back({o.start, o.end});
      EXPECT_EQ(offs, c["offsets"].get<std::vector<std::vector<size_t>>>());
      ++checked;
    }
    // The flat batch path (C ABI) gives the same rows.
    std::vector<std::string_view> views(texts.begin(), texts.end());
    EncodeOptions two;
    two.threads = 2;
    const EncodingBatch flat = tok->EncodeBatchFlat(views, nullptr, two);
    ASSERT_EQ(flat.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const Json& c = j["results"][name][i];
      const Encoding e = flat.ToEncoding(i);
      EXPECT_EQ(e.ids, c["ids"].get<std::vector<int32_t>>()) << i;
      std::vector<std::vector<size_t>> offs;
      for (const Offset& o : e.offsets) offs.push_back({o.start, o.end});
      EXPECT_EQ(offs, c["offsets"].get<std::vector<std::vector<size_t>>>()) << i;
    }
  }
  EXPECT_GT(checked, 600u);
}

void ExpectSameRow(const Encoding& got, const Encoding& want, const std::string& where) {
  EXPECT_EQ(got.ids, want.ids) << where;
  EXPECT_EQ(got.type_ids, want.type_ids) << where;
  EXPECT_EQ(got.attention_mask, want.attention_mask) << where;
  EXPECT_EQ(got.special_tokens_mask, want.special_tokens_mask) << where;
  EXPECT_EQ(got.offsets, want.offsets) << where;
  EXPECT_EQ(got.sequence_ids, want.sequence_ids) << where;
}

// EncodeBatchFlat (the arena the C ABI returns) equals EncodeBatch row for row, on the Brown test
// split and the hard set, with and without special tokens, on 1 and 3 threads.
TEST(FlatBatch, MatchesEncodeBatch) {
  std::vector<std::string> texts;
  const std::string test = BrownPath("test.txt");
  if (FileExists(test)) texts = Lines(test);
  const std::string hard = FixturePath("hard_inputs.json");
  if (FileExists(hard)) {
    for (const Json& t : Json::parse(Slurp(hard))) texts.push_back(t.get<std::string>());
  }
  texts.push_back("");
  texts.push_back("a[MASK]b [SEP] caf\xc3\xa9");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  for (const char* name : {"hf_brown_8000", "bert_base_uncased"}) {
    auto tok = Tokenizer::Load(FixturePath(std::string(name) + "/tokenizer.json"));
    for (int variant = 0; variant < 4; ++variant) {
      EncodeOptions opt;
      opt.add_special_tokens = variant % 2 == 0;
      opt.split_special_tokens = variant == 3;
      opt.threads = variant < 2 ? 1 : 3;
      const auto want = tok->EncodeBatch(views, nullptr, opt);
      const EncodingBatch got = tok->EncodeBatchFlat(views, nullptr, opt);
      ASSERT_EQ(got.size(), want.size());
      size_t bad = 0;
      for (size_t i = 0; i < want.size() && bad < 5; ++i) {
        const Encoding g = got.ToEncoding(i);
        EXPECT_EQ(got.row(i).input, i);
        EXPECT_FALSE(got.row(i).overflow);
        if (g.ids != want[i].ids || g.offsets != want[i].offsets || g.type_ids != want[i].type_ids ||
            g.special_tokens_mask != want[i].special_tokens_mask || g.attention_mask != want[i].attention_mask ||
            g.sequence_ids != want[i].sequence_ids) {
          ++bad;
          ExpectSameRow(g, want[i], std::string(name) + " variant " + std::to_string(variant) + " row " +
                                        std::to_string(i) + ": " + texts[i]);
        }
      }
    }
    // Pairs / truncation / padding go through EncodeBatch and are flattened with their overflows.
    EncodeOptions trunc;
    trunc.truncation = TruncationStrategy::kLongestFirst;
    trunc.max_length = 16;
    trunc.stride = 1;
    trunc.return_overflowing = true;
    trunc.padding = PaddingStrategy::kLongest;
    std::vector<std::string_view> a(views.begin(), views.begin() + std::min<size_t>(50, views.size()));
    std::vector<std::string_view> b(a.rbegin(), a.rend());
    const auto want = tok->EncodeBatch(a, &b, trunc);
    const EncodingBatch got = tok->EncodeBatchFlat(a, &b, trunc);
    size_t row = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_LT(row, got.size());
      ExpectSameRow(got.ToEncoding(row), want[i], "pair " + std::to_string(i));
      EXPECT_EQ(got.row(row).input, i);
      EXPECT_FALSE(got.row(row).overflow);
      ++row;
      for (const Encoding& o : want[i].overflowing) {
        ASSERT_LT(row, got.size());
        ExpectSameRow(got.ToEncoding(row), o, "pair " + std::to_string(i) + " overflow");
        EXPECT_EQ(got.row(row).input, i);
        EXPECT_TRUE(got.row(row).overflow);
        ++row;
      }
    }
    EXPECT_EQ(row, got.size());
  }
}

Encoding FromJson(const Json& j) {
  Encoding e;
  e.ids = j["ids"].get<std::vector<int32_t>>();
  e.type_ids = j["type_ids"].get<std::vector<int32_t>>();
  e.attention_mask = j["attention_mask"].get<std::vector<int32_t>>();
  e.special_tokens_mask = j["special_tokens_mask"].get<std::vector<int32_t>>();
  for (const Json& o : j["offsets"]) e.offsets.push_back({o[0].get<size_t>(), o[1].get<size_t>()});
  for (const Json& s : j["sequence_ids"]) e.sequence_ids.push_back(s.is_null() ? -1 : s.get<int8_t>());
  if (j.contains("overflowing")) {
    for (const Json& o : j["overflowing"]) e.overflowing.push_back(FromJson(o));
  }
  return e;
}

void ExpectSame(const Encoding& got, const Encoding& want, const std::string& where) {
  EXPECT_EQ(got.ids, want.ids) << where;
  EXPECT_EQ(got.type_ids, want.type_ids) << where;
  EXPECT_EQ(got.attention_mask, want.attention_mask) << where;
  EXPECT_EQ(got.special_tokens_mask, want.special_tokens_mask) << where;
  EXPECT_EQ(got.offsets, want.offsets) << where;
  EXPECT_EQ(got.sequence_ids, want.sequence_ids) << where;
  ASSERT_EQ(got.overflowing.size(), want.overflowing.size()) << where;
  for (size_t i = 0; i < got.overflowing.size(); ++i) {
    ExpectSame(got.overflowing[i], want.overflowing[i], where + " overflow " + std::to_string(i));
  }
}

TEST(TruncationPaddingParity, MatchesHf) {
  const std::string path = FixturePath("truncation_padding.json");
  if (!FileExists(path)) GTEST_SKIP() << "fixture missing: " << path;
  const Json j = Json::parse(Slurp(path));
  std::map<std::string, std::shared_ptr<const Tokenizer>> toks;
  size_t cases = 0;
  for (const Json& c : j["cases"]) {
    const std::string name = c["name"].get<std::string>();
    SCOPED_TRACE(name);
    const std::string tname = c["tokenizer"].get<std::string>();
    if (!toks.count(tname)) toks[tname] = Tokenizer::Load(FixturePath(tname + "/tokenizer.json"));
    const Tokenizer& tok = *toks[tname];
    EncodeOptions opt;
    opt.return_overflowing = true;
    if (!c["truncation"].is_null()) {
      const Json& t = c["truncation"];
      const std::string s = t["strategy"].get<std::string>();
      opt.truncation = s == "longest_first" ? TruncationStrategy::kLongestFirst
                       : s == "only_first"  ? TruncationStrategy::kOnlyFirst
                                            : TruncationStrategy::kOnlySecond;
      opt.max_length = t["max_length"].get<size_t>();
      opt.stride = t["stride"].get<size_t>();
      opt.truncation_direction =
          t.value("direction", "right") == "left" ? TruncationDirection::kLeft : TruncationDirection::kRight;
    }
    if (!c["padding"].is_null()) {
      const Json& p = c["padding"];
      opt.padding_side = p["direction"].get<std::string>() == "left" ? PaddingSide::kLeft : PaddingSide::kRight;
      if (p["length"].is_null()) {
        opt.padding = PaddingStrategy::kLongest;
      } else {
        opt.padding = PaddingStrategy::kMaxLength;
        opt.pad_length = p["length"].get<size_t>();
      }
      if (!p["pad_to_multiple_of"].is_null()) opt.pad_to_multiple_of = p["pad_to_multiple_of"].get<size_t>();
    }
    std::vector<std::string> a, b;
    bool has_pair = false;
    for (const Json& in : c["inputs"]) {
      a.push_back(in[0].get<std::string>());
      b.push_back(in[1].is_null() ? std::string() : in[1].get<std::string>());
      has_pair = has_pair || !in[1].is_null();
    }
    std::vector<std::string_view> av(a.begin(), a.end()), bv(b.begin(), b.end());
    if (!c["error"].is_null()) {
      EXPECT_THROW(tok.EncodeBatch(av, has_pair ? &bv : nullptr, opt), bertc::Error) << c["error"];
      ++cases;
      continue;
    }
    const auto got = tok.EncodeBatch(av, has_pair ? &bv : nullptr, opt);
    ASSERT_EQ(got.size(), c["encodings"].size());
    for (size_t i = 0; i < got.size(); ++i) ExpectSame(got[i], FromJson(c["encodings"][i]), "input " + std::to_string(i));
    ++cases;
  }
  EXPECT_GT(cases, 10u);
}

}  // namespace
}  // namespace bertc::tok
