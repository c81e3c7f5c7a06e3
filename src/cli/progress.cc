#include "cli/progress.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace bertc::cli {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;

void OnSignal(int sig) {
  if (g_interrupted) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_interrupted = 1;
}
}  // namespace

void InstallInterruptHandler() {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
}

bool Interrupted() { return g_interrupted != 0; }

std::string FormatDuration(double s) {
  if (s < 0 || s != s) return "?";
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

Progress::Progress(std::string label, double plain_interval_seconds)
    : label_(std::move(label)),
      tty_(isatty(STDERR_FILENO) != 0),
      interval_(plain_interval_seconds),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_ - std::chrono::hours(1)) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t current, uint64_t total, const std::string& suffix) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  const bool done = total > 0 && current >= total;
  if (!have_base_) {
    have_base_ = true;
    base_step_ = current;
    base_time_ = now;
  }
  if (!tty_ && since < interval_ && !done) return;
  if (tty_ && since < 0.1 && !done) return;
  last_print_ = now;
  std::string eta;
  if (total > 0 && current > base_step_ && current < total) {
    const double run = std::chrono::duration<double>(now - base_time_).count();
    eta = " ETA " + FormatDuration(run * static_cast<double>(total - current) /
                                   static_cast<double>(current - base_step_));
  }
  char count[64];
  if (total > 0) std::snprintf(count, sizeof count, "%llu/%llu", (unsigned long long)current, (unsigned long long)total);
  else std::snprintf(count, sizeof count, "%llu", (unsigned long long)current);
  if (tty_) {
    std::string bar;
    if (total > 0) {
      const int width = 24;
      const int filled = static_cast<int>(width * static_cast<double>(current) / static_cast<double>(total));
      bar = "[" + std::string(std::min(filled, width), '#') + std::string(width - std::min(filled, width), '.') + "] ";
    }
    std::fprintf(stderr, "\r\033[K%s %s%s %s%s", label_.c_str(), bar.c_str(), count, suffix.c_str(), eta.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s %s %s elapsed %s%s\n", label_.c_str(), count, suffix.c_str(),
                 FormatDuration(elapsed).c_str(), eta.c_str());
  }
  std::fflush(stderr);
}

void Progress::Line(const std::string& text) {
  if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  drawn_ = false;
  last_print_ = std::chrono::steady_clock::now() - std::chrono::hours(1);
}

void Progress::Finish() {
  if (tty_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace bertc::cli
