// Implements netem_harness.h.
#include "tests/integration/netem_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "transport/io/socket_options.h"

extern char** environ;

namespace hitless::testing {

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool WaitFor(const std::function<bool()>& condition, Millis timeout) {
  const int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  while (true) {
    if (condition()) return true;
    if (MonotonicNs() >= deadline) return false;
    poll(nullptr, 0, 1);
  }
}

Process::~Process() {
  if (pid_ > 0 && !exit_status_.has_value()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

bool Process::Start(const std::vector<std::string>& argv, std::string* error) {
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    *error = std::string("pipe2: ") + strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  if (rc != 0) {
    pid_ = -1;
    *error = "posix_spawnp " + argv[0] + ": " + strerror(rc);
    return false;
  }
  return true;
}

std::optional<std::string> Process::ReadStdoutLine(Millis timeout) {
  const int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  while (true) {
    if (const size_t nl = stdout_buffer_.find('\n'); nl != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, nl);
      stdout_buffer_.erase(0, nl + 1);
      return line;
    }
    const int64_t left_ms = (deadline - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left_ms)) <= 0) continue;
    char buffer[512];
    const ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
    if (n <= 0) return std::nullopt;
    stdout_buffer_.append(buffer, static_cast<size_t>(n));
  }
}

std::optional<int> Process::Wait(Millis timeout) {
  if (exit_status_.has_value() || pid_ <= 0) return exit_status_;
  int status = 0;
  const bool done = WaitFor(
      [&] {
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        return r == pid_ || (r < 0 && errno != EINTR);
      },
      timeout);
  if (!done) return std::nullopt;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_status_;
}

std::optional<int> Process::Stop(Millis timeout) {
  if (pid_ <= 0 || exit_status_.has_value()) return exit_status_;
  kill(pid_, SIGTERM);
  if (auto status = Wait(timeout)) return status;
  kill(pid_, SIGKILL);
  return Wait(Millis(5000));
}

