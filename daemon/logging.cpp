#include "daemon/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace deskgate {

void setupLogging(const std::string& level) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    for (const char* name : {"deskgate", "imap", "smtp", "storage", "intake"}) {
        if (spdlog::get(name)) continue;
        auto logger = std::make_shared<spdlog::logger>(name, sink);
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
        logger->set_level(spdlog::level::from_str(level));
        logger->flush_on(spdlog::level::info);
        spdlog::register_logger(logger);
    }
    spdlog::set_default_logger(spdlog::get("deskgate"));
}

}  // namespace deskgate
