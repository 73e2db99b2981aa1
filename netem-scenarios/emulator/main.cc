// hitless-netem: the userspace UDP impairment emulator (see config.cc --help).
//
// Thin main: parse flags (exit 2 on any usage error), run the event loop until
// SIGINT/SIGTERM, write the JSON summary, exit 0.
#include <stdio.h>

#include <string>
#include <vector>

#include "netem-scenarios/emulator/config.h"
#include "netem-scenarios/emulator/emulator.h"
#include "netem-scenarios/emulator/stats.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = hitless::netem::ParseCommandLine(args);
  if (!command_line.ok()) {
    fprintf(stderr, "hitless-netem: %s\n", std::string(command_line.status().message()).c_str());
    return 2;
  }
  if (command_line->help) {
    fputs(command_line->help_text.c_str(), stdout);
    return 0;
  }
  hitless::netem::Emulator emulator(std::move(command_line->config));
  if (const absl::Status status = emulator.Run(); !status.ok()) {
    fprintf(stderr, "hitless-netem: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  if (!emulator.config().stats_json_path.empty()) {
    const std::string json =
        hitless::netem::FormatStatsJson(emulator.config(), emulator.Snapshot());
    if (const absl::Status status =
            hitless::netem::WriteFileAtomically(emulator.config().stats_json_path, json);
        !status.ok()) {
      fprintf(stderr, "hitless-netem: %s\n", std::string(status.message()).c_str());
      return 1;
    }
  }
  return 0;
}
