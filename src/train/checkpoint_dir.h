// The layout of a training output directory:
//   output_dir/checkpoint-<step>/        a complete checkpoint (has trainer_state.json)
//   output_dir/.checkpoint-<step>.tmp-*  a checkpoint being written (or left by a crash; ignored and
//                                        removed by the next run)
// Rotation keeps at most `limit` checkpoints, never deleting the best one or the newest one.
#ifndef BERTC_TRAIN_CHECKPOINT_DIR_H_
#define BERTC_TRAIN_CHECKPOINT_DIR_H_

#include <cstdint>
#include <string>
#include <vector>

namespace bertc::train {

inline constexpr const char* kTrainerStateFile = "trainer_state.json";

struct CheckpointEntry {
  int64_t step = 0;
  std::string path;
};

std::string CheckpointPath(const std::string& output_dir, int64_t step);

// Complete checkpoints in `output_dir`, ascending by step (missing dir: empty).
std::vector<CheckpointEntry> ListCheckpoints(const std::string& output_dir);

// The newest complete checkpoint, or "" when there is none.
std::string LatestCheckpoint(const std::string& output_dir);

// Removes temp dirs left by interrupted saves; returns how many.
int RemoveStaleTemps(const std::string& output_dir);

// Deletes the oldest checkpoints beyond `limit` (<= 0: unlimited), sparing `best` and `newest`
// (paths, may be ""). Returns the deleted paths.
std::vector<std::string> RotateCheckpoints(const std::string& output_dir, int limit, const std::string& best,
                                           const std::string& newest);

// Checks that `dir` can be created and written (creates it); throws Error(kIo) with the reason.
void EnsureWritableDir(const std::string& dir);

}  // namespace bertc::train

#endif  // BERTC_TRAIN_CHECKPOINT_DIR_H_
