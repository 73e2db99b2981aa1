// FileInput (file:// and `-` as input): reads a byte stream (normally
// MPEG-TS) and cuts it into datagrams of `datagram_size` bytes (1316 = 7 TS
// packets); a short last datagram is flushed at EOF, then on_end(OkStatus()).
//
// Two ways of reading, picked by the descriptor type at Start:
//   - Regular files are NOT paced by default: each handler reads one chunk
//     (kChunkBytes), delivers its datagrams, and posts the next read, so the
//     file goes as fast as the consumer takes it while timers and sockets
//     still run between chunks. With `rate_bps` (file:///x?rate=20M) the
//     datagrams are released at that bitrate instead, on absolute deadlines
//     like gen:// (a late wake-up catches up in a burst, no drift).
//   - Pipes, terminals and sockets (stdin from an encoder) are read
//     asynchronously as data arrives: the writer paces them.
// A read error ends the input with on_end(Unavailable naming the source).
#pragma once

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/base/clock.h"
#include "transport/endpoints/media.h"

namespace hitless::endpoints {

class FileInput final : public MediaInput {
 public:
  static constexpr size_t kChunkBytes = 64 * 1024;

  struct Options {
    size_t datagram_size = 1316;
    std::optional<uint64_t> rate_bps;  // regular files only: pace at this bitrate
  };

  // Opens `path` for reading. Errors (NotFound / PermissionDenied /
  // Unavailable, naming the path): open(2) failed, or it is a directory.
  static absl::StatusOr<std::unique_ptr<FileInput>> OpenPath(const std::string& path,
                                                             Options options);
  // Reads a duplicate of `fd` (stdin: 0); `fd` itself is left open. Errors:
  // dup(2) failed.
  static absl::StatusOr<std::unique_ptr<FileInput>> OpenFd(int fd, std::string name,
                                                           Options options);
  ~FileInput() override;

  absl::Status Start(boost::asio::io_context& io, DatagramHandler on_datagram,
                     EndHandler on_end) override;
  void Stop() override;
  InputStats stats() const override { return stats_; }
  std::string Describe() const override { return name_; }

 private:
  FileInput(int fd, std::string name, Options options);

  void PostRead();  // regular, unpaced
  void ArmPaced();  // regular, paced
  void OnPacedTimer();
  void ArmStreamRead();  // pipes and terminals
  // Reads more from a regular file into buffer_; false at EOF or error.
  bool FillFromFile();
  // Delivers every whole datagram in buffer_ (all of it when `eof`).
  void DeliverBuffered(bool eof, Time now);
  void Deliver(std::span<const uint8_t> datagram, Time now);
  void Finish(absl::Status status);
  Time DueTime(uint64_t index) const;

  int fd_;
  std::string name_;
  Options options_;
  bool regular_ = false;
  int saved_flags_ = -1;  // fd flags before Asio made it non-blocking
  SteadyClock clock_;
  boost::asio::io_context* io_ = nullptr;
  std::optional<boost::asio::posix::stream_descriptor> stream_;
  std::optional<boost::asio::steady_timer> timer_;
  DatagramHandler on_datagram_;
  EndHandler on_end_;
  std::vector<uint8_t> buffer_;  // bytes read, not yet delivered: [head_, size)
  size_t head_ = 0;
  bool eof_ = false;
  Time start_;
  uint64_t paced_index_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  InputStats stats_;
  LifetimeToken lifetime_;
};

}  // namespace hitless::endpoints
