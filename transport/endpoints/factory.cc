// Implements factory.h.
#include "transport/endpoints/factory.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "transport/endpoints/file_input.h"
#include "transport/endpoints/file_output.h"
#include "transport/endpoints/gen_input.h"
#include "transport/endpoints/query.h"
#include "transport/endpoints/srt_endpoint.h"
#include "transport/endpoints/udp_input.h"
#include "transport/endpoints/udp_output.h"
#include "transport/endpoints/verify_output.h"

namespace hitless::endpoints {
namespace {

// Prefixes a builder's error with the URL, keeping its code.
absl::Status InUrl(const EndpointSpec& spec, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("endpoint URL \"", QuoteForMessage(spec.url),
                                                  "\": ", status.message()));
}

absl::Status NotHere(const EndpointSpec& spec, const char* why) {
  return absl::InvalidArgumentError(
      absl::StrCat("endpoint URL \"", QuoteForMessage(spec.url), "\": ", why));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MediaInput>> MakeInput(const EndpointSpec& spec,
                                                      const InputTuning& tuning) {
  if (spec.role != Role::kInput) {
    return absl::FailedPreconditionError(
        absl::StrCat("endpoint URL \"", QuoteForMessage(spec.url), "\" was parsed as an output"));
  }
  if (const auto* udp = spec.As<UdpSpec>()) {
    auto options = UdpInput::OptionsFromSpec(*udp);
    if (!options.ok()) return InUrl(spec, options.status());
    options->max_hold = std::max(tuning.max_hold, options->hold);
    return std::unique_ptr<MediaInput>(std::make_unique<UdpInput>(*std::move(options)));
  }
  if (const auto* file = spec.As<FileSpec>()) {
    auto input = FileInput::OpenPath(
        file->path, {.datagram_size = kTsDatagramSize, .rate_bps = file->rate_bps});
    if (!input.ok()) return InUrl(spec, input.status());
    return std::unique_ptr<MediaInput>(*std::move(input));
  }
  if (spec.As<StdioSpec>()) {
    auto input = FileInput::OpenFd(STDIN_FILENO, "stdin", {});
    if (!input.ok()) return InUrl(spec, input.status());
    return std::unique_ptr<MediaInput>(*std::move(input));
  }
  if (const auto* gen = spec.As<GenSpec>()) {
    return std::unique_ptr<MediaInput>(std::make_unique<GenInput>(*gen));
  }
  if (const auto* srt = spec.As<SrtSpec>()) {
    auto input = SrtInput::Create(*srt, spec.url);
    if (!input.ok()) return InUrl(spec, input.status());
    return std::unique_ptr<MediaInput>(*std::move(input));
  }
  if (spec.As<HitlessSpec>()) {
    return NotHere(spec, "hitless:// is served by the session driver, not by MakeInput");
  }
  return NotHere(spec, "verify is a sink: it cannot be an input");
}

absl::StatusOr<std::unique_ptr<MediaOutput>> MakeOutput(const EndpointSpec& spec) {
  if (spec.role != Role::kOutput) {
    return absl::FailedPreconditionError(
        absl::StrCat("endpoint URL \"", QuoteForMessage(spec.url), "\" was parsed as an input"));
  }
  if (const auto* udp = spec.As<UdpSpec>()) {
    auto options = UdpOutput::OptionsFromSpec(*udp);
    if (!options.ok()) return InUrl(spec, options.status());
    return std::unique_ptr<MediaOutput>(std::make_unique<UdpOutput>(*std::move(options)));
  }
  if (const auto* file = spec.As<FileSpec>()) {
    auto output = FileOutput::OpenPath(file->path);
    if (!output.ok()) return InUrl(spec, output.status());
    return std::unique_ptr<MediaOutput>(*std::move(output));
  }
  if (spec.As<StdioSpec>()) {
    auto output = FileOutput::OpenFd(STDOUT_FILENO, "stdout");
    if (!output.ok()) return InUrl(spec, output.status());
    return std::unique_ptr<MediaOutput>(*std::move(output));
  }
  if (const auto* srt = spec.As<SrtSpec>()) {
    auto output = SrtOutput::Create(*srt, spec.url);
    if (!output.ok()) return InUrl(spec, output.status());
    return std::unique_ptr<MediaOutput>(*std::move(output));
  }
  if (const auto* verify = spec.As<VerifySpec>()) {
    return std::unique_ptr<MediaOutput>(std::make_unique<VerifyOutput>(verify->report_path));
  }
  if (spec.As<HitlessSpec>()) {
    return NotHere(spec, "hitless:// is served by the session driver, not by MakeOutput");
  }
  return NotHere(spec, "gen:// is a source: it cannot be an output");
}

}  // namespace hitless::endpoints
