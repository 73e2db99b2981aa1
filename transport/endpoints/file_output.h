// FileOutput (file:// and `-` as output): writes the datagrams back to back
// as one byte stream (MPEG-TS for a player or a recording).
//
// Writes are buffered. A regular file is written with blocking write(2)
// whenever kFileChunk bytes are pending, and on Flush/Close. A pipe,
// terminal or socket (stdout into ffplay) is made non-blocking: Flush writes
// what the reader accepts and waits for writability (Asio) for the rest, so
// a slow reader never stalls the event loop; past kMaxPending buffered bytes
// new datagrams are dropped (DropReason::kBufferFull). Every Write posts one
// flush at the end of the current handler. EPIPE (the reader went away) or
// any other write error fails the output: on_failure(Unavailable "...closed
// by its reader"), later writes are discarded and counted. SIGPIPE is
// ignored process-wide once a pipe output starts, so EPIPE is an error
// return rather than a kill. Stats: `datagrams` counts datagrams accepted
// into the buffer, `bytes` the bytes write(2) has taken.
#pragma once

#include <boost/asio/posix/stream_descriptor.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/endpoints/media.h"

namespace hitless::endpoints {

class FileOutput final : public MediaOutput {
 public:
  static constexpr size_t kFileChunk = 256 * 1024;
  static constexpr size_t kMaxPending = 16 * 1024 * 1024;
  static constexpr int kCloseDrainMs = 2000;  // Close waits this long for a slow pipe

  // Creates or truncates `path`. Errors (NotFound / PermissionDenied /
  // Unavailable, naming the path): open(2) failed.
  static absl::StatusOr<std::unique_ptr<FileOutput>> OpenPath(const std::string& path);
  // Writes to a duplicate of `fd` (stdout: 1); `fd` itself stays open.
  static absl::StatusOr<std::unique_ptr<FileOutput>> OpenFd(int fd, std::string name);
  ~FileOutput() override;

  absl::Status Start(boost::asio::io_context& io, EndHandler on_failure) override;
  void Write(std::span<const uint8_t> datagram, Time now) override;
  void Flush() override;
  absl::Status Close() override;
  OutputStats stats() const override { return stats_; }
  std::string Describe() const override { return name_; }

  size_t pending_bytes() const { return buffer_.size() - head_; }

 private:
  FileOutput(int fd, std::string name);

  // Writes pending bytes; for pipes stops at EAGAIN. False after a failure.
  bool WritePending();
  void ArmWritable();
  void Fail(int error);

  int fd_;
  std::string name_;
  bool regular_ = false;
  int saved_flags_ = -1;
  boost::asio::io_context* io_ = nullptr;
  std::optional<boost::asio::posix::stream_descriptor> stream_;
  EndHandler on_failure_;
  std::vector<uint8_t> buffer_;  // pending bytes: [head_, size)
  size_t head_ = 0;
  bool flush_posted_ = false;
  bool waiting_writable_ = false;
  bool failed_ = false;
  bool closed_ = false;
  absl::Status failure_;
  OutputStats stats_;
  LifetimeToken lifetime_;
};

}  // namespace hitless::endpoints
