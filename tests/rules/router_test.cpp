// Routing: tables of rule files and mails with the expected decisions, the trace, hit counters.
#include <thread>

#include <doctest/doctest.h>

#include "rules/router.hpp"
#include "rules_test_util.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

struct MailSpec {
    std::string from = "customer@example.org";
    std::vector<std::string> to = {"support@helpdesk.test"};
    std::vector<std::string> cc = {};
    std::string subject = "Hello";
    std::string body = "Some text";
    std::vector<std::pair<std::string, std::string>> headers = {};
    std::vector<std::pair<std::string, std::string>> attachments = {};  // name, type
    MailKind kind = MailKind::normal;
};

ParsedMail mail(const MailSpec& s) {
    ParsedMail m;
    m.from.push_back(addr(s.from));
    for (const auto& a : s.to) m.to.push_back(addr(a));
    for (const auto& a : s.cc) m.cc.push_back(addr(a));
    m.subject = s.subject;
    m.text = "> quoted old text: what is my password?\n" + s.body;
    m.reply_text = s.body;
    m.headers = s.headers;
    for (const auto& [name, type] : s.attachments) {
        Attachment a;
        a.filename = name;
        a.content_type = type;
        a.size = 100;
        m.attachments.push_back(a);
    }
    m.kind = s.kind;
    return m;
}

std::shared_ptr<const RuleSet> exampleRules() {
    auto r = loadRuleDirectory(std::string(DESKGATE_SOURCE_DIR) + "/etc/rules", sampleEnvironment());
    REQUIRE(r.has_value());
    return *r;
}

// Decision as one line, so that a table row compares in one CHECK and prints readably.
std::string summary(const RuleSet& set, const Decision& d) {
    std::string s = "queue=" + d.queue.value_or("-") + " prio=" + (d.priority ? name(*d.priority) : "-") +
                    " team=" + d.team.value_or("-") + " agent=" + d.agent.value_or("-") + " sla=" + d.sla.value_or("-") +
                    " tags=";
    for (const auto& t : d.tags) s += t + ",";
    if (d.hold) s += " HOLD";
    if (d.ignore) s += " IGNORE";
    if (d.language) s += " lang=" + *d.language;
    s += " rules=";
    for (auto i : d.matched) s += "[" + set.rules[i].name + "]";
    return s;
}

}  // namespace

