// Implements config.h: flag declarations, help text and the composition rule.
#include "netem-scenarios/emulator/config.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "netem-scenarios/model/scenario.h"
#include "netem-scenarios/model/spec.h"
#include "transport/apps/flags.h"
#include "transport/base/status_macros.h"

namespace hitless::netem {
namespace {

constexpr char kSummary[] =
    "hitless-netem --listen HOST:PORT --forward HOST:PORT [impairments] [options]\n\n"
    "Userspace UDP impairment emulator (tc netem vocabulary). Every datagram received\n"
    "on --listen is impaired and sent to --forward; each client source address gets its\n"
    "own upstream socket, so replies from the target are impaired and relayed back to\n"
    "that client (bidirectional protocols such as SRT, RIST and Hitless work through it).";

constexpr char kEpilogue[] =
    "Composition rule (later wins, keyword by keyword):\n"
    "  1. --scenario FILE: forward/reverse parameters, timelines and seed;\n"
    "  2. --netem SPEC, applied to both directions;\n"
    "  3. the single-value flags (--loss ... --limit), applied to both directions;\n"
    "  4. --fwd SPEC / --rev SPEC, applied to one direction;\n"
    "  5. --seed replaces the scenario's seed.\n"
    "A SPEC only changes the keywords it mentions. Steps 2-4 are also applied to the\n"
    "parameters of every scenario timeline event ('netem = ...' changes), so a flag\n"
    "holds for the whole run; outages in the timeline stay as written.\n"
    "'forward' is client -> target, 'reverse' is target -> client. The forward link\n"
    "is seeded with --seed, the reverse link with a value derived from it.\n\n"
    "Output: one line 'listening IP:PORT' on stdout once bound (use --listen\n"
    "127.0.0.1:0 for an ephemeral port); a status line on stderr every\n"
    "--status-interval; --stats-json FILE written at exit (SIGINT/SIGTERM).\n"
    "Exit codes: 0 after a signal, 1 on a runtime error (e.g. bind), 2 on bad usage.\n\n"
    "Examples:\n"
    "  hitless-netem --listen 127.0.0.1:7000 --forward 127.0.0.1:7001 --loss 5% --delay 30ms\n"
    "  hitless-netem --listen 0.0.0.0:7000 --forward 10.0.0.2:7000 \\\n"
    "      --netem \"delay 40ms 5ms distribution normal loss gemodel 1% 10% 70% 0.1%\"\n"
    "  hitless-netem --listen 127.0.0.1:0 --forward 127.0.0.1:9000 --fwd \"rate 10mbit limit 500\" "
    "\\\n"
    "      --rev \"delay 5ms\" --seed 42 --stats-json /tmp/netem.json --quiet\n"
    "  hitless-netem --listen 127.0.0.1:7000 --forward 127.0.0.1:7001 \\\n"
    "      --scenario netem-scenarios/lossy-5.toml --loss 10%\n";

// Debian's abseil has its own absl::string_view; StrCat needs that type.
absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

void Declare(cli::FlagParser& flags) {
  flags.AddValue("listen", "HOST:PORT", "address to receive client datagrams on (port 0: any)");
  flags.AddValue("forward", "HOST:PORT", "target every client datagram is forwarded to");
  flags.AddValue("scenario", "FILE.toml", "scenario file: both directions, timeline, seed");
  flags.AddValue("netem", "SPEC", "tc netem spec for both directions, e.g. \"delay 30ms loss 5%\"");
  flags.AddValue("fwd", "SPEC", "tc netem spec for the forward direction only");
  flags.AddValue("rev", "SPEC", "tc netem spec for the reverse direction only");
  flags.AddValue("loss", "LOSS",
                 "loss: \"5%\", \"random 5% 25%\" (with correlation) or\n"
                 "\"gemodel p [r [1-h [1-k]]]\" (Gilbert-Elliott)");
  flags.AddValue("delay", "TIME", "one-way delay, e.g. 30ms, 1.5s, 200us");
  flags.AddValue("jitter", "TIME", "delay variation, e.g. 5ms");
  flags.AddValue("distribution", "NAME",
                 "jitter distribution: uniform, normal, pareto, paretonormal");
  flags.AddValue("reorder", "PCT [CORR]", "send PCT of packets without delay, e.g. \"25% 50%\"");
  flags.AddValue("duplicate", "PCT", "duplicate packets, e.g. 1%");
  flags.AddValue("corrupt", "PCT", "flip one random bit, e.g. 0.1%");
  flags.AddValue("rate", "RATE", "bottleneck rate, e.g. 10mbit, 1gbit, 500kbps");
  flags.AddValue("limit", "PACKETS", "bottleneck queue limit in packets", "1000");
  flags.AddValue("seed", "N", "seed of the random choices", "1, or the scenario's");
  flags.AddValue("stats-json", "FILE", "write a JSON summary at exit (atomically)");
  flags.AddValue("status-interval", "DURATION", "status line period, e.g. 1s, 500ms", "1s");
  flags.AddSwitch("quiet", "no status line");
  flags.AddValue("max-flows", "N", "most concurrent client flows; more are refused", "64");
  flags.AddValue("idle-timeout", "DURATION", "a flow idle this long is closed", "60s");
  flags.AddValue("socket-buffer", "BYTES", "SO_RCVBUF/SO_SNDBUF request per socket", "8388608");
}

absl::Status Prefixed(std::string_view flag, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("--", Sv(flag), ": ", status.message()));
}

// Applies one spec to a direction's base parameters and to every timeline
// parameter change.
absl::Status ApplySpec(std::string_view flag, std::string_view spec, DirectionConfig& config) {
  auto params = ParseNetemSpec(spec, config.params);
  if (!params.ok()) return Prefixed(flag, params.status());
  config.params = *std::move(params);
  for (TimelineEvent& event : config.timeline) {
    if (event.kind != TimelineEvent::Kind::kSetParams) continue;
    auto changed = ParseNetemSpec(spec, event.params);
    if (!changed.ok()) return Prefixed(flag, changed.status());
    event.params = *std::move(changed);
  }
  return absl::OkStatus();
}

// The single-value flags as (flag, spec) pairs, in a fixed order. Delay,
// jitter and distribution are merged into one "delay" keyword so that, e.g.,
// --jitter alone keeps the delay already configured.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SingleValueSpecs(
    const cli::FlagParser& flags) {
  std::vector<std::pair<std::string, std::string>> specs;
  for (const char* name : {"loss", "reorder", "duplicate", "corrupt", "rate", "limit"}) {
    if (auto value = flags.GetString(name)) {
      if (absl::StripAsciiWhitespace(*value).empty()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, ": empty value"));
      }
      specs.emplace_back(name, absl::StrCat(name, " ", *value));
    }
  }
  return specs;
}

