#include "data/mlm_collator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"

namespace bertc::data {
namespace {

const SpecialIds kIds{101, 102, 0, 103, 100};
constexpr int kVocab = 1000;

ExampleSet Examples(size_t n, size_t len) {
  ExampleSet s;
  for (size_t i = 0; i < n; ++i) {
    std::vector<int32_t> row{101};
    for (size_t j = 0; j < len; ++j) row.push_back(static_cast<int32_t>(200 + (i * 31 + j * 17) % 700));
    row.push_back(102);
    s.Add(row.data(), row.data() + row.size());
  }
  return s;
}

std::vector<uint32_t> All(size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint32_t>(i);
  return v;
}

TEST(MlmCollator, RejectsBadProbabilities) {
  for (double p : {0.0, 1.0, -0.1, 1.5, std::nan("")}) {
    MlmOptions o;
    o.mlm_probability = p;
    EXPECT_THROW(MlmCollator(o, kIds, kVocab), Error) << p;
  }
  MlmOptions o;
  o.mask_replace_prob = 0.95;
  o.random_replace_prob = 0.1;
  EXPECT_THROW(MlmCollator(o, kIds, kVocab), Error);
  MlmOptions w;
  w.whole_word_mask = true;
  EXPECT_THROW(MlmCollator(w, kIds, kVocab), Error);  // needs continuation flags
}

TEST(MlmCollator, StatisticsAndInvariants) {
  MlmOptions o;
  o.mlm_probability = 0.15;
  o.at_least_one = false;
  MlmCollator col(o, kIds, kVocab);
  ExampleSet s = Examples(400, 50);
  // Add a short row so the batch has padding.
  MlmBatch b = col.Collate(s, All(400), 60, /*stream=*/7);
  ASSERT_EQ(b.rows, 400);
  ASSERT_EQ(b.cols, 60);
  EXPECT_EQ(b.real_tokens, 400 * 52);
  int64_t selected = 0, masked = 0, randomized = 0, kept = 0;
  for (int64_t r = 0; r < b.rows; ++r) {
    for (int64_t c = 0; c < b.cols; ++c) {
      const size_t k = static_cast<size_t>(r * b.cols + c);
      const int32_t orig = c < 52 ? s[static_cast<size_t>(r)][static_cast<size_t>(c)] : 0;
      if (c >= 52) {
        EXPECT_EQ(b.attention_mask[k], 0);
        EXPECT_EQ(b.input_ids[k], kIds.pad);
      }
      if (b.labels[k] == kIgnoreIndex) {
        EXPECT_EQ(b.input_ids[k], orig);
        continue;
      }
      ++selected;
      EXPECT_EQ(b.labels[k], orig);
      EXPECT_TRUE(c > 0 && c < 51) << "special or padding selected at " << c;
      if (b.input_ids[k] == kIds.mask) ++masked;
      else if (b.input_ids[k] == orig) ++kept;
      else {
        ++randomized;
        EXPECT_FALSE(col.IsSpecial(b.input_ids[k]));
      }
    }
  }
  EXPECT_EQ(selected, b.num_masked());
  const double maskable = 400.0 * 50;
  EXPECT_NEAR(selected / maskable, 0.15, 0.01);
  EXPECT_NEAR(static_cast<double>(masked) / selected, 0.8, 0.02);
  EXPECT_NEAR(static_cast<double>(randomized + kept) / selected, 0.2, 0.02);
  EXPECT_GT(kept, 0);  // a random replacement may hit the original id, so 'kept' >= ~10%
  for (size_t i = 1; i < b.masked_positions.size(); ++i) {
    EXPECT_LT(b.masked_positions[i - 1], b.masked_positions[i]);
  }
}

TEST(MlmCollator, DeterministicForSeedAndStream) {
  MlmOptions o;
  MlmCollator col(o, kIds, kVocab);
  ExampleSet s = Examples(16, 20);
  MlmBatch a = col.Collate(s, All(16), 22, 5);
  MlmBatch b = col.Collate(s, All(16), 22, 5);
  MlmBatch c = col.Collate(s, All(16), 22, 6);
  EXPECT_EQ(a.input_ids, b.input_ids);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.labels, c.labels);
  o.seed = 43;
  MlmBatch d = MlmCollator(o, kIds, kVocab).Collate(s, All(16), 22, 5);
  EXPECT_NE(a.labels, d.labels);
}

TEST(MlmCollator, AtLeastOneMaskPerRow) {
  MlmOptions o;
  o.mlm_probability = 0.01;
  ExampleSet s = Examples(300, 3);
  for (bool at_least_one : {false, true}) {
    o.at_least_one = at_least_one;
    MlmBatch b = MlmCollator(o, kIds, kVocab).Collate(s, All(300), 5, 1);
    int rows_without = 0;
    for (int64_t r = 0; r < b.rows; ++r) {
      bool any = false;
      for (int64_t c = 0; c < b.cols; ++c) any |= b.labels[static_cast<size_t>(r * b.cols + c)] != kIgnoreIndex;
      rows_without += !any;
    }
    if (at_least_one) EXPECT_EQ(rows_without, 0);
    else EXPECT_GT(rows_without, 250);
  }
}

TEST(MlmCollator, RowOfOnlySpecialTokensGetsNoMask) {
  MlmCollator col(MlmOptions{}, kIds, kVocab);
  std::vector<int32_t> row{101, 100, 102};  // [CLS] [UNK] [SEP]
  MlmBatch b = col.CollateRows({TokenSpan{row.data(), row.size()}}, 4, 0);
  EXPECT_EQ(b.num_masked(), 0);
}

TEST(MlmCollator, WholeWordMaskSelectsWholeWords) {
  std::vector<uint8_t> cont(kVocab, 0);
  for (int id = 500; id < 1000; ++id) cont[static_cast<size_t>(id)] = 1;  // ids >= 500 are "##" pieces
  MlmOptions o;
  o.whole_word_mask = true;
  o.mlm_probability = 0.3;
  MlmCollator col(o, kIds, kVocab, cont);
  // words: [200 ##600 ##601] [201] [202 ##602]
  std::vector<int32_t> row{101, 200, 600, 601, 201, 202, 602, 102};
  std::vector<TokenSpan> rows(200, TokenSpan{row.data(), row.size()});
  MlmBatch b = col.CollateRows(rows, 8, 3);
  int64_t words_selected = 0;
  for (int64_t r = 0; r < b.rows; ++r) {
    auto sel = [&](int c) { return b.labels[static_cast<size_t>(r * 8 + c)] != kIgnoreIndex; };
    EXPECT_EQ(sel(1), sel(2));
    EXPECT_EQ(sel(2), sel(3));
    EXPECT_EQ(sel(5), sel(6));
    EXPECT_FALSE(sel(0));
    EXPECT_FALSE(sel(7));
    words_selected += sel(1) + sel(4) + sel(5);
  }
  EXPECT_GT(words_selected, 0.2 * 600);
  EXPECT_LT(words_selected, 0.45 * 600);
}

TEST(MlmCollator, RowLongerThanWidthIsRejected) {
  MlmCollator col(MlmOptions{}, kIds, kVocab);
  std::vector<int32_t> row{101, 5, 6, 102};
  EXPECT_THROW(col.CollateRows({TokenSpan{row.data(), row.size()}}, 3, 0), Error);
}

}  // namespace
}  // namespace bertc::data
