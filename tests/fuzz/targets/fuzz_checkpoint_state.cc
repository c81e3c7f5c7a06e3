// A checkpoint's trainer_state.json and scheduler.json from untrusted bytes (what resume reads
// before it loads any tensor): "trainer_state.json\n=====\nscheduler.json".
#include <string>

#include "fuzz_common.h"
#include "train/checkpoint_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [state, sched] = bertc::fuzz::Split(std::string_view(reinterpret_cast<const char*>(data), size));
  bertc::fuzz::Refusable([&, state = state] {
    const auto s = bertc::train::ParseTrainerState(state, "trainer_state.json");
    bertc::fuzz::Require(s.global_step >= 0 && s.optimizer_step >= 0 && s.log_history.is_array());
  });
  bertc::fuzz::Refusable([&, sched = sched] {
    const auto s = bertc::train::ParseSchedulerState(sched, "scheduler.json");
    bertc::fuzz::Require(s.total_steps >= 0 && s.last_step >= 0);
  });
  return 0;
}
