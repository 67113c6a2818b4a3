// Addresses, message ids, dates, the subject token.
#include <doctest/doctest.h>

#include "parsers/address_parser.hpp"
#include "parsers/parsed_mail.hpp"

using namespace deskgate;

TEST_CASE("address lists as real senders write them") {
    struct Case {
        const char* in;
        std::vector<Address> out;
    };
    const Case cases[] = {
        {"jane@example.com", {{"", "jane@example.com"}}},
        {"Jane Doe <jane@example.com>", {{"Jane Doe", "jane@example.com"}}},
        {"\"Doe, Jane\" <jane@example.com>, bob@example.org", {{"Doe, Jane", "jane@example.com"}, {"", "bob@example.org"}}},
        {"\"M\\\"uller\" <m@x.de>", {{"M\"uller", "m@x.de"}}},
        {"=?ISO-8859-1?Q?M=FCller=2C_Hans?= <hans@example.de>", {{"Müller, Hans", "hans@example.de"}}},
        {"\"=?UTF-8?B?SsO8cmdlbg==?=\" <j@x.de>", {{"Jürgen", "j@x.de"}}},
        {"jane@example.com (Jane Doe)", {{"Jane Doe", "jane@example.com"}}},
        {"Team: a@x.com, B <b@x.com>;, c@x.com", {{"", "a@x.com"}, {"B", "b@x.com"}, {"", "c@x.com"}}},
        {"undisclosed-recipients:;", {}},
        {"Müller, Hans <hans@example.de>", {{"Müller, Hans", "hans@example.de"}}},
        {"<@relay.example:user@example.com>", {{"", "user@example.com"}}},
        {"<jane@example.com>", {{"", "jane@example.com"}}},
        {"Jane <jane@example.com", {{"Jane", "jane@example.com"}}},
        {"'Jane' <jane@example.com>", {{"Jane", "jane@example.com"}}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in);
        CHECK(parseAddressList(c.in, nullptr) == c.out);
    }
}

// The odd From, To and Cc fields of the peers' fixtures (issue 14, class 4): whatever the
// display name does, the real mailbox address must come out, and first.
TEST_CASE("address lists: quoted commas, empty <>, bare addresses with comments, groups") {
    struct Case {
        const char* in;
        std::vector<Address> out;
    };
    const Case cases[] = {
        // Outlook/Exchange directory names: "Last, First, Org" quoted, and the same unquoted.
        {"\"Smith, Karoline, Example DE\" <karoline.smith@example.de>", {{"Smith, Karoline, Example DE", "karoline.smith@example.de"}}},
        {"Smith, Karoline, Example DE <karoline.smith@example.de>", {{"Smith, Karoline, Example DE", "karoline.smith@example.de"}}},
        {"\"Smith, Karoline, Example DE\" <karoline.smith@example.de>, \"Doe, J.\" <jd@example.de>",
         {{"Smith, Karoline, Example DE", "karoline.smith@example.de"}, {"Doe, J.", "jd@example.de"}}},
        {"=?utf-8?Q?Sm=C3=AFth=2C_Karoline=2C_Example_DE?= <karoline.smith@example.de>",
         {{"Smïth, Karoline, Example DE", "karoline.smith@example.de"}}},
        // The null reverse-path <> (RFC 5321 §4.5.5) next to a real address.
        {"<>, Mail Delivery System <mailer-daemon@mx.example.net>", {{"Mail Delivery System", "mailer-daemon@mx.example.net"}}},
        {"Mail Delivery System <mailer-daemon@mx.example.net> <>", {{"Mail Delivery System", "mailer-daemon@mx.example.net"}}},
        {"\"postmaster@example.org\" <>", {{"", "postmaster@example.org"}}},
        {"MAILER-DAEMON <>, \"Doe, Jane\" <jane@example.com>", {{"Doe, Jane", "jane@example.com"}}},
        // Bare addr-spec with a comment (RFC 5322 §3.2.2), before or after, with commas inside.
        {"root@mx1.example.com (Cron Daemon)", {{"Cron Daemon", "root@mx1.example.com"}}},
        {"jdoe@example.com (Doe, John), ops@example.com", {{"Doe, John", "jdoe@example.com"}, {"", "ops@example.com"}}},
        {"(Support Team) support@example.com", {{"Support Team", "support@example.com"}}},
        {"jdoe@example.com(John Doe)", {{"John Doe", "jdoe@example.com"}}},
        // Groups (RFC 5322 §3.4): members come out, the group name does not; empty groups give nothing.
        {"Undisclosed recipients:;, real@example.com", {{"", "real@example.com"}}},
        {"Support: \"Doe, Jane\" <jane@example.com>, bob@example.com;", {{"Doe, Jane", "jane@example.com"}, {"", "bob@example.com"}}},
        {"Team:;", {}},
    };
    auto show = [](const std::vector<Address>& list) {
        std::string out;
        for (const auto& a : list) out += "[" + a.name + "|" + a.address + "]";
        return out;
    };
    for (const auto& c : cases) {
        std::string in = c.in;
        CAPTURE(in);
        CHECK(show(parseAddressList(c.in, nullptr)) == show(c.out));
    }
}

