// `deskgate check --connect`: the connections of a valid configuration, tried (cmd_check_connect.cpp).
#pragma once

#include <ostream>

#include "daemon/config.hpp"

namespace deskgate {

// Prints what each mailbox's server and the SMTP server say; returns 0, or 1 when anything
// would keep the daemon from working as configured (each problem printed with what to change).
int checkConnections(const Config& config, std::ostream& out);

}  // namespace deskgate
