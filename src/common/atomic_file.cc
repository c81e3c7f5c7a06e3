#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "common/error.h"

namespace bertc {
namespace {

std::string OsError(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

std::string TempName(const std::string& path) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".tmp-%d-%08llx", static_cast<int>(getpid()),
                static_cast<unsigned long long>(rng() & 0xffffffffULL));
  return path + suffix;
}

std::string ParentDir(const std::string& path) {
  std::filesystem::path p(path);
  auto parent = p.parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

AtomicFileSet::~AtomicFileSet() {
  for (const auto& [tmp, path] : files_) std::remove(tmp.c_str());
}

void AtomicFileSet::Add(const std::string& path, const std::function<void(std::FILE*)>& write) {
  const std::string tmp = TempName(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) throw IoError(OsError("cannot create", tmp));
  try {
    write(f);
    if (std::fflush(f) != 0 || std::ferror(f)) throw IoError(OsError("cannot write", path) + " (disk full?)");
    if (fsync(fileno(f)) != 0) throw IoError(OsError("cannot sync", path));
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  if (std::fclose(f) != 0) {
    std::remove(tmp.c_str());
    throw IoError(OsError("cannot close", path));
  }
  files_.emplace_back(tmp, path);
}

void AtomicFileSet::Add(const std::string& path, std::string_view data) {
  Add(path, [&](std::FILE* f) {
    if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f) != data.size()) {
      throw IoError(OsError("cannot write", path) + " (disk full?)");
    }
  });
}

void AtomicFileSet::Commit() {
  std::vector<std::string> dirs;
  for (size_t i = 0; i < files_.size(); ++i) {
    const auto& [tmp, path] = files_[i];
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      const std::string msg = OsError("cannot rename into place", path);
      files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(i));  // those are in place
      throw IoError(msg);
    }
    const std::string dir = ParentDir(path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  files_.clear();
  for (const std::string& dir : dirs) SyncDir(dir);
}

void WriteFileAtomic(const std::string& path, const std::function<void(std::FILE*)>& write) {
  AtomicFileSet set;
  set.Add(path, write);
  set.Commit();
}

void WriteFileAtomic(const std::string& path, std::string_view data) {
  AtomicFileSet set;
  set.Add(path, data);
  set.Commit();
}

std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw IoError(OsError("cannot open", path));
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw IoError(OsError("cannot read", path));
  return out;
}

void MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw IoError("cannot create directory '" + path + "': " + ec.message());
  if (!std::filesystem::is_directory(path)) throw IoError("'" + path + "' exists and is not a directory");
}

void SyncDir(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some file systems do not allow opening directories
  fsync(fd);
  close(fd);
}

void ReplaceDirAtomic(const std::string& tmp, const std::string& dst) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string old;
#ifdef RENAME_EXCHANGE
  // One atomic step: dst is at every moment either the old or the new directory, so a crash (kill -9,
  // power loss) in the middle never leaves it missing. The old content ends up under `tmp`.
  if (fs::exists(dst, ec) && renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dst.c_str(), RENAME_EXCHANGE) == 0) {
    SyncDir(ParentDir(dst));
    fs::remove_all(tmp, ec);
    return;
  }
  // Not supported by this filesystem (EINVAL): two renames, with a moment where dst is missing.
#endif
  if (fs::exists(dst, ec)) {
    old = TempName(dst) + ".old";
    if (std::rename(dst.c_str(), old.c_str()) != 0) throw IoError(OsError("cannot move aside", dst));
  }
  if (std::rename(tmp.c_str(), dst.c_str()) != 0) {
    const std::string msg = OsError("cannot rename into place", dst);
    if (!old.empty()) std::rename(old.c_str(), dst.c_str());
    throw IoError(msg);
  }
  SyncDir(ParentDir(dst));
  if (!old.empty()) fs::remove_all(old, ec);
}

bool PathExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

}  // namespace bertc
