// Learning-rate schedules, as multipliers of the base rate (HF get_scheduler + LambdaLR): the rate
// used by optimizer step k (0-based) is base_lr * Multiplier(k).
#ifndef BERTC_TRAIN_SCHEDULE_H_
#define BERTC_TRAIN_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace bertc::train {

enum class ScheduleKind { kLinear = 0, kConstant = 1, kCosine = 2 };

// "linear", "constant", "cosine"; throws InvalidArgument otherwise.
ScheduleKind ParseSchedule(std::string_view name);
const char* ScheduleName(ScheduleKind kind);

struct Schedule {
  ScheduleKind kind = ScheduleKind::kLinear;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  // linear:   k / warmup during warmup, then (total - k) / (total - warmup), floored at 0
  // constant: k / warmup during warmup, then 1
  // cosine:   k / warmup during warmup, then 0.5 * (1 + cos(pi * progress))
  double Multiplier(int64_t step) const;
};

}  // namespace bertc::train

#endif  // BERTC_TRAIN_SCHEDULE_H_
