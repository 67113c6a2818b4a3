// The test suite's own scripted IMAP server (tests/support/scripted_imap.py), started by a test:
// one INBOX, messages as DIR/mail/<uid>.eml; what it did is read back from its command log and
// its state file (flags, what is gone, which INBOX UIDs each folder got).
#pragma once

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "desk_fixture.hpp"

namespace deskgate::test {

class ScriptedImap {
public:
    explicit ScriptedImap(std::vector<std::string> options = {}) : dir_("scripted-imap") {
        std::filesystem::create_directories(dir_ / "mail");
        std::vector<std::string> args = {std::string(DESKGATE_SOURCE_DIR) + "/tests/support/scripted_imap.py",
                                         "--mail-dir", (dir_ / "mail").string(), "--port-file",
                                         (dir_ / "port").string(), "--log", (dir_ / "commands.log").string(),
                                         "--state", (dir_ / "state").string()};
        args.insert(args.end(), options.begin(), options.end());
        ProcessOptions po;
        po.binary = "/usr/bin/python3";
        po.logFile = dir_ / "server.log";
        process_ = std::make_unique<DeskgateProcess>(args, po);
        REQUIRE_MESSAGE(waitFor([&] { return std::filesystem::exists(dir_ / "port"); }, 20s), process_->output());
        std::ifstream(dir_ / "port") >> port_;
    }
    std::string url() const { return "imap://127.0.0.1:" + std::to_string(port_); }
    void add(std::uint64_t uid, const std::string& raw) const {
        const auto tmp = dir_ / (std::to_string(uid) + ".tmp");
        std::ofstream(tmp, std::ios::binary) << raw;
        std::filesystem::rename(tmp, dir_ / "mail" / (std::to_string(uid) + ".eml"));  // never seen half-written
    }
    // The command lines the server received (never the login).
    std::string commands() const {
        std::ifstream in(dir_ / "commands.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    struct State {
        std::set<std::uint64_t> seen, deleted, gone;
        std::map<std::string, std::vector<std::uint64_t>> folders;  // INBOX UIDs copied/moved there, in order
        // INBOX UIDs still there and not \Deleted (what a client sees as mail to handle).
        std::vector<std::uint64_t> undeleted(std::uint64_t highest) const {
            std::vector<std::uint64_t> out;
            for (std::uint64_t u = 1; u <= highest; ++u)
                if (!gone.contains(u) && !deleted.contains(u)) out.push_back(u);
            return out;
        }
    };
    State state() const {
        State s;
        std::ifstream in(dir_ / "state");
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream words(line);
            std::string kind, name;
            words >> kind;
            if (kind == "folder") words >> name;
            std::vector<std::uint64_t> uids;
            for (std::uint64_t u; words >> u;) uids.push_back(u);
            if (kind == "seen") s.seen = {uids.begin(), uids.end()};
            if (kind == "deleted") s.deleted = {uids.begin(), uids.end()};
            if (kind == "gone") s.gone = {uids.begin(), uids.end()};
            if (kind == "folder") s.folders[name] = uids;
        }
        return s;
    }

private:
    TempDir dir_;
    std::unique_ptr<DeskgateProcess> process_;
    int port_ = 0;
};

}  // namespace deskgate::test
