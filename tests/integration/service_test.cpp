// Issue 13: deskgate as a service. The metrics endpoint scraped during a run, its counters
// checked against what the test did and its text read by the reference parser (Python's
// prometheus_client); `deskgate status` against a running desk, a dead mailbox and a database
// that does not answer; sd_notify READY/WATCHDOG/STOPPING on a socket of the test's own.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <regex>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;
using json = nlohmann::json;

namespace {

struct HttpResponse {
    long status = 0;
    std::string contentType;
    std::string body;
};

HttpResponse httpGet(const std::string& url) {
    HttpResponse r;
    CURL* curl = curl_easy_init();
    REQUIRE(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* out) {
        static_cast<std::string*>(out)->append(p, s * n);
        return s * n;
    });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    CURLcode rc = curl_easy_perform(curl);
    REQUIRE_MESSAGE(rc == CURLE_OK, curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type) r.contentType = type;
    curl_easy_cleanup(curl);
    return r;
}

// The port the daemon bound for `listen: 127.0.0.1:0`, from its log line.
int metricsPort(DeskgateProcess& p) {
    REQUIRE_MESSAGE(p.waitForOutput("serving metrics", 15s), p.output());
    std::smatch m;
    const std::string out = p.output();
    REQUIRE(std::regex_search(out, m, std::regex("serving metrics listen=\\S+ port=(\\d+)")));
    return std::stoi(m[1]);
}

// The exposition as the reference parser reads it.
struct Scrape {
    json families;
    json samples;
    // The value of the sample with this name and exactly these labels (nullopt: absent).
    std::optional<double> value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
        for (const auto& s : samples) {
            if (s[0] != name) continue;
            if (s[1].size() != labels.size()) continue;
            bool same = true;
            for (const auto& [k, v] : labels) same = same && s[1].contains(k) && s[1][k] == v;
            if (same && s[2].is_number()) return s[2].get<double>();
        }
        return std::nullopt;
    }
    double sum(const std::string& name, const std::string& label, const std::string& value) const {
        double total = 0;
        for (const auto& s : samples)
            if (s[0] == name && s[1].contains(label) && s[1][label] == value) total += s[2].get<double>();
        return total;
    }
};

Scrape scrape(int port) {
    auto r = httpGet("http://127.0.0.1:" + std::to_string(port) + "/metrics");
    REQUIRE(r.status == 200);
    CHECK(r.contentType.find("text/plain; version=0.0.4") == 0);
    auto parsed = runCommand({"/usr/bin/python3", std::string(DESKGATE_SOURCE_DIR) + "/tests/integration/parse_metrics.py"},
                             r.body);
    REQUIRE_MESSAGE(parsed.status.exited, parsed.err);
    REQUIRE_MESSAGE(parsed.status.code == 0, (parsed.err + "\n" + r.body));
    auto j = json::parse(parsed.out);
    return {j["families"], j["samples"]};
}

std::size_t outboxCount(Desk& desk, const std::string& status, const std::string& kind) {
    std::size_t n = 0;
    for (const auto& m : desk.store().outbox.listOutbox(status))
        if (m.kind == kind) ++n;
    return n;
}

CommandResult status(const std::string& config) { return runDeskgate({"status", "--json", "--config", config}); }

}  // namespace

