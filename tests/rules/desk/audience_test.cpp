// The desk's decisions about people (rules/desk/audience.hpp), as tables: who stands where
// on a ticket, which named ticket a mail belongs to, who hears of a ticket.
#include <doctest/doctest.h>

#include "parsers/parsed_mail.hpp"
#include "rules/desk/audience.hpp"
#include "tests/rules/rules_test_util.hpp"

using namespace deskgate;

namespace {

TicketFacts ticket(std::int64_t number, std::string customer, std::vector<std::string> participants = {}) {
    TicketFacts t;
    t.number = number;
    t.customer = std::move(customer);
    t.participants = std::move(participants);
    return t;
}

std::string standing(const TicketFacts& t, const WriterFacts& w) { return std::string(toString(standingOn(t, w))); }

ParsedMail mailWith(std::vector<Address> from, std::vector<Address> reply_to) {
    ParsedMail m;
    m.from = std::move(from);
    m.reply_to = std::move(reply_to);
    return m;
}

}  // namespace

TEST_CASE("a writer's standing on a ticket") {
    const auto t = ticket(1001, "alice@customer.test", {"bob@customer.test"});
    struct Row {
        WriterFacts writer;
        const char* expected;
    };
    const Row rows[] = {
        {{"alice@customer.test", false, {}, MailKind::normal}, "customer"},
        {{"bob@customer.test", false, {}, MailKind::normal}, "participant"},
        {{"anna@helpdesk.test", true, {}, MailKind::normal}, "agent"},
        {{"mallory@evil.test", false, {}, MailKind::normal}, "stranger"},
        {{"mallory@evil.test", false, {}, MailKind::list}, "stranger"},  // list mail is people's
        {{"mailer-daemon@relay.test", false, {}, MailKind::bounce}, "machine"},
        {{"alice@customer.test", false, {}, MailKind::auto_reply}, "machine"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.writer.address);
        CHECK(standing(t, r.writer) == r.expected);
    }
    CHECK_FALSE(mayWriteOn(Standing::stranger));
    CHECK(mayWriteOn(Standing::participant));
}

TEST_CASE("the ticket a mail belongs to among the tickets it names") {
    const std::vector<TicketFacts> named = {ticket(1001, "alice@customer.test"), ticket(1002, "bob@customer.test")};
    struct Row {
        const char* writer;
        std::optional<std::size_t> ticket;
        std::optional<std::int64_t> foreign;
    };
    const Row rows[] = {
        {"alice@customer.test", 0, std::nullopt},       // the first named ticket is hers
        {"bob@customer.test", 1, 1001},                 // names 1001 (not his) and 1002 (his)
        {"mallory@evil.test", std::nullopt, 1001},      // names both, belongs to neither
    };
    for (const auto& r : rows) {
        CAPTURE(r.writer);
        auto choice = chooseTicket(named, WriterFacts{r.writer, false, {}, MailKind::normal});
        CHECK(choice.ticket == r.ticket);
        if (!choice.ticket) CHECK(choice.foreign == r.foreign);
    }
    CHECK_FALSE(chooseTicket({}, WriterFacts{"alice@customer.test", false, {}, MailKind::normal}).ticket);
}

TEST_CASE("the Message-IDs a mail answers, in threading order") {
    ParsedMail m;
    m.in_reply_to = "c@x";
    m.references = {"a@x", "b@x", "c@x"};
    CHECK(referencedIds(m) == std::vector<std::string>{"c@x", "c@x", "b@x", "a@x"});
    m.bounce = BounceInfo{};
    m.bounce->original_message_id = "orig@x";
    CHECK(referencedIds(m).back() == "orig@x");
}

TEST_CASE("identity is From; Reply-To is where to answer, and only within the sender's own domain") {
    CHECK(identityOf(mailWith({{"Alice", "alice@c.test"}}, {{"", "alice@c.test"}})).address == "alice@c.test");
    CHECK(identityOf(mailWith({{"", ""}, {"Bob", "bob@c.test"}}, {})).address == "bob@c.test");
    CHECK(identityOf(mailWith({}, {{"", "x@c.test"}})).address.empty());  // Reply-To is never an identity
    struct Row {
        const char* from;
        const char* reply_to;
        const char* answer;
    };
    const Row rows[] = {
        {"alice@customer.test", "", "alice@customer.test"},
        {"alice@customer.test", "it-team@customer.test", "it-team@customer.test"},  // her own organisation
        {"alice@customer.test", "IT-Team@Customer.TEST", "IT-Team@Customer.TEST"},
        {"mallory@evil.test", "alice@customer.test", "mallory@evil.test"},        // a stranger named by the sender
        {"mallory@evil.test", "victim@other.test", "mallory@evil.test"},
        {"alice@customer.test", "alice@mail.customer.test", "alice@customer.test"},  // another domain is another domain
    };
    for (const auto& r : rows) {
        CAPTURE(r.from);
        CAPTURE(r.reply_to);
        std::vector<Address> replyTo;
        if (*r.reply_to) replyTo.push_back({"", r.reply_to});
        CHECK(answerAddressOf(mailWith({{"", r.from}}, replyTo)).address == r.answer);
    }
}

