// Child: fork/exec with output to files, death with the parent, stop by PID.
#include "netem-scenarios/runner/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace hitless::scenario {
namespace {

int StatusOf(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return 255;
}

}  // namespace

Child::~Child() {
  if (running()) Kill();
}

absl::Status Child::Start(std::vector<std::string> argv, std::string stdout_path,
                          std::string stderr_path) {
  argv_ = std::move(argv);
  stdout_path_ = std::move(stdout_path);
  stderr_path_ = std::move(stderr_path);
  return Restart();
}

absl::Status Child::Restart() {
  if (running()) return absl::FailedPreconditionError("already running");
  if (pid_ > 0) ++restarts_;
  const int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    const int e = errno;
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    return absl::InternalError(absl::StrCat("cannot open ", stdout_path_, ": ", std::strerror(e)));
  }
  std::vector<char*> args;
  for (std::string& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(out);
    ::close(err);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(e)));
  }
  if (pid == 0) {
    // Dies with the runner, even if the runner is SIGKILLed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the runner; it stops us in order
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execv(args[0], args.data());
    ::dprintf(STDERR_FILENO, "hitless-scenario: cannot run %s: %s\n", args[0],
              std::strerror(errno));
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  pid_ = pid;
  status_.reset();
  return absl::OkStatus();
}

std::optional<int> Child::Poll() {
  if (pid_ <= 0 || status_) return status_;
  int raw = 0;
  ::rusage usage{};
  const pid_t r = ::wait4(pid_, &raw, WNOHANG, &usage);
  if (r == pid_) Reaped(raw, usage);
  return status_;
}

void Child::Kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int raw = 0;
  ::rusage usage{};
  if (::wait4(pid_, &raw, 0, &usage) == pid_) Reaped(raw, usage);
}

std::optional<int> Child::Wait(int timeout_ms) {
  for (int waited = 0; waited < timeout_ms && running(); waited += 10) {
    if (Poll()) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return status_;
}

std::optional<int> Child::Stop(int timeout_ms) {
  if (!running()) return status_;
  ::kill(pid_, SIGTERM);
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (Poll()) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return status_;
}

absl::StatusOr<uint16_t> Child::WaitListening(int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    const std::string line = LastLineStartingWith(stdout_path_, "listening ");
    if (!line.empty()) {
      const size_t colon = line.rfind(':');
      if (colon != std::string::npos) {
        const int port = std::atoi(line.c_str() + colon + 1);
        if (port > 0 && port < 65536) return static_cast<uint16_t>(port);
      }
    }
    if (Poll()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::UnavailableError(absl::StrCat(
      argv_.empty() ? "?" : argv_[0], status_ ? " exited (status " : " did not start listening (",
      status_ ? std::to_string(*status_) : std::to_string(timeout_ms) + " ms", "); see ",
      stderr_path_));
}

void Child::Reaped(int raw, const ::rusage& usage) {
  status_ = StatusOf(raw);
  const auto seconds = [](const ::timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  cpu_before_ += seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::optional<double> Child::CpuSeconds() const {
  if (pid_ <= 0) return std::nullopt;
  if (status_) return cpu_before_;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) stime = std::atof(field.c_str());
  }
  return cpu_before_ + (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string LastLineStartingWith(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line, found;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) found = line;
  }
  return found;
}

std::string LastLine(const std::string& path) {
  // Only the tail: series files grow by a line a second for hours.
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > 65536 ? size - 65536 : 0;
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(in.gcount()));
  const size_t end = tail.rfind('\n');
  if (end == std::string::npos) return {};
  const size_t begin = tail.rfind('\n', end == 0 ? 0 : end - 1);
  if (begin == std::string::npos || end == 0)
    return from == 0 ? tail.substr(0, end) : std::string();
  return tail.substr(begin + 1, end - begin - 1);
}

}  // namespace hitless::scenario
