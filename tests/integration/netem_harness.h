// Test harness for hitless-netem: child processes, UDP sockets, paced
// senders, a background receiver and percentile helpers.
//
// Shared by the integration tests and netem_rate_bench (no gtest here).
// Process owns a child started with posix_spawnp (stdout/stderr piped) and
// always stops it by PID in its destructor. Collector owns one receiver
// thread. Nothing sleeps for a fixed time: waits poll a condition until a
// deadline. IPv4 only.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hitless::testing {

using Millis = std::chrono::milliseconds;

int64_t MonotonicNs();  // CLOCK_MONOTONIC

// Polls `condition` every millisecond until it holds (true) or `timeout`
// passes (false).
bool WaitFor(const std::function<bool()>& condition, Millis timeout);

class Process {
 public:
  Process() = default;
  ~Process();  // SIGKILL + reap if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv (argv[0] searched in PATH). False with `error` set on failure.
  bool Start(const std::vector<std::string>& argv, std::string* error);
  // One line of stdout (without '\n'), or nullopt at EOF/timeout.
  std::optional<std::string> ReadStdoutLine(Millis timeout);
  // Waits for the child to exit; its exit code, or 128+signal, or nullopt on
  // timeout (the child is left running).
  std::optional<int> Wait(Millis timeout);
  // SIGTERM, then Wait(timeout); SIGKILL if it did not exit. Returns the
  // exit status as Wait (nullopt only if even SIGKILL did not reap it).
  std::optional<int> Stop(Millis timeout);
  // Everything the child wrote to stderr so far (reads until EOF after exit).
  std::string ReadStderr();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdout_buffer_;
  std::optional<int> exit_status_;
};

// Starts hitless-netem (optionally wrapped, e.g. {"ip","netns","exec",ns})
// and reads its "listening IP:PORT" line. Returns the port, or nullopt with
// `error` set.
std::optional<uint16_t> StartEmulator(Process& process, const std::string& binary,
                                      const std::vector<std::string>& args, std::string* error,
                                      const std::vector<std::string>& wrapper = {});

sockaddr_in MakeAddress(const std::string& ip, uint16_t port);

class UdpSocket {
 public:
  UdpSocket() = default;
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Creates a socket (in the calling thread's network namespace) bound to
  // ip:port with ~`buffer_bytes` socket buffers. False on failure.
  bool Bind(const std::string& ip, uint16_t port, size_t buffer_bytes = 8 << 20);
  // Adopts an already bound fd.
  void Adopt(int fd) { fd_ = fd; }
  int fd() const { return fd_; }
  uint16_t port() const;
  bool SendTo(const sockaddr_in& to, const void* data, size_t size) const;
  // Waits up to `timeout` for one datagram; its size, or -1.
  ssize_t Receive(void* buffer, size_t size, sockaddr_in* from, Millis timeout) const;

 private:
  int fd_ = -1;
};

// Test payload layout: [0,8) sequence number, [8,16) CLOCK_MONOTONIC send
// time in ns, both little-endian; the rest is filler.
void FillPayload(uint8_t* data, size_t size, uint64_t seq, int64_t send_ns);
uint64_t PayloadSeq(const uint8_t* data);
int64_t PayloadSendNs(const uint8_t* data);

// Sends `count` datagrams of `size` bytes with sequence numbers first_seq...
// at `packets_per_second`, in bursts of `burst`. Returns how many the kernel
// accepted.
uint64_t SendPaced(const UdpSocket& socket, const sockaddr_in& to, uint64_t first_seq,
                   uint64_t count, double packets_per_second, size_t size, size_t burst);

// Receives on a socket in a background thread, recording every datagram's
// sequence number and one-way delay (arrival - payload send time).
class Collector {
 public:
  struct Record {
    uint64_t seq;
    int64_t delay_ns;
  };
  explicit Collector(int fd);
  ~Collector();
  uint64_t count() const { return count_.load(); }
  int64_t last_arrival_ns() const { return last_arrival_ns_.load(); }
  // Returns the records so far and clears them (the thread keeps running).
  std::vector<Record> Take();
  // Stops and joins the thread (also done by the destructor).
  void Stop();

 private:
  void Loop();
  int fd_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> last_arrival_ns_{0};
  std::mutex mutex_;
  std::vector<Record> records_;
  std::thread thread_;
};

// Nearest-rank percentile (p in [0, 100]) of `values` (sorted in place).
int64_t Percentile(std::vector<int64_t>& values, double p);

// The number after "key": inside the JSON object that follows "section":
// (a flat scan, enough for hitless-netem's summary). nullopt if absent.
std::optional<uint64_t> JsonCounter(const std::string& json, const std::string& section,
                                    const std::string& key);

// The whole file as a string ("" if it cannot be read).
std::string ReadFile(const std::string& path);

// The number after "key": in `json` from `from` on (first occurrence), or
// NaN (also when absent or null). A flat scan, enough for the programs'
// stats JSON, pretty or compact.
double JsonNumber(const std::string& json, const std::string& key, size_t from = 0);

}  // namespace hitless::testing