TEST_CASE("the example rules route a table of mails") {
    auto set = exampleRules();
    const SysSeconds mondayNoon = utc(2026, 11, 30, 11, 0);   // Mon 12:00 in Berlin
    const SysSeconds saturday = utc(2026, 11, 28, 9, 0);      // Sat 10:00 in Berlin
    struct Row {
        const char* what;
        MailSpec mail;
        SysSeconds now;
        const char* expected;
    };
    const Row rows[] = {
        {"plain mail gets the default", {}, mondayNoon,
         "queue=general prio=- team=first-level agent=- sla=standard tags= rules=[default]"},
        {"invoice in the subject", {.subject = "Ihre Rechnung 2026-11"}, mondayNoon,
         "queue=billing prio=high team=first-level agent=- sla=standard tags=invoice, rules=[invoices go to billing]"},
        {"billing address in Cc counts as a recipient", {.cc = {"Billing@Helpdesk.test"}}, mondayNoon,
         "queue=billing prio=high team=first-level agent=- sla=standard tags=invoice, rules=[invoices go to billing]"},
        {"a PDF attachment", {.attachments = {{"scan.pdf", "application/pdf"}}}, mondayNoon,
         "queue=billing prio=high team=first-level agent=- sla=standard tags=invoice, rules=[invoices go to billing]"},
        {"key account keeps urgent and gold over the invoice rule",
         {.from = "cfo@eu.BigCustomer.com", .subject = "Invoice 42"}, mondayNoon,
         "queue=billing prio=urgent team=first-level agent=- sla=gold tags=key-account,invoice, "
         "rules=[key accounts][invoices go to billing]"},
        {"key account with nothing else falls through to the default", {.from = "x@partner.de"}, mondayNoon,
         "queue=general prio=urgent team=first-level agent=- sla=gold tags=key-account, rules=[key accounts][default]"},
        {"outage from a customer", {.subject = "Server DOWN since 9:00"}, mondayNoon,
         "queue=incidents prio=urgent team=second-level agent=- sla=gold tags= "
         "rules=[outages go straight to second level]"},
        {"outage reported by ourselves is not an incident", {.from = "ben@helpdesk.test", .subject = "server down?"},
         mondayNoon, "queue=general prio=- team=first-level agent=- sla=standard tags= rules=[default]"},
        {"auto-replies are ignored", {.subject = "Out of office", .kind = MailKind::auto_reply}, mondayNoon,
         "queue=automatic prio=- team=- agent=- sla=- tags= IGNORE rules=[drop automatic mail]"},
        {"spam is held", {.headers = {{"x-spam-flag", "YES"}}}, mondayNoon,
         "queue=review prio=- team=- agent=- sla=- tags= HOLD rules=[spam flagged by the MTA]"},
        {"german mail on Saturday is tagged after-hours", {.headers = {{"Content-Language", "de-DE"}}}, saturday,
         "queue=general prio=- team=first-level agent=- sla=standard tags=after-hours, lang=de "
         "rules=[german mail after hours][default]"},
        {"german mail on Monday noon is not", {.headers = {{"Content-Language", "de"}}}, mondayNoon,
         "queue=general prio=- team=first-level agent=- sla=standard tags= rules=[default]"},
        {"german mail on a holiday (Thursday 2026-12-24) is", {.headers = {{"Content-Language", "de"}}},
         utc(2026, 12, 24, 10, 0),
         "queue=general prio=- team=first-level agent=- sla=standard tags=after-hours, lang=de "
         "rules=[german mail after hours][default]"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        RouteContext ctx{"support", row.now, ""};
        CHECK(summary(*set, route(*set, mail(row.mail), ctx)) == std::string(row.expected));
    }
}

TEST_CASE("each matcher, alone and combined") {
    auto set = load(R"(
calendars:
  office: { timezone: Europe/Berlin, hours: { mon-fri: "08:00-18:00" } }
routing:
  - { name: from,        when: { from: [Boss@Example.com] },                         set: { tags: [from] }, continue: true }
  - { name: from_regex,  when: { from_regex: '^noreply@' },                          set: { tags: [from_regex] }, continue: true }
  - { name: cc,          when: { cc: [audit@example.com] },                          set: { tags: [cc] }, continue: true }
  - { name: header,      when: { header: { name: X-Priority } },                     set: { tags: [header] }, continue: true }
  - { name: body,        when: { body: '(?i)\bpassword\b' },                         set: { tags: [body] }, continue: true }
  - { name: attach,      when: { has_attachment: true },                             set: { tags: [attach] }, continue: true }
  - { name: no_attach,   when: { has_attachment: false },                            set: { tags: [no_attach] }, continue: true }
  - { name: image,       when: { attachment_type: [image/*] },                       set: { tags: [image] }, continue: true }
  - { name: xlsx,        when: { attachment_name: '(?i)\.xlsx$' },                   set: { tags: [xlsx] }, continue: true }
  - { name: mailbox,     when: { mailbox: [billing] },                               set: { tags: [mailbox] }, continue: true }
  - { name: lang,        when: { language: [de] },                                   set: { tags: [lang] }, continue: true }
  - { name: night,       when: { time: { calendar: office, between: "22:00-06:00" } }, set: { tags: [night] }, continue: true }
  - { name: weekend,     when: { time: { calendar: office, weekday: [sat-sun] } },   set: { tags: [weekend] }, continue: true }
  - { name: bounce,      when: { kind: [bounce, list] },                             set: { tags: [bounce] }, continue: true }
  - name: nested
    when:
      all:
        - any: [ { subject: urgent }, { subject: dringend } ]
        - not: { from_domain: [example.com] }
    set: { tags: [nested] }
    continue: true
)");
    struct Row {
        const char* what;
        MailSpec mail;
        std::string mailbox;
        std::string language;
        SysSeconds now;
        std::string tags;
    };
    const SysSeconds weekday = utc(2026, 11, 30, 11, 0);   // Mon 12:00 Berlin
    const Row rows[] = {
        {"address match ignores case", {.from = "boss@example.COM"}, "support", "", weekday, "from,no_attach,"},
        {"from_regex", {.from = "noreply@shop.test"}, "support", "", weekday, "from_regex,no_attach,"},
        {"cc only Cc", {.to = {"audit@example.com"}}, "support", "", weekday, "no_attach,"},
        {"cc", {.cc = {"audit@example.com"}}, "support", "", weekday, "cc,no_attach,"},
        {"header present, any case", {.headers = {{"x-priority", "1"}}}, "support", "", weekday, "header,no_attach,"},
        {"body", {.body = "I forgot my Password."}, "support", "", weekday, "body,no_attach,"},
        {"body is the new text: 'password' only in the quote", {.body = "Thanks!"}, "support", "", weekday, "no_attach,"},
        {"image attachment", {.attachments = {{"a.png", "image/png"}}}, "support", "", weekday, "attach,image,"},
        {"xlsx attachment", {.attachments = {{"Report.XLSX", "application/octet-stream"}}}, "support", "", weekday,
         "attach,xlsx,"},
        {"mailbox", {}, "billing", "", weekday, "no_attach,mailbox,"},
        {"language from the context, region ignored", {}, "support", "de-AT", weekday, "no_attach,lang,"},
        {"23:30 Berlin is night", {}, "support", "", utc(2026, 11, 30, 22, 30), "no_attach,night,"},
        {"05:59 Berlin is night", {}, "support", "", utc(2026, 11, 30, 4, 59), "no_attach,night,"},
        {"06:00 Berlin is not", {}, "support", "", utc(2026, 11, 30, 5, 0), "no_attach,"},
        {"Sunday in Berlin, still Saturday in UTC", {}, "support", "", utc(2026, 11, 28, 23, 30),
         "no_attach,night,weekend,"},
        {"bounce", {.kind = MailKind::bounce}, "support", "", weekday, "no_attach,bounce,"},
        {"nested any/all/not", {.subject = "DRINGEND: dringend bitte"}, "support", "", weekday, "no_attach,nested,"},
        {"nested: not excludes", {.from = "x@example.com", .subject = "urgent"}, "support", "", weekday, "no_attach,"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        RouteContext ctx{row.mailbox, row.now, row.language};
        const Decision d = route(*set, mail(row.mail), ctx);
        std::string tags;
        for (const auto& t : d.tags) tags += t + ",";
        CHECK(tags == row.tags);
    }
}

TEST_CASE("first match wins; a rule without when matches everything") {
    auto set = load(R"(
routing:
  - { name: a, when: { subject: x }, set: { queue: qa } }
  - { name: b, when: { subject: x }, set: { queue: qb } }
  - { name: c, set: { queue: qc } }
)");
    RouteContext ctx{"support", utc(2026, 1, 5, 12), ""};
    CHECK(route(*set, mail({.subject = "x"}), ctx).queue == "qa");
    CHECK(route(*set, mail({.subject = "y"}), ctx).queue == "qc");
    const auto none = load("routing:\n  - { name: a, when: { subject: x }, set: { queue: qa } }\n");
    const Decision d = route(*none, mail({.subject = "y"}), ctx);
    CHECK(!d.queue);
    CHECK(d.matched.empty());
}

TEST_CASE("the trace says which rules matched and why; explain formats it") {
    auto set = exampleRules();
    RouteContext ctx{"support", utc(2026, 11, 27, 16, 30), ""};   // Fri 17:30 Berlin
    const Decision d = route(*set, mail({.from = "cfo@bigcustomer.com", .subject = "Invoice 42"}), ctx);
    REQUIRE(d.trace.size() == 2);
    CHECK(d.trace[0].matched);
    CHECK(lines(d.trace[0].why) == "[yes] from_domain: sender domain bigcustomer.com is under listed bigcustomer.com\n");
    CHECK(lines(d.trace[1].why) ==
          "any of: yes\n"
          "  [yes] subject: /(?i)\\b(rechnung|invoice|mahnung)\\b/ matches 'Invoice 42'\n");
    CHECK(lines(d.trace[1].kept) ==
          "priority = high not applied: already urgent from 'key accounts'\n"
          "sla = standard not applied: already gold from 'key accounts'\n");
    CHECK(d.trace[1].stopped);

    const std::string text = formatDecision(*set, d, {.created = ctx.now, .assigned_agent = "ben", .show_hits = true});
    CHECK(text.find("MATCH 'key accounts' (") != std::string::npos);
    CHECK(text.find("etc/rules/routing.yaml:33, 1 hits)") != std::string::npos);
    CHECK(text.find("  agent: ben (round_robin among anna, ben)\n") != std::string::npos);
    CHECK(text.find("  sla: gold (calendar always)\n") != std::string::npos);
    CHECK(text.find("    first response due: 2026-11-27 17:00 UTC\n") != std::string::npos);
    CHECK(text.find("    resolution due:     2026-11-28 00:30 UTC\n") != std::string::npos);

    // Misses are explained on request (explain --all).
    const Decision all = route(*set, mail({.subject = "hi"}), ctx, {.trace_misses = true, .count_hits = false});
    REQUIRE(all.trace.size() == 7);
    CHECK(!all.trace[0].matched);
    CHECK(lines(all.trace[0].why) == "[no] kind: mail is normal, not listed\n");
    CHECK(all.trace[6].matched);
}

TEST_CASE("explain shows deadlines in the calendar's local time") {
    auto set = exampleRules();
    RouteContext ctx{"support", utc(2026, 11, 27, 16, 30), ""};   // Fri 17:30 Berlin
    const Decision d = route(*set, mail({}), ctx, {.count_hits = false});
    const std::string text = formatDecision(*set, d, {.created = ctx.now, .assigned_agent = {}, .show_hits = true});
    // 30 min left on Friday, 3.5 h on Monday from 08:00 → Mon 11:30 CET = 10:30 UTC.
    CHECK(text.find("first response due: 2026-11-30 10:30 UTC (Mon 2026-11-30 11:30 CET Europe/Berlin)") !=
          std::string::npos);
}

TEST_CASE("hit counters count matches, across threads") {
    auto set = load(R"(
routing:
  - { name: invoices, when: { subject: invoice }, set: { queue: billing }, continue: true }
  - { name: rest, set: { queue: general } }
)");
    RouteContext ctx{"support", utc(2026, 1, 5, 12), ""};
    const ParsedMail invoice = mail({.subject = "invoice"});
    const ParsedMail other = mail({.subject = "hello"});
    auto work = [&] {
        for (int i = 0; i < 1000; ++i) {
            route(*set, invoice, ctx, {.trace = false});
            route(*set, other, ctx, {.trace = false});
        }
    };
    std::thread t1(work), t2(work);
    t1.join();
    t2.join();
    CHECK(set->hits(0) == 2000);
    CHECK(set->hits(1) == 4000);
    route(*set, invoice, ctx, {.count_hits = false});
    CHECK(set->hits(0) == 2000);
    const auto stats = set->stats();
    REQUIRE(stats.size() == 2);
    CHECK(stats[0].name == "invoices");
    CHECK(stats[0].hits == 2000);
    CHECK(formatRuleStats(*set) == "2000\tinvoices\ttest.yaml:3\n4000\trest\ttest.yaml:4\n");
}

TEST_CASE("the match index answers exactly like the matchers one by one") {
    // Rules and mails drawn from small pools so that many pairs match.
    std::string yaml = "routing:\n";
    const char* words[] = {"invoice", "refund", "outage", "login"};
    for (int i = 0; i < 120; ++i) {
        const std::string n = std::to_string(i % 7);
        yaml += "  - name: r" + std::to_string(i) + "\n    when: ";
        switch (i % 6) {
            case 0: yaml += "{ from: [u" + n + "@a.com, U" + std::to_string(i % 5) + "@B.com] }\n"; break;
            case 1: yaml += "{ from_domain: [d" + n + ".com, '*.sub" + n + ".org'] }\n"; break;
            case 2: yaml += "{ subject: '(?i)\\b" + std::string(words[i % 4]) + "\\s*" + n + "' }\n"; break;
            case 3: yaml += "{ body: 'order " + n + "\\b' }\n"; break;
            case 4: yaml += "{ any: [ { to: [t" + n + "@h.test] }, { cc: [c" + n + "@h.test] } ] }\n"; break;
            case 5: yaml += "{ all: [ { not: { from_domain: [d" + n + ".com] } }, { subject: '" + words[i % 4] + "' } ] }\n"; break;
        }
        yaml += "    set: { queue: q }\n    continue: true\n";
    }
    auto set = load(yaml);
    int pairs = 0, hits = 0;
    for (int m = 0; m < 300; ++m) {
        const std::string n = std::to_string(m % 9);
        MailSpec spec;
        spec.from = m % 3 == 0 ? "u" + n + "@a.com" : m % 3 == 1 ? "x@d" + n + ".com" : "x@deep.sub" + n + ".org";
        spec.to = {"t" + std::to_string(m % 8) + "@h.test"};
        spec.cc = {"C" + std::to_string(m % 10) + "@H.test"};
        spec.subject = std::string(m % 2 ? "RE: " : "") + words[m % 4] + " " + std::to_string(m % 11);
        spec.body = "about order " + std::to_string(m % 8) + " again";
        const ParsedMail pm = mail(spec);
        RouteContext ctx{"support", utc(2026, 11, 30, 12), ""};
        const MailView indexed(pm, ctx, set->index());
        const MailView plain(pm, ctx);
        REQUIRE(indexed.indexed);
        for (const auto& rule : set->rules) {
            std::vector<std::string> why;
            const bool fast = matches(*rule.when, indexed);
            const bool slow = explainMatch(*rule.when, plain, why);
            if (fast != slow) {
                CAPTURE(rule.name);
                CAPTURE(spec.from);
                CAPTURE(spec.subject);
                CHECK(fast == slow);
            }
            ++pairs;
            hits += fast;
        }
    }
    CHECK(pairs == 36000);
    CHECK(hits > 3000);   // the pools make sure the comparison covers matches, not only misses
}
