// Fresh, isolated databases and directories for tests (header-only: links only SOCI).
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>

#include <soci/soci.h>
#include <soci/postgresql/soci-postgresql.h>

namespace deskgate::test {

// Reads `export NAME='value'` from $HD_BASE/env.sh (written by tests/scripts/start-servers.sh),
// falling back to the process environment.
inline std::optional<std::string> serverEnv(const std::string& name) {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    const char* base = std::getenv("HD_BASE");
    if (!base) return std::nullopt;
    std::ifstream in(std::filesystem::path(base) / "env.sh");
    for (std::string line; std::getline(in, line);) {
        std::string prefix = "export " + name + "=";
        if (line.rfind(prefix, 0) != 0) continue;
        std::string value = line.substr(prefix.size());
        if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) value = value.substr(1, value.size() - 2);
        return value;
    }
    return std::nullopt;
}

inline std::filesystem::path freshDirectory(const std::string& name) {
    static std::atomic<int> counter{0};
    auto dir = std::filesystem::temp_directory_path() /
               ("deskgate-test-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// Writes `text` to `p`, creating its folders; returns `p`.
inline std::filesystem::path writeFile(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
}

// A new, empty PostgreSQL database on the test server; its URL. When the servers were
// started (HD_BASE set, as ctest does) PostgreSQL is required: a failure fails the test.
// Without HD_BASE (a developer running the binary by hand) the test is skipped with a message.
inline std::optional<std::string> freshPostgresDatabase() {
    auto admin = serverEnv("HD_PG_URL");
    if (!admin) {
        MESSAGE("SKIPPED: PostgreSQL tests need the test servers (run via ctest, or set HD_BASE)");
        return std::nullopt;
    }
    static std::atomic<int> counter{0};
    std::string db = "t_" + std::to_string(::getpid()) + "_" +
                     std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000000) + "_" +
                     std::to_string(counter++);
    try {
        auto conninfo = serverEnv("HD_PG_CONNINFO").value_or("");
        soci::session s(*soci::factory_postgresql(), conninfo);
        s << "CREATE DATABASE " + db;
    } catch (const std::exception& e) {
        FAIL("cannot create a PostgreSQL test database: " << e.what());
        return std::nullopt;
    }
    auto url = *admin;
    return url.substr(0, url.rfind('/') + 1) + db;
}

}  // namespace deskgate::test
