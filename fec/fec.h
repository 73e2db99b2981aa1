// The FEC codec interface: configuration, source/repair types, sinks, stats,
// the encoder interface and the factory. I/O-free: no sockets, threads or clock
// reads; every call that may close a block or give one up takes `now`.
//
// Design and ranges: fec/README.md. Wire layout of a repair:
// docs/wire-format.md ("FEC_REPAIR").
//
// Sequence numbers are 64-bit (already unwrapped by the session). A repair's
// 32-bit wire base is the low half of `FecRepair::base_sequence`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "transport/base/drop_reason.h"
#include "transport/base/time.h"
#include "transport/wire/data.h"
#include "transport/wire/fec_repair.h"

namespace hitless {

// One source (DATA) packet as the codec sees it. `payload` is a view.
struct FecSource {
  int64_t seq = 0;
  uint32_t timestamp = 0;
  std::span<const uint8_t> payload;  // 1..kMaxDataPayload bytes
};

// One repair packet produced by an encoder. `body` mirrors the wire fields;
// `body.payload` points into encoder-owned storage and is valid only during
// the sink call (serialize it or copy it). `base_sequence` is the 64-bit base;
// body.base_sequence holds its low 32 bits.
struct FecRepair {
  FecRepairBody body;
  int64_t base_sequence = 0;
};

class FecRepairSink {
 public:
  virtual ~FecRepairSink() = default;
  virtual void OnRepair(const FecRepair& repair) = 0;
};

class FecDecoderSink {
 public:
  virtual ~FecDecoderSink() = default;
  // A lost source rebuilt (exactly once per seq). `packet.payload` is valid
  // only during the call.
  virtual void OnRecovered(const FecSource& packet) = 0;
  // A block was given up (Expire, timeout, eviction) and this source of it was
  // neither received nor recovered. Reported at most once per seq.
  virtual void OnUnrecoverable(int64_t seq) = 0;
};

enum class FecCodec : uint8_t {
  kXorRow,       // one repair per row of L consecutive sources
  kXorColumn,    // L repairs per L x D matrix, column c = sources c, c+L, ...
  kXor2D,        // both (SMPTE 2022-1 two-dimensional)
  kReedSolomon,  // k sources, m repairs (Cauchy, GF(2^8), ISA-L)
};

// Accepted ranges (Validate) and why: fec/README.md "Parameters".
inline constexpr int kMaxXorColumns = 255;  // L: wire stride and row k are 8-bit / <= 255
inline constexpr int kMaxXorRows = 255;     // D: column k <= 255
inline constexpr int kMaxBlockSpan = 1024;  // L*D, k*interleave: latency and memory
inline constexpr int kMaxInterleave = 255;  // wire stride is 8-bit

struct FecEncoderConfig {
  FecCodec mode = FecCodec::kReedSolomon;
  int columns = 10;    // XOR: L
  int rows = 10;       // XOR: D (ignored for kXorRow)
  int k = 20;          // RS: sources per block
  int m = 4;           // RS: repairs per block, 1 <= m <= k, k + m <= 255
  int interleave = 1;  // RS: I blocks filled round-robin (stride I on the wire)
  // A block (XOR: the row or matrix; RS: the interleave group) is closed this
  // long after its first source even if not full, so FEC never holds repair
  // protection back longer than this. Infinite: close only when full/Flush.
  Duration max_block_delay = Duration::Milliseconds(20);
};

// Ok, or InvalidArgument naming the field out of range.
[[nodiscard]] absl::Status ValidateFecEncoderConfig(const FecEncoderConfig& config);

struct FecEncoderStats {
  uint64_t sources = 0;         // sources consumed
  uint64_t blocks = 0;          // blocks closed with repairs (XOR: rows + columns)
  uint64_t partial_blocks = 0;  // of which closed short (timer, gap, Flush)
  uint64_t repairs = 0;         // repair packets emitted
  uint64_t repair_bytes = 0;    // repair payload bytes emitted
  uint64_t rejected = 0;        // sources with an empty or oversized payload
};

// Encoder: feed every source in sequence order; repairs come out through the
// sink as soon as their block closes. A sequence gap (seq != previous + 1)
// closes the open block(s) first.
class FecEncoder {
 public:
  virtual ~FecEncoder() = default;
  // Consumes one source. A payload of 0 or > kMaxDataPayload bytes is not
  // coded (stats().rejected) and returns false.
  virtual bool OnSource(const FecSource& source, Time now, FecRepairSink& sink) = 0;
  // When the open block must be closed; nullopt if none is open.
  virtual std::optional<Time> NextWakeup() const = 0;
  // Closes the open block if its deadline is <= now.
  virtual void OnTimer(Time now, FecRepairSink& sink) = 0;
  // Closes the open block now (end of stream, parameter change).
  virtual void Flush(FecRepairSink& sink) = 0;
  virtual const FecEncoderStats& stats() const = 0;
};

// Errors: InvalidArgument from ValidateFecEncoderConfig.
[[nodiscard]] absl::StatusOr<std::unique_ptr<FecEncoder>> CreateFecEncoder(
    const FecEncoderConfig& config);

}  // namespace hitless
