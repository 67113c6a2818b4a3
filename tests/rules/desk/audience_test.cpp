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
        {{"alice@customer.test", false, MailKind::normal}, "customer"},
        {{"bob@customer.test", false, MailKind::normal}, "participant"},
        {{"anna@helpdesk.test", true, MailKind::normal}, "agent"},
        {{"mallory@evil.test", false, MailKind::normal}, "stranger"},
        {{"mallory@evil.test", false, MailKind::list}, "stranger"},  // list mail is people's
        {{"mailer-daemon@relay.test", false, MailKind::bounce}, "machine"},
        {{"alice@customer.test", false, MailKind::auto_reply}, "machine"},
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
        auto choice = chooseTicket(named, WriterFacts{r.writer, false, MailKind::normal});
        CHECK(choice.ticket == r.ticket);
        if (!choice.ticket) CHECK(choice.foreign == r.foreign);
    }
    CHECK_FALSE(chooseTicket({}, WriterFacts{"alice@customer.test", false, MailKind::normal}).ticket);
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

TEST_CASE("the reply address is Reply-To when it names one, else From") {
    CHECK(replyAddressOf(mailWith({{"Alice", "alice@c.test"}}, {})).address == "alice@c.test");
    CHECK(replyAddressOf(mailWith({{"Alice", "alice@c.test"}}, {{"", "desk@c.test"}})).address == "desk@c.test");
    CHECK(replyAddressOf(mailWith({{"Alice", "alice@c.test"}}, {{"", ""}})).address == "alice@c.test");
    CHECK(replyAddressOf(mailWith({}, {})).address.empty());
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

TEST_CASE("the acknowledgement goes to the writer, Cc the first mail's participants") {
    auto r = acknowledgementRecipients(Address{"Alice", "alice@c.test"}, {"bob@c.test"});
    REQUIRE(r.to.size() == 1);
    CHECK(r.to[0].address == "alice@c.test");
    REQUIRE(r.cc.size() == 1);
    CHECK(r.cc[0].address == "bob@c.test");
}
