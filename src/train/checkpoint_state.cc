#include "train/checkpoint_state.h"

#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/json_read.h"

namespace bertc::train {
namespace {

using nlohmann::json;

json Parse(std::string_view text, const std::string& source) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw FormatError(source + ": not valid JSON");
  if (!j.is_object()) throw FormatError(source + ": expected a JSON object");
  return j;
}

const json& Field(const json& obj, const char* key, const std::string& source) {
  auto it = obj.find(key);
  if (it == obj.end()) throw FormatError(source + ": field '" + key + "' is missing");
  return *it;
}

template <class Int>
Int Count(const json& obj, const char* key, const std::string& source) {
  const Int v = JsonInt<Int>(Field(obj, key, source), source + ": field '" + key + "'");
  if (v < 0) throw FormatError(source + ": field '" + key + "' is negative");
  return v;
}

}  // namespace

CheckpointState ParseTrainerState(std::string_view json_text, const std::string& source) {
  const json j = Parse(json_text, source);
  CheckpointState s;
  s.args = Field(j, "args", source);
  if (!s.args.is_object()) throw FormatError(source + ": field 'args' must be an object");
  s.log_history = Field(j, "log_history", source);
  if (!s.log_history.is_array()) throw FormatError(source + ": field 'log_history' must be an array");
  if (j.contains("threads") && !j["threads"].is_null()) s.threads = Count<int>(j, "threads", source);
  s.optimizer_step = Count<int64_t>(j, "optimizer_step", source);
  s.global_step = Count<int64_t>(j, "global_step", source);
  const json& pos = Field(j, "data_position", source);
  if (!pos.is_object()) throw FormatError(source + ": field 'data_position' must be an object");
  const std::string where = source + ": data_position";
  s.data_epoch = Count<uint64_t>(pos, "epoch", where);
  s.batch_in_epoch = Count<uint64_t>(pos, "batch_in_epoch", where);
  s.micro_batches = Count<uint64_t>(pos, "micro_batches", where);
  s.log_loss_sum = pos.contains("log_loss_sum") ? JsonDouble(pos["log_loss_sum"], where + ".log_loss_sum") : 0.0;
  s.log_loss_count = pos.contains("log_loss_count") ? Count<int64_t>(pos, "log_loss_count", where) : 0;
  const json& best = Field(j, "best_metric", source);
  s.best_metric = best.is_null() ? std::numeric_limits<double>::quiet_NaN() : JsonDouble(best, source + ": best_metric");
  if (j.contains("best_model_checkpoint") && !j["best_model_checkpoint"].is_null()) {
    if (!j["best_model_checkpoint"].is_string()) throw FormatError(source + ": best_model_checkpoint must be a string");
    s.best_checkpoint = j["best_model_checkpoint"].get<std::string>();
  }
  return s;
}

SchedulerState ParseSchedulerState(std::string_view json_text, const std::string& source) {
  const json j = Parse(json_text, source);
  SchedulerState s;
  const json& kind = Field(j, "kind", source);
  if (!kind.is_string()) throw FormatError(source + ": field 'kind' must be a string");
  s.kind = kind.get<std::string>();
  s.warmup_steps = Count<int64_t>(j, "warmup_steps", source);
  s.total_steps = Count<int64_t>(j, "total_steps", source);
  s.last_step = Count<int64_t>(j, "last_step", source);
  s.base_learning_rate = JsonDouble(Field(j, "base_learning_rate", source), source + ": base_learning_rate");
  return s;
}

}  // namespace bertc::train
