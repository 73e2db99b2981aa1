// Multipath with real processes over loopback UDP: hitless-send calls one
// hitless-recv over two hitless-netem instances (path 0 fast, path 1 slow),
// and the test kills path 0's emulator mid-stream (a total outage of that
// path). Checks the command line (paths=, multipath=, several destination
// URLs), the stats JSON of both ends, and that nothing is lost. Every
// process is stopped by PID (Process's destructor too, on a failed ASSERT).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/netem_harness.h"

namespace hitless::testing {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + name + "." + std::to_string(getpid()) + ".json";
}

// `key` of the entry {"id": `id`, ...} of the top-level "paths" array, or NaN.
double PathNumber(const std::string& json, int id, const std::string& key) {
  const size_t paths = json.find("\"paths\": [");
  if (paths == std::string::npos) return std::nan("");
  const size_t entry = json.find("{\"id\": " + std::to_string(id) + ",", paths);
  if (entry == std::string::npos) return std::nan("");
  const size_t end = json.find('}', entry);
  const double value = JsonNumber(json, key, entry);
  return json.find("\"" + key + "\": ", entry) < end ? value : std::nan("");
}

// A strict enough JSON syntax check (RFC 8259 values, no extensions), so a
// stats file that a script's json.load or jq would reject fails here.
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& text) : s_(text) {}
  bool Valid() {
    if (!Value()) return false;
    Space();
    return i_ == s_.size();
  }

 private:
  void Space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Literal(const char* word) {
    const std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  bool String() {
    if (s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      const unsigned char ch = static_cast<unsigned char>(s_[i_]);
      if (ch < 0x20) return false;
      if (ch == '\\') {
        ++i_;
      } else if (ch == '"') {
        ++i_;
        return true;
      }
    }
    return false;
  }
  bool Number() {
    const size_t start = i_;
    if (s_[i_] == '-') ++i_;
    const size_t digits = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ == digits) return false;
    if (s_[digits] == '0' && i_ - digits > 1) return false;  // no leading zeros
    if (i_ < s_.size() && s_[i_] == '.') {
      const size_t frac = ++i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == frac) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      const size_t exp = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == exp) return false;
    }
    return i_ > start;
  }
  bool Value() {
    Space();
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{':
        return Container('}', true);
      case '[':
        return Container(']', false);
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }
  bool Container(char close, bool object) {
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == close) {
      ++i_;
      return true;
    }
    while (true) {
      if (object) {
        Space();
        if (i_ >= s_.size() || !String()) return false;
        Space();
        if (i_ >= s_.size() || s_[i_++] != ':') return false;
      }
      if (!Value()) return false;
      Space();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == close) {
        ++i_;
        return true;
      }
      if (s_[i_++] != ',') return false;
    }
  }

  const std::string& s_;
  size_t i_ = 0;
};

bool ValidJson(const std::string& text) { return JsonChecker(text).Valid(); }

struct RunResult {
  std::string verify;
  std::string sender;    // stats JSON
  std::string receiver;  // stats JSON
  std::string send_log;  // hitless-send's stderr (status lines)
};

struct RunOptions {
  std::string mode;  // multipath=
  // Path 1 as a second hitless:// URL instead of paths=.
  bool second_url = false;
  // SIGKILL path 0's emulator this long into the stream (0: never).
  Millis kill_path0_after = Millis(0);
  // Path 0's emulator is dead before hitless-send starts.
  bool path0_dead_at_start = false;
  std::string duration = "8s";
};

