// One spdlog logger per component, all to stderr (journald/systemd picks it up from there).
#pragma once

#include <string>

namespace deskgate {

void setupLogging(const std::string& level);

}  // namespace deskgate
