// Implements stats.h.
#include "netem-scenarios/emulator/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "netem-scenarios/model/spec.h"

namespace hitless::netem {
namespace {

constexpr ImpairmentDrop kDrops[] = {ImpairmentDrop::kLoss, ImpairmentDrop::kOutage,
                                     ImpairmentDrop::kQueueFull};

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

void AppendDirection(std::string& out, const LinkStats& link, const DirectionCounters& io) {
  absl::StrAppend(&out, "{\"received\": ", io.received, ", \"bytes_received\": ", io.bytes_received,
                  ", \"enqueued\": ", link.enqueued, ", \"delivered\": ", link.delivered,
                  ", \"sent\": ", io.sent, ", \"bytes_sent\": ", io.bytes_sent, ", \"dropped\": {");
  for (size_t i = 0; i < std::size(kDrops); ++i) {
    absl::StrAppend(&out, i ? ", " : "", "\"", ImpairmentDropName(kDrops[i]),
                    "\": ", link.Dropped(kDrops[i]));
  }
  absl::StrAppend(&out, "}, \"dropped_total\": ", link.DroppedTotal(),
                  ", \"duplicated\": ", link.duplicated, ", \"corrupted\": ", link.corrupted,
                  ", \"reordered\": ", link.reordered, ", \"in_flight\": ", link.in_flight,
                  ", \"oversized\": ", io.oversized, ", \"no_flow\": ", io.no_flow,
                  ", \"receive_errors\": ", io.receive_errors, ", \"send_errors\": {");
  for (size_t i = 0; i < static_cast<size_t>(io::SendErrorClass::kCount); ++i) {
    const auto c = static_cast<io::SendErrorClass>(i);
    absl::StrAppend(&out, i ? ", " : "", "\"", io::SendErrorClassName(c),
                    "\": ", io.send_errors.Get(c));
  }
  absl::StrAppend(&out, "}, \"send_errors_total\": ", io.send_errors.Total(), "}");
}

}  // namespace

const char* DirectionName(Direction d) { return d == kForward ? "forward" : "reverse"; }

std::string FormatStatusLine(const EmulatorSnapshot& current, const EmulatorSnapshot& previous,
                             Duration elapsed) {
  std::string line;
  const double seconds = elapsed.ToSecondsF() > 0 ? elapsed.ToSecondsF() : 1.0;
  for (int d = 0; d < kDirectionCount; ++d) {
    const LinkStats& link = current.link[d];
    const DirectionCounters& io = current.io[d];
    const double mbps =
        static_cast<double>(io.bytes_sent - previous.io[d].bytes_sent) * 8 / seconds / 1e6;
    absl::StrAppendFormat(&line, "%s%s %d pkt %.2f Mbit/s drop", d ? " | " : "",
                          d == kForward ? "fwd" : "rev", io.sent, mbps);
    for (ImpairmentDrop drop : kDrops) {
      absl::StrAppend(&line, " ", ImpairmentDropName(drop), "=", link.Dropped(drop));
    }
    absl::StrAppend(&line, " dup=", link.duplicated, " corrupt=", link.corrupted,
                    " reorder=", link.reordered, " inflight=", link.in_flight);
    if (io.send_errors.Total() > 0) absl::StrAppend(&line, " senderr=", io.send_errors.Total());
    if (io.oversized > 0) absl::StrAppend(&line, " oversized=", io.oversized);
  }
  absl::StrAppend(&line, " | flows ", current.active_flows);
  if (current.flows.refused > 0) absl::StrAppend(&line, " refused=", current.flows.refused);
  return line;
}

std::string FormatStatsJson(const EmulatorConfig& config, const EmulatorSnapshot& snapshot) {
  std::string out = "{\n  \"config\": {";
  absl::StrAppend(&out, "\"listen\": ", JsonString(io::FormatEndpoint(config.listen)),
                  ", \"target\": ", JsonString(io::FormatEndpoint(config.target)),
                  ", \"scenario\": ", JsonString(config.scenario_name),
                  ", \"forward_netem\": ", JsonString(FormatNetemSpec(config.forward.params)),
                  ", \"reverse_netem\": ", JsonString(FormatNetemSpec(config.reverse.params)),
                  ", \"forward_timeline_events\": ", config.forward.timeline.size(),
                  ", \"reverse_timeline_events\": ", config.reverse.timeline.size(),
                  ", \"seed\": ", config.seed, ", \"reverse_seed\": ", ReverseSeed(config.seed),
                  ", \"max_flows\": ", config.max_flows,
                  ", \"idle_timeout_s\": ", config.idle_timeout.ToSecondsF(), "},\n");
  for (int d = 0; d < kDirectionCount; ++d) {
    absl::StrAppend(&out, "  \"", DirectionName(static_cast<Direction>(d)), "\": ");
    AppendDirection(out, snapshot.link[d], snapshot.io[d]);
    out += ",\n";
  }
  absl::StrAppend(&out, "  \"flows\": {\"opened\": ", snapshot.flows.opened,
                  ", \"expired\": ", snapshot.flows.expired,
                  ", \"refused\": ", snapshot.flows.refused,
                  ", \"active\": ", snapshot.active_flows,
                  ", \"upstream_open_failures\": ", snapshot.upstream_open_failures, "},\n");
  absl::StrAppendFormat(&out, "  \"runtime_s\": %.3f\n}\n", snapshot.runtime.ToSecondsF());
  return out;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string temp = absl::StrCat(path, ".tmp.", getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", temp, ": ", strerror(errno)));
  }
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      unlink(temp.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", strerror(error)));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace hitless::netem