absl::Status ApplyDelayFlags(const cli::FlagParser& flags, DirectionConfig& config) {
  auto apply = [&](ImpairmentParams& params) -> absl::Status {
    if (auto text = flags.GetString("delay")) {
      auto d = ParseNetemDuration(*text);
      if (!d.ok()) return Prefixed("delay", d.status());
      params.delay.delay = *d;
    }
    if (auto text = flags.GetString("jitter")) {
      auto d = ParseNetemDuration(*text);
      if (!d.ok()) return Prefixed("jitter", d.status());
      params.delay.jitter = *d;
    }
    if (auto text = flags.GetString("distribution")) {
      const std::string name = absl::AsciiStrToLower(*text);
      if (name == "uniform") {
        params.delay.distribution = DelayDistribution::kUniform;
      } else if (name == "normal") {
        params.delay.distribution = DelayDistribution::kNormal;
      } else if (name == "pareto") {
        params.delay.distribution = DelayDistribution::kPareto;
      } else if (name == "paretonormal") {
        params.delay.distribution = DelayDistribution::kParetoNormal;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--distribution: unknown distribution '", *text,
                         "' (expected uniform, normal, pareto or paretonormal)"));
      }
    }
    if (params.delay.delay < Duration::Zero() || params.delay.jitter < Duration::Zero()) {
      return absl::InvalidArgumentError("--delay/--jitter: must not be negative");
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(apply(config.params));
  for (TimelineEvent& event : config.timeline) {
    if (event.kind == TimelineEvent::Kind::kSetParams) RETURN_IF_ERROR(apply(event.params));
  }
  return absl::OkStatus();
}

