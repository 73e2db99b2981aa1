// Child: one program hitless-scenario starts, its stdout and stderr going to
// files (a long run must not block on a pipe nobody reads). The child dies
// with the runner (PR_SET_PDEATHSIG), so even a runner killed by SIGKILL
// leaves no process behind; Stop() is the orderly way.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hitless::scenario {

class Child {
 public:
  Child() = default;
  ~Child();  // SIGKILL and reap if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts argv (argv[0] a path) with stdout/stderr appended to the files.
  absl::Status Start(std::vector<std::string> argv, std::string stdout_path,
                     std::string stderr_path);
  // Starts the same argv again (after Kill or an exit).
  absl::Status Restart();
  // Waits (polling the stdout file) for a line "listening HOST:PORT" and
  // returns the port; an error if the child exits or `timeout_ms` passes.
  absl::StatusOr<uint16_t> WaitListening(int timeout_ms);
  // SIGKILL now, reaped (the route's "kill -9").
  void Kill();
  // Waits up to `timeout_ms` for the child to exit; SIGKILL after that.
  std::optional<int> Wait(int timeout_ms);
  // SIGTERM, then SIGKILL after `timeout_ms`; the exit status (as Wait).
  std::optional<int> Stop(int timeout_ms);
  // Non-blocking: the exit status (code, or 128 + signal) once exited.
  std::optional<int> Poll();
  bool running() const { return pid_ > 0 && !status_; }
  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  void set_argv(std::vector<std::string> argv) { argv_ = std::move(argv); }
  int restarts() const { return restarts_; }
  // User + system CPU seconds (all threads) of every run of the child so
  // far: /proc while it runs, its rusage once reaped.
  std::optional<double> CpuSeconds() const;

 private:
  void Reaped(int raw, const ::rusage& usage);

  std::vector<std::string> argv_;
  std::string stdout_path_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  int restarts_ = 0;
  double cpu_before_ = 0;  // of the runs already reaped
};

// A whole small file (empty if it cannot be read); writes one (false on
// failure).
std::string ReadFile(const std::string& path);
bool WriteFile(const std::string& path, const std::string& text);
// The last line of a text file that starts with `prefix` (empty if none).
std::string LastLineStartingWith(const std::string& path, const std::string& prefix);
// The last complete line of a file (empty if none).
std::string LastLine(const std::string& path);

}  // namespace hitless::scenario
