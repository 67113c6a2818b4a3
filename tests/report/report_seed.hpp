// A desk with known history for the report tests, built only through the real code path:
// raw mails through Intake::process with an injected clock — customers write, agents answer
// and command by mail (#resolve, #close, #pending), customers answer the rating question.
#pragma once

#include <fstream>
#include <memory>
#include <string>

#include "daemon/desk/intake.hpp"
#include "daemon/runtime.hpp"
#include "tests/support/backends.hpp"

namespace deskgate::test {

// Monday 2026-11-16 00:00:00 UTC; Berlin is UTC+1 then.
inline constexpr UnixTime kMonday = 1'794'787'200;
inline constexpr UnixTime kHour = 3600;
inline constexpr UnixTime kDay = 86400;

struct SeededDesk {
    std::filesystem::path dir = freshDirectory("report");
    UnixTime now = kMonday;
    std::shared_ptr<const Runtime> runtime;
    std::unique_ptr<SociStore> store;

    // database: "" = SQLite in the test directory, else a PostgreSQL URL.
    explicit SeededDesk(const std::string& database, const std::string& extra_config = "") {
        writeFile(dir / "rules/rules.yaml", R"(
teams:
  first: { agents: [anna, ben], assign: round_robin }
routing:
  - name: invoices
    when: { subject: '(?i)\binvoice\b' }
    set: { queue: billing, priority: high, category: billing, tags: [invoice, money], sla: fast, team: first }
  - name: everything else
    set: { queue: general, tags: [general], sla: std, team: first }
calendars:
  office: { timezone: Europe/Berlin, hours: { mon-fri: "09:00-17:00" } }
  always: { timezone: UTC, hours: 24x7 }
sla:
  fast: { calendar: office, first_response: 1h, resolution: 8h }
  std: { calendar: always, first_response: 4h, resolution: 2d, pause_when: [pending] }
reopen: { within: 7d }
)");
        std::string db = database.empty() ? "sqlite:desk.db" : database;
        writeFile(dir / "deskgate.yaml",
                  "database: " + db + "\nidentity: { name: ACME, address: support@acme.test }\n"
                  "smtp: { url: smtp://127.0.0.1:1 }\nrules: rules\n"
                  "agent_mail: { trusted_servers: [mx.acme.test] }\n"
                  "agents:\n  - { name: anna, address: anna@acme.test, teams: [first] }\n"
                  "  - { name: ben, address: ben@acme.test, teams: [first] }\n"
                  "templates: " + std::string(DESKGATE_SOURCE_DIR) + "/etc/templates\n" + extra_config);
        auto loaded = loadRuntime(dir / "deskgate.yaml");
        REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().front()));
        runtime = *loaded;
        store = std::make_unique<SociStore>(parseDatabaseUrl(runtime->config.database));
    }

    IntakeResult mail(UnixTime at, const std::string& headers, const std::string& body = "Hello\r\n") {
        now = at;
        Intake intake(*runtime, *store, [this] { return now; });
        IntakeResult r;
        store->transaction([&] { r = intake.process(MailOrigin{"support", 0, 0}, headers + "\r\n" + body); });
        return r;
    }

    // A customer's new mail; returns the ticket number.
    std::int64_t newTicket(UnixTime at, const std::string& from, const std::string& subject) {
        auto r = mail(at, "From: " + from + "\r\nTo: support@acme.test\r\nSubject: " + subject + "\r\nMessage-ID: <" +
                              std::to_string(at) + "@customer.test>\r\n");
        REQUIRE(r.outcome == "new_ticket");
        return *r.ticket_number;
    }

    // What our MTA adds to an agent's DKIM-signed mail: its verdict above its Received line.
    static std::string signedByOurMta() {
        return "Authentication-Results: mx.acme.test; dkim=pass header.d=acme.test\r\n"
               "Received: from laptop by mx.acme.test (Postfix) with ESMTPSA id 4Q; Mon, 2 Nov 2026 08:00:00 +0000\r\n";
    }

    // A reply on a ticket (customer or agent), threaded by the token in the subject; agents'
    // mail comes through our MTA with its DKIM verdict.
    IntakeResult reply(UnixTime at, const std::string& from, std::int64_t number, const std::string& extra_headers = "") {
        const bool agent = from.ends_with("@acme.test");
        auto r = mail(at, (agent ? signedByOurMta() : "") + "From: " + from + "\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#" +
                              std::to_string(number) + "] question\r\nMessage-ID: <" + std::to_string(at) + "." +
                              std::to_string(number) + "@reply.test>\r\n" + extra_headers);
        REQUIRE((r.outcome == "reply" || r.outcome == "agent_reply"));
        return r;
    }

    // An agent answers: intake relays the text to the customer as the agent's agent_reply.
    void agentAnswers(UnixTime at, const std::string& agent, std::int64_t number) {
        REQUIRE(reply(at, agent + "@acme.test", number).outcome == "agent_reply");
        auto t = store->tickets.ticketByNumber(number);
        bool relayed = false;
        for (const auto& m : store->tickets.messagesOf(t->id))
            relayed |= m.direction == "out" && m.kind == "agent_reply" && m.author == "agent:" + agent && m.created_at == at;
        REQUIRE(relayed);
    }

    // The assigned agent sends "#resolve" / "#close" / "#pending" from their mail client;
    // #resolve and #close ask the customer for a rating.
    void setStatus(UnixTime at, std::int64_t number, const std::string& status) {
        auto t = store->tickets.ticketByNumber(number);
        REQUIRE(t);
        const std::string command = status == "resolved" ? "#resolve" : status == "closed" ? "#close" : "#" + status;
        auto r = mail(at, signedByOurMta() + "From: " + t->assignee + "@acme.test\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#" +
                              std::to_string(number) + "] question\r\nMessage-ID: <" + std::to_string(at) + "." +
                              std::to_string(number) + "@status.test>\r\n",
                      command + "\r\n");
        REQUIRE(r.outcome == "agent_reply");
        REQUIRE(store->tickets.ticketByNumber(number)->status == status);
    }

    // The customer answers the satisfaction question with a number.
    void rate(UnixTime at, std::int64_t number, int rating) {
        auto t = store->tickets.ticketByNumber(number);
        REQUIRE(t);
        auto r = mail(at, "From: " + t->customer_address + "\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#" +
                              std::to_string(number) + "] Resolved\r\nMessage-ID: <" + std::to_string(at) + "." +
                              std::to_string(number) + "@rating.test>\r\n",
                      std::to_string(rating) + " - thanks\r\n");
        REQUIRE(r.outcome == "rating");
        REQUIRE(store->tickets.ticketByNumber(number)->rating == rating);
    }

    // The whole history; see report_test.cpp for the figures it must give.
    void seed() {
        const UnixTime T = kMonday;
        // #1001, the week before: never answered, now pending on the customer.
        auto old = newTicket(T - 7 * kDay + 8 * kHour, "frank@customer.test", "Old question");
        setStatus(T - 6 * kDay, old, "pending");
        // #1002 Mon 08:00Z (09:00 Berlin): answered after 30 min, resolved, rated 5,
        // reopened by the customer on Tuesday, resolved again Tuesday 11:00Z.
        auto a = newTicket(T + 8 * kHour, "alice@customer.test", "Invoice 1 is wrong");
        agentAnswers(T + 8 * kHour + 1800, "ben", a);
        setStatus(T + 12 * kHour, a, "resolved");
        rate(T + 13 * kHour, a, 5);
        reply(T + kDay + 9 * kHour, "alice@customer.test", a);  // reopens
        setStatus(T + kDay + 11 * kHour, a, "resolved");
        // #1003 Mon 16:30Z (17:30 Berlin, after hours): answered Tue 08:30Z, still open.
        auto b = newTicket(T + 16 * kHour + 1800, "bob@customer.test", "Invoice 2 missing");
        agentAnswers(T + kDay + 8 * kHour + 1800, "anna", b);
        // An out-of-office on #1003 (stored, never answered).
        reply(T + kDay + 12 * kHour, "bob@customer.test", b, "Auto-Submitted: auto-replied\r\n");
        // #1004 Tue 10:00Z: answered after 5 h (late for std's 4 h), closed Wed 10:00Z, rated 2.
        auto c = newTicket(T + kDay + 10 * kHour, "carol@customer.test", "Login fails");
        agentAnswers(T + kDay + 15 * kHour, "ben", c);
        setStatus(T + 2 * kDay + 10 * kHour, c, "closed");
        rate(T + 2 * kDay + 11 * kHour, c, 2);
        // A bounce of carol's first mail (threaded by In-Reply-To).
        mail(T + kDay + 16 * kHour,
             "From: MAILER-DAEMON@mx.customer.test\r\nTo: support@acme.test\r\nSubject: Undelivered Mail Returned to "
             "Sender\r\nMessage-ID: <dsn1@mx.customer.test>\r\nIn-Reply-To: <" +
                 std::to_string(T + kDay + 10 * kHour) + "@customer.test>\r\nAuto-Submitted: auto-replied\r\n"
                 "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n",
             "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
             "Reporting-MTA: dns; mx.customer.test\r\n\r\nFinal-Recipient: rfc822; carol@customer.test\r\nAction: failed\r\n"
             "Status: 5.1.1\r\n--b--\r\n");
        // #1005 Wed 09:00Z: never answered (both deadlines pass before "now").
        newTicket(T + 2 * kDay + 9 * kHour, "dave@customer.test", "Invoice 3");
        // #1006 Thu 11:00Z: first response due Thu 15:00Z, inside the 4 h risk window at noon.
        newTicket(T + 3 * kDay + 11 * kHour, "erin@customer.test", "Need help");
        // Quarantined: our own mail coming back, and a mail without any sender.
        mail(T + kDay + 14 * kHour, "From: support@acme.test\r\nTo: support@acme.test\r\nSubject: loop\r\n"
                                    "Message-ID: <loop1@acme.test>\r\n");
        mail(T + kDay + 14 * kHour + 60, "To: support@acme.test\r\nSubject: nobody\r\nMessage-ID: <anon1@x.test>\r\n");
        now = T + 3 * kDay + 12 * kHour;  // Thursday noon: the report's "now"
    }
};

}  // namespace deskgate::test
