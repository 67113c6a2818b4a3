// Internal to the test-support library: process and temp-dir helpers shared by
// test_servers.cpp and test_processes.cpp. Tests use test_servers.hpp.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_servers.hpp"

namespace deskgate::test::detail {

[[noreturn]] void fail(const std::string& what);
std::string getenvOr(const char* name, std::string fallback);
std::string readFile(const std::filesystem::path& p);

// Starts args with stdin from `stdinPath` ("" = /dev/null), stdout/stderr appended to the files.
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::filesystem::path& stdinPath, const std::filesystem::path& outPath,
            const std::filesystem::path& errPath, const std::filesystem::path& workDir, bool dieWithParent = true);
std::optional<ExitStatus> waitPid(pid_t pid, std::chrono::milliseconds timeout);
std::filesystem::path makeTempDir(std::string_view prefix);
bool keepTemp();  // HD_KEEP_TEMP=1

}  // namespace deskgate::test::detail
