#include <doctest/doctest.h>

#include <algorithm>

#include "parsers/imap_response.hpp"

using namespace deskgate;

namespace {
std::vector<ImapResponse> parseAll(std::string_view bytes, std::size_t chunk = 0) {
    ImapResponseParser p;
    if (chunk == 0) chunk = bytes.size();
    for (std::size_t i = 0; i < bytes.size(); i += chunk) REQUIRE(p.feed(bytes.substr(i, chunk)));
    std::vector<ImapResponse> out;
    while (auto r = p.next()) out.push_back(*r);
    return out;
}
}  // namespace

TEST_CASE("IMAP: Dovecot SELECT answer, fed whole and byte by byte") {
    std::string_view select =
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n"
        "* 3 EXISTS\r\n"
        "* 0 RECENT\r\n"
        "* OK [UIDVALIDITY 1795793437] UIDs valid\r\n"
        "* OK [UIDNEXT 4] Predicted next UID\r\n"
        "a2 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n";
    for (std::size_t chunk : {std::size_t(0), std::size_t(1), std::size_t(7)}) {
        auto rs = parseAll(select, chunk);
        REQUIRE(rs.size() == 7);
        CHECK(rs[2].numbered("EXISTS") == 3);
        CHECK(rs[4].code("UIDVALIDITY") == "1795793437");
        CHECK(rs[5].code("UIDNEXT") == "4");
        CHECK(rs[6].kind == ImapResponse::Kind::tagged);
        CHECK(rs[6].tag == "a2");
        CHECK(rs[6].status() == "OK");
    }
}

TEST_CASE("IMAP: FETCH with a literal body keeps the bytes exactly, CRLFs and all") {
    std::string body = "Subject: hi\r\n\r\nline one\r\n) tricky * 1 FETCH {3}\r\n";
    std::string wire = "* 12 FETCH (UID 34 FLAGS (\\Seen $Forwarded) BODY[] {" + std::to_string(body.size()) +
                       "}\r\n" + body + ")\r\n" + "a5 OK Fetch completed.\r\n";
    for (std::size_t chunk : {std::size_t(0), std::size_t(1), std::size_t(5)}) {
        auto rs = parseAll(wire, chunk);
        REQUIRE(rs.size() == 2);
        auto f = parseFetch(rs[0]);
        REQUIRE(f);
        CHECK(f->sequence == 12);
        CHECK(f->uid == 34);
        REQUIRE(f->body);
        CHECK(*f->body == body);
        CHECK(f->flags == std::vector<std::string>{"\\Seen", "$Forwarded"});
    }
}

TEST_CASE("IMAP: FETCH where BODY comes before UID, and an empty literal") {
    auto rs = parseAll("* 1 FETCH (BODY[] {0}\r\n UID 9)\r\n");
    REQUIRE(rs.size() == 1);
    auto f = parseFetch(rs[0]);
    REQUIRE(f);
    CHECK(f->uid == 9);
    CHECK(f->body == std::string());
}

TEST_CASE("IMAP: SEARCH and ESEARCH") {
    auto rs = parseAll("* SEARCH 2 84 882\r\n* SEARCH\r\n* ESEARCH (TAG \"a3\") UID ALL 4:6,9\r\n");
    REQUIRE(rs.size() == 3);
    CHECK(parseSearch(rs[0]) == std::vector<std::uint64_t>{2, 84, 882});
    CHECK(parseSearch(rs[1])->empty());
    CHECK(parseSearch(rs[2]) == std::vector<std::uint64_t>{4, 5, 6, 9});
}

TEST_CASE("IMAP: continuation, capabilities, errors") {
    auto rs = parseAll("+ idling\r\n* OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE] Dovecot ready.\r\n"
                       "* 4 EXISTS\r\nx1 NO [TRYCREATE] Mailbox doesn't exist: Handled\r\n");
    REQUIRE(rs.size() == 4);
    CHECK(rs[0].kind == ImapResponse::Kind::continuation);
    auto caps = parseCapabilities(rs[1]);
    CHECK(std::find(caps.begin(), caps.end(), "IDLE") != caps.end());
    CHECK(rs[3].status() == "NO");
    ImapResponseParser p(100);
    CHECK_FALSE(p.feed(std::string(200, 'x')));
    ImapResponseParser q(1000, 10);
    CHECK_FALSE(q.feed("* 1 FETCH (BODY[] {11}\r\n"));
    ImapResponseParser r;
    CHECK_FALSE(r.feed("garbage\r\n"));
}

TEST_CASE("IMAP: quoting never lets CR/LF through") {
    CHECK(imapQuote("Sent \"Items\"\r\nx1 LOGOUT") == "\"Sent \\\"Items\\\"x1 LOGOUT\"");
}

TEST_CASE("IMAP: folder names in modified UTF-7 (RFC 3501 §5.1.3)") {
    CHECK(imapMailboxName("INBOX") == "INBOX");
    CHECK(imapMailboxName("Support/Handled") == "Support/Handled");
    CHECK(imapMailboxName("Entwürfe") == "Entw&APw-rfe");
    CHECK(imapMailboxName("Tom & Jerry") == "Tom &- Jerry");
    CHECK(imapMailboxName("台北") == "&U,BTFw-");  // the RFC's own example
    CHECK_THROWS(imapMailboxName("bad \xff name"));
}

TEST_CASE("IMAP: RFC822.SIZE, BODY[HEADER], a NIL body, and takeFetch moving the literal out") {
    auto rs = parseAll("* 4 FETCH (UID 17 RFC822.SIZE 62914560)\r\n"
                       "* 5 FETCH (UID 18 BODY[HEADER] {16}\r\nSubject: big\r\n\r\n)\r\n"
                       "* 6 FETCH (UID 19 BODY[] NIL)\r\n"
                       "* 7 FETCH (FLAGS (\\Seen))\r\n"
                       "* 8 FETCH (UID 20 BODY[] {5}\r\nhello)\r\n");
    REQUIRE(rs.size() == 5);
    auto size = parseFetch(rs[0]);
    REQUIRE(size);
    CHECK(size->uid == 17);
    CHECK(size->size == 62914560u);
    CHECK_FALSE(size->body);
    auto header = parseFetch(rs[1]);
    REQUIRE(header);
    CHECK(header->header == std::string("Subject: big\r\n\r\n"));
    CHECK_FALSE(header->body);  // the header is not the body
    auto nil = parseFetch(rs[2]);
    REQUIRE(nil);
    CHECK(nil->uid == 19);
    CHECK_FALSE(nil->body);  // RFC 3501 §7.4.2: NIL, no content
    auto flagsOnly = parseFetch(rs[3]);
    REQUIRE(flagsOnly);
    CHECK(flagsOnly->uid == 0);  // an unsolicited flag change: no UID, not an answer to UID FETCH
    auto taken = takeFetch(rs[4]);
    REQUIRE(taken);
    CHECK(taken->body == std::string("hello"));
    CHECK(rs[4].literals[0].empty());  // moved, not copied
}
