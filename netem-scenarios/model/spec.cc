// tc netem vocabulary: parsing (ParseNetemSpec and its value parsers) and the
// canonical formatting back. Stateless; no allocation beyond the token list
// and error messages.
//
// Grammar accepted (as tc, keywords in any order, later ones override):
//   delay TIME [JITTER [CORRELATION]]   distribution {uniform|normal|pareto|paretonormal}
//   loss [random] PERCENT [CORRELATION]
//   loss gemodel p [r [1-h [1-k]]]
//   duplicate PERCENT [CORRELATION]     corrupt PERCENT [CORRELATION]
//   reorder PERCENT [CORRELATION]       gap DISTANCE
//   rate RATE [PACKETOVERHEAD]          limit PACKETS
// Hitless extensions: `bytelimit BYTES` (bottleneck FIFO byte limit),
// `inorder` (jitter never reorders) and `outoforder` (it may; the default).
// Optional positional arguments are taken when the next token starts like a
// number, as tc does.
#include "netem-scenarios/model/spec.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "netem-scenarios/model/strings.h"
#include "transport/base/status_macros.h"

namespace hitless::netem {
namespace {

using internal::Cat;
using internal::Lower;

struct Number {
  double value = 0.0;
  std::string unit;  // lower-cased suffix after the number
};

// Splits "12.5ms" into 12.5 and "ms". Accepts digits with at most one '.'
// (and a leading '-' when `allow_sign`); anything else is an error.
std::optional<Number> SplitNumber(std::string_view text, bool allow_sign = false) {
  size_t i = 0;
  if (allow_sign && i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  bool digits = false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return std::nullopt;
  std::string_view num = text.substr(0, i);
  if (!num.empty() && num[0] == '+') num.remove_prefix(1);
  Number n;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), n.value);
  if (ec != std::errc() || ptr != num.data() + num.size() || !std::isfinite(n.value)) {
    return std::nullopt;
  }
  n.unit = Lower(text.substr(i));
  return n;
}

std::string Quote(std::string_view text) { return Cat("\"", text, "\""); }

absl::StatusOr<uint64_t> ParseCount(std::string_view text, std::string_view what) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return absl::InvalidArgumentError(
        Cat("expected ", what, " (a whole number), got ", Quote(text)));
  }
  return value;
}

std::string FormatPercent(double p) { return absl::StrFormat("%.12g%%", p * 100.0); }

std::string FormatDuration(Duration d) {
  const int64_t ns = d.ToNanoseconds();
  if (ns % 1'000'000'000 == 0) return Cat(ns / 1'000'000'000, "s");
  if (ns % 1'000'000 == 0) return Cat(ns / 1'000'000, "ms");
  if (ns % 1'000 == 0) return Cat(ns / 1'000, "us");
  return Cat(ns, "ns");
}

std::string FormatRate(uint64_t bps) {
  if (bps % 1'000'000'000 == 0) return Cat(bps / 1'000'000'000, "gbit");
  if (bps % 1'000'000 == 0) return Cat(bps / 1'000'000, "mbit");
  if (bps % 1'000 == 0) return Cat(bps / 1'000, "kbit");
  return Cat(bps, "bit");
}

const char* DistributionName(DelayDistribution d) {
  switch (d) {
    case DelayDistribution::kUniform:
      return "uniform";
    case DelayDistribution::kNormal:
      return "normal";
    case DelayDistribution::kPareto:
      return "pareto";
    case DelayDistribution::kParetoNormal:
      return "paretonormal";
  }
  return "uniform";
}

