#include "data/encoded_dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bertc::data {
namespace {

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("bertc_encds_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A toy encoder: one id per whitespace-separated word = its length + 10.
void ToyEncode(std::string_view text, std::vector<int32_t>& out) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) out.push_back(static_cast<int32_t>(j - i + 10));
    i = j;
  }
}

TEST(EncodedDataset, ParallelEncodeMatchesSerial) {
  Corpus c;
  for (int i = 0; i < 5000; ++i) c.Add(std::string(static_cast<size_t>(i % 7), 'a') + " bb ccc");
  EncodedDataset one = EncodedDataset::Encode(c, ToyEncode, 1);
  EncodedDataset four = EncodedDataset::Encode(c, ToyEncode, 4);
  ASSERT_EQ(one.size(), 5000u);
  ASSERT_EQ(four.size(), 5000u);
  ASSERT_EQ(one.num_tokens(), four.num_tokens());
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(std::vector<int32_t>(one[i].begin(), one[i].end()), std::vector<int32_t>(four[i].begin(), four[i].end()));
  }
  EXPECT_EQ(one[0].size, 2u);  // "" + bb ccc
  EXPECT_EQ(one[3].size, 3u);
  EXPECT_EQ(one[3][0], 13);
}

TEST(EncodedDataset, ProgressCanCancel) {
  Corpus c;
  for (int i = 0; i < 40000; ++i) c.Add("x y");
  int calls = 0;
  EXPECT_THROW(EncodedDataset::Encode(c, ToyEncode, 2,
                                      [&](size_t, size_t) {
                                        ++calls;
                                        return false;
                                      }),
               Error);
  EXPECT_EQ(calls, 1);
}

TEST(EncodedDataset, SaveLoadRoundTripIsMapped) {
  const std::string dir = TempDir("rt");
  EncodedDataset ds = EncodedDataset::FromArrays({1, 2, 3, 4, 5}, {0, 2, 2, 5});
  ds.Save(dir + "/x.tok", 77);
  EncodedDataset back;
  ASSERT_TRUE(EncodedDataset::Load(dir + "/x.tok", 77, back));
  EXPECT_TRUE(back.memory_mapped());
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[1].size, 0u);
  EXPECT_EQ(back[2][2], 5);
  EncodedDataset other;
  EXPECT_FALSE(EncodedDataset::Load(dir + "/x.tok", 78, other));  // fingerprint mismatch
  EXPECT_FALSE(EncodedDataset::Load(dir + "/missing.tok", 77, other));
}

TEST(EncodedDataset, CorruptFileIsFormatError) {
  const std::string dir = TempDir("corrupt");
  EncodedDataset ds = EncodedDataset::FromArrays({1, 2, 3, 4, 5}, {0, 2, 5});
  ds.Save(dir + "/x.tok", 1);
  std::string bytes = ReadFile(dir + "/x.tok");
  WriteFileAtomic(dir + "/trunc.tok", bytes.substr(0, bytes.size() - 4));
  EncodedDataset out;
  EXPECT_THROW(EncodedDataset::Load(dir + "/trunc.tok", 1, out), Error);
  WriteFileAtomic(dir + "/junk.tok", std::string(64, 'z'));
  EXPECT_THROW(EncodedDataset::Load(dir + "/junk.tok", 1, out), Error);
}

TEST(EncodedDataset, FromArraysValidates) {
  EXPECT_THROW(EncodedDataset::FromArrays({1, 2}, {0, 3}), Error);
  EXPECT_THROW(EncodedDataset::FromArrays({1, 2}, {0, 2, 1, 2}), Error);
  EXPECT_THROW(EncodedDataset::FromArrays({}, {}), Error);
}

TEST(EncodedDataset, CacheHitAndInvalidation) {
  const std::string dir = TempDir("cache");
  const std::string file = dir + "/train.txt";
  WriteFileAtomic(file, "a bb\nccc\n\ndddd e\n");
  std::atomic<int> encoded{0};
  EncodeFn counting = [&](std::string_view t, std::vector<int32_t>& out) {
    encoded++;
    ToyEncode(t, out);
  };
  EncodeCacheOptions opt;
  opt.tokenizer_fingerprint = "vocab-v1";
  EncodeCacheInfo info;
  EncodedDataset a = LoadOrEncode({file}, {}, counting, opt, &info);
  EXPECT_FALSE(info.hit);
  EXPECT_TRUE(info.warning.empty()) << info.warning;
  EXPECT_EQ(encoded.load(), 3);
  EXPECT_TRUE(PathExists(info.path));
  EXPECT_EQ(std::filesystem::path(info.path).parent_path(), std::filesystem::path(dir));

  EncodedDataset b = LoadOrEncode({file}, {}, counting, opt, &info);
  EXPECT_TRUE(info.hit);
  EXPECT_TRUE(b.memory_mapped());
  EXPECT_EQ(encoded.load(), 3);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2][0], 14);

  opt.tokenizer_fingerprint = "vocab-v2";  // tokenizer changed -> re-encode
  LoadOrEncode({file}, {}, counting, opt, &info);
  EXPECT_FALSE(info.hit);
  EXPECT_EQ(encoded.load(), 6);

  WriteFileAtomic(file, "a bb\nccc\n\ndddd eee\nf\n");  // source changed -> re-encode
  EncodedDataset c = LoadOrEncode({file}, {}, counting, opt, &info);
  EXPECT_FALSE(info.hit);
  EXPECT_EQ(c.size(), 4u);
}

TEST(EncodedDataset, UnwritableCacheDirFallsBackWithWarning) {
  if (geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  const std::string dir = TempDir("ro");
  const std::string file = dir + "/train.txt";
  WriteFileAtomic(file, "a bb\n");
  std::filesystem::permissions(dir, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  EncodeCacheInfo info;
  EncodedDataset a = LoadOrEncode({file}, {}, ToyEncode, {}, &info);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_FALSE(info.warning.empty());
}

TEST(EncodedDataset, MissingFileIsIoError) {
  try {
    LoadOrEncode({"/nonexistent/x.txt"}, {}, ToyEncode, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
}

}  // namespace
}  // namespace bertc::data
