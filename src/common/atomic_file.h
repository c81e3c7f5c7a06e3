// Crash-safe file and directory writing: content goes to a temporary name in the same directory,
// is fsynced, and is renamed over the destination, so a reader sees the old file or the new one,
// never a half-written one.
#ifndef BERTC_COMMON_ATOMIC_FILE_H_
#define BERTC_COMMON_ATOMIC_FILE_H_

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bertc {

// Writes `data` to `path` atomically. Throws Error(kIo) with the OS reason on failure (disk full,
// permission); the previous file at `path`, if any, is left untouched then.
void WriteFileAtomic(const std::string& path, std::string_view data);

// Writes a file atomically through a callback that streams into an std::ostream-like writer.
void WriteFileAtomic(const std::string& path, const std::function<void(std::FILE*)>& write);

// Several files written as one: every file goes to a temporary name first (written and fsynced), and
// only when all of them are complete are they renamed into place (in the order added, so put the file
// readers look at first last). A failure while writing (disk full) leaves every destination as it
// was; the temporaries of a set that is not committed are removed when it is destroyed.
class AtomicFileSet {
 public:
  AtomicFileSet() = default;
  ~AtomicFileSet();
  AtomicFileSet(const AtomicFileSet&) = delete;
  AtomicFileSet& operator=(const AtomicFileSet&) = delete;

  // Writes the temporary file for `path` now. Throws Error(kIo) on failure.
  void Add(const std::string& path, std::string_view data);
  void Add(const std::string& path, const std::function<void(std::FILE*)>& write);
  // Renames every file into place and syncs their directories. Throws Error(kIo) on failure.
  void Commit();

 private:
  std::vector<std::pair<std::string, std::string>> files_;  // (temporary, destination)
};

// Reads a whole file. Throws Error(kIo) when it is missing or unreadable.
std::string ReadFile(const std::string& path);

// Creates `path` and missing parents (like mkdir -p). Throws Error(kIo) on failure.
void MakeDirs(const std::string& path);

// fsyncs a directory so that renames inside it are durable.
void SyncDir(const std::string& path);

// Replaces directory `dst` by directory `tmp` (same parent) in one atomic rename exchange (Linux
// renameat2 RENAME_EXCHANGE; where the filesystem lacks it: dst renamed aside, tmp renamed into place),
// then removes the old one. Throws Error(kIo) and leaves `dst` intact on failure.
void ReplaceDirAtomic(const std::string& tmp, const std::string& dst);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace bertc

#endif  // BERTC_COMMON_ATOMIC_FILE_H_