TEST_CASE("metrics: scraped during a run, the counters match the mails taken in and the answers sent") {
    clearAllMailboxes();
    TempDir rules("metrics-rules");
    rules.write("routing.yaml", "routing:\n  - name: everything\n    set: { queue: general }\n");
    Desk desk(DeskOptions{.extra_yaml = "metrics: { listen: \"127.0.0.1:0\" }\nrules: " + rules.path().string() + "\n"});
    desk.start();
    const int port = metricsPort(desk.process());

    // Before any mail: the families are there, the IMAP session comes up.
    REQUIRE_MESSAGE(waitFor([&] { return scrape(port).value("deskgate_imap_connected", {{"mailbox", "support"}}) == 1.0; }, 20s),
                    desk.process().output());
    auto first = scrape(port);
    CHECK(first.families["deskgate_mails_taken_in"] == "counter");
    CHECK(first.families["deskgate_intake_mail_seconds"] == "histogram");
    CHECK(first.families["deskgate_outbox_queued"] == "gauge");
    CHECK(first.value("deskgate_build_info", {{"version", DESKGATE_VERSION}}) == 1.0);
    CHECK(first.value("deskgate_database_errors_total", {{"component", "imap"}, {"kind", "unavailable"}}) == 0.0);

    // Three customers write; one mail comes back from deskgate itself (a loop): quarantined.
    for (const auto& [from, subject] : std::vector<std::pair<std::string, std::string>>{
             {kAlice, "printer"}, {kBob, "invoice"}, {kCarol, "login"}})
        sendMail(from, {kSupport}, Desk::customerMail(from, subject, "please help", uniqueMessageId()));
    deliverDirect(kSupport, "INBOX",
                  Desk::customerMail("Test Support <support@helpdesk.test>", "[Ticket#1001] loop", "x", uniqueMessageId()));
    REQUIRE_MESSAGE(waitFor([&] {
        return mailsFromSupport(kAlice).size() == 1 && mailsFromSupport(kBob).size() == 1 &&
               mailsFromSupport(kCarol).size() == 1;
    }, 30s), desk.process().output());
    // Every answer handed to SMTP (acknowledgements and the agents' notifications).
    REQUIRE_MESSAGE(waitFor([&] { return desk.store().outbox.listOutbox("queued").empty(); }, 30s), desk.process().output());
    REQUIRE(waitFor([&] { return scrape(port).value("deskgate_outbox_queued") == 0.0; }, 10s));

    auto s = scrape(port);
    CHECK(s.value("deskgate_mails_taken_in_total", {{"mailbox", "support"}, {"outcome", "new_ticket"}}) == 3.0);
    CHECK(s.value("deskgate_mails_taken_in_total", {{"mailbox", "support"}, {"outcome", "quarantined"}}) == 1.0);
    CHECK(s.value("deskgate_mails_quarantined_total", {{"mailbox", "support"}, {"reason", "mail_loop"}}) == 1.0);
    CHECK(s.value("deskgate_quarantine_held") == 1.0);
    CHECK(s.value("deskgate_intake_mail_seconds_count") == 4.0);
    CHECK(s.value("deskgate_intake_mail_seconds_bucket", {{"le", "+Inf"}}).has_value());
    CHECK(s.value("deskgate_intake_batch_seconds_count") >= 1.0);
    // Sends by kind and result: exactly what the outbox table says went out.
    const auto acks = outboxCount(desk, "sent", "acknowledgement");
    const auto notifications = outboxCount(desk, "sent", "agent_notification");
    CHECK(acks == 3);
    CHECK(notifications >= 3);
    CHECK(s.value("deskgate_sends_total", {{"kind", "acknowledgement"}, {"result", "sent"}}) == double(acks));
    CHECK(s.value("deskgate_sends_total", {{"kind", "agent_notification"}, {"result", "sent"}}) == double(notifications));
    CHECK(s.sum("deskgate_sends_total", "result", "failed") == 0.0);
    CHECK(s.value("deskgate_send_seconds_count") == double(acks + notifications));
    CHECK(s.value("deskgate_outbox_oldest_queued_age_seconds") == 0.0);
    CHECK(s.value("deskgate_rule_hits_total", {{"rule", "everything"}}) == 3.0);
    CHECK(s.value("deskgate_tickets", {{"state", "open"}}) == 3.0);
    auto contact = s.value("deskgate_imap_last_contact_timestamp_seconds", {{"mailbox", "support"}});
    REQUIRE(contact);
    CHECK(*contact > double(std::time(nullptr) - 120));

    // Only /metrics is served.
    CHECK(httpGet("http://127.0.0.1:" + std::to_string(port) + "/").status == 404);
    desk.stop();
}

