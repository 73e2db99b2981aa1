// Emulator statistics: counters kept by the event loop, the live status line
// and the JSON summary written at exit.
//
// Plain data and pure formatting functions (no I/O except
// WriteFileAtomically); the Emulator owns the counters and the timer that
// prints the status line.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "netem-scenarios/emulator/config.h"
#include "netem-scenarios/emulator/flow_table.h"
#include "netem-scenarios/model/link.h"
#include "transport/base/time.h"
#include "transport/io/batch_io.h"

namespace hitless::netem {

enum Direction : int { kForward = 0, kReverse = 1, kDirectionCount = 2 };
const char* DirectionName(Direction d);

// What the event loop counts around one direction's Link.
struct DirectionCounters {
  uint64_t received = 0;  // datagrams read and offered to the link
  uint64_t bytes_received = 0;
  uint64_t sent = 0;  // datagrams the kernel accepted
  uint64_t bytes_sent = 0;
  uint64_t oversized = 0;       // larger than the receive buffer: dropped
  uint64_t no_flow = 0;         // due after their flow expired: dropped
  uint64_t receive_errors = 0;  // recvmmsg errors (e.g. ECONNREFUSED)
  io::SendErrorCounters send_errors;
};

struct EmulatorSnapshot {
  LinkStats link[kDirectionCount];
  DirectionCounters io[kDirectionCount];
  FlowTable::Counters flows;
  uint64_t active_flows = 0;
  uint64_t upstream_open_failures = 0;
  Duration runtime;
};

// One status line (no newline): per direction forwarded packets and Mbit/s
// over `elapsed` since `previous`, drops by reason, duplicated, corrupted,
// reordered, in flight; then flows.
std::string FormatStatusLine(const EmulatorSnapshot& current, const EmulatorSnapshot& previous,
                             Duration elapsed);

// The JSON summary: config, per-direction link and I/O counters (every drop
// reason and send error class named), flows, runtime.
std::string FormatStatsJson(const EmulatorConfig& config, const EmulatorSnapshot& snapshot);

// Writes `contents` to `path` via a temporary file in the same directory and
// rename(2), so a reader never sees a partial file. Errors name the path.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

}  // namespace hitless::netem
