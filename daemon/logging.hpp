// One spdlog logger per component. Under systemd (stderr is the journal: JOURNAL_STREAM names
// it, systemd.exec(5)) the records go to the journal through spdlog's systemd sink, with the
// priority of their level and "[component] message fields" as MESSAGE; otherwise to stderr.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace deskgate {

enum class LogTarget { automatic, stderr_stream, journal };

void setupLogging(const std::string& level, LogTarget target = LogTarget::automatic);

// The logger of a component ("imap", "smtp", …); the default logger where setupLogging() has not
// made it (tests, one-off commands).
inline std::shared_ptr<spdlog::logger> componentLog(const char* name) {
    auto l = spdlog::get(name);
    return l ? l : spdlog::default_logger();
}

// True when stderr is the stream systemd connected to the journal.
bool stderrIsJournal();

}  // namespace deskgate
