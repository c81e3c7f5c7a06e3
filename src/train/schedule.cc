#include "train/schedule.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace bertc::train {

ScheduleKind ParseSchedule(std::string_view name) {
  if (name == "linear") return ScheduleKind::kLinear;
  if (name == "constant") return ScheduleKind::kConstant;
  if (name == "cosine") return ScheduleKind::kCosine;
  throw InvalidArgument("unknown learning-rate schedule '" + std::string(name) +
                        "' (expected linear, constant or cosine)");
}

const char* ScheduleName(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kLinear: return "linear";
    case ScheduleKind::kConstant: return "constant";
    case ScheduleKind::kCosine: return "cosine";
  }
  return "?";
}

double Schedule::Multiplier(int64_t step) const {
  if (step < warmup_steps) {
    return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  }
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double progress = static_cast<double>(step - warmup_steps) / span;
  switch (kind) {
    case ScheduleKind::kLinear:
      return std::max(0.0, static_cast<double>(total_steps - step) / span);
    case ScheduleKind::kConstant:
      return 1.0;
    case ScheduleKind::kCosine:
      return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
  }
  return 1.0;
}

}  // namespace bertc::train
