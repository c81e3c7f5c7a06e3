#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"

namespace bertc {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/bertc-test-XXXXXX";
  return std::string(mkdtemp(tmpl));
}

TEST(AtomicFile, WritesAndReadsBack) {
  const std::string dir = TempDir();
  const std::string path = dir + "/a.txt";
  WriteFileAtomic(path, std::string_view("hello\n"));
  EXPECT_EQ(ReadFile(path), "hello\n");
  WriteFileAtomic(path, std::string_view("world"));
  EXPECT_EQ(ReadFile(path), "world");
  std::filesystem::remove_all(dir);
}

TEST(AtomicFile, FailedWriteKeepsPreviousFileAndLeavesNoTemp) {
  const std::string dir = TempDir();
  const std::string path = dir + "/a.txt";
  WriteFileAtomic(path, std::string_view("good"));
  EXPECT_THROW(WriteFileAtomic(path, [](std::FILE*) { throw IoError("simulated disk full"); }), Error);
  EXPECT_EQ(ReadFile(path), "good");
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(dir);
}

TEST(AtomicFile, MissingFileIsIoError) {
  try {
    ReadFile("/nonexistent/bertc/file");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/bertc/file"), std::string::npos);
  }
}

TEST(AtomicFile, UnwritableDirectoryIsIoError) {
  if (geteuid() == 0) {
    // root ignores permissions; use a path whose parent is a file instead.
    const std::string dir = TempDir();
    WriteFileAtomic(dir + "/f", std::string_view("x"));
    EXPECT_THROW(WriteFileAtomic(dir + "/f/g", std::string_view("y")), Error);
    std::filesystem::remove_all(dir);
    return;
  }
  EXPECT_THROW(WriteFileAtomic("/proc/bertc-no", std::string_view("y")), Error);
}

TEST(AtomicFile, ReplaceDirSwapsContents) {
  const std::string dir = TempDir();
  MakeDirs(dir + "/dst");
  WriteFileAtomic(dir + "/dst/x", std::string_view("old"));
  MakeDirs(dir + "/tmp");
  WriteFileAtomic(dir + "/tmp/x", std::string_view("new"));
  ReplaceDirAtomic(dir + "/tmp", dir + "/dst");
  EXPECT_EQ(ReadFile(dir + "/dst/x"), "new");
  EXPECT_FALSE(PathExists(dir + "/tmp"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bertc
