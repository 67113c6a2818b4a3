// How a daemon names itself in leases and outbox claims, and how it tells that a holder on the
// same machine has died: "host:pid:random:scope". The random part tells a new process from a
// dead one with a reused pid; the scope (this boot of the kernel and this PID namespace) says
// whether the pid can be checked here at all. Another machine or container cannot be judged:
// its leases are waited out.
#pragma once

#include <string>

namespace deskgate {

std::string makeHolderId();

// True when `holder` ran in this machine's kernel and PID namespace, is not this process, and
// its process is gone (a restart after a crash or SIGKILL): what it held can be taken at once.
bool holderDeadHere(const std::string& holder);

}  // namespace deskgate
