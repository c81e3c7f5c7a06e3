#include "data/corpus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bertc::data {
namespace {

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("bertc_data_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(Corpus, TextSkipsBlankLinesAndCarriageReturns) {
  const std::string dir = TempDir("text");
  WriteFileAtomic(dir + "/a.txt", "hello world\r\n\n   \nsecond line\nlast");
  Corpus c = ReadCorpus({dir + "/a.txt"});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], "hello world");
  EXPECT_EQ(c[1], "second line");
  EXPECT_EQ(c[2], "last");
}

TEST(Corpus, JsonlField) {
  const std::string dir = TempDir("jsonl");
  WriteFileAtomic(dir + "/a.jsonl", "{\"text\": \"one\", \"id\": 1}\n\n{\"text\": \"two\\nlines\"}\n{\"text\": \"  \"}\n");
  CorpusOptions opt;
  opt.jsonl_field = "text";
  Corpus c = ReadCorpus({dir + "/a.jsonl"}, opt);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], "one");
  EXPECT_EQ(c[1], "two\nlines");
}

TEST(Corpus, JsonlErrorsNameFileAndLine) {
  const std::string dir = TempDir("jsonl_bad");
  WriteFileAtomic(dir + "/a.jsonl", "{\"text\": \"one\"}\n{\"body\": \"x\"}\n");
  CorpusOptions opt;
  opt.jsonl_field = "text";
  try {
    ReadCorpus({dir + "/a.jsonl"}, opt);
    FAIL() << "expected a format error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat);
    EXPECT_NE(std::string(e.what()).find("a.jsonl:2"), std::string::npos) << e.what();
  }
  WriteFileAtomic(dir + "/b.jsonl", "not json\n");
  EXPECT_THROW(ReadCorpus({dir + "/b.jsonl"}, opt), Error);
}

TEST(Corpus, MissingFileIsIoError) {
  try {
    ReadCorpus({"/nonexistent/bertc/train.txt"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/bertc/train.txt"), std::string::npos);
  }
  EXPECT_THROW(ReadCorpus({}), Error);
}

TEST(Split, SeededDisjointCover) {
  Split a = SplitIndices(1000, 0.1, 42);
  Split b = SplitIndices(1000, 0.1, 42);
  Split c = SplitIndices(1000, 0.1, 43);
  EXPECT_EQ(a.test.size(), 100u);
  EXPECT_EQ(a.train.size(), 900u);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.test, c.test);
  std::set<uint32_t> all(a.train.begin(), a.train.end());
  all.insert(a.test.begin(), a.test.end());
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(a.train.begin(), a.train.end()));
}

TEST(Split, EdgeCases) {
  EXPECT_EQ(SplitIndices(10, 0.0, 1).test.size(), 0u);
  EXPECT_EQ(SplitIndices(3, 0.01, 1).test.size(), 1u);  // a positive fraction yields at least one
  EXPECT_THROW(SplitIndices(10, 1.0, 1), Error);
  EXPECT_THROW(SplitIndices(10, -0.1, 1), Error);
}

}  // namespace
}  // namespace bertc::data