TEST_CASE("deskgate status: a running desk is healthy; a dead mailbox degrades it; no database is exit 2") {
    clearAllMailboxes();
    // A second mailbox on a port where nothing listens: its session fails again and again.
    const std::string dead =
        "  - name: dead\n    url: imap://127.0.0.1:1\n    username: support@helpdesk.test\n"
        "    password: x\n    address: dead@helpdesk.test\n    poll_interval: 1s\n";
    {
        Desk desk;
        desk.start();
        sendMail(kAlice, {kSupport}, Desk::customerMail(kAlice, "status", "x", uniqueMessageId()));
        REQUIRE_MESSAGE(waitFor([&] { return mailsFromSupport(kAlice).size() == 1; }, 30s), desk.process().output());
        json j;
        REQUIRE_MESSAGE(waitFor([&] {
            auto r = status(desk.configPath());
            if (r.status.code != 0) return false;
            j = json::parse(r.out);
            return j["smtp"]["state"] == "ok";
        }, 20s), status(desk.configPath()).out);
        CHECK(j["state"] == "healthy");
        REQUIRE(j["mailboxes"].size() == 1);
        CHECK(j["mailboxes"][0]["name"] == "support");
        CHECK(j["mailboxes"][0]["state"] == "ok");
        CHECK(j["mailboxes"][0]["connected"] == true);
        CHECK(j["mailboxes"][0]["checkpoint"]["last_uid"].get<long>() >= 1);
        CHECK(j["tickets"]["open"] == 1);
        CHECK(j["outbox"]["queued"] == 0);
        CHECK(j["quarantine"]["held"] == 0);
        auto text = runDeskgate({"status", "--config", desk.configPath()});
        CHECK(text.status.code == 0);
        CHECK(text.out.find("deskgate status: healthy") == 0);

        // Stopped cleanly: the mailbox is no longer connected, and status says so.
        desk.stop();
        auto after = status(desk.configPath());
        CHECK(after.status.code == 1);
        CHECK(json::parse(after.out)["mailboxes"][0]["state"] == "not_connected");
    }
    {
        Desk desk(DeskOptions{.extra_mailbox_yaml = dead});
        desk.start();
        json j;
        REQUIRE_MESSAGE(waitFor([&] {
            auto r = status(desk.configPath());
            j = json::parse(r.out);
            return r.status.code == 1 && j["mailboxes"].size() == 2 && !j["mailboxes"][1]["last_error"].is_null() &&
                   j["mailboxes"][0]["state"] == "ok";
        }, 30s), (status(desk.configPath()).out + desk.process().output()));
        CHECK(j["state"] == "degraded");
        CHECK(j["mailboxes"][0]["name"] == "support");
        CHECK(j["mailboxes"][1]["name"] == "dead");
        CHECK(j["mailboxes"][1]["state"] == "not_connected");
        CHECK(j["mailboxes"][1]["connected"] == false);
        auto text = runDeskgate({"status", "--config", desk.configPath()});
        CHECK(text.status.code == 1);
        CHECK(text.out.find("DEGRADED") != std::string::npos);
        CHECK(text.out.find("last error") != std::string::npos);
        desk.stop();
    }
    {
        // PostgreSQL where nothing answers: status cannot tell anything but that.
        TempDir dir("status-nodb");
        auto config = dir.write("deskgate.yaml",
                                "database: postgresql://deskgate:deskgate@127.0.0.1:1/deskgate\n"
                                "mailboxes:\n  - { name: support, url: imap://127.0.0.1:1, username: u, password: p,"
                                " address: support@helpdesk.test }\n"
                                "smtp: { url: smtp://127.0.0.1:1 }\n"
                                "templates: " + std::string(DESKGATE_SOURCE_DIR) + "/etc/templates\n");
        auto r = status(config.string());
        CHECK(r.status.code == 2);
        CHECK(json::parse(r.out)["state"] == "database_unreachable");
        auto text = runDeskgate({"status", "--config", config.string()});
        CHECK(text.status.code == 2);
        CHECK(text.out.find("DATABASE UNREACHABLE") != std::string::npos);
        CHECK(text.out.find("deskgate:deskgate") == std::string::npos);  // no password printed
    }
}

