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

TEST_CASE("ratings only when the new text is the rating: real answers, English and German, both ways") {
    struct Row {
        const char* text;
        int score;  // 0: not a rating, a reply
    };
    const Row rows[] = {
        // Ratings.
        {"5", 5},
        {"5\n\nBest regards\nAlice", 5},
        {"4 - thanks, quick help", 4},
        {"5 — danke!", 5},
        {"5 – vielen Dank", 5},
        {"3: ok", 3},
        {"4/5, fast but I had to ask twice", 4},
        {"1. Nobody answered for days.", 1},
        {"5!", 5},
        {"2, langsam", 2},
        {"5 stars", 5},
        {"4 Sterne - gut", 4},
        {"  3  ", 3},
        // Replies that start with a digit.
        {"2 Drucker zeigen den Fehler immer noch", 0},
        {"3 people in my team still cannot log in", 0},
        {"1 more question: where do I find the invoice?", 0},
        {"5 minutes after your fix it broke again", 0},
        {"2 weitere Rechner sind betroffen", 0},
        {"4 of our printers show the same error since this morning, please call me", 0},
        {"2\n\nDer Drucker zeigt den Fehler immer noch. Ich habe alles versucht, was Sie geschrieben haben: neu "
         "gestartet, den Treiber neu installiert und das Kabel gewechselt. Es hilft alles nichts, bitte rufen Sie mich an.",
         0},
        {"1 -\nstill broken\nthe VPN drops every hour\nand the printer too\nplease help", 0},
        {"5.1 is the version we run", 0},
        {"2,5 GB fehlen", 0},
        {"3-4 times a day", 0},
        {"Thanks! 5", 0},
        {"Ich gebe 5 Sterne", 0},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto rating = parseRating(r.text);
        if (r.score == 0) {
            CHECK_FALSE(rating);
        } else {
            REQUIRE(rating);
            CHECK(rating->score == r.score);
        }
    }
    CHECK(parseRating("4 Sterne - gut")->comment == "gut");
    CHECK(parseRating("5\n\nBest regards\nAlice")->comment == "Best regards\nAlice");
}

namespace {
// Our MTA received the mail from outside: its Received field, and above it what it added.
const std::pair<std::string, std::string> kOurReceived{
    "Received", "from client.example (client.example [192.0.2.7])\r\n\tby mx.helpdesk.test (Postfix) with ESMTPS id "
                "4Q1x2Y; Mon, 30 Nov 2026 10:00:00 +0000"};
ParsedMail withHeaders(std::vector<std::pair<std::string, std::string>> headers) {
    ParsedMail m;
    m.headers = std::move(headers);
    m.headers.push_back(kOurReceived);
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
    ParsedMail bare;  // no Received at all: nothing shows our server added the field
    bare.headers = {{"Authentication-Results", "mx.helpdesk.test; dkim=pass header.d=helpdesk.test"}};
    CHECK_FALSE(authenticatedFor(bare, "helpdesk.test", kTrusted));
    // A second field by a trusted server counts even when a forged one comes first.
    CHECK(authenticatedFor(withHeaders({{"Authentication-Results", "forged.example; dkim=pass header.d=helpdesk.test"},
                                        {"Authentication-Results", "mx.helpdesk.test; none; spf=pass "
                                                                   "smtp.mailfrom=helpdesk.test"}}),
                           "helpdesk.test", kTrusted));
}

TEST_CASE("Authentication-Results the sender wrote below our MTA's Received line are not believed") {
    const std::pair<std::string, std::string> forged{"Authentication-Results",
                                                     "mx.helpdesk.test; dkim=pass header.d=helpdesk.test"};
    const std::pair<std::string, std::string> theirs{
        "Received", "from [10.1.1.1] by smtp.evil.test (Exim 4.96) with esmtpa; Mon, 30 Nov 2026 09:59:00 +0000"};
    ParsedMail m;
    // What our MTA's Received covers is the sender's: a field with our authserv-id there is forged.
    m.headers = {kOurReceived, forged, theirs, {"From", "Anna <anna@helpdesk.test>"}};
    CHECK_FALSE(authenticatedFor(m, "helpdesk.test", kTrusted));
    // The same field above our Received (where our milter puts it) is ours.
    m.headers = {forged, kOurReceived, theirs};
    CHECK(authenticatedFor(m, "helpdesk.test", kTrusted));
    // Our delivery hop (the IMAP server's LMTP) on top: both hosts trusted, the border is the MTA's.
    const std::pair<std::string, std::string> lmtp{
        "Received", "from mx.helpdesk.test by imap.helpdesk.test with LMTP id abc; Mon, 30 Nov 2026 10:00:01 +0000"};
    m.headers = {lmtp, forged, kOurReceived, theirs};
    CHECK(authenticatedFor(m, "helpdesk.test", {"mx.helpdesk.test", "imap.helpdesk.test"}));
    // ... but with the delivery host not listed, the walk stops at once: nothing is trusted.
    CHECK_FALSE(authenticatedFor(m, "helpdesk.test", kTrusted));
    // A forged Received claiming our host below a foreign one does not move the border down.
    m.headers = {forged, kOurReceived, theirs, forged,
                 {"Received", "from x by mx.helpdesk.test with ESMTP id fake; Mon, 30 Nov 2026 09:00:00 +0000"}};
    CHECK(authenticatedFor(m, "helpdesk.test", kTrusted));  // the first (ours) counts...
    m.headers = {kOurReceived, theirs, forged,
                 {"Received", "from x by mx.helpdesk.test with ESMTP id fake; Mon, 30 Nov 2026 09:00:00 +0000"}};
    CHECK_FALSE(authenticatedFor(m, "helpdesk.test", kTrusted));  // ...the forged one below never does
    CHECK(receivedBy("from a (b [1.2.3.4]) by MX.Example.com (Postfix) with ESMTP") == "mx.example.com");
    // auth=pass: our MTA authenticated the submission as this very user (not just the domain).
    const std::pair<std::string, std::string> auth{"Authentication-Results",
                                                   "mx.helpdesk.test; auth=pass smtp.auth=Anna@Helpdesk.test"};
    m.headers = {auth, kOurReceived};
    CHECK(authenticatedFor(m, "anna@helpdesk.test", kTrusted));
    CHECK_FALSE(authenticatedFor(m, "ben@helpdesk.test", kTrusted));
    CHECK_FALSE(authenticatedFor(m, "helpdesk.test", kTrusted));  // a domain alone: no user to compare
    CHECK(receivedBy("from a (comment with by x) by real.host with LMTP") == "real.host");
    CHECK(receivedBy("from a with local").empty());
}
