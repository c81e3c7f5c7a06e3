#include "data/grouping.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/error.h"

namespace bertc::data {
namespace {

const SpecialIds kIds{101, 102, 0, 103, 100};

EncodedDataset Lines(const std::vector<std::vector<int32_t>>& lines) {
  std::vector<int32_t> tokens;
  std::vector<uint64_t> offsets{0};
  for (const auto& l : lines) {
    tokens.insert(tokens.end(), l.begin(), l.end());
    offsets.push_back(tokens.size());
  }
  return EncodedDataset::FromArrays(std::move(tokens), std::move(offsets));
}

std::vector<int32_t> Row(const ExampleSet& s, size_t i) { return {s[i].begin(), s[i].end()}; }

TEST(Grouping, ParseNames) {
  for (Grouping g : {Grouping::kTruncatePad, Grouping::kConcatChunk, Grouping::kDynamic, Grouping::kPacked}) {
    EXPECT_EQ(ParseGrouping(GroupingName(g)), g);
  }
  EXPECT_THROW(ParseGrouping("group_texts"), Error);
}

TEST(Grouping, TruncatePadWrapsAndTruncatesAndSkipsEmpty) {
  EncodedDataset ds = Lines({{1, 2, 3, 4, 5, 6}, {}, {7}});
  ExampleSet s = BuildExamples(ds, nullptr, Grouping::kTruncatePad, 5, kIds);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(Row(s, 0), (std::vector<int32_t>{101, 1, 2, 3, 102}));
  EXPECT_EQ(Row(s, 1), (std::vector<int32_t>{101, 7, 102}));
  EXPECT_THROW(BuildExamples(ds, nullptr, Grouping::kTruncatePad, 2, kIds), Error);
}

TEST(Grouping, ConcatChunkKeepsEveryTokenOnce) {
  EncodedDataset ds = Lines({{1, 2, 3}, {4, 5}, {6, 7, 8, 9}});
  ExampleSet s = BuildExamples(ds, nullptr, Grouping::kConcatChunk, 6, kIds);  // 4 tokens per block
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(Row(s, 0), (std::vector<int32_t>{101, 1, 2, 3, 4, 102}));
  EXPECT_EQ(Row(s, 1), (std::vector<int32_t>{101, 5, 6, 7, 8, 102}));
  EXPECT_EQ(Row(s, 2), (std::vector<int32_t>{101, 9, 102}));  // remainder kept
}

TEST(Grouping, PackedFitsWholeLinesWithSeparators) {
  EncodedDataset ds = Lines({{1, 2}, {3}, {4, 5, 6}, {7, 8, 9, 10, 11, 12, 13}});
  ExampleSet s = BuildExamples(ds, nullptr, Grouping::kPacked, 8, kIds);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(Row(s, 0), (std::vector<int32_t>{101, 1, 2, 102, 3, 102}));  // + 4,5,6,SEP would be 10 > 8
  EXPECT_EQ(Row(s, 1), (std::vector<int32_t>{101, 4, 5, 6, 102}));
  EXPECT_EQ(Row(s, 2), (std::vector<int32_t>{101, 7, 8, 9, 10, 11, 12, 102}));  // long line truncated to 6
  for (size_t i = 0; i < s.size(); ++i) EXPECT_LE(s.length(i), 8u);
}

TEST(Grouping, IndicesSelectLines) {
  EncodedDataset ds = Lines({{1}, {2}, {3}});
  std::vector<uint32_t> idx{2, 0};
  ExampleSet s = BuildExamples(ds, &idx, Grouping::kTruncatePad, 8, kIds);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(Row(s, 0)[1], 3);
  EXPECT_EQ(Row(s, 1)[1], 1);
}

ExampleSet Varied(size_t n) {
  std::vector<std::vector<int32_t>> lines;
  for (size_t i = 0; i < n; ++i) lines.push_back(std::vector<int32_t>(1 + (i * 7919) % 40, 5));
  return BuildExamples(Lines(lines), nullptr, Grouping::kDynamic, 64, kIds);
}

TEST(BatchPlan, SeededPermutationCoversEveryExampleOnce) {
  ExampleSet s = Varied(103);
  BatchPlanOptions opt;
  opt.batch_size = 10;
  for (Grouping g : {Grouping::kTruncatePad, Grouping::kDynamic}) {
    opt.grouping = g;
    auto e0 = PlanEpoch(s, opt, 0);
    EXPECT_EQ(e0.size(), 11u);
    EXPECT_EQ(e0.size(), BatchesPerEpoch(s.size(), opt));
    std::multiset<uint32_t> seen;
    for (auto& b : e0) seen.insert(b.begin(), b.end());
    EXPECT_EQ(seen.size(), 103u);
    EXPECT_EQ(std::set<uint32_t>(seen.begin(), seen.end()).size(), 103u);
    EXPECT_EQ(PlanEpoch(s, opt, 0), e0);  // pure function of (seed, epoch)
    EXPECT_NE(PlanEpoch(s, opt, 1), e0);
  }
  opt.drop_last = true;
  EXPECT_EQ(PlanEpoch(s, opt, 0).size(), 10u);
  EXPECT_EQ(BatchesPerEpoch(103, opt), 10u);
}

TEST(BatchPlan, DynamicBucketingCutsPadding) {
  ExampleSet s = Varied(2000);
  BatchPlanOptions opt;
  opt.batch_size = 16;
  opt.grouping = Grouping::kTruncatePad;
  auto plain = MeasurePadding(s, PlanEpoch(s, opt, 0), /*pad_to_max=*/false, 64);
  auto to_max = MeasurePadding(s, PlanEpoch(s, opt, 0), /*pad_to_max=*/true, 64);
  opt.grouping = Grouping::kDynamic;
  auto bucketed = MeasurePadding(s, PlanEpoch(s, opt, 0), false, 64);
  EXPECT_EQ(plain.real_tokens, bucketed.real_tokens);
  EXPECT_GT(to_max.pad_share(), plain.pad_share());
  EXPECT_LT(bucketed.pad_share(), 0.5 * plain.pad_share());
  EXPECT_EQ(to_max.padded_tokens, 2000u * 64u);
}

TEST(BatchPlan, NoShuffleIsCorpusOrder) {
  ExampleSet s = Varied(25);
  BatchPlanOptions opt;
  opt.batch_size = 10;
  opt.shuffle = false;
  auto b = PlanEpoch(s, opt, 3);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2], (std::vector<uint32_t>{20, 21, 22, 23, 24}));
}

}  // namespace
}  // namespace bertc::data
