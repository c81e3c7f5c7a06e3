// Crash-safe file and directory writing: content goes to a temporary name in the same directory,
// is fsynced, and is renamed over the destination, so a reader sees the old file or the new one,
// never a half-written one.
#ifndef BERTC_COMMON_ATOMIC_FILE_H_
#define BERTC_COMMON_ATOMIC_FILE_H_

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace bertc {

// Writes `data` to `path` atomically. Throws Error(kIo) with the OS reason on failure (disk full,
// permission); the previous file at `path`, if any, is left untouched then.
void WriteFileAtomic(const std::string& path, std::string_view data);

// Writes a file atomically through a callback that streams into an std::ostream-like writer.
void WriteFileAtomic(const std::string& path, const std::function<void(std::FILE*)>& write);

// Reads a whole file. Throws Error(kIo) when it is missing or unreadable.
std::string ReadFile(const std::string& path);

// Creates `path` and missing parents (like mkdir -p). Throws Error(kIo) on failure.
void MakeDirs(const std::string& path);

// fsyncs a directory so that renames inside it are durable.
void SyncDir(const std::string& path);

// Replaces directory `dst` by directory `tmp` (same parent): renames dst aside, renames tmp into
// place, then removes the old one. Throws Error(kIo) and leaves `dst` intact on failure.
void ReplaceDirAtomic(const std::string& tmp, const std::string& dst);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace bertc

#endif  // BERTC_COMMON_ATOMIC_FILE_H_
