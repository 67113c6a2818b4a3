#include "daemon/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

namespace deskgate {

bool stderrIsJournal() {
    // JOURNAL_STREAM is "device:inode" of the stream systemd gave us; a child whose stderr was
    // redirected inherits the variable but not the stream, so both must match.
    const char* env = std::getenv("JOURNAL_STREAM");
    if (!env) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

void setupLogging(const std::string& level, LogTarget target) {
    const bool journal = target == LogTarget::journal || (target == LogTarget::automatic && stderrIsJournal());
    spdlog::sink_ptr sink;
    if (journal) {
        // SYSLOG_IDENTIFIER=deskgate for every component; the component stays in the message.
        sink = std::make_shared<spdlog::sinks::systemd_sink_mt>("deskgate", true);
        sink->set_pattern("[%n] %v");
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    }
    for (const char* name : {"deskgate", "imap", "smtp", "storage", "intake", "metrics", "escalation"}) {
        if (spdlog::get(name)) continue;
        auto logger = std::make_shared<spdlog::logger>(name, sink);
        if (!journal) logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
        logger->set_level(spdlog::level::from_str(level));
        logger->flush_on(spdlog::level::info);
        spdlog::register_logger(logger);
    }
    spdlog::set_default_logger(spdlog::get("deskgate"));
}

}  // namespace deskgate
