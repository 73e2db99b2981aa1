// FileInput / FileOutput with real files and pipes (stdin/stdout stand-ins),
// VerifyOutput's JSON report, and the factory's file and error paths.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "netem-scenarios/teststream/test_stream.h"
#include "tests/unit/endpoints/test_util.h"
#include "transport/base/clock.h"
#include "transport/endpoints/factory.h"
#include "transport/endpoints/file_input.h"
#include "transport/endpoints/file_output.h"
#include "transport/endpoints/verify_output.h"

namespace hitless::endpoints {
namespace {

using testing::RunUntil;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/endpoints_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + i / 251);
  return bytes;
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Collected {
  std::vector<std::vector<uint8_t>> datagrams;
  std::vector<Time> times;
  int ends = 0;
  absl::Status end_status;
  std::vector<uint8_t> Joined() const {
    std::vector<uint8_t> all;
    for (const auto& d : datagrams) all.insert(all.end(), d.begin(), d.end());
    return all;
  }
};

// Starts `input` on `io` collecting into `c` and runs until it ends. `io`
// must outlive `input` (declared first in each test).
void RunToEnd(boost::asio::io_context& io, MediaInput& input, Collected& c) {
  ASSERT_TRUE(input
                  .Start(
                      io,
                      [&](std::span<const uint8_t> d, Time now) {
                        c.datagrams.emplace_back(d.begin(), d.end());
                        c.times.push_back(now);
                      },
                      [&](absl::Status s) {
                        ++c.ends;
                        c.end_status = s;
                      })
                  .ok());
  ASSERT_TRUE(RunUntil(io, [&] { return c.ends > 0; }));
}

TEST(FileInputTest, CutsIntoTsDatagramsWithAShortTail) {
  boost::asio::io_context io;  // outlives the endpoints
  const std::string path = TempPath("cut.ts");
  const std::vector<uint8_t> bytes = Pattern(1316 * 100 + 100);  // spans several 64 KiB chunks
  WriteFile(path, bytes);
  auto input = FileInput::OpenPath(path, {});
  ASSERT_TRUE(input.ok()) << input.status();
  Collected c;
  RunToEnd(io, **input, c);
  EXPECT_TRUE(c.end_status.ok()) << c.end_status;
  EXPECT_EQ(c.ends, 1);
  ASSERT_EQ(c.datagrams.size(), 101u);
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(c.datagrams[i].size(), 1316u);
  EXPECT_EQ(c.datagrams.back().size(), 100u);
  EXPECT_EQ(c.Joined(), bytes);
  EXPECT_EQ((*input)->stats().datagrams, 101u);
  EXPECT_EQ((*input)->stats().bytes, bytes.size());
  ::unlink(path.c_str());
}

TEST(FileInputTest, ExactMultipleAndEmptyFile) {
  boost::asio::io_context io;  // outlives the endpoints
  const std::string path = TempPath("exact.ts");
  WriteFile(path, Pattern(1316 * 3));
  auto input = FileInput::OpenPath(path, {});
  ASSERT_TRUE(input.ok());
  Collected c;
  RunToEnd(io, **input, c);
  EXPECT_EQ(c.datagrams.size(), 3u);

  WriteFile(path, {});
  auto empty = FileInput::OpenPath(path, {});
  ASSERT_TRUE(empty.ok());
  Collected e;
  RunToEnd(io, **empty, e);
  EXPECT_TRUE(e.end_status.ok());
  EXPECT_TRUE(e.datagrams.empty());
  ::unlink(path.c_str());
}

TEST(FileInputTest, RateOptionPacesTheFile) {
  boost::asio::io_context io;  // outlives the endpoints
  const std::string path = TempPath("paced.ts");
  const std::vector<uint8_t> bytes = Pattern(1316 * 20 + 10);
  WriteFile(path, bytes);
  // 1316 bytes at 10.528 Mbit/s: one datagram per ms, 21 datagrams over 20 ms.
  auto input = FileInput::OpenPath(path, {.datagram_size = 1316, .rate_bps = 10'528'000});
  ASSERT_TRUE(input.ok());
  Collected c;
  // The pacing clock starts inside Start, after this: datagram i is due no
  // earlier than before + i ms. (Measured from the first datagram instead,
  // a first one delivered late on a loaded machine made the span look short.)
  const Time before = SteadyClock().Now();
  RunToEnd(io, **input, c);
  EXPECT_TRUE(c.end_status.ok());
  ASSERT_EQ(c.datagrams.size(), 21u);
  EXPECT_EQ(c.Joined(), bytes);
  EXPECT_GE(c.times.back() - before, Duration::Milliseconds(20)) << "never early";
  ::unlink(path.c_str());
}

TEST(FileInputTest, PipeLikeStdin) {
  boost::asio::io_context io;  // outlives the endpoints
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto input = FileInput::OpenFd(fds[0], "stdin", {});
  ASSERT_TRUE(input.ok());
  ::close(fds[0]);  // the input holds its own duplicate
  const std::vector<uint8_t> bytes = Pattern(1316 * 5 + 7);
  ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fds[1]);
  Collected c;
  RunToEnd(io, **input, c);
  EXPECT_TRUE(c.end_status.ok()) << c.end_status;
  ASSERT_EQ(c.datagrams.size(), 6u);
  EXPECT_EQ(c.datagrams.back().size(), 7u);
  EXPECT_EQ(c.Joined(), bytes);
  EXPECT_EQ((*input)->Describe(), "stdin");
}

