#include "train/checkpoint_dir.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"
#include "toy.h"

namespace bertc::train {
namespace {
namespace fs = std::filesystem;

void MakeCheckpoint(const std::string& out, int64_t step, bool complete = true) {
  const std::string dir = CheckpointPath(out, step);
  MakeDirs(dir);
  if (complete) WriteFileAtomic(dir + "/" + kTrainerStateFile, "{}");
}

TEST(CheckpointDir, ListsOnlyCompleteCheckpointsNumerically) {
  const std::string out = testing::FreshDir("list");
  EXPECT_TRUE(ListCheckpoints(out).empty());
  EXPECT_EQ(LatestCheckpoint(out), "");
  MakeCheckpoint(out, 9);
  MakeCheckpoint(out, 10);
  MakeCheckpoint(out, 100, /*complete=*/false);
  MakeDirs(out + "/.checkpoint-200.tmp-123");
  MakeDirs(out + "/checkpoint-abc");
  auto all = ListCheckpoints(out);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].step, 9);
  EXPECT_EQ(all[1].step, 10);
  EXPECT_EQ(LatestCheckpoint(out), CheckpointPath(out, 10));
  EXPECT_EQ(RemoveStaleTemps(out), 1);
  EXPECT_FALSE(PathExists(out + "/.checkpoint-200.tmp-123"));
}

TEST(CheckpointDir, RotationKeepsLimitAndBest) {
  const std::string out = testing::FreshDir("rotate");
  for (int s : {2, 4, 6, 8, 10}) MakeCheckpoint(out, s);
  auto deleted = RotateCheckpoints(out, 2, CheckpointPath(out, 2), CheckpointPath(out, 10));
  EXPECT_EQ(deleted.size(), 3u);
  auto left = ListCheckpoints(out);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].step, 2);   // the best survives although it is the oldest
  EXPECT_EQ(left[1].step, 10);  // the newest
  EXPECT_TRUE(RotateCheckpoints(out, 0, "", "").empty());  // 0 = unlimited
}

TEST(CheckpointDir, LimitOneWithBestKeepsTwo) {
  const std::string out = testing::FreshDir("rotate1");
  for (int s : {1, 2, 3}) MakeCheckpoint(out, s);
  RotateCheckpoints(out, 1, CheckpointPath(out, 1), CheckpointPath(out, 3));
  auto left = ListCheckpoints(out);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].step, 1);
  EXPECT_EQ(left[1].step, 3);
}

TEST(CheckpointDir, UnwritableOutputDir) {
  const std::string base = testing::FreshDir("unwritable");
  MakeDirs(base);
  WriteFileAtomic(base + "/file", "x");
  try {
    EnsureWritableDir(base + "/file/out");  // a regular file in the way: fails even for root
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
  EXPECT_NO_THROW(EnsureWritableDir(base + "/ok/nested"));
}

}  // namespace
}  // namespace bertc::train