// Walks the token list; every error is prefixed with the keyword in force.
class SpecParser {
 public:
  explicit SpecParser(std::string_view spec) {
    for (absl::string_view t :
         absl::StrSplit(internal::ToAbsl(spec), absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
      tokens_.emplace_back(t.data(), t.size());
    }
  }

  absl::Status Parse(ImpairmentParams& p) {
    bool gap_given = false;
    while (i_ < tokens_.size()) {
      keyword_ = tokens_[i_++];
      const std::string kw = Lower(keyword_);
      if (kw == "delay" || kw == "latency") {
        ASSIGN_OR_RETURN(p.delay.delay, Required(ParseNetemDuration));
        // A keyword resets its optional arguments, as `tc qdisc change` does.
        p.delay.jitter = Duration::Zero();
        p.delay.correlation = 0.0;
        if (NextIsNumber()) {
          ASSIGN_OR_RETURN(p.delay.jitter, Required(ParseNetemDuration));
        }
        if (NextIsNumber()) {
          ASSIGN_OR_RETURN(p.delay.correlation, Required(ParseNetemPercent));
        }
      } else if (kw == "distribution") {
        RETURN_IF_ERROR(ParseDistribution(p.delay.distribution));
      } else if (kw == "inorder") {
        p.delay.reorder_on_jitter = false;
      } else if (kw == "outoforder") {
        p.delay.reorder_on_jitter = true;
      } else if (kw == "loss" || kw == "drop") {
        RETURN_IF_ERROR(ParseLoss(p.loss));
      } else if (kw == "duplicate") {
        RETURN_IF_ERROR(ParseChance(p.duplicate));
      } else if (kw == "corrupt") {
        RETURN_IF_ERROR(ParseChance(p.corrupt));
      } else if (kw == "reorder") {
        ChanceParams c;
        RETURN_IF_ERROR(ParseChance(c));
        p.reorder.probability = c.probability;
        p.reorder.correlation = c.correlation;
      } else if (kw == "gap") {
        ASSIGN_OR_RETURN(uint64_t gap, Required([](std::string_view t) {
                           return ParseCount(t, "a packet count");
                         }));
        if (gap == 0 || gap > UINT32_MAX) return Error(Cat("gap must be >= 1, got ", gap));
        p.reorder.gap = static_cast<uint32_t>(gap);
        gap_given = true;
      } else if (kw == "rate") {
        RETURN_IF_ERROR(ParseRateArgs(p.rate));
      } else if (kw == "limit") {
        ASSIGN_OR_RETURN(uint64_t limit, Required([](std::string_view t) {
                           return ParseCount(t, "a packet count");
                         }));
        if (limit > UINT32_MAX) return Error(Cat("limit too large: ", limit));
        p.rate.limit_packets = static_cast<uint32_t>(limit);
      } else if (kw == "bytelimit") {
        ASSIGN_OR_RETURN(p.rate.limit_bytes, Required([](std::string_view t) {
                           return ParseCount(t, "a byte count");
                         }));
      } else if (kw == "slot" || kw == "ecn" || kw == "seed") {
        return absl::InvalidArgumentError(
            Cat("netem keyword ", Quote(keyword_), " is not supported by Hitless"));
      } else {
        return absl::InvalidArgumentError(
            Cat("unknown netem keyword ", Quote(keyword_),
                " (expected delay, distribution, loss, duplicate, corrupt, reorder, gap, rate, "
                "limit, bytelimit, inorder or outoforder)"));
      }
    }
    if (gap_given && p.reorder.probability <= 0.0) {
      return absl::InvalidArgumentError("gap: specified without a reorder probability");
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(Cat(keyword_, ": ", message));
  }

  bool NextIsNumber() const {
    if (i_ >= tokens_.size()) return false;
    const char c = tokens_[i_].front();
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+';
  }

  // Consumes the next token with `parse`; a missing token or a parse error
  // names the keyword.
  template <typename F>
  auto Required(F parse) -> decltype(parse(std::string_view())) {
    if (i_ >= tokens_.size()) {
      auto probe = parse(std::string_view());
      std::string message(probe.status().message());
      const size_t got = message.rfind(", got ");
      if (got != std::string::npos) message = message.substr(0, got);
      return Error(Cat(message, ", got end of spec"));
    }
    auto result = parse(tokens_[i_++]);
    if (!result.ok()) return Error(result.status().message());
    return result;
  }

  absl::Status ParseDistribution(DelayDistribution& d) {
    if (i_ >= tokens_.size()) {
      return Error("expected uniform, normal, pareto or paretonormal, got end of spec");
    }
    const std::string name = Lower(tokens_[i_]);
    if (name == "uniform") {
      d = DelayDistribution::kUniform;
    } else if (name == "normal") {
      d = DelayDistribution::kNormal;
    } else if (name == "pareto") {
      d = DelayDistribution::kPareto;
    } else if (name == "paretonormal") {
      d = DelayDistribution::kParetoNormal;
    } else {
      return Error(
          Cat("expected uniform, normal, pareto or paretonormal, got ", Quote(tokens_[i_])));
    }
    ++i_;
    return absl::OkStatus();
  }

  absl::Status ParseChance(ChanceParams& c) {
    ASSIGN_OR_RETURN(c.probability, Required(ParseNetemPercent));
    c.correlation = 0.0;
    if (NextIsNumber()) {
      ASSIGN_OR_RETURN(c.correlation, Required(ParseNetemPercent));
    }
    return absl::OkStatus();
  }

  absl::Status ParseLoss(LossParams& loss) {
    LossParams fresh;
    if (i_ < tokens_.size() && Lower(tokens_[i_]) == "gemodel") {
      ++i_;
      fresh.model = LossParams::Model::kGilbertElliott;
      ASSIGN_OR_RETURN(fresh.p, Required(ParseNetemPercent));
      fresh.r = 1.0 - fresh.p;
      if (NextIsNumber()) {
        ASSIGN_OR_RETURN(fresh.r, Required(ParseNetemPercent));
      }
      if (NextIsNumber()) {
        ASSIGN_OR_RETURN(fresh.one_minus_h, Required(ParseNetemPercent));
      }
      if (NextIsNumber()) {
        ASSIGN_OR_RETURN(fresh.one_minus_k, Required(ParseNetemPercent));
      }
      loss = fresh;
      return absl::OkStatus();
    }
    if (i_ < tokens_.size() && Lower(tokens_[i_]) == "state") {
      return Error("the 4-state model (loss state) is not supported; use gemodel");
    }
    if (i_ < tokens_.size() && Lower(tokens_[i_]) == "random") ++i_;
    fresh.model = LossParams::Model::kRandom;
    ASSIGN_OR_RETURN(fresh.probability, Required(ParseNetemPercent));
    if (NextIsNumber()) {
      ASSIGN_OR_RETURN(fresh.correlation, Required(ParseNetemPercent));
    }
    loss = fresh;
    return absl::OkStatus();
  }

  absl::Status ParseRateArgs(RateParams& rate) {
    ASSIGN_OR_RETURN(rate.bits_per_second, Required(ParseNetemRate));
    rate.packet_overhead = 0;
    if (NextIsNumber()) {
      const std::string_view t = tokens_[i_++];
      int32_t overhead = 0;
      const char* begin = t.data() + (t.front() == '+' ? 1 : 0);
      auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), overhead);
      if (ec != std::errc() || ptr != t.data() + t.size() || overhead < -65535 ||
          overhead > 65535) {
        return Error(
            Cat("expected a packet overhead in bytes like \"-20\" or \"24\", got ", Quote(t)));
      }
      rate.packet_overhead = overhead;
    }
    if (NextIsNumber()) {
      return Error(Cat("cell size is not supported, got ", Quote(tokens_[i_])));
    }
    return absl::OkStatus();
  }

