#include "desk_fixture.hpp"

#include <csignal>
#include <fstream>

namespace deskgate::test {

Desk::Desk(DeskOptions options) : options_(std::move(options)), dir_(std::make_unique<TempDir>("desk")) {
    if (options_.db == Db::postgresql) {
        pg_ = std::make_unique<PgDatabase>("desk");
        db_url_ = pg_->url();
    } else {
        db_url_ = "sqlite:" + (dir_->path() / "deskgate.db").string();
    }
    const auto& s = servers();
    dir_->write("support.password", s.password + "\n");
    std::string imap = options_.imap_url.empty() ? s.imapUrl() : options_.imap_url;
    std::string yaml;
    yaml += "database: " + db_url_ + "\n";
    yaml += "identity:\n  name: Test Support\n  address: support@helpdesk.test\n  domain: helpdesk.test\n";
    yaml += "mailboxes:\n  - name: support\n    url: " + imap + "\n    username: support@helpdesk.test\n";
    yaml += "    password_file: support.password\n    address: support@helpdesk.test\n";
    yaml += "    folder: \"" + options_.folder + "\"\n    after_ingest: " + options_.after_ingest + "\n";
    if (options_.after_ingest == "move") yaml += "    move_to: \"" + options_.move_to + "\"\n";
    yaml += "    poll_interval: " + options_.poll_interval + "\n";
    yaml += "    first_start: " + options_.first_start + "\n";
    yaml += "    batch_size: " + std::to_string(options_.batch_size) + "\n";
    if (!options_.ca_file.empty()) yaml += "    ca_file: " + options_.ca_file + "\n";
    yaml += options_.extra_mailbox_yaml;
    yaml += "smtp:\n  url: " + (options_.smtp_url.empty() ? s.smtpUrl() : options_.smtp_url) +
            "/helpdesk.test\n  retry_initial: 1s\n  retry_max: 2s\n  timeout: 2s\n" + options_.extra_smtp_yaml;
    yaml += "agents:\n  - { name: agent1, address: agent1@helpdesk.test }\n"
            "  - { name: agent2, address: agent2@helpdesk.test }\n" +
            options_.extra_agents_yaml;
    yaml += std::string("templates: ") + DESKGATE_SOURCE_DIR + "/etc/templates\n";
    yaml += options_.extra_yaml;
    config_ = dir_->write("deskgate.yaml", yaml).string();
}

Desk::~Desk() {
    if (process_ && process_->running()) {
        process_->signal(SIGTERM);
        if (!process_->wait(10s)) process_->signal(SIGKILL);
    }
    store_.reset();
}

SociStore& Desk::store() {
    if (!store_) store_ = std::make_unique<SociStore>(parseDatabaseUrl(db_url_));
    return *store_;
}

void Desk::start(const std::vector<std::string>& extra_args) {
    std::vector<std::string> args = {"run", "--config", config_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    ProcessOptions po;
    po.logFile = dir_->path() / ("deskgate-" + std::to_string(std::rand()) + ".log");
    process_ = std::make_unique<DeskgateProcess>(args, po);
}

std::unique_ptr<DeskgateProcess> Desk::spawn(const std::vector<std::string>& extra_args) {
    std::vector<std::string> args = {"run", "--config", config_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    ProcessOptions po;
    static int counter = 0;
    po.logFile = dir_->path() / ("deskgate-" + std::to_string(++counter) + "-" + std::to_string(std::rand()) + ".log");
    return std::make_unique<DeskgateProcess>(args, po);
}

void Desk::stop() {
    if (!process_) return;
    process_->signal(SIGTERM);
    auto st = process_->wait(20s);
    REQUIRE_MESSAGE(st, "deskgate did not stop within 20 s after SIGTERM");
    CHECK_MESSAGE(st->exited, st->describe());
    CHECK(st->code == 0);
}

CommandResult Desk::cli(const std::vector<std::string>& args, const std::optional<std::string>& stdinData) {
    std::vector<std::string> full = args;
    full.push_back("--config");
    full.push_back(config_);
    return runDeskgate(full, stdinData);
}

std::string Desk::customerMail(const std::string& from, const std::string& subject, const std::string& body,
                               const std::string& message_id, const std::string& extra_headers) {
    return "From: " + from + "\r\nTo: Support <support@helpdesk.test>\r\nSubject: " + subject +
           "\r\nMessage-ID: " + message_id + "\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\n" + extra_headers +
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
           body + "\r\n";
}

void clearAllMailboxes() {
    for (const char* user : {"support@helpdesk.test", "alice@customer.test", "bob@customer.test", "carol@customer.test",
                             "agent1@helpdesk.test", "supervisor@helpdesk.test"})
        clearMailbox(user, "INBOX");
}

std::vector<Message> mailsFromSupport(const std::string& user) {
    std::vector<Message> out;
    for (auto& m : fetchAll(user, "INBOX"))
        if (auto from = headerValue(m.raw, "From"); from && from->find("support@helpdesk.test") != std::string::npos)
            out.push_back(std::move(m));
    return out;
}

ParsedMail parsed(const Message& m) {
    auto p = parseMail(m.raw);
    REQUIRE(p);
    return *p;
}

// Mails from support@ in `user`'s INBOX whose decoded subject contains `part`.
std::vector<ParsedMail> received(const std::string& user, const std::string& part) {
    std::vector<ParsedMail> out;
    for (const auto& m : mailsFromSupport(user)) {
        auto p = parsed(m);
        if (p.subject.find(part) != std::string::npos) out.push_back(p);
    }
    return out;
}

std::vector<ParsedMail> waitForMails(Desk& desk, const std::string& user, const std::string& part, std::size_t n) {
    std::vector<ParsedMail> mails;
    bool arrived = waitFor([&] { return (mails = received(user, part)).size() >= n; }, 30s);
    REQUIRE_MESSAGE(arrived, "waiting for " << n << " mail(s) '" << part << "' to " << user << "\n"
                                            << desk.process().output());
    return mails;
}

bool hasEvent(Desk& desk, std::int64_t number, const std::string& actor, const std::string& type,
              const std::string& detail_part) {
    auto t = desk.store().tickets.ticketByNumber(number);
    if (!t) return false;
    for (const auto& e : desk.store().tickets.eventsOf(t->id))
        if (e.actor == actor && e.type == type && e.detail.find(detail_part) != std::string::npos) return true;
    return false;
}

void waitForEvent(Desk& desk, std::int64_t number, const std::string& actor, const std::string& type,
                  const std::string& detail_part) {
    REQUIRE_MESSAGE(waitFor([&] { return hasEvent(desk, number, actor, type, detail_part); }, 30s),
                    "waiting for event " << type << " by " << actor << " on " << number << "\n"
                                         << desk.process().output());
}

std::size_t outboxKind(Desk& desk, const std::string& kind) {
    std::size_t n = 0;
    for (const std::string status : {"queued", "sent", "failed"})
        for (const auto& o : desk.store().outbox.listOutbox(status))
            if (o.kind == kind) ++n;
    return n;
}

}  // namespace deskgate::test
