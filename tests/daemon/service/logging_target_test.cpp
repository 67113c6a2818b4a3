// Under systemd the daemon logs to the journal: it knows by JOURNAL_STREAM naming the very
// stream its stderr is (systemd.exec(5)); a child that inherited the variable but whose stderr
// was redirected elsewhere keeps logging to stderr.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "daemon/logging.hpp"

using namespace deskgate;

TEST_CASE("logging: the journal only when JOURNAL_STREAM names stderr's device and inode") {
    struct stat st {};
    REQUIRE(::fstat(STDERR_FILENO, &st) == 0);
    const std::string own = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    const char* before = std::getenv("JOURNAL_STREAM");
    const std::string saved = before ? before : "";

    ::unsetenv("JOURNAL_STREAM");
    CHECK_FALSE(stderrIsJournal());
    ::setenv("JOURNAL_STREAM", own.c_str(), 1);
    CHECK(stderrIsJournal());
    ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
    CHECK_FALSE(stderrIsJournal());
    ::setenv("JOURNAL_STREAM", "garbage", 1);
    CHECK_FALSE(stderrIsJournal());

    if (before)
        ::setenv("JOURNAL_STREAM", saved.c_str(), 1);
    else
        ::unsetenv("JOURNAL_STREAM");
}
