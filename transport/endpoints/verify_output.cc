// Implements verify_output.h.
#include "transport/endpoints/verify_output.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hitless::endpoints {

std::string VerifyReport::ToJson() const {
  return absl::StrFormat(
      "{\"received\": %d, \"unique\": %d, \"missing\": %d, \"duplicates\": %d, "
      "\"reordered\": %d, \"malformed\": %d, \"stale\": %d, \"latency_ms\": {\"min\": %.3f, "
      "\"p50\": %.3f, "
      "\"p99\": %.3f, \"p99_9\": %.3f, \"max\": %.3f, \"mean\": %.3f, \"stddev\": %.3f}}\n",
      received, unique, missing, duplicates, reordered, malformed, stale, latency_min_ms,
      latency_p50_ms, latency_p99_ms, latency_p999_ms, latency_max_ms, latency_mean_ms,
      latency_stddev_ms);
}

VerifyOutput::VerifyOutput(std::string report_path) : report_path_(std::move(report_path)) {}

absl::Status VerifyOutput::Start(boost::asio::io_context& /*io*/, EndHandler /*on_failure*/) {
  return absl::OkStatus();
}

void VerifyOutput::Write(std::span<const uint8_t> datagram, Time now) {
  if (closed_) {
    ++stats_.discarded_after_failure;
    return;
  }
  checker_.OnDatagram(datagram, now);
  ++stats_.datagrams;
  stats_.bytes += datagram.size();
}

VerifyReport VerifyOutput::report() const {
  VerifyReport r;
  const teststream::Checker& c = checker_;
  r.received = c.received();
  r.unique = c.unique();
  r.missing = c.missing();
  r.duplicates = c.duplicates();
  r.reordered = c.reordered();
  r.malformed = c.malformed();
  r.stale = c.stale();
  if (c.unique() > 0) {
    r.latency_min_ms = c.min_delay().ToMillisecondsF();
    r.latency_p50_ms = c.delay_percentile(0.5).ToMillisecondsF();
    r.latency_p99_ms = c.delay_percentile(0.99).ToMillisecondsF();
    r.latency_p999_ms = c.delay_percentile(0.999).ToMillisecondsF();
    r.latency_max_ms = c.max_delay().ToMillisecondsF();
    r.latency_mean_ms = c.mean_delay_ms();
    r.latency_stddev_ms = c.stddev_delay_ms();
  }
  return r;
}

absl::Status VerifyOutput::Close() {
  if (closed_) return close_status_;
  closed_ = true;
  if (report_path_.empty()) return close_status_;
  const std::string json = report().ToJson();
  std::FILE* file = std::fopen(report_path_.c_str(), "we");
  const bool ok = file != nullptr && std::fwrite(json.data(), 1, json.size(), file) == json.size();
  const bool closed_ok = file != nullptr && std::fclose(file) == 0;
  if (!ok || !closed_ok) {
    ++stats_.errors;
    close_status_ =
        absl::UnavailableError(absl::StrCat("verify: cannot write the report to ", report_path_));
  }
  return close_status_;
}

std::string VerifyOutput::Describe() const {
  return report_path_.empty() ? "verify" : absl::StrCat("verify://?report=", report_path_);
}

}  // namespace hitless::endpoints
