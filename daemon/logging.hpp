// One spdlog logger per component. Under systemd (stderr is the journal: JOURNAL_STREAM names
// it, systemd.exec(5)) the records go to the journal through spdlog's systemd sink, with the
// priority of their level and "[component] message fields" as MESSAGE; otherwise to stderr.
#pragma once

#include <string>

namespace deskgate {

enum class LogTarget { automatic, stderr_stream, journal };

void setupLogging(const std::string& level, LogTarget target = LogTarget::automatic);

// True when stderr is the stream systemd connected to the journal.
bool stderrIsJournal();

}  // namespace deskgate
