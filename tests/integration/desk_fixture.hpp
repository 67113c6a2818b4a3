// A deskgate installation for one integration test: its own directory, configuration and
// database (SQLite file or a fresh PostgreSQL database), the real `deskgate` binary, and the
// shared test servers (Dovecot, Postfix, PostgreSQL) with clean mailboxes.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "parsers/parsed_mail.hpp"
#include "storage/store.hpp"
#include "support/test_servers.hpp"

namespace deskgate::test {

enum class Db { sqlite, postgresql };

// Accounts on the test servers (tests/scripts/start-servers.sh).
inline const std::string kSupport = "support@helpdesk.test";
inline const std::string kAgent = "agent1@helpdesk.test";
inline const std::string kAlice = "alice@customer.test";
inline const std::string kBob = "bob@customer.test";
inline const std::string kCarol = "carol@customer.test";

struct DeskOptions {
    Db db = Db::sqlite;
    std::string imap_url;          // default: plain IMAP of the test servers
    std::string ca_file;           // for imaps
    std::string after_ingest = "flag";
    std::string move_to = "Handled";   // with after_ingest: move
    std::string extra_mailbox_yaml;  // appended to the mailbox entry
    std::string extra_yaml;          // appended at top level
    std::string folder = "INBOX";
    std::string poll_interval = "1s";
    int batch_size = 50;
    // The tests put mail in before the daemon's first start and expect it taken in as usual:
    // "since 1d" does that (the shipped default, new_only, would leave it alone).
    std::string first_start = "{ since: 1d }";
    std::string smtp_url;            // default: the test Postfix (50 MB); e.g. servers().smtpLimitedUrl()
    std::string extra_smtp_yaml;     // appended to the smtp map ("  max_message_size: 1MB\n")
    std::string extra_agents_yaml;   // appended to the agents list
};

class Desk {
public:
    explicit Desk(DeskOptions options = {});
    ~Desk();

    const std::string& configPath() const { return config_; }
    const std::string& dbUrl() const { return db_url_; }
    SociStore& store();  // opened lazily in the test process

    void start(const std::vector<std::string>& extra_args = {});
    DeskgateProcess& process() { return *process_; }
    void stop();  // SIGTERM and wait
    // Another daemon on the same configuration and database (for several daemons side by side).
    std::unique_ptr<DeskgateProcess> spawn(const std::vector<std::string>& extra_args = {});

    std::int64_t ticketCount() { return store().tickets.countTickets(); }
    CommandResult cli(const std::vector<std::string>& args, const std::optional<std::string>& stdinData = {});

    static std::string customerMail(const std::string& from, const std::string& subject, const std::string& body,
                                    const std::string& message_id, const std::string& extra_headers = "");

private:
    DeskOptions options_;
    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<PgDatabase> pg_;
    std::string config_;
    std::string db_url_;
    std::unique_ptr<SociStore> store_;
    std::unique_ptr<DeskgateProcess> process_;
};

// Empties the mailboxes the tests use.
void clearAllMailboxes();

// The acknowledgements (or other mails from support@) in `user`'s INBOX.
std::vector<Message> mailsFromSupport(const std::string& user);

ParsedMail parsed(const Message& m);
// Mails from support@ in `user`'s INBOX whose decoded subject contains `part`.
std::vector<ParsedMail> received(const std::string& user, const std::string& part);
// Waits (30 s) until `user` has at least `n` such mails; fails the test with the daemon's log.
std::vector<ParsedMail> waitForMails(Desk& desk, const std::string& user, const std::string& part, std::size_t n);
// An event on ticket `number` by `actor` of `type` whose detail contains `detail_part`.
bool hasEvent(Desk& desk, std::int64_t number, const std::string& actor, const std::string& type,
              const std::string& detail_part = "");
void waitForEvent(Desk& desk, std::int64_t number, const std::string& actor, const std::string& type,
                  const std::string& detail_part = "");
// Outbox rows of one kind, whatever their status.
std::size_t outboxKind(Desk& desk, const std::string& kind);

}  // namespace deskgate::test