// gen (10 Mbit/s) -> hitless-send -> netem A (20 ms each way) = path 0
//                                 -> netem B (60 ms each way) = path 1
//   -> hitless-recv -> verify, latency 500 ms.
RunResult RunTwoPaths(const RunOptions& run) {
  RunResult result;
  const std::string report = TempPath("mp-verify");
  const std::string recv_stats = TempPath("mp-recv-stats");
  const std::string send_stats = TempPath("mp-send-stats");
  std::string error;
  Process recv;
  const auto recv_port = StartEmulator(recv, HITLESS_RECV_BINARY,
                                       {"hitless://127.0.0.1:0?mode=listener&latency=500ms",
                                        "verify://?report=" + report, "--stats-json", recv_stats},
                                       &error);
  EXPECT_TRUE(recv_port) << error;
  if (!recv_port) return result;
  const std::string forward = "127.0.0.1:" + std::to_string(*recv_port);
  Process netem_a;
  const auto port_a = StartEmulator(
      netem_a, HITLESS_NETEM_BINARY,
      {"--listen", "127.0.0.1:0", "--forward", forward, "--delay", "20ms", "--quiet"}, &error);
  EXPECT_TRUE(port_a) << error;
  if (!port_a) return result;
  Process netem_b;
  const auto port_b = StartEmulator(
      netem_b, HITLESS_NETEM_BINARY,
      {"--listen", "127.0.0.1:0", "--forward", forward, "--delay", "60ms", "--quiet"}, &error);
  EXPECT_TRUE(port_b) << error;
  if (!port_b) return result;

  const std::string path_b = "127.0.0.1:" + std::to_string(*port_b);
  std::vector<std::string> argv = {
      HITLESS_SEND_BINARY, "gen://?bitrate=10M&duration=" + run.duration,
      "hitless://127.0.0.1:" + std::to_string(*port_a) + "?latency=500ms&multipath=" + run.mode +
          (run.second_url ? "" : "&paths=" + path_b)};
  if (run.second_url) argv.push_back("hitless://" + path_b);
  for (const char* flag : {"--stats-json", send_stats.c_str(), "--status-interval", "500ms"}) {
    argv.push_back(flag);
  }
  if (run.path0_dead_at_start) {
    EXPECT_EQ(kill(netem_a.pid(), SIGKILL), 0);
    EXPECT_EQ(netem_a.Wait(Millis(5000)), 128 + SIGKILL);
  }
  Process send;
  EXPECT_TRUE(send.Start(argv, &error)) << error;
  const int64_t started_ns = MonotonicNs();
  if (run.kill_path0_after > Millis(0)) {
    // The sender must still be streaming when path 0 dies.
    EXPECT_FALSE(send.Wait(run.kill_path0_after)) << send.ReadStderr();
    const int64_t killed_ns = MonotonicNs();
    EXPECT_EQ(kill(netem_a.pid(), SIGKILL), 0);
    EXPECT_EQ(netem_a.Wait(Millis(5000)), 128 + SIGKILL);
    std::printf("path 0 (netem A, pid %d) killed %.3f s after hitless-send started\n",
                static_cast<int>(netem_a.pid()), static_cast<double>(killed_ns - started_ns) / 1e9);
  }
  // The sender ends by itself: the stream plus the drain window.
  const auto send_exit = send.Wait(Millis(20000));
  result.send_log = send.ReadStderr();
  EXPECT_TRUE(send_exit) << "hitless-send did not finish; stderr: " << result.send_log;
  EXPECT_EQ(send_exit, 0) << result.send_log;
  EXPECT_EQ(recv.Stop(Millis(5000)), 0) << recv.ReadStderr();
  if (run.kill_path0_after == Millis(0) && !run.path0_dead_at_start) {
    EXPECT_EQ(netem_a.Stop(Millis(5000)), 0);
  }
  EXPECT_EQ(netem_b.Stop(Millis(5000)), 0);

  result.verify = ReadFile(report);
  result.sender = ReadFile(send_stats);
  result.receiver = ReadFile(recv_stats);
  std::printf("verify: %s", result.verify.c_str());
  EXPECT_FALSE(result.verify.empty()) << "no verify report";
  EXPECT_TRUE(ValidJson(result.sender)) << result.sender;
  EXPECT_TRUE(ValidJson(result.receiver)) << result.receiver;
  std::remove(report.c_str());
  std::remove(recv_stats.c_str());
  std::remove(send_stats.c_str());
  return result;
}

