#include "train/checkpoint_dir.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bertc::train {
namespace fs = std::filesystem;

namespace {
bool ParseStep(const std::string& name, const std::string& prefix, int64_t& step) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string digits = name.substr(prefix.size());
  if (digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  step = std::stoll(digits);
  return true;
}
}  // namespace

std::string CheckpointPath(const std::string& output_dir, int64_t step) {
  return (fs::path(output_dir) / ("checkpoint-" + std::to_string(step))).string();
}

std::vector<CheckpointEntry> ListCheckpoints(const std::string& output_dir) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  if (!fs::is_directory(output_dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    int64_t step = 0;
    if (!entry.is_directory(ec) || !ParseStep(entry.path().filename().string(), "checkpoint-", step)) continue;
    if (!fs::is_regular_file(entry.path() / kTrainerStateFile, ec)) continue;  // incomplete
    out.push_back({step, entry.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::string LatestCheckpoint(const std::string& output_dir) {
  auto all = ListCheckpoints(output_dir);
  return all.empty() ? std::string() : all.back().path;
}

int RemoveStaleTemps(const std::string& output_dir) {
  int removed = 0;
  std::error_code ec;
  if (!fs::is_directory(output_dir, ec)) return 0;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".checkpoint-", 0) == 0 && name.find(".tmp") != std::string::npos) stale.push_back(entry.path());
    // ReplaceDirAtomic moves an old checkpoint aside as checkpoint-N.tmp-*.old before removing it.
    if (name.rfind("checkpoint-", 0) == 0 && name.find(".tmp-") != std::string::npos) stale.push_back(entry.path());
  }
  for (const auto& p : stale) {
    fs::remove_all(p, ec);
    if (!ec) ++removed;
  }
  return removed;
}

std::vector<std::string> RotateCheckpoints(const std::string& output_dir, int limit, const std::string& best,
                                           const std::string& newest) {
  std::vector<std::string> deleted;
  if (limit <= 0) return deleted;
  auto all = ListCheckpoints(output_dir);
  auto same = [](const std::string& a, const std::string& b) {
    if (a.empty() || b.empty()) return false;
    std::error_code ec;
    return fs::equivalent(a, b, ec);
  };
  size_t excess = all.size() > static_cast<size_t>(limit) ? all.size() - static_cast<size_t>(limit) : 0;
  for (const auto& c : all) {
    if (excess == 0) break;
    if (same(c.path, best) || same(c.path, newest)) continue;
    std::error_code ec;
    fs::remove_all(c.path, ec);
    if (ec) throw IoError("cannot delete old checkpoint '" + c.path + "': " + ec.message());
    deleted.push_back(c.path);
    --excess;
  }
  return deleted;
}

void EnsureWritableDir(const std::string& dir) {
  if (dir.empty()) throw InvalidArgument("output directory must not be empty");
  MakeDirs(dir);
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    throw IoError("output directory '" + dir + "' is not writable: " + std::strerror(errno));
  }
  // access() says yes to root and ignores read-only mounts: probe with a real file.
  const std::string probe = (fs::path(dir) / (".bertc-write-test-" + std::to_string(getpid()))).string();
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (f == nullptr) throw IoError("output directory '" + dir + "' is not writable: " + std::strerror(errno));
  std::fclose(f);
  std::remove(probe.c_str());
}

}  // namespace bertc::train
