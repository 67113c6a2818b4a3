// Holder ids in leases and outbox claims, and telling a dead holder on this machine.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <algorithm>
#include <unistd.h>

#include "daemon/holder_id.hpp"

using namespace deskgate;

namespace {

std::string withPid(const std::string& holder, pid_t pid) {
    auto first = holder.find(':'), second = holder.find(':', first + 1);
    return holder.substr(0, first + 1) + std::to_string(pid) + holder.substr(second);
}

}  // namespace

TEST_CASE("holder ids: host:pid:random:scope, unique per process start") {
    const auto a = makeHolderId(), b = makeHolderId();
    CHECK(a != b);  // the random part
    CHECK(std::count(a.begin(), a.end(), ':') == 3);
    CHECK(a.find(":" + std::to_string(getpid()) + ":") != std::string::npos);
}

TEST_CASE("a holder is dead here only when its process is gone from this machine's PID namespace") {
    const auto me = makeHolderId();
    CHECK_FALSE(holderDeadHere(me));  // this process
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) _exit(0);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);  // reaped: the pid is free
    const auto dead = withPid(me, child);
    CHECK(holderDeadHere(dead));
    CHECK_FALSE(holderDeadHere(withPid(me, getppid())));                      // alive
    CHECK_FALSE(holderDeadHere(dead.substr(0, dead.rfind(':')) + ":0000-1"));  // another machine or container
    CHECK_FALSE(holderDeadHere("A"));
    CHECK_FALSE(holderDeadHere(""));
    CHECK_FALSE(holderDeadHere("host:x:1234abcd:" + me.substr(me.rfind(':') + 1)));
}