// The sender's "multipath" member (for the log).
std::string MultipathSection(const std::string& sender) {
  const size_t at = sender.find(" \"multipath\": ");
  if (at == std::string::npos) return "(none)";
  const size_t end = sender.find("\n \"", sender.find("\"paths\": [", at));
  return sender.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// Nothing missing or duplicated at the output, and the receiver heard both
// paths.
void ExpectCleanStream(const RunResult& r, double seconds) {
  EXPECT_EQ(JsonNumber(r.verify, "missing"), 0) << r.verify;
  EXPECT_EQ(JsonNumber(r.verify, "duplicates"), 0) << r.verify;
  EXPECT_NEAR(JsonNumber(r.verify, "unique"), seconds * 10e6 / (1316 * 8), 2) << r.verify;
  EXPECT_EQ(JsonNumber(r.receiver, "lost_at_deadline"), 0) << r.receiver;
  EXPECT_GT(PathNumber(r.receiver, 0, "data_packets"), 0) << r.receiver;
  EXPECT_GT(PathNumber(r.receiver, 1, "packets"), 0) << r.receiver;
  EXPECT_EQ(JsonNumber(r.sender, "path_count"), 2) << r.sender;
  // The status line shows every path.
  EXPECT_NE(r.send_log.find("| p1 "), std::string::npos) << r.send_log;
}

// Backup: media on path 0 until its emulator dies, then a failover to path
// 1 well within the 500 ms budget; ARQ over path 1 repairs the packets that
// died with path 0.
TEST(MultipathIntegration, BackupFailsOverWhenPathZeroDies) {
  const RunResult r = RunTwoPaths({.mode = "backup", .kill_path0_after = Millis(3000)});
  ASSERT_FALSE(r.sender.empty());
  std::printf("sender multipath:\n%s\n", MultipathSection(r.sender).c_str());
  ExpectCleanStream(r, 8);
  EXPECT_GE(JsonNumber(r.sender, "failovers"), 1) << r.sender;
  const double failover_ms = JsonNumber(r.sender, "failover_ms");
  std::printf("failover_ms: %.1f\n", failover_ms);
  // The real check is ExpectCleanStream (nothing lost within the 500 ms
  // budget); the failover time itself gets a margin a loaded machine keeps.
  EXPECT_LT(failover_ms, 1500) << r.sender;
  EXPECT_GT(failover_ms, 0) << r.sender;
  EXPECT_EQ(JsonNumber(r.sender, "active_path"), 1) << r.sender;
  EXPECT_GE(PathNumber(r.sender, 0, "times_down"), 1) << r.sender;
  // Both paths carried media: path 0 before the outage, path 1 after.
  EXPECT_GT(PathNumber(r.sender, 0, "data_sent"), 0) << r.sender;
  EXPECT_GT(PathNumber(r.sender, 1, "data_sent"), 0) << r.sender;
  EXPECT_NE(r.sender.find("\"state\": \"down\""), std::string::npos) << r.sender;
}

// Duplicate: every packet on both paths; losing path 0 loses nothing, and
// the receiver drops the second copies.
TEST(MultipathIntegration, DuplicateLosesNothingWhenPathZeroDies) {
  const RunResult r = RunTwoPaths({.mode = "duplicate", .kill_path0_after = Millis(3000)});
  ASSERT_FALSE(r.sender.empty());
  std::printf("sender multipath:\n%s\n", MultipathSection(r.sender).c_str());
  ExpectCleanStream(r, 8);
  std::printf("path_duplicates: %.0f\n", JsonNumber(r.receiver, "path_duplicates"));
  EXPECT_GT(JsonNumber(r.receiver, "path_duplicates"), 0) << r.receiver;
  EXPECT_GE(PathNumber(r.sender, 0, "times_down"), 1) << r.sender;
  EXPECT_GT(PathNumber(r.receiver, 1, "data_packets"), 0) << r.receiver;
}

// Several destinations: the second hitless:// URL is path 1.
TEST(MultipathIntegration, SecondDestinationUrlIsAPath) {
  const RunResult r = RunTwoPaths({.mode = "duplicate", .second_url = true, .duration = "3s"});
  ASSERT_FALSE(r.sender.empty());
  ExpectCleanStream(r, 3);
  EXPECT_NE(r.sender.find("\"mode\": \"duplicate\""), std::string::npos) << r.sender;
  EXPECT_GT(JsonNumber(r.receiver, "path_duplicates"), 0) << r.receiver;
  EXPECT_GT(PathNumber(r.receiver, 1, "data_packets"), 0) << r.receiver;
  EXPECT_EQ(PathNumber(r.sender, 0, "times_down"), 0) << r.sender;
}

}  // namespace
// Path 0 is dead before the stream starts: the handshake moves on to path 1
// (each INDUCTION retry goes on the next path), the session starts there in
// backup mode, and nothing is lost.
TEST(MultipathIntegration, HandshakeFindsTheLivePathWhenPathZeroIsDeadAtStart) {
  const RunResult r =
      RunTwoPaths({.mode = "backup", .path0_dead_at_start = true, .duration = "3s"});
  ASSERT_FALSE(r.sender.empty());
  EXPECT_EQ(JsonNumber(r.verify, "missing"), 0) << r.verify;
  EXPECT_EQ(JsonNumber(r.verify, "duplicates"), 0) << r.verify;
  EXPECT_NEAR(JsonNumber(r.verify, "unique"), 3 * 10e6 / (1316 * 8), 2) << r.verify;
  EXPECT_EQ(JsonNumber(r.sender, "active_path"), 1) << r.sender;
  // Backup starts on the path the handshake worked on: nothing is wasted on
  // the dead one.
  EXPECT_GT(PathNumber(r.sender, 1, "data_sent"), 0) << r.sender;
  EXPECT_EQ(PathNumber(r.sender, 0, "data_sent"), 0) << r.sender;
}

}  // namespace hitless::testing