TEST_CASE("a reply key proves an agent on its own ticket only") {
    const auto t1001 = ticket(1001, "alice@customer.test"), t1002 = ticket(1002, "bob@customer.test");
    const WriterFacts keyed{"anna@helpdesk.test", false, {1001}, MailKind::normal};
    CHECK(standing(t1001, keyed) == "agent");
    CHECK(standing(t1002, keyed) == "stranger");
    const WriterFacts everywhere{"anna@helpdesk.test", true, {}, MailKind::normal};
    CHECK(standing(t1002, everywhere) == "agent");
    // A token naming 1002 first and a keyed reference to 1001: the mail belongs to 1001.
    std::vector<TicketFacts> named = {t1002, t1001};
    auto choice = chooseTicket(named, keyed);
    REQUIRE(choice.ticket);
    CHECK(*choice.ticket == 1);
}

TEST_CASE("participants: the customer's side, without the desk, the customer, or repeats") {
    auto isDesk = [](const std::string& a) { return a == "support@helpdesk.test" || a == "anna@helpdesk.test"; };
    CHECK(participantsFrom("alice@c.test",
                           {"alice@c.test", "support@helpdesk.test", "bob@c.test", "anna@helpdesk.test", "", "bob@c.test",
                            "carol@c.test"},
                           isDesk) == std::vector<std::string>{"bob@c.test", "carol@c.test"});
}

TEST_CASE("who hears of a ticket: assignee, else team, else everyone; never the cause") {
    const std::vector<AgentConfig> agents = {
        {"anna", "anna@h.test", {"first"}, "Anna Schmidt"}, {"ben", "ben@h.test", {}, ""}, {"carla", "carla@h.test", {}, ""}};
    auto rules = test::load(R"(
teams:
  first: { agents: [ben], assign: none }
)",
                            [] {
                                RuleEnvironment env;
                                env.agents = {{"anna", {}}, {"ben", {}}, {"carla", {}}};
                                return env;
                            }());
    auto names = [&](const TicketFacts& t, std::string_view except = "") {
        std::string out;
        for (const auto* a : agentsToTell(t, agents, *rules, except)) out += (out.empty() ? "" : " ") + a->name;
        return out;
    };
    TicketFacts t = ticket(1, "alice@c.test");
    CHECK(names(t) == "anna ben carla");        // nobody responsible yet: the whole desk
    t.team = "first";
    CHECK(names(t) == "ben anna");              // the team's list, then agents naming the team
    CHECK(names(t, "ben") == "anna");
    t.assignee = "Carla";                       // names compare without case
    CHECK(names(t) == "carla");
    CHECK(names(t, "carla").empty());           // the assignee caused it: nobody else is told
    CHECK(agentNamed(agents, "BEN")->name == "ben");
    CHECK(agentWithAddress(agents, "Anna@H.test")->name == "anna");
    CHECK(agentWithAddress(agents, "nobody@h.test") == nullptr);
}

TEST_CASE("the acknowledgement goes to the sender alone, never to the Cc anyone could have written") {
    ParsedMail m = mailWith({{"Mallory", "mallory@evil.test"}}, {{"", "victim@other.test"}});
    for (int i = 0; i < 30; ++i) m.cc.push_back({"", "victim" + std::to_string(i) + "@other.test"});
    auto r = acknowledgementRecipients(m);
    REQUIRE(r.to.size() == 1);
    CHECK(r.to[0].address == "mallory@evil.test");
    CHECK(r.cc.empty());
    CHECK(acknowledgementRecipients(mailWith({}, {})).to.empty());
}

TEST_CASE("mail to the customer's side: customer and participants, never a refused address") {
    auto names = [](const Recipients& r) {
        std::string out;
        for (const auto& a : r.to) out += "to:" + a.address + " ";
        for (const auto& a : r.cc) out += "cc:" + a.address + " ";
        return out;
    };
    const Address alice{"Alice", "alice@c.test"};
    CHECK(names(customerRecipients(alice, {"bob@c.test", "carol@c.test"}, {}, true)) ==
          "to:alice@c.test cc:bob@c.test cc:carol@c.test ");
    CHECK(names(customerRecipients(alice, {"bob@c.test", "carol@c.test"}, {"bob@c.test"}, true)) ==
          "to:alice@c.test cc:carol@c.test ");
    CHECK(names(customerRecipients(alice, {"bob@c.test"}, {}, false)) == "to:alice@c.test ");
    CHECK(names(customerRecipients(alice, {"bob@c.test"}, {"alice@c.test"}, true)) == "cc:bob@c.test ");
}

TEST_CASE("only the customer widens the audience; participants up to the limit") {
    auto isDesk = [](const std::string& a) { return a == "support@helpdesk.test"; };
    ParsedMail m = mailWith({{"", "alice@c.test"}}, {});
    m.to = {{"", "support@helpdesk.test"}, {"", "Bob@C.test"}};
    m.cc = {{"", "carol@c.test"}, {"", "alice@c.test"}, {"", "dave@c.test"}};
    const auto t = ticket(1001, "alice@c.test", {"carol@c.test"});
    auto added = participantsAddedBy(Standing::customer, m, t, isDesk, 10);
    CHECK(added.added == std::vector<std::string>{"bob@c.test", "dave@c.test"});
    CHECK(added.over_limit.empty());
    auto capped = participantsAddedBy(Standing::customer, m, t, isDesk, 2);
    CHECK(capped.added == std::vector<std::string>{"bob@c.test"});
    CHECK(capped.over_limit == std::vector<std::string>{"dave@c.test"});
    for (auto s : {Standing::participant, Standing::machine, Standing::stranger, Standing::agent}) {
        CAPTURE(std::string(toString(s)));
        CHECK(participantsAddedBy(s, m, t, isDesk, 10).added.empty());
    }
}
