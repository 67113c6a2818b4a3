#include <doctest/doctest.h>

#include "parsers/agent_mail.hpp"

using namespace deskgate;

TEST_CASE("agent commands: lines at the top, text after them") {
    auto c = parseAgentCommands("#priority HIGH\r\n#assign Ben\n\n#tag VPN\nHello Alice,\n\n#not a command here\n");
    REQUIRE(c.errors.empty());
    REQUIRE(c.commands.size() == 3);
    CHECK(c.commands[0].name == "priority");
    CHECK(c.commands[0].argument == "high");
    CHECK(c.commands[1].name == "assign");
    CHECK(c.commands[1].argument == "Ben");  // matched against agent names by the daemon
    CHECK(c.commands[2].name == "tag");
    CHECK(c.commands[2].argument == "VPN");  // tags keep their case
    CHECK(parseAgentCommands("#assign ME").commands.at(0).argument == "me");
    CHECK(parseAgentCommands("#queue Billing-DE").commands.at(0).argument == "Billing-DE");
    CHECK(c.text == "Hello Alice,\n\n#not a command here");
    CHECK_FALSE(c.note);
}

TEST_CASE("agent commands: every command of the list") {
    for (const char* line : {"#close", "#resolve", "#pending", "#open", "#note", "#assign me", "#priority low",
                             "#priority normal", "#priority urgent", "#queue billing", "#tag vip"}) {
        CAPTURE(line);
        auto c = parseAgentCommands(line);
        CHECK(c.errors.empty());
        CHECK(c.commands.size() == 1);
        CHECK(c.text.empty());
    }
    CHECK(parseAgentCommands("#note\nsecret").note);
}

TEST_CASE("agent commands: wrong lines are reported with the reason, nothing else is lost") {
    auto c = parseAgentCommands("#priority soon\n#frobnicate\n#assign\n#close now\n#queue two words\n#\nText");
    REQUIRE(c.errors.size() == 6);
    CHECK(c.errors[0].line == "#priority soon");
    CHECK(c.errors[0].reason == "unknown priority 'soon': use low, normal, high or urgent");
    CHECK(c.errors[1].reason == "unknown command '#frobnicate'");
    CHECK(c.errors[2].reason == "#assign needs a name");
    CHECK(c.errors[3].reason == "#close takes no argument");
    CHECK(c.errors[4].reason == "#queue takes one word, not 'two words'");
    CHECK(c.errors[5].reason == "a command name must follow '#'");
    CHECK(c.text == "Text");
}

TEST_CASE("agent commands: plain text has none") {
    auto c = parseAgentCommands("\n\nHello,\n#priority high\n");
    CHECK(c.commands.empty());
    CHECK(c.errors.empty());
    CHECK(c.text == "Hello,\n#priority high");
}

TEST_CASE("ratings: a digit 1..5 standing alone at the top") {
    auto r = parseRating("5 — danke");
    REQUIRE(r);
    CHECK(r->score == 5);
    CHECK(r->comment == "danke");
    CHECK(parseRating("\n  3\n")->score == 3);
    CHECK(parseRating("3")->comment.empty());
    CHECK(parseRating("4/5, quick help")->comment == "quick help");
    CHECK(parseRating("1: nobody answered\nfor days")->comment == "nobody answered\nfor days");
    CHECK(parseRating("5!")->score == 5);
    CHECK(parseRating("2 - slow")->comment == "slow");
    CHECK_FALSE(parseRating("10"));
    CHECK_FALSE(parseRating("6"));
    CHECK_FALSE(parseRating("0 stars"));
    CHECK_FALSE(parseRating("5.1 is the version"));
    CHECK_FALSE(parseRating("2023 order missing"));
    CHECK_FALSE(parseRating("Thanks, 5 stars"));
    CHECK_FALSE(parseRating(""));
}

namespace {
ParsedMail withHeaders(std::vector<std::pair<std::string, std::string>> headers) {
    ParsedMail m;
    m.headers = std::move(headers);
    return m;
}
const std::vector<std::string> kTrusted{"mx.helpdesk.test"};
}  // namespace

TEST_CASE("Authentication-Results: DKIM or SPF pass for the agent's domain, from a trusted server only") {
    CHECK(authenticatedFor(withHeaders({{"Authentication-Results",
                                         "mx.helpdesk.test; dkim=pass (good signature) header.d=helpdesk.test"}}),
                           "helpdesk.test", kTrusted));
    CHECK(authenticatedFor(
        withHeaders({{"authentication-results", "MX.Helpdesk.Test 1; spf=pass smtp.mailfrom=agent1@HelpDesk.test"}}),
        "helpdesk.test", kTrusted));
    CHECK(authenticatedFor(withHeaders({{"Authentication-Results",
                                         "mx.helpdesk.test; dkim=pass header.i=@mail.helpdesk.test"}}),
                           "helpdesk.test", kTrusted));
    // Fail, other domain, a lookalike, an untrusted server, a pass hidden in a comment.
    CHECK_FALSE(authenticatedFor(
        withHeaders({{"Authentication-Results", "mx.helpdesk.test; dkim=fail header.d=helpdesk.test"}}),
        "helpdesk.test", kTrusted));
    CHECK_FALSE(authenticatedFor(
        withHeaders({{"Authentication-Results", "mx.helpdesk.test; dkim=pass header.d=evil.test"}}), "helpdesk.test",
        kTrusted));
    CHECK_FALSE(authenticatedFor(
        withHeaders({{"Authentication-Results", "mx.helpdesk.test; dkim=pass header.d=nothelpdesk.test"}}),
        "helpdesk.test", kTrusted));
    CHECK_FALSE(authenticatedFor(
        withHeaders({{"Authentication-Results", "mx.evil.test; dkim=pass header.d=helpdesk.test"}}), "helpdesk.test",
        kTrusted));
    CHECK_FALSE(authenticatedFor(
        withHeaders({{"Authentication-Results",
                      "mx.helpdesk.test; dkim=none (dkim=pass header.d=helpdesk.test) header.d=helpdesk.test"}}),
        "helpdesk.test", kTrusted));
    CHECK_FALSE(authenticatedFor(withHeaders({}), "helpdesk.test", kTrusted));
    // A second field by a trusted server counts even when a forged one comes first.
    CHECK(authenticatedFor(withHeaders({{"Authentication-Results", "forged.example; dkim=pass header.d=helpdesk.test"},
                                        {"Authentication-Results", "mx.helpdesk.test; none; spf=pass "
                                                                   "smtp.mailfrom=helpdesk.test"}}),
                           "helpdesk.test", kTrusted));
}