TEST_CASE("message ids without angle brackets") {
    CHECK(parseMessageIds("<abc@x>") == std::vector<std::string>{"abc@x"});
    CHECK(parseMessageIds("<a@x> <b@y>\t<c@z>") == std::vector<std::string>{"a@x", "b@y", "c@z"});
    CHECK(parseMessageIds("<a@x> (comment) <b@y>") == std::vector<std::string>{"a@x", "b@y"});
    CHECK(parseMessageIds("bare@id.example") == std::vector<std::string>{"bare@id.example"});
    CHECK(parseMessageIds("").empty());
}

TEST_CASE("dates to ISO 8601") {
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"Tue, 1 Mar 2022 09:05:00 +0100", "2022-03-01T09:05:00+01:00"},
        {"Mon, 29 Apr 2013 23:45:32 +0900 (JST)", "2013-04-29T23:45:32+09:00"},
        {"1 Mar 2022 09:05 -0500", "2022-03-01T09:05:00-05:00"},
        {"Fri, 21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06+00:00"},
        {"Thu, 13 Feb 1969 23:32:54 -0330", "1969-02-13T23:32:54-03:30"},
        {"Sat, 05 Jan 2008 10:12:13 EST", "2008-01-05T10:12:13-05:00"},
        {"Wed, 7 Dec 2016 12:00:00 +0000 (UTC)", "2016-12-07T12:00:00+00:00"},
        {"Wed Dec  7 12:00:00 2016", "2016-12-07T12:00:00+00:00"},  // asctime, as old software writes it
        {"01 Jan 2001 00:01+0000", "2001-01-01T00:01:00+00:00"},
        {"not a date", ""},
        {"", ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in);
        CHECK(parseDateToIso(c.in) == c.out);
    }
}

TEST_CASE("ticket token through reply and forward prefixes") {
    struct Case {
        const char* subject;
        const char* format;
        std::optional<std::uint64_t> token;
    };
    const Case cases[] = {
        {"Re: [Ticket#1042] foo", "[Ticket#{number}]", 1042},
        {"AW: WG: [Ticket#7] Drucker", "[Ticket#{number}]", 7},
        {"Antwort: Fwd: RE: [ticket#99] x", "[Ticket#{number}]", 99},
        {"[Ticket# 1042] spaced", "[Ticket#{number}]", 1042},
        {"[Ticket#] nothing", "[Ticket#{number}]", std::nullopt},
        {"Ticket#1042 no brackets", "[Ticket#{number}]", std::nullopt},
        {"[Ticket#12a]", "[Ticket#{number}]", std::nullopt},
        {"Re: [Support-2024] help", "[Support-{number}]", 2024},
        {"[Ticket#99999999999999999999999] overflow", "[Ticket#{number}]", std::nullopt},
        {"[Ticket#1] and [Ticket#2]", "[Ticket#{number}]", 1},
        {"anything", "no placeholder", std::nullopt},
    };
    for (const auto& c : cases) {
        CAPTURE(c.subject);
        CHECK(extractToken(c.subject, c.format) == c.token);
    }
}
