// A desk without servers for the unit tests of daemon/desk: the real Intake on a real SQLite
// file with an injected clock; what deskgate would send is read back from the outbox with
// deskgate's own parser.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "daemon/desk/intake.hpp"
#include "daemon/runtime.hpp"
#include "tests/support/backends.hpp"

namespace deskgate::test {


struct Desk {
    std::filesystem::path dir = test::freshDirectory("agent-mail");
    UnixTime now = 1'795'000'000;
    std::shared_ptr<const Runtime> runtime;
    std::unique_ptr<SociStore> store;
    int sequence = 0;

    // `smtp_extra` goes into the smtp map (", max_message_size: 1MB"); `team` replaces the team.
    explicit Desk(const std::string& extra_config = "", const std::string& extra_rules = "",
                  const std::string& smtp_extra = "",
                  const std::string& team = "first: { agents: [anna, ben], assign: round_robin }") {
        writeFile(dir / "rules/rules.yaml", R"(
teams:
  )" + team + R"(
routing:
  - name: german
    when: { subject: '(?i)drucker' }
    set: { language: de }
  - name: everything
    set: { team: first }
reopen: { within: 1d }
)" + extra_rules);
        writeFile(dir / "deskgate.yaml",
                  "database: sqlite:desk.db\nidentity: { name: ACME Support, address: support@acme.test }\n"
                  "smtp: { url: smtp://127.0.0.1:1" + smtp_extra + " }\nrules: rules\n"
                  "agents:\n  - { name: anna, address: anna@acme.test, display_name: Anna Schmidt }\n"
                  "  - { name: ben, address: ben@acme.test }\n"
                  "templates: " + std::string(DESKGATE_SOURCE_DIR) + "/etc/templates\n" + extra_config);
        auto loaded = loadRuntime(dir / "deskgate.yaml");
        REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().front()));
        runtime = *loaded;
        store = std::make_unique<SociStore>(parseDatabaseUrl(runtime->config.database));
    }

    std::string composerSecret() {
        MailComposer composer(*runtime, *store, [this] { return now; });
        return composer.replyKeySecret();
    }

    // A mail as a client writes it; returns its Message-ID.
    std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                     const std::string& extra_headers = "", IntakeResult* out = nullptr,
                     const std::string& in_reply_to = "") {
        std::string id = "m" + std::to_string(++sequence) + "@client.test";
        std::string raw = extra_headers + "From: " + from + "\r\nTo: support@acme.test\r\nSubject: " + subject +
                          "\r\nMessage-ID: <" + id + ">\r\n" +
                          (in_reply_to.empty() ? "" : "In-Reply-To: <" + in_reply_to + ">\r\n") +
                          "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body;
        Intake intake(*runtime, *store, [this] { return now; });
        IntakeResult r;
        store->transaction([&] { r = intake.process(MailOrigin{"pipe", 0, 0}, raw); });
        if (out) *out = r;
        now += 60;
        return id;
    }

    // A raw mail as it is (multipart mail the helpers here do not write).
    IntakeResult take(const std::string& raw) {
        Intake intake(*runtime, *store, [this] { return now; });
        IntakeResult r;
        store->transaction([&] { r = intake.process(MailOrigin{"pipe", 0, 0}, raw); });
        now += 60;
        return r;
    }

    // The Message-ID of the newest mail deskgate sent to `address` about ticket `number`: what
    // a mail client's "Reply" answers (it carries the agent's reply key).
    std::string lastSentTo(std::int64_t number, const std::string& address) {
        const auto ticketId = ticket(number).id;
        std::string last;
        for (const std::string status : {"queued", "sent"})
            for (const auto& o : store->outbox.listOutbox(status))
                if (o.ticket_id == ticketId &&
                    std::find(o.recipients.begin(), o.recipients.end(), address) != o.recipients.end())
                    last = o.message_id;
        REQUIRE_MESSAGE(!last.empty(), "deskgate sent nothing to " << address << " to reply to");
        return last;
    }

    // An agent answers as their mail client does on "Reply": In-Reply-To is the newest mail
    // deskgate sent to that address about the ticket the subject names (which carries the
    // agent's reply key).
    std::string reply(const std::string& from, const std::string& subject, const std::string& body,
                      IntakeResult* out = nullptr, const std::string& extra_headers = "") {
        const std::string address = from.find('<') == std::string::npos
                                        ? from
                                        : from.substr(from.find('<') + 1, from.find('>') - from.find('<') - 1);
        const auto number = std::stoll(subject.substr(subject.find("#") + 1));
        return mail(from, subject, body, extra_headers, out, lastSentTo(number, address));
    }

    // Queued mail of one kind, parsed back, oldest first.
    std::vector<ParsedMail> sent(const std::string& kind) {
        std::vector<ParsedMail> out;
        for (const auto& o : store->outbox.listOutbox("queued")) {
            if (o.kind != kind) continue;
            auto parsed = parseMail(o.raw);
            REQUIRE(parsed);
            out.push_back(*parsed);
        }
        return out;
    }
    std::vector<OutboxRecord> outbox(const std::string& kind) {
        std::vector<OutboxRecord> out;
        for (const auto& o : store->outbox.listOutbox("queued"))
            if (o.kind == kind) out.push_back(o);
        return out;
    }
    TicketRecord ticket(std::int64_t number) {
        auto t = store->tickets.ticketByNumber(number);
        REQUIRE(t);
        return *t;
    }
    std::vector<std::string> events(std::int64_t number) {
        std::vector<std::string> out;
        for (const auto& e : store->tickets.eventsOf(ticket(number).id)) out.push_back(e.actor + " " + e.type + ": " + e.detail);
        return out;
    }
};

inline bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

inline std::string addresses(const std::vector<Address>& list) {
    std::string out;
    for (const auto& a : list) out += (out.empty() ? "" : ",") + a.address;
    return out;
}

}  // namespace deskgate::test