TEST(FileOutputTest, RoundTripThroughAFile) {
  boost::asio::io_context io;  // outlives the endpoints
  const std::string path = TempPath("out.ts");
  auto output = FileOutput::OpenPath(path);
  ASSERT_TRUE(output.ok()) << output.status();
  ASSERT_TRUE((*output)->Start(io, nullptr).ok());
  const std::vector<uint8_t> bytes = Pattern(1316 * 400 + 33);  // > kFileChunk
  for (size_t off = 0; off < bytes.size(); off += 1316) {
    const size_t n = std::min<size_t>(1316, bytes.size() - off);
    (*output)->Write(std::span<const uint8_t>(bytes).subspan(off, n), Time());
  }
  EXPECT_TRUE((*output)->Close().ok());
  EXPECT_EQ(ReadFile(path), bytes);
  EXPECT_EQ((*output)->stats().datagrams, 401u);
  EXPECT_EQ((*output)->stats().bytes, bytes.size());

  auto input = FileInput::OpenPath(path, {});
  ASSERT_TRUE(input.ok());
  Collected c;
  RunToEnd(io, **input, c);
  EXPECT_EQ(c.Joined(), bytes);
  ::unlink(path.c_str());
}

TEST(FileOutputTest, PipeLikeStdoutThenReaderGoesAway) {
  boost::asio::io_context io;  // outlives the endpoints
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto output = FileOutput::OpenFd(fds[1], "stdout");
  ASSERT_TRUE(output.ok());
  ::close(fds[1]);
  int failures = 0;
  absl::Status failure;
  ASSERT_TRUE((*output)
                  ->Start(io,
                          [&](absl::Status s) {
                            ++failures;
                            failure = s;
                          })
                  .ok());
  const std::vector<uint8_t> datagram = Pattern(1316);
  (*output)->Write(datagram, Time());
  (*output)->Write(datagram, Time());
  ASSERT_TRUE(RunUntil(io, [&] { return (*output)->pending_bytes() == 0; }));
  std::vector<uint8_t> got(2 * 1316);
  ASSERT_EQ(::read(fds[0], got.data(), got.size()), static_cast<ssize_t>(got.size()));
  EXPECT_TRUE(std::equal(datagram.begin(), datagram.end(), got.begin()));

  // A reader that stops reading: the loop never blocks, the overflow drops.
  for (int i = 0; i < 14000; ++i) (*output)->Write(datagram, Time());
  EXPECT_LE((*output)->pending_bytes(), FileOutput::kMaxPending);
  EXPECT_GT((*output)->stats().drops.Get(DropReason::kBufferFull), 0u);
  io.restart();
  io.run_for(std::chrono::milliseconds(20));  // fills the pipe, waits for writability

  // The reader goes away: EPIPE fails the output once, with a clear error.
  ::close(fds[0]);
  (*output)->Write(datagram, Time());
  ASSERT_TRUE(RunUntil(io, [&] { return failures > 0; }));
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(failure.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(failure.message().find("closed by its reader"), absl::string_view::npos) << failure;
  (*output)->Write(datagram, Time());
  EXPECT_GT((*output)->stats().discarded_after_failure, 0u);
  EXPECT_FALSE((*output)->Close().ok());
}

TEST(VerifyOutputTest, WritesAJsonReport) {
  boost::asio::io_context io;  // outlives the endpoints
  const std::string path = TempPath("report.json");
  VerifyOutput verify(path);
  ASSERT_TRUE(verify.Start(io, nullptr).ok());
  std::vector<uint8_t> d(1316);
  for (uint64_t seq : {0, 1, 3, 2, 3}) {  // one reordered, one duplicate, none missing
    teststream::WriteDatagram(d, 9, seq, Time::FromNanoseconds(1'000'000));
    verify.Write(d, Time::FromNanoseconds(3'000'000));
  }
  const VerifyReport r = verify.report();
  EXPECT_EQ(r.unique, 4u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.reordered, 1u);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_NEAR(r.latency_max_ms, 2.0, 1e-9);
  ASSERT_TRUE(verify.Close().ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), r.ToJson());
  EXPECT_NE(text.str().find("\"p99_9\""), std::string::npos);
  ::unlink(path.c_str());

  VerifyOutput unwritable("/nonexistent-dir/report.json");
  EXPECT_EQ(unwritable.Close().code(), absl::StatusCode::kUnavailable);
}

TEST(FactoryTest, FilesStdioAndRefusals) {
  auto missing = MakeInput(*ParseEndpointUrl("file:///nonexistent/x.ts", Role::kInput));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("file:///nonexistent/x.ts"), absl::string_view::npos);
  auto dir = MakeInput(*ParseEndpointUrl("file:///tmp", Role::kInput));
  EXPECT_FALSE(dir.ok());
  EXPECT_TRUE(MakeInput(*ParseEndpointUrl("-", Role::kInput)).ok());
  EXPECT_TRUE(MakeOutput(*ParseEndpointUrl("-", Role::kOutput)).ok());
  EXPECT_TRUE(MakeInput(*ParseEndpointUrl("gen://?duration=1s", Role::kInput)).ok());
  EXPECT_TRUE(MakeOutput(*ParseEndpointUrl("verify", Role::kOutput)).ok());

  auto hitless_in = MakeInput(*ParseEndpointUrl("hitless://:9000", Role::kInput));
  EXPECT_EQ(hitless_in.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(hitless_in.status().message().find("session driver"), absl::string_view::npos);
  auto hitless_out = MakeOutput(*ParseEndpointUrl("hitless://1.2.3.4:9000", Role::kOutput));
  EXPECT_FALSE(hitless_out.ok());
  auto wrong_role = MakeOutput(*ParseEndpointUrl("gen://", Role::kInput));
  EXPECT_EQ(wrong_role.status().code(), absl::StatusCode::kFailedPrecondition);
  auto cannot_create = MakeOutput(*ParseEndpointUrl("file:///nonexistent/y.ts", Role::kOutput));
  EXPECT_EQ(cannot_create.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hitless::endpoints
