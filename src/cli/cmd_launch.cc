// bertc launch: starts N ranks of a data-parallel run on this machine (loopback rendezvous), as
// torchrun --standalone does, forwards Ctrl-C / SIGTERM to them, stops the rest when one fails, and
// exits non-zero when any rank failed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"

namespace bertc::cli {
namespace {

volatile std::sig_atomic_t g_forward_signal = 0;
void OnLaunchSignal(int sig) { g_forward_signal = sig; }

constexpr const char* kLaunchUsage =
    "usage: bertc launch -n N [--master-port P] [--grace S] [--] COMMAND [ARGS...]\n"
    "\n"
    "Starts N processes of a data-parallel run on this machine: COMMAND is a bertc command (pretrain,\n"
    "finetune) or a program path, run with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR\n"
    "(127.0.0.1) and MASTER_PORT set as torchrun sets them. Ctrl-C and SIGTERM go to every rank. When a\n"
    "rank fails, the others get --grace seconds to stop on their own (they report the lost rank), then\n"
    "SIGTERM, then SIGKILL. Exits 0 when every rank succeeded, else the first failing rank's status\n"
    "(130 after Ctrl-C).\n"
    "\n"
    "  -n, --nproc N      processes (ranks) to start, 1..256\n"
    "  --master-port P    rendezvous port on 127.0.0.1 (default: a free one)\n"
    "  --grace S          seconds the other ranks get after one fails (default 30)\n"
    "\n"
    "Several machines: run 'bertc pretrain' (or torchrun / srun) on each with --world-size, --rank and\n"
    "--master HOST:PORT, or the same environment variables; see the README.\n";

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw ExitError(1, std::string("launch: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    throw ExitError(1, "launch: cannot find a free port on 127.0.0.1: " + err);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

long ParseCount(const std::string& flag, const char* text, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || v < lo || v > hi) {
    throw UsageError("launch: " + flag + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], got '" + text + "'");
  }
  return v;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = strsignal(WTERMSIG(status));
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + (name ? std::string(" (") + name + ")" : "");
  }
  return "ended with status " + std::to_string(status);
}

}  // namespace

int LaunchCommand(int argc, char** argv) {
  long nproc = 0, port = 0, grace = 30;
  int i = 0;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const std::string& flag) -> const char* {
      if (i + 1 >= argc) throw UsageError("launch: " + flag + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kLaunchUsage, stdout);
      return 0;
    } else if (a == "-n" || a == "--nproc") {
      nproc = ParseCount(a, value(a), 1, 256);
    } else if (a.rfind("--nproc=", 0) == 0) {
      nproc = ParseCount("--nproc", a.c_str() + 8, 1, 256);
    } else if (a == "--master-port") {
      port = ParseCount(a, value(a), 1, 65535);
    } else if (a == "--grace") {
      grace = ParseCount(a, value(a), 0, 86400);
    } else if (a == "--") {
      ++i;
      break;
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError("launch: unknown option '" + a + "'\n" + kLaunchUsage);
    } else {
      break;
    }
  }
  if (nproc == 0) throw UsageError(std::string("launch: -n N is required\n") + kLaunchUsage);
  if (i >= argc) throw UsageError(std::string("launch: no command to run\n") + kLaunchUsage);
  std::vector<std::string> command(argv + i, argv + argc);
  const bool program = command[0].find('/') != std::string::npos;
  if (!program && command[0] == "launch") throw UsageError("launch: cannot launch 'launch'");
  if (port == 0) port = FreeLoopbackPort();

  // The ranks' commands: this very executable (found through /proc) with a bertc command, or a program.
  std::string self = "/proc/self/exe";
  {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) self.assign(buf, static_cast<size_t>(n));
  }
  std::vector<std::string> exec_args;
  if (!program) exec_args.push_back(self);
  exec_args.insert(exec_args.end(), command.begin(), command.end());
  std::vector<char*> exec_argv;
  for (auto& s : exec_args) exec_argv.push_back(s.data());
  exec_argv.push_back(nullptr);

  struct sigaction sa{};
  sa.sa_handler = OnLaunchSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::fflush(nullptr);
  std::vector<pid_t> pids(static_cast<size_t>(nproc), -1);
  std::vector<int> statuses(static_cast<size_t>(nproc), 0);
  std::vector<bool> done(static_cast<size_t>(nproc), false);
  for (long r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::fprintf(stderr, "bertc launch: fork failed: %s\n", std::strerror(errno));
      for (long k = 0; k < r; ++k) ::kill(pids[static_cast<size_t>(k)], SIGTERM);
      for (long k = 0; k < r; ++k) ::waitpid(pids[static_cast<size_t>(k)], nullptr, 0);
      return 1;
    }
    if (pid == 0) {
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      const std::string rank = std::to_string(r), world = std::to_string(nproc), p = std::to_string(port);
      ::setenv("RANK", rank.c_str(), 1);
      ::setenv("LOCAL_RANK", rank.c_str(), 1);
      ::setenv("GROUP_RANK", "0", 1);
      ::setenv("WORLD_SIZE", world.c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", world.c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", p.c_str(), 1);
      if (program) {
        ::execvp(exec_argv[0], exec_argv.data());
      } else {
        ::execv(exec_argv[0], exec_argv.data());
      }
      std::fprintf(stderr, "bertc launch: cannot run '%s': %s\n", exec_argv[0], std::strerror(errno));
      ::_exit(127);
    }
    pids[static_cast<size_t>(r)] = pid;
  }
  std::fprintf(stderr, "bertc launch: %ld ranks, rendezvous 127.0.0.1:%ld\n", nproc, port);

  using Clock = std::chrono::steady_clock;
  long remaining = nproc;
  int first_failed = -1;
  int forwarded = 0;
  Clock::time_point failed_at{};
  bool sent_term = false, sent_kill = false;
  while (remaining > 0) {
    if (g_forward_signal != 0 && forwarded != g_forward_signal) {
      forwarded = g_forward_signal;
      for (long r = 0; r < nproc; ++r) {
        if (!done[static_cast<size_t>(r)]) ::kill(pids[static_cast<size_t>(r)], forwarded);
      }
      g_forward_signal = 0;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (long r = 0; r < nproc; ++r) {
        if (pids[static_cast<size_t>(r)] != pid) continue;
        done[static_cast<size_t>(r)] = true;
        statuses[static_cast<size_t>(r)] = status;
        --remaining;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) {
          std::fprintf(stderr, "bertc launch: rank %ld (pid %d) %s\n", r, static_cast<int>(pid),
                       DescribeStatus(status).c_str());
          if (first_failed < 0) {
            first_failed = static_cast<int>(r);
            failed_at = Clock::now();
            if (remaining > 0 && forwarded == 0) {
              std::fprintf(stderr, "bertc launch: waiting up to %ld s for the other ranks to stop\n", grace);
            }
          }
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;  // no children left
    if (first_failed >= 0 && remaining > 0) {
      const double waited = std::chrono::duration<double>(Clock::now() - failed_at).count();
      if (!sent_term && waited >= static_cast<double>(grace)) {
        sent_term = true;
        for (long r = 0; r < nproc; ++r) {
          if (!done[static_cast<size_t>(r)]) ::kill(pids[static_cast<size_t>(r)], SIGTERM);
        }
      } else if (!sent_kill && waited >= static_cast<double>(grace) + 10) {
        sent_kill = true;
        for (long r = 0; r < nproc; ++r) {
          if (!done[static_cast<size_t>(r)]) ::kill(pids[static_cast<size_t>(r)], SIGKILL);
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (first_failed < 0) return 0;
  if (forwarded == SIGINT) return 130;
  const int st = statuses[static_cast<size_t>(first_failed)];
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 1);
}

}  // namespace bertc::cli
