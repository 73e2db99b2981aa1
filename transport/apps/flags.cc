// Implements flags.h.
#include "transport/apps/flags.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "transport/base/bug.h"
#include "transport/base/status_macros.h"

namespace hitless::cli {
namespace {

// Debian's abseil has its own absl::string_view; StrCat needs that type.
absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

absl::Status BadValue(std::string_view name, std::string_view value, std::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat("invalid value '", Sv(value), "' for --", Sv(name),
                                                 ": expected ", Sv(expected)));
}

}  // namespace

FlagParser::FlagParser(std::string program, std::string summary, std::string epilogue)
    : program_(std::move(program)), summary_(std::move(summary)), epilogue_(std::move(epilogue)) {}

void FlagParser::AddValue(std::string name, std::string placeholder, std::string help,
                          std::string default_text) {
  if (Find(name) != nullptr) HITLESS_BUG("flag declared twice");
  declarations_.push_back(Declaration{std::move(name), std::move(placeholder), std::move(help),
                                      std::move(default_text), false});
}

void FlagParser::AddSwitch(std::string name, std::string help) {
  if (Find(name) != nullptr) HITLESS_BUG("flag declared twice");
  declarations_.push_back(Declaration{std::move(name), "", std::move(help), "", true});
}

const FlagParser::Declaration* FlagParser::Find(std::string_view name) const {
  for (const Declaration& d : declarations_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

absl::Status FlagParser::Set(const Declaration& decl, std::string value) {
  if (!values_.emplace(decl.name, std::move(value)).second) {
    return absl::InvalidArgumentError(absl::StrCat("flag --", decl.name, " given twice"));
  }
  return absl::OkStatus();
}

absl::Status FlagParser::Parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return Parse(args);
}

absl::Status FlagParser::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      continue;
    }
    if (arg.size() < 3 || arg[0] != '-' || arg[1] != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "' (flags start with --; see --help)"));
    }
    std::string_view body = std::string_view(arg).substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const Declaration* decl = Find(body);
    if (decl == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", Sv(body), " (see --help)"));
    }
    if (decl->is_switch) {
      std::string value = "true";
      if (inline_value.has_value()) {
        const std::string lower = absl::AsciiStrToLower(*inline_value);
        if (lower != "true" && lower != "false") {
          return BadValue(decl->name, *inline_value, "true or false (it is a switch)");
        }
        value = lower;
      }
      RETURN_IF_ERROR(Set(*decl, std::move(value)));
      continue;
    }
    if (!inline_value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", decl->name, " needs a value (", decl->placeholder, ")"));
      }
      inline_value = args[++i];
    }
    RETURN_IF_ERROR(Set(*decl, std::move(*inline_value)));
  }
  return absl::OkStatus();
}

}  // namespace hitless::cli

namespace hitless::cli {

// Help text starts in this column; continuation lines keep the indent.
constexpr size_t kColumn = 32;

std::string FlagParser::HelpText() const {
  std::string out = absl::StrCat("Usage: ", summary_, "\n\nFlags:\n");
  for (const Declaration& d : declarations_) {
    std::string head = absl::StrCat("  --", d.name);
    if (!d.is_switch) absl::StrAppend(&head, " ", d.placeholder);
    absl::StrAppend(&out, head);
    if (head.size() + 2 > kColumn) {
      absl::StrAppend(&out, "\n", std::string(kColumn, ' '));
    } else {
      absl::StrAppend(&out, std::string(kColumn - head.size(), ' '));
    }
    std::string help = d.help;
    if (!d.default_text.empty()) absl::StrAppend(&help, " (default: ", d.default_text, ")");
    bool first = true;
    for (absl::string_view line : absl::StrSplit(help, '\n')) {
      if (!first) absl::StrAppend(&out, std::string(kColumn, ' '));
      absl::StrAppend(&out, line, "\n");
      first = false;
    }
  }
  absl::StrAppend(&out, "  --help", std::string(kColumn - 8, ' '), "print this help and exit\n");
  if (!epilogue_.empty()) absl::StrAppend(&out, "\n", epilogue_);
  return out;
}

bool FlagParser::Has(std::string_view name) const { return values_.contains(Sv(name)); }

std::optional<std::string> FlagParser::GetString(std::string_view name) const {
  if (Find(name) == nullptr) HITLESS_BUG("GetString of an undeclared flag");
  const auto it = values_.find(Sv(name));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool FlagParser::GetSwitch(std::string_view name) const {
  const std::optional<std::string> value = GetString(name);
  return value.has_value() && *value == "true";
}

absl::StatusOr<std::optional<int64_t>> FlagParser::GetInt(std::string_view name, int64_t min,
                                                          int64_t max) const {
  const std::optional<std::string> text = GetString(name);
  if (!text.has_value()) return std::optional<int64_t>();
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < min || value > max) {
    return BadValue(name, *text, absl::StrCat("an integer in ", min, "..", max));
  }
  return std::optional<int64_t>(value);
}

absl::StatusOr<std::optional<uint64_t>> FlagParser::GetUint(std::string_view name) const {
  const std::optional<std::string> text = GetString(name);
  if (!text.has_value()) return std::optional<uint64_t>();
  uint64_t value = 0;
  if (text->empty() || (*text)[0] == '-' || !absl::SimpleAtoi(*text, &value)) {
    return BadValue(name, *text, "a non-negative integer");
  }
  return std::optional<uint64_t>(value);
}

absl::StatusOr<std::optional<double>> FlagParser::GetDouble(std::string_view name) const {
  const std::optional<std::string> text = GetString(name);
  if (!text.has_value()) return std::optional<double>();
  double value = 0;
  if (!absl::SimpleAtod(*text, &value)) return BadValue(name, *text, "a number");
  return std::optional<double>(value);
}

absl::StatusOr<std::optional<Duration>> FlagParser::GetDuration(std::string_view name) const {
  const std::optional<std::string> text = GetString(name);
  if (!text.has_value()) return std::optional<Duration>();
  absl::Duration d;
  if (!absl::ParseDuration(*text, &d) || d <= absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return BadValue(name, *text, "a positive duration such as 1s or 250ms");
  }
  return std::optional<Duration>(Duration::Nanoseconds(absl::ToInt64Nanoseconds(d)));
}

}  // namespace hitless::cli