  std::vector<std::string_view> tokens_;
  size_t i_ = 0;
  std::string_view keyword_;
};

}  // namespace

absl::StatusOr<Duration> ParseNetemDuration(std::string_view text) {
  auto error = [&] {
    return absl::InvalidArgumentError(Cat("expected a duration like \"30ms\", got ", Quote(text)));
  };
  const std::optional<Number> n = SplitNumber(text);
  if (!n) return error();
  double scale;  // to nanoseconds
  const std::string& u = n->unit;
  if (u.empty() || u == "us" || u == "usec" || u == "usecs") {
    scale = 1e3;
  } else if (u == "s" || u == "sec" || u == "secs") {
    scale = 1e9;
  } else if (u == "ms" || u == "msec" || u == "msecs") {
    scale = 1e6;
  } else if (u == "ns" || u == "nsec" || u == "nsecs") {
    scale = 1.0;
  } else {
    return error();
  }
  const double ns = n->value * scale;
  if (ns > 1e18) {
    return absl::InvalidArgumentError(Cat("duration too large: ", Quote(text)));
  }
  return Duration::Nanoseconds(std::llround(ns));
}

absl::StatusOr<double> ParseNetemPercent(std::string_view text) {
  const std::optional<Number> n = SplitNumber(text);
  if (!n || (!n->unit.empty() && n->unit != "%")) {
    return absl::InvalidArgumentError(Cat("expected a percentage like \"5%\", got ", Quote(text)));
  }
  const double value = n->unit.empty() ? n->value : n->value / 100.0;
  if (value > 1.0) {
    return absl::InvalidArgumentError(
        Cat("expected a percentage between 0% and 100%, got ", Quote(text)));
  }
  return value;
}

