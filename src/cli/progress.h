// Progress display for long commands: a live bar on a terminal, plain periodic lines otherwise.
// Also owns the SIGINT flag: the first Ctrl-C asks the running call to stop cleanly.
#ifndef BERTC_CLI_PROGRESS_H_
#define BERTC_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace bertc::cli {

class Progress {
 public:
  explicit Progress(std::string label, double plain_interval_seconds = 10.0);
  ~Progress();

  // Shows `current` of `total` (total 0 = unknown) with a free-form suffix (loss, tokens/s).
  void Update(uint64_t current, uint64_t total, const std::string& suffix);
  // Prints a full line above the bar (e.g. an eval result).
  void Line(const std::string& text);
  void Finish();

 private:
  std::string label_;
  bool tty_;
  double interval_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool drawn_ = false;
  // The first step this process saw and when: a resumed run starts at its checkpoint's step, so the
  // ETA is measured from here, not from step 0.
  bool have_base_ = false;
  uint64_t base_step_ = 0;
  std::chrono::steady_clock::time_point base_time_;
};

// Installs a SIGINT/SIGTERM handler that sets a flag (a second Ctrl-C kills the process as usual).
void InstallInterruptHandler();
bool Interrupted();

std::string FormatDuration(double seconds);

}  // namespace bertc::cli

#endif  // BERTC_CLI_PROGRESS_H_
