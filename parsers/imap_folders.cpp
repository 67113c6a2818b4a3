#include "parsers/imap_folders.hpp"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "parsers/imap_tokenizer.hpp"

namespace deskgate {

using imap_detail::Token;
using imap_detail::Tokenizer;

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool startsWithWord(std::string_view text, std::string_view word) {
    return text.size() > word.size() && upper(text.substr(0, word.size())) == word && text[word.size()] == ' ';
}

// A string token: quoted, literal or atom (NIL is the atom "NIL": the caller decides).
std::optional<std::string> stringOf(const ImapResponse& r, const Token& t) {
    if (t.type == Token::Type::string || t.type == Token::Type::atom) return t.value;
    if (t.type == Token::Type::literal && t.literal < r.literals.size()) return r.literals[t.literal];
    return std::nullopt;
}

bool isNil(const Token& t) { return t.type == Token::Type::atom && upper(t.value) == "NIL"; }

}  // namespace

std::optional<ImapNamespace> parseNamespace(const ImapResponse& r) {
    if (r.kind != ImapResponse::Kind::untagged || !startsWithWord(r.text, "NAMESPACE")) return std::nullopt;
    // RFC 2342 §5: Namespace = nil / "(" 1*( "(" string SP (<"> QUOTED_CHAR <"> / nil) ... ")" ) ")"
    // The personal namespaces come first; the first of them is where the user's folders go.
    Tokenizer tok(r, 10);
    Token outer = tok.next();
    if (outer.type != Token::Type::open) return std::nullopt;  // NIL: no personal namespace
    if (tok.next().type != Token::Type::open) return std::nullopt;
    Token prefix = tok.next();
    Token separator = tok.next();
    auto p = stringOf(r, prefix);
    if (!p || prefix.type == Token::Type::atom) return std::nullopt;  // the prefix is always a string
    ImapNamespace ns;
    ns.prefix = *p;
    if (!isNil(separator)) {
        auto s = stringOf(r, separator);
        if (!s) return std::nullopt;
        ns.separator = *s;
    }
    return ns;
}

bool ImapListEntry::hasAttribute(std::string_view attribute) const {
    return std::any_of(attributes.begin(), attributes.end(),
                       [&](const std::string& a) { return upper(a) == upper(attribute); });
}

std::optional<ImapListEntry> parseList(const ImapResponse& r) {
    if (r.kind != ImapResponse::Kind::untagged || !startsWithWord(r.text, "LIST")) return std::nullopt;
    // RFC 3501 §7.2.2: "LIST" SP "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
    Tokenizer tok(r, 5);
    if (tok.next().type != Token::Type::open) return std::nullopt;
    ImapListEntry e;
    for (;;) {
        Token t = tok.next();
        if (t.type == Token::Type::close) break;
        if (t.type != Token::Type::atom) return std::nullopt;
        e.attributes.push_back(t.value);
    }
    Token separator = tok.next();
    if (!isNil(separator)) {
        auto s = stringOf(r, separator);
        if (!s || separator.type == Token::Type::atom) return std::nullopt;
        e.separator = *s;
    }
    Token name = tok.next();
    auto n = stringOf(r, name);
    if (!n || name.type == Token::Type::end) return std::nullopt;
    e.name = *n;
    return e;
}

std::optional<ImapStatus> parseStatus(const ImapResponse& r) {
    if (r.kind != ImapResponse::Kind::untagged || !startsWithWord(r.text, "STATUS")) return std::nullopt;
    // RFC 3501 §9: "STATUS" SP mailbox SP "(" [status-att-list] ")"
    Tokenizer tok(r, 7);
    Token name = tok.next();
    auto n = stringOf(r, name);
    if (!n || name.type == Token::Type::end) return std::nullopt;
    ImapStatus out;
    out.name = *n;
    if (tok.next().type != Token::Type::open) return std::nullopt;
    for (;;) {
        Token key = tok.next();
        if (key.type == Token::Type::close) break;
        Token value = tok.next();
        if (key.type != Token::Type::atom || value.type != Token::Type::atom) return std::nullopt;
        std::uint64_t v = 0;
        auto [p, ec] = std::from_chars(value.value.data(), value.value.data() + value.value.size(), v);
        if (ec != std::errc() || p != value.value.data() + value.value.size()) return std::nullopt;
        const std::string k = upper(key.value);
        if (k == "MESSAGES") out.messages = v;
        if (k == "UNSEEN") out.unseen = v;
        if (k == "UIDNEXT") out.uidnext = v;
        if (k == "UIDVALIDITY") out.uidvalidity = v;
    }
    return out;
}

bool sameFolder(std::string_view a, std::string_view b, std::string_view separator) {
    auto inboxPart = [&](std::string_view s) -> std::size_t {
        if (s.size() < 5 || upper(s.substr(0, 5)) != "INBOX") return 0;
        if (s.size() == 5) return 5;
        if (!separator.empty() && s.substr(5).starts_with(separator)) return 5;
        return 0;
    };
    const std::size_t ia = inboxPart(a), ib = inboxPart(b);
    if (ia != ib) return false;
    return a.substr(ia) == b.substr(ib);
}

std::string serverFolderName(std::string_view configured, const ImapNamespace& ns) {
    std::string wire = imapMailboxName(configured);
    if (upper(wire) == "INBOX") return "INBOX";  // RFC 3501 §5.1: INBOX in any case is the inbox
    if (ns.prefix.empty()) return wire;
    if (wire.size() >= ns.prefix.size() &&
        sameFolder(std::string_view(wire).substr(0, ns.prefix.size()), ns.prefix, ns.separator))
        return wire;  // written with the prefix already ("INBOX.Handled", "inbox.Handled")
    return ns.prefix + wire;
}

std::string folderNameForDisplay(std::string_view server_name) {
    if (server_name.find('&') == std::string_view::npos) return std::string(server_name);
    iconv_t cd = iconv_open("UTF-8", "UTF-7-IMAP");
    if (cd == reinterpret_cast<iconv_t>(-1)) return std::string(server_name);
    std::string in(server_name), out(server_name.size() * 4 + 16, '\0');
    char* inPtr = in.data();
    char* outPtr = out.data();
    std::size_t inLeft = in.size(), outLeft = out.size();
    const std::size_t rc = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft);
    iconv_close(cd);
    if (rc == static_cast<std::size_t>(-1) || inLeft != 0) return std::string(server_name);
    out.resize(out.size() - outLeft);
    return out;
}

}  // namespace deskgate