absl::StatusOr<uint64_t> ParseNetemRate(std::string_view text) {
  auto error = [&] {
    return absl::InvalidArgumentError(Cat("expected a rate like \"10mbit\", got ", Quote(text)));
  };
  const std::optional<Number> n = SplitNumber(text);
  if (!n) return error();
  std::string u = n->unit;
  double scale = 1.0;  // to bits/s
  if (u.ends_with("bps")) {
    scale = 8.0;
    u.resize(u.size() - 3);
  } else if (u.ends_with("bit")) {
    u.resize(u.size() - 3);
  } else if (!u.empty()) {
    return error();
  }
  if (u == "k") {
    scale *= 1e3;
  } else if (u == "m") {
    scale *= 1e6;
  } else if (u == "g") {
    scale *= 1e9;
  } else if (u == "t") {
    scale *= 1e12;
  } else if (u == "ki") {
    scale *= 1024.0;
  } else if (u == "mi") {
    scale *= 1024.0 * 1024.0;
  } else if (u == "gi") {
    scale *= 1024.0 * 1024.0 * 1024.0;
  } else if (!u.empty()) {
    return error();
  }
  const double bps = n->value * scale;
  if (bps > 1e15) return absl::InvalidArgumentError(Cat("rate too large: ", Quote(text)));
  return static_cast<uint64_t>(std::llround(bps));
}

absl::StatusOr<ImpairmentParams> ParseNetemSpec(std::string_view spec,
                                                const ImpairmentParams& base) {
  ImpairmentParams params = base;
  SpecParser parser(spec);
  RETURN_IF_ERROR(parser.Parse(params));
  return params;
}

std::string FormatNetemSpec(const ImpairmentParams& p) {
  std::vector<std::string> parts;
  const DelayParams& d = p.delay;
  if (d.delay != Duration::Zero() || d.jitter != Duration::Zero() || d.correlation > 0.0) {
    std::string s = Cat("delay ", FormatDuration(d.delay));
    if (d.jitter != Duration::Zero() || d.correlation > 0.0) {
      s += Cat(" ", FormatDuration(d.jitter));
    }
    if (d.correlation > 0.0) s += Cat(" ", FormatPercent(d.correlation));
    parts.push_back(std::move(s));
  }
  if (d.distribution != DelayDistribution::kUniform) {
    parts.push_back(Cat("distribution ", DistributionName(d.distribution)));
  }
  if (!d.reorder_on_jitter) parts.push_back("inorder");

  const LossParams& l = p.loss;
  if (l.model == LossParams::Model::kRandom) {
    std::string s = Cat("loss random ", FormatPercent(l.probability));
    if (l.correlation > 0.0) s += Cat(" ", FormatPercent(l.correlation));
    parts.push_back(std::move(s));
  } else if (l.model == LossParams::Model::kGilbertElliott) {
    parts.push_back(Cat("loss gemodel ", FormatPercent(l.p), " ", FormatPercent(l.r), " ",
                        FormatPercent(l.one_minus_h), " ", FormatPercent(l.one_minus_k)));
  }

  auto chance = [&](const char* name, double probability, double correlation) {
    if (probability <= 0.0 && correlation <= 0.0) return;
    std::string s = Cat(name, " ", FormatPercent(probability));
    if (correlation > 0.0) s += Cat(" ", FormatPercent(correlation));
    parts.push_back(std::move(s));
  };
  chance("reorder", p.reorder.probability, p.reorder.correlation);
  if (p.reorder.gap > 0 && p.reorder.probability > 0.0) {
    parts.push_back(Cat("gap ", p.reorder.gap));
  }
  chance("duplicate", p.duplicate.probability, p.duplicate.correlation);
  chance("corrupt", p.corrupt.probability, p.corrupt.correlation);

  const RateParams& r = p.rate;
  if (r.bits_per_second > 0) {
    std::string s = Cat("rate ", FormatRate(r.bits_per_second));
    if (r.packet_overhead != 0) s += Cat(" ", r.packet_overhead);
    parts.push_back(std::move(s));
  }
  if (r.limit_packets != RateParams().limit_packets) {
    parts.push_back(Cat("limit ", r.limit_packets));
  }
  if (r.limit_bytes > 0) parts.push_back(Cat("bytelimit ", r.limit_bytes));
  return absl::StrJoin(parts, " ");
}

}  // namespace hitless::netem
