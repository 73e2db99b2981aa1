// VerifyOutput (verify as output): a sink that checks a gen:// test stream
// end to end with teststream::Checker.
//
// Latency of each datagram = `now` at Write − the send time gen:// wrote in
// it; both are CLOCK_MONOTONIC, so sender and receiver must run on one host.
// Reports loss (missing sequence numbers below the highest seen), duplicates,
// reordering, stale and malformed datagrams and latency percentiles (the
// Checker's histogram bins, upper edge). Close() writes the JSON report
// when a path was given. No timers, no descriptors until Close.
#pragma once

#include <string>

#include "netem-scenarios/teststream/test_stream.h"
#include "transport/endpoints/media.h"

namespace hitless::endpoints {

struct VerifyReport {
  uint64_t received = 0;  // datagrams written to the sink, duplicates included
  uint64_t unique = 0;
  uint64_t missing = 0;
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  uint64_t malformed = 0;  // not a test datagram of the stream (first one adopted)
  uint64_t stale = 0;      // too far below the highest to classify (Checker::stale)
  double latency_min_ms = 0;
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  double latency_p999_ms = 0;
  double latency_max_ms = 0;
  double latency_mean_ms = 0;
  double latency_stddev_ms = 0;

  std::string ToJson() const;  // one JSON object, newline-terminated
};

class VerifyOutput final : public MediaOutput {
 public:
  // `report_path` "" = no file.
  explicit VerifyOutput(std::string report_path);

  absl::Status Start(boost::asio::io_context& io, EndHandler on_failure) override;
  void Write(std::span<const uint8_t> datagram, Time now) override;
  void Flush() override {}
  // Writes the report (if a path was given). Errors: Unavailable naming the
  // report path when it cannot be written.
  absl::Status Close() override;
  OutputStats stats() const override { return stats_; }
  std::string Describe() const override;

  VerifyReport report() const;
  const teststream::Checker& checker() const { return checker_; }

 private:
  std::string report_path_;
  teststream::Checker checker_;
  bool closed_ = false;
  absl::Status close_status_;
  OutputStats stats_;
};

}  // namespace hitless::endpoints
