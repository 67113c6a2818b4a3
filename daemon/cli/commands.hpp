// Each `deskgate` sub-command lives in its own cmd_*.cpp and registers itself on the CLI.
// A command reports its exit status by throwing CLI::RuntimeError(code) (0 = success).
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "daemon/config.hpp"

namespace deskgate {

// Default configuration path, overridable with --config on every command.
inline constexpr const char* kDefaultConfig = kDefaultConfigPath;

void addRunCommand(CLI::App& app);
void addCheckCommand(CLI::App& app);
void addIngestCommand(CLI::App& app);
void addTicketsCommand(CLI::App& app);
void addQuarantineCommand(CLI::App& app);
void addParseCommand(CLI::App& app);
void addExplainCommand(CLI::App& app);
void addRulesCommand(CLI::App& app);
void addReportCommand(CLI::App& app);
void addIntakeCommand(CLI::App& app);
void addStatusCommand(CLI::App& app);

class SociStore;
// Opens the database the configuration names; errors end the command with a message (exit 1
// for a bad configuration, 75 when the database cannot be reached).
std::unique_ptr<SociStore> openStore(const std::string& config_path);

}  // namespace deskgate
