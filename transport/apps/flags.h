// FlagParser: a small command-line parser shared by the Hitless binaries.
//
// Flags are declared up front (name, value placeholder, help), then Parse
// reads `--flag VALUE`, `--flag=VALUE` and boolean `--switch` (or
// `--switch=true|false`). Values are kept as text; typed getters convert them
// and report a precise error naming the flag. `--help`/`-h` is built in and
// HelpText() is generated from the declarations. State: the declarations and
// the values seen; no timers. Every error is an absl::Status meant to be
// printed as "<program>: <message>" with exit code 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "transport/base/time.h"

namespace hitless::cli {

class FlagParser {
 public:
  // `program` names the binary in help; `summary` is the usage line(s) and
  // `epilogue` free text (examples, rules) printed after the flag list.
  FlagParser(std::string program, std::string summary, std::string epilogue = "");

  // Declares a flag taking a value. `name` without dashes; `placeholder` is
  // shown in help ("ADDR"); `default_text` documents the default ("" = none).
  // Declaring the same name twice is a programming error (HITLESS_BUG).
  void AddValue(std::string name, std::string placeholder, std::string help,
                std::string default_text = "");
  // Declares a boolean switch (no value; --name=false is accepted).
  void AddSwitch(std::string name, std::string help);

  // Parses argv[1..argc). Errors: unknown flag, missing value, a value given
  // to a switch that is not true/false, a flag given twice, a positional
  // argument. After an error the parser's values are unspecified.
  [[nodiscard]] absl::Status Parse(int argc, const char* const* argv);
  [[nodiscard]] absl::Status Parse(const std::vector<std::string>& args);

  bool help_requested() const { return help_requested_; }
  std::string HelpText() const;

  // True when the flag appeared on the command line.
  bool Has(std::string_view name) const;
  // The raw value; nullopt when absent. Switches read "true"/"false".
  std::optional<std::string> GetString(std::string_view name) const;
  // A switch's value (false when absent).
  bool GetSwitch(std::string_view name) const;
  // Typed getters: nullopt when absent, InvalidArgument naming the flag and
  // the value when present but malformed or out of range.
  absl::StatusOr<std::optional<int64_t>> GetInt(std::string_view name, int64_t min,
                                                int64_t max) const;
  absl::StatusOr<std::optional<uint64_t>> GetUint(std::string_view name) const;
  absl::StatusOr<std::optional<double>> GetDouble(std::string_view name) const;
  // absl duration syntax: "1s", "250ms", "1m30s"; must be > 0.
  absl::StatusOr<std::optional<Duration>> GetDuration(std::string_view name) const;

 private:
  struct Declaration {
    std::string name;
    std::string placeholder;  // empty for switches
    std::string help;
    std::string default_text;
    bool is_switch = false;
  };
  const Declaration* Find(std::string_view name) const;
  absl::Status Set(const Declaration& decl, std::string value);

  std::string program_;
  std::string summary_;
  std::string epilogue_;
  std::vector<Declaration> declarations_;
  absl::flat_hash_map<std::string, std::string> values_;
  bool help_requested_ = false;
};

}  // namespace hitless::cli