absl::StatusOr<io::UdpEndpoint> RequiredEndpoint(const cli::FlagParser& flags,
                                                 std::string_view name) {
  const std::optional<std::string> text = flags.GetString(name);
  if (!text.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("--", Sv(name), " HOST:PORT is required"));
  }
  auto endpoint = io::ParseEndpoint(*text);
  if (!endpoint.ok()) return Prefixed(name, endpoint.status());
  return *endpoint;
}

}  // namespace

uint64_t ReverseSeed(uint64_t seed) { return seed ^ 0x9e3779b97f4a7c15ULL; }

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  cli::FlagParser flags("hitless-netem", kSummary, kEpilogue);
  Declare(flags);
  RETURN_IF_ERROR(flags.Parse(args));
  CommandLine result;
  if (flags.help_requested()) {
    result.help = true;
    result.help_text = flags.HelpText();
    return result;
  }
  EmulatorConfig& config = result.config;
  ASSIGN_OR_RETURN(config.listen, RequiredEndpoint(flags, "listen"));
  ASSIGN_OR_RETURN(config.target, RequiredEndpoint(flags, "forward"));
  if (config.target.port() == 0) {
    return absl::InvalidArgumentError("--forward: port 0 is not a valid target");
  }
  if (config.listen.protocol() != config.target.protocol()) {
    return absl::InvalidArgumentError("--listen and --forward must both be IPv4 or both IPv6");
  }

  if (auto path = flags.GetString("scenario")) {
    auto scenario = LoadScenarioFile(*path);
    if (!scenario.ok()) return Prefixed("scenario", scenario.status());
    config.forward = std::move(scenario->forward);
    config.reverse = std::move(scenario->reverse);
    config.seed = scenario->seed;
    config.scenario_name = std::move(scenario->name);
  }
  if (auto spec = flags.GetString("netem")) {
    RETURN_IF_ERROR(ApplySpec("netem", *spec, config.forward));
    RETURN_IF_ERROR(ApplySpec("netem", *spec, config.reverse));
  }
  ASSIGN_OR_RETURN(const auto single_specs, SingleValueSpecs(flags));
  for (const auto& [flag, spec] : single_specs) {
    RETURN_IF_ERROR(ApplySpec(flag, spec, config.forward));
    RETURN_IF_ERROR(ApplySpec(flag, spec, config.reverse));
  }
  RETURN_IF_ERROR(ApplyDelayFlags(flags, config.forward));
  RETURN_IF_ERROR(ApplyDelayFlags(flags, config.reverse));
  if (auto spec = flags.GetString("fwd")) RETURN_IF_ERROR(ApplySpec("fwd", *spec, config.forward));
  if (auto spec = flags.GetString("rev")) RETURN_IF_ERROR(ApplySpec("rev", *spec, config.reverse));

  ASSIGN_OR_RETURN(const auto seed, flags.GetUint("seed"));
  if (seed.has_value()) config.seed = *seed;
  if (auto path = flags.GetString("stats-json")) {
    if (path->empty()) return absl::InvalidArgumentError("--stats-json: empty path");
    config.stats_json_path = *path;
  }
  ASSIGN_OR_RETURN(const auto interval, flags.GetDuration("status-interval"));
  if (interval.has_value()) config.status_interval = *interval;
  config.quiet = flags.GetSwitch("quiet");
  ASSIGN_OR_RETURN(const auto max_flows, flags.GetInt("max-flows", 1, 65536));
  if (max_flows.has_value()) config.max_flows = static_cast<size_t>(*max_flows);
  ASSIGN_OR_RETURN(const auto idle, flags.GetDuration("idle-timeout"));
  if (idle.has_value()) config.idle_timeout = *idle;
  ASSIGN_OR_RETURN(const auto buffer, flags.GetInt("socket-buffer", 0, 1 << 30));
  if (buffer.has_value()) config.socket_buffer_bytes = static_cast<size_t>(*buffer);
  return result;
}

}  // namespace hitless::netem
