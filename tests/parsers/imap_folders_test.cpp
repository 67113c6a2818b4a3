// Folder names against the server (issue 15): NAMESPACE and LIST answers as Dovecot, Courier
// 5.0.13 and Cyrus 3.6.1 send them, and the name a configured folder gets on each.
#include <doctest/doctest.h>

#include "parsers/imap_folders.hpp"

using namespace deskgate;

namespace {
ImapResponse one(std::string_view bytes) {
    ImapResponseParser p;
    REQUIRE(p.feed(bytes));
    auto r = p.next();
    REQUIRE(r);
    return *r;
}
}  // namespace

TEST_CASE("NAMESPACE answers of Dovecot, Courier and Cyrus (RFC 2342 §5)") {
    auto dovecot = parseNamespace(one("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"));
    REQUIRE(dovecot);
    CHECK(dovecot->prefix == "");
    CHECK(dovecot->separator == "/");
    auto courier = parseNamespace(one("* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#shared.\" \".\")(\"shared.\" \".\"))\r\n"));
    REQUIRE(courier);
    CHECK(courier->prefix == "INBOX.");
    CHECK(courier->separator == ".");
    auto cyrus = parseNamespace(one("* NAMESPACE ((\"INBOX.\" \".\")) ((\"user.\" \".\")) ((\"\" \".\"))\r\n"));
    REQUIRE(cyrus);
    CHECK(cyrus->prefix == "INBOX.");
    auto flat = parseNamespace(one("* NAMESPACE ((\"\" NIL)) NIL NIL\r\n"));
    REQUIRE(flat);
    CHECK(flat->separator.empty());
    auto literal = parseNamespace(one("* NAMESPACE (({6}\r\nINBOX. \".\")) NIL NIL\r\n"));
    REQUIRE(literal);
    CHECK(literal->prefix == "INBOX.");
    CHECK_FALSE(parseNamespace(one("* NAMESPACE NIL NIL NIL\r\n")));
    CHECK_FALSE(parseNamespace(one("* NAMESPACE (garbage\r\n")));
    CHECK_FALSE(parseNamespace(one("* LIST () \"/\" INBOX\r\n")));
    CHECK_FALSE(parseNamespace(one("x1 OK NAMESPACE done\r\n")));
}

TEST_CASE("LIST lines: attributes, separator, quoted, atom, literal and NIL (RFC 3501 §7.2.2)") {
    auto root = parseList(one("* LIST (\\Noselect) \".\" \"\"\r\n"));
    REQUIRE(root);
    CHECK(root->separator == ".");
    CHECK(root->name == "");
    CHECK(root->hasAttribute("\\noselect"));
    auto handled = parseList(one("* LIST (\\HasNoChildren \\Marked) \".\" INBOX.Handled\r\n"));
    REQUIRE(handled);
    CHECK(handled->name == "INBOX.Handled");
    CHECK(handled->attributes.size() == 2);
    CHECK_FALSE(handled->hasAttribute("\\Noselect"));
    auto utf7 = parseList(one("* LIST () \"/\" \"Entw&APw-rfe\"\r\n"));
    REQUIRE(utf7);
    CHECK(utf7->name == "Entw&APw-rfe");
    auto lit = parseList(one("* LIST () \"/\" {10}\r\nSales \"Q1\"\r\n"));
    REQUIRE(lit);
    CHECK(lit->name == "Sales \"Q1\"");
    auto nil = parseList(one("* LIST (\\Noinferiors) NIL INBOX\r\n"));
    REQUIRE(nil);
    CHECK(nil->separator.empty());
    CHECK_FALSE(parseList(one("* LIST \"/\" INBOX\r\n")));
    CHECK_FALSE(parseList(one("* LIST () \"/\"\r\n")));
    CHECK_FALSE(parseList(one("* LSUB () \"/\" INBOX\r\n")));
}

TEST_CASE("STATUS counts (RFC 3501 §7.2.4)") {
    auto dovecot = parseStatus(one("* STATUS INBOX (MESSAGES 231 UNSEEN 3)\r\n"));
    REQUIRE(dovecot);
    CHECK(dovecot->name == "INBOX");
    CHECK(dovecot->messages == 231u);
    CHECK(dovecot->unseen == 3u);
    CHECK_FALSE(dovecot->uidnext);
    auto quoted = parseStatus(one("* STATUS \"INBOX.Entw&APw-rfe\" (UIDNEXT 44 MESSAGES 0)\r\n"));
    REQUIRE(quoted);
    CHECK(quoted->name == "INBOX.Entw&APw-rfe");
    CHECK(quoted->messages == 0u);
    CHECK(quoted->uidnext == 44u);
    CHECK_FALSE(parseStatus(one("* STATUS INBOX (MESSAGES many)\r\n")));
    CHECK_FALSE(parseStatus(one("* STATUS INBOX MESSAGES 1\r\n")));
    CHECK_FALSE(parseStatus(one("* SEARCH 1 2\r\n")));
}

TEST_CASE("a configured folder's name on the server") {
    const ImapNamespace dovecot{"", "/"}, courier{"INBOX.", "."};
    CHECK(serverFolderName("Handled", dovecot) == "Handled");
    CHECK(serverFolderName("Handled", courier) == "INBOX.Handled");
    CHECK(serverFolderName("INBOX.Handled", courier) == "INBOX.Handled");
    CHECK(serverFolderName("inbox.Handled", courier) == "inbox.Handled");  // INBOX in any case
    CHECK(serverFolderName("INBOX", courier) == "INBOX");
    CHECK(serverFolderName("inbox", courier) == "INBOX");
    CHECK(serverFolderName("INBOXES", courier) == "INBOX.INBOXES");
    CHECK(serverFolderName("Support.Done", courier) == "INBOX.Support.Done");
    // Non-ASCII names stay modified UTF-7 (RFC 3501 §5.1.3), with the prefix in front.
    CHECK(serverFolderName("Erledigt/Übergeben", dovecot) == "Erledigt/&ANw-bergeben");
    CHECK(serverFolderName("Entwürfe", courier) == "INBOX.Entw&APw-rfe");
    CHECK(serverFolderName("Tom & Jerry", courier) == "INBOX.Tom &- Jerry");
    CHECK_THROWS(serverFolderName("bad \xff", courier));
}

TEST_CASE("the same folder: INBOX case-insensitive, also as the first level") {
    CHECK(sameFolder("INBOX", "inbox", "."));
    CHECK(sameFolder("INBOX.Handled", "inbox.Handled", "."));
    CHECK_FALSE(sameFolder("INBOX.Handled", "INBOX.handled", "."));
    CHECK_FALSE(sameFolder("INBOXHandled", "inboxHandled", "."));
    CHECK(sameFolder("Handled", "Handled", "/"));
    CHECK_FALSE(sameFolder("Handled", "INBOX.Handled", "."));
}

TEST_CASE("server names shown as UTF-8") {
    CHECK(folderNameForDisplay("INBOX.Entw&APw-rfe") == "INBOX.Entwürfe");
    CHECK(folderNameForDisplay("Tom &- Jerry") == "Tom & Jerry");
    CHECK(folderNameForDisplay("Handled") == "Handled");
    CHECK(folderNameForDisplay("bad &&&") == "bad &&&");
}