std::string Process::ReadStderr() {
  std::string out;
  char buffer[4096];
  while (true) {
    pollfd p{stderr_fd_, POLLIN, 0};
    if (poll(&p, 1, exit_status_.has_value() ? 1000 : 0) <= 0) break;
    const ssize_t n = read(stderr_fd_, buffer, sizeof(buffer));
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

std::optional<uint16_t> StartEmulator(Process& process, const std::string& binary,
                                      const std::vector<std::string>& args, std::string* error,
                                      const std::vector<std::string>& wrapper) {
  std::vector<std::string> argv = wrapper;
  argv.push_back(binary);
  argv.insert(argv.end(), args.begin(), args.end());
  if (!process.Start(argv, error)) return std::nullopt;
  const std::optional<std::string> line = process.ReadStdoutLine(Millis(10000));
  const std::string prefix = "listening ";
  if (!line.has_value() || line->rfind(prefix, 0) != 0) {
    *error = "no 'listening' line; stderr: " + process.ReadStderr();
    return std::nullopt;
  }
  const size_t colon = line->rfind(':');
  const int port = colon == std::string::npos ? 0 : atoi(line->c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    *error = "bad listening line: " + *line;
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

sockaddr_in MakeAddress(const std::string& ip, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  return address;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

bool UdpSocket::Bind(const std::string& ip, uint16_t port, size_t buffer_bytes) {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  io::SetSocketBuffers(fd_, buffer_bytes, buffer_bytes);
  const sockaddr_in address = MakeAddress(ip, port);
  return bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

uint16_t UdpSocket::port() const {
  sockaddr_in address{};
  socklen_t len = sizeof(address);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &len) != 0) return 0;
  return ntohs(address.sin_port);
}

bool UdpSocket::SendTo(const sockaddr_in& to, const void* data, size_t size) const {
  return sendto(fd_, data, size, 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) ==
         static_cast<ssize_t>(size);
}

ssize_t UdpSocket::Receive(void* buffer, size_t size, sockaddr_in* from, Millis timeout) const {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
  socklen_t len = sizeof(sockaddr_in);
  return recvfrom(fd_, buffer, size, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(from), &len);
}

void FillPayload(uint8_t* data, size_t size, uint64_t seq, int64_t send_ns) {
  for (int i = 0; i < 8; ++i) {
    data[i] = static_cast<uint8_t>(seq >> (8 * i));
    data[8 + i] = static_cast<uint8_t>(static_cast<uint64_t>(send_ns) >> (8 * i));
  }
  for (size_t i = 16; i < size; ++i) data[i] = static_cast<uint8_t>(i);
}

uint64_t PayloadSeq(const uint8_t* data) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(data[i]) << (8 * i);
  return v;
}

int64_t PayloadSendNs(const uint8_t* data) { return static_cast<int64_t>(PayloadSeq(data + 8)); }

uint64_t SendPaced(const UdpSocket& socket, const sockaddr_in& to, uint64_t first_seq,
                   uint64_t count, double packets_per_second, size_t size, size_t burst) {
  std::vector<uint8_t> buffer(std::max<size_t>(size, 16));
  const int64_t start = MonotonicNs();
  uint64_t accepted = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (i % burst == 0) {
      // Pacing, not waiting on a condition: sleep until this burst's slot.
      const int64_t due =
          start + static_cast<int64_t>(static_cast<double>(i) * 1e9 / packets_per_second);
      timespec ts{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
    }
    FillPayload(buffer.data(), size, first_seq + i, MonotonicNs());
    if (socket.SendTo(to, buffer.data(), size)) ++accepted;
  }
  return accepted;
}

Collector::Collector(int fd) : fd_(fd), thread_([this] { Loop(); }) {}

Collector::~Collector() { Stop(); }

void Collector::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<Collector::Record> Collector::Take() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Record> out;
  out.swap(records_);
  return out;
}

void Collector::Loop() {
  constexpr size_t kBatch = 64;
  constexpr size_t kSize = 2048;
  std::vector<uint8_t> buffers(kBatch * kSize);
  mmsghdr headers[kBatch];
  iovec iovecs[kBatch];
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    for (size_t i = 0; i < kBatch; ++i) {
      iovecs[i] = {buffers.data() + i * kSize, kSize};
      headers[i] = {};
      headers[i].msg_hdr.msg_iov = &iovecs[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd_, headers, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    const int64_t now = MonotonicNs();
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < n; ++i) {
      if (headers[i].msg_len < 16) continue;
      const uint8_t* data = buffers.data() + static_cast<size_t>(i) * kSize;
      records_.push_back(Record{PayloadSeq(data), now - PayloadSendNs(data)});
    }
    count_ += static_cast<uint64_t>(n);
    last_arrival_ns_ = now;
  }
}

int64_t Percentile(std::vector<int64_t>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size()));
  if (rank >= values.size()) rank = values.size() - 1;
  return values[rank];
}

std::optional<uint64_t> JsonCounter(const std::string& json, const std::string& section,
                                    const std::string& key) {
  const size_t start = json.find("\"" + section + "\":");
  if (start == std::string::npos) return std::nullopt;
  const size_t open = json.find('{', start);
  if (open == std::string::npos) return std::nullopt;
  // The section ends where its braces balance.
  int depth = 0;
  size_t end = open;
  for (; end < json.size(); ++end) {
    if (json[end] == '{') ++depth;
    if (json[end] == '}' && --depth == 0) break;
  }
  const std::string body = json.substr(open, end - open);
  const size_t at = body.find("\"" + key + "\": ");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(body.c_str() + at + key.size() + 4, nullptr, 10);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double JsonNumber(const std::string& json, const std::string& key, size_t from) {
  // Pretty ("key": 1) or compact ("key":1) JSON.
  const size_t at = json.find("\"" + key + "\":", from);
  if (at == std::string::npos) return std::nan("");
  const char* text = json.c_str() + at + key.size() + 3;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  return end == text ? std::nan("") : value;
}

}  // namespace hitless::testing