namespace {

// A datagram socket like systemd's notify socket; reads what the daemon sends.
class NotifySocket {
public:
    explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof addr.sun_path);
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        timeval tv{0, 100000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~NotifySocket() { ::close(fd_); }
    // Reads datagrams until `until` is among them or `timeout` passes; all are kept in messages.
    bool waitFor(std::string_view until, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            char buf[4096];
            auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) messages.emplace_back(buf, static_cast<std::size_t>(n));
            for (const auto& m : messages)
                if (m.find(until) != std::string::npos) return true;
        }
        return false;
    }
    // Reads whatever comes for `d`.
    void collect(std::chrono::milliseconds d) {
        auto deadline = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < deadline) {
            char buf[4096];
            auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) messages.emplace_back(buf, static_cast<std::size_t>(n));
        }
    }
    std::size_t count(std::string_view what) const {
        std::size_t n = 0;
        for (const auto& m : messages) n += m.find(what) != std::string::npos;
        return n;
    }
    std::vector<std::string> messages;

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace

TEST_CASE("sd_notify: READY=1 once the mailbox logged in, WATCHDOG=1 from the loop, STOPPING=1 on SIGTERM") {
    clearAllMailboxes();
    Desk desk;
    TempDir dir("notify");
    NotifySocket socket(dir / "notify.sock");
    ProcessOptions po;
    po.env = {{"NOTIFY_SOCKET", (dir / "notify.sock").string()}, {"WATCHDOG_USEC", "400000"}};
    po.logFile = dir / "deskgate.log";
    DeskgateProcess p({"run", "--config", desk.configPath()}, po);
    REQUIRE_MESSAGE(socket.waitFor("READY=1", 20s), p.output());
    CHECK(p.output().find("ready: every mailbox logged in") != std::string::npos);
    CHECK(p.output().find("watching mailbox=support") < p.output().find("ready: every mailbox"));
    // 400 ms watchdog: a ping every 200 ms from the event loop.
    socket.messages.clear();
    socket.collect(1500ms);
    CHECK(socket.count("WATCHDOG=1") >= 4);
    p.signal(SIGTERM);
    CHECK(socket.waitFor("STOPPING=1", 10s));
    auto st = p.wait(20s);
    REQUIRE(st);
    CHECK(st->code == 0);
}

TEST_CASE("sd_notify: a mailbox that cannot log in holds READY=1 back only until start_timeout") {
    Desk desk(DeskOptions{.extra_mailbox_yaml = "  - { name: dead, url: \"imap://127.0.0.1:1\", username: u, password: p,"
                                                " address: dead@helpdesk.test }\n",
                          .extra_yaml = "start_timeout: 2s\n"});
    TempDir dir("notify-timeout");
    NotifySocket socket(dir / "notify.sock");
    ProcessOptions po;
    po.env = {{"NOTIFY_SOCKET", (dir / "notify.sock").string()}};
    po.logFile = dir / "deskgate.log";
    const auto start = std::chrono::steady_clock::now();
    DeskgateProcess p({"run", "--config", desk.configPath()}, po);
    REQUIRE_MESSAGE(socket.waitFor("READY=1", 20s), p.output());
    CHECK(std::chrono::steady_clock::now() - start >= 1900ms);
    CHECK(p.output().find("ready after start_timeout=2s") != std::string::npos);
    CHECK(socket.count("WATCHDOG=1") == 0);  // no WATCHDOG_USEC: no pings
    p.signal(SIGTERM);
    REQUIRE(p.wait(20s));
}
