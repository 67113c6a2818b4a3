// Each `deskgate` sub-command lives in its own cmd_*.cpp and registers itself on the CLI.
// A command reports its exit status by throwing CLI::RuntimeError(code) (0 = success).
#pragma once

#include <CLI/CLI.hpp>

namespace deskgate {

// Default configuration path, overridable with --config on every command.
inline constexpr const char* kDefaultConfig = "/etc/deskgate/deskgate.yaml";

void addRunCommand(CLI::App& app);
void addCheckCommand(CLI::App& app);
void addIngestCommand(CLI::App& app);
void addTicketsCommand(CLI::App& app);
void addQuarantineCommand(CLI::App& app);
void addParseCommand(CLI::App& app);
void addExplainCommand(CLI::App& app);
void addRulesCommand(CLI::App& app);
void addReportCommand(CLI::App& app);

}  // namespace deskgate
