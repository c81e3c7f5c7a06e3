// trainer_state.json and scheduler.json of a checkpoint, parsed and checked without LibTorch (the
// fuzz targets use it). Every number is range-checked as the type it becomes.
#ifndef BERTC_TRAIN_CHECKPOINT_STATE_H_
#define BERTC_TRAIN_CHECKPOINT_STATE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bertc::train {

struct CheckpointState {
  nlohmann::json args = nlohmann::json::object();         // the options that fix the trajectory
  nlohmann::json log_history = nlohmann::json::array();
  int threads = -1;  // -1: not recorded
  int64_t optimizer_step = 0;
  int64_t global_step = 0;
  uint64_t data_epoch = 0;
  uint64_t batch_in_epoch = 0;
  uint64_t micro_batches = 0;
  double best_metric = 0;  // NaN when none
  std::string best_checkpoint;
  double log_loss_sum = 0;
  int64_t log_loss_count = 0;
};

// Throws FormatError (naming the file and field) for invalid JSON, a missing field, a wrong type
// or an out-of-range number.
CheckpointState ParseTrainerState(std::string_view json_text, const std::string& source);

struct SchedulerState {
  std::string kind;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;
  int64_t last_step = 0;
  double base_learning_rate = 0;
};

SchedulerState ParseSchedulerState(std::string_view json_text, const std::string& source);

}  // namespace bertc::train

#endif  // BERTC_TRAIN_CHECKPOINT_STATE_H_
