#include "rules/matchers.hpp"

#include <algorithm>
#include <cctype>

#include <re2/re2.h>

namespace deskgate {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Keeps explain lines short: mail text can be long.
std::string excerpt(std::string_view s, std::size_t max = 60) {
    std::string out;
    for (char c : s.substr(0, max)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (s.size() > max) out += "…";
    return out;
}

std::string_view domainOf(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

// The domain itself or one of its parents is listed (a listed example.com covers eu.example.com).
const std::string* domainHit(const std::unordered_set<std::string>& set, std::string_view domain,
                             std::string& scratch) {
    while (!domain.empty()) {
        scratch.assign(domain);
        if (auto it = set.find(scratch); it != set.end()) return &*it;
        auto dot = domain.find('.');
        if (dot == std::string_view::npos) break;
        domain.remove_prefix(dot + 1);
    }
    return nullptr;
}

const std::string* addressHit(const std::unordered_set<std::string>& set, const std::vector<std::string>& addrs) {
    for (const auto& a : addrs)
        if (set.contains(a)) return &a;
    return nullptr;
}

bool typeMatches(std::string_view pattern, std::string_view type) {
    if (pattern.size() >= 2 && pattern.ends_with("/*")) return type.starts_with(pattern.substr(0, pattern.size() - 1));
    return pattern == type;
}

std::string weekdayName(int wd) {
    static constexpr std::array<const char*, 7> names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    return names[static_cast<std::size_t>(wd)];
}

std::string hhmm(int minutes) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

// One leaf decision; when `why` is given, also the reason. Returns the match.
bool leaf(const Condition& c, const MailView& m, std::string* why) {
    switch (c.kind) {
        case MatcherKind::from: {
            const std::string* hit = addressHit(c.set, m.senders);
            if (why) *why = hit ? "from: sender " + *hit + " is listed"
                                : "from: sender " + (m.senders.empty() ? std::string("(none)") : m.senders.front()) +
                                      " is not listed";
            return hit != nullptr;
        }
        case MatcherKind::from_domain: {
            std::string scratch;
            for (const auto& d : m.sender_domains) {
                if (const std::string* hit = domainHit(c.set, d, scratch)) {
                    if (why) *why = "from_domain: sender domain " + d + " is under listed " + *hit;
                    return true;
                }
            }
            if (why) *why = "from_domain: sender domain " +
                            (m.sender_domains.empty() ? std::string("(none)") : m.sender_domains.front()) +
                            " is not listed";
            return false;
        }
        case MatcherKind::from_regex:
            for (const auto& s : m.senders) {
                if (RE2::PartialMatch(s, *c.regex)) {
                    if (why) *why = "from_regex: /" + c.regex->pattern() + "/ matches sender " + s;
                    return true;
                }
            }
            if (why) *why = "from_regex: /" + c.regex->pattern() + "/ matches no sender";
            return false;
        case MatcherKind::to: {
            const std::string* hit = addressHit(c.set, m.to);
            if (!hit) hit = addressHit(c.set, m.cc);
            if (why) *why = hit ? "to: recipient " + *hit + " is listed" : "to: no recipient is listed";
            return hit != nullptr;
        }
        case MatcherKind::cc: {
            const std::string* hit = addressHit(c.set, m.cc);
            if (why) *why = hit ? "cc: " + *hit + " is listed" : "cc: no Cc address is listed";
            return hit != nullptr;
        }
        case MatcherKind::subject: {
            bool ok = RE2::PartialMatch(m.mail.subject, *c.regex);
            if (why) *why = "subject: /" + c.regex->pattern() + "/ " + (ok ? "matches" : "does not match") + " '" +
                            excerpt(m.mail.subject) + "'";
            return ok;
        }
        case MatcherKind::body: {
            re2::StringPiece found;
            bool ok = c.regex->Match(m.body, 0, m.body.size(), RE2::UNANCHORED, &found, 1);
            if (why) *why = "body: /" + c.regex->pattern() + "/ " +
                            (ok ? "matches '" + excerpt(std::string_view(found.data(), found.size())) + "'"
                                : std::string("does not match"));
            return ok;
        }
        case MatcherKind::header: {
            for (const auto& [name, value] : m.mail.headers) {
                if (!iequals(name, c.header_name)) continue;
                if (!c.regex || RE2::PartialMatch(value, *c.regex)) {
                    if (why) *why = "header: " + c.header_name + ": '" + excerpt(value) + "'" +
                                    (c.regex ? " matches /" + c.regex->pattern() + "/" : std::string(" is present"));
                    return true;
                }
            }
            if (why) *why = "header: " + c.header_name +
                            (c.regex ? " has no value matching /" + c.regex->pattern() + "/" : std::string(" is absent"));
            return false;
        }
        case MatcherKind::has_attachment: {
            bool has = std::any_of(m.mail.attachments.begin(), m.mail.attachments.end(),
                                   [](const Attachment& a) { return !a.is_inline; });
            if (why) *why = std::string("has_attachment: mail has ") + (has ? "" : "no ") + "attachment";
            return has == c.flag;
        }
        case MatcherKind::attachment_type:
            for (const auto& a : m.mail.attachments)
                for (const auto& p : c.values)
                    if (typeMatches(p, a.content_type)) {
                        if (why) *why = "attachment_type: " + a.filename + " is " + a.content_type + " (" + p + ")";
                        return true;
                    }
            if (why) *why = "attachment_type: no attachment of a listed type";
            return false;
        case MatcherKind::attachment_name:
            for (const auto& a : m.mail.attachments)
                if (RE2::PartialMatch(a.filename, *c.regex)) {
                    if (why) *why = "attachment_name: '" + a.filename + "' matches /" + c.regex->pattern() + "/";
                    return true;
                }
            if (why) *why = "attachment_name: no file name matches /" + c.regex->pattern() + "/";
            return false;
        case MatcherKind::mailbox: {
            bool ok = c.set.contains(lower(m.context.mailbox));
            if (why) *why = "mailbox: '" + m.context.mailbox + "' is " + (ok ? "" : "not ") + "listed";
            return ok;
        }
        case MatcherKind::language: {
            const std::string& lang = m.language;
            auto dash = lang.find('-');
            bool ok = !lang.empty() && (c.set.contains(lang) || (dash != std::string::npos && c.set.contains(lang.substr(0, dash))));
            if (why) *why = "language: '" + (lang.empty() ? std::string("unknown") : lang) + "' is " + (ok ? "" : "not ") + "listed";
            return ok;
        }
        case MatcherKind::time: {
            const date::local_seconds local = c.calendar->toLocal(m.context.now);
            const date::local_days day = date::floor<date::days>(local);
            const int wd = static_cast<int>(date::weekday(day).c_encoding());
            const auto minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
            std::string reason = "time: local " + weekdayName(wd) + " " + hhmm(minute) + " in " + c.calendar->name;
            bool ok = true;
            if (c.weekdays && !(*c.weekdays)[static_cast<std::size_t>(wd)]) {
                ok = false;
                reason += ", not a listed weekday";
            }
            if (ok && c.between) {
                const auto& b = *c.between;
                bool in = b.begin <= b.end ? (minute >= b.begin && minute < b.end) : (minute >= b.begin || minute < b.end);
                if (!in) {
                    ok = false;
                    reason += ", not between " + hhmm(b.begin) + "-" + hhmm(b.end);
                }
            }
            if (ok && c.open) {
                bool isOpen = c.calendar->isOpen(m.context.now);
                if (isOpen != *c.open) {
                    ok = false;
                    reason += isOpen ? ", inside business hours" : ", outside business hours";
                } else {
                    reason += isOpen ? ", inside business hours" : ", outside business hours";
                }
            }
            if (why) *why = reason;
            return ok;
        }
        case MatcherKind::kind: {
            bool ok = std::find(c.kinds.begin(), c.kinds.end(), m.mail.kind) != c.kinds.end();
            if (why) *why = "kind: mail is " + std::string(toString(m.mail.kind)) + (ok ? ", listed" : ", not listed");
            return ok;
        }
        case MatcherKind::all:
        case MatcherKind::any:
        case MatcherKind::not_:
            break;
    }
    return false;
}

}  // namespace

std::string_view toString(MatcherKind kind) {
    switch (kind) {
        case MatcherKind::all: return "all";
        case MatcherKind::any: return "any";
        case MatcherKind::not_: return "not";
        case MatcherKind::from: return "from";
        case MatcherKind::from_domain: return "from_domain";
        case MatcherKind::from_regex: return "from_regex";
        case MatcherKind::to: return "to";
        case MatcherKind::cc: return "cc";
        case MatcherKind::subject: return "subject";
        case MatcherKind::body: return "body";
        case MatcherKind::header: return "header";
        case MatcherKind::has_attachment: return "has_attachment";
        case MatcherKind::attachment_type: return "attachment_type";
        case MatcherKind::attachment_name: return "attachment_name";
        case MatcherKind::mailbox: return "mailbox";
        case MatcherKind::language: return "language";
        case MatcherKind::time: return "time";
        case MatcherKind::kind: return "kind";
    }
    return "?";
}

MailView::MailView(const ParsedMail& m, const RouteContext& ctx, const MatchIndex* index) : mail(m), context(ctx) {
    for (const auto& a : m.from) {
        senders.push_back(lower(a.address));
        sender_domains.emplace_back(domainOf(senders.back()));
    }
    for (const auto& a : m.to) to.push_back(lower(a.address));
    for (const auto& a : m.cc) cc.push_back(lower(a.address));
    body = m.reply_text.empty() ? std::string_view(m.text) : std::string_view(m.reply_text);
    std::string_view lang = ctx.language;
    if (lang.empty())
        if (const std::string* h = m.header("Content-Language")) lang = *h;
    // First tag of a list like "de-DE, en"; trimmed.
    lang = lang.substr(0, lang.find(','));
    while (!lang.empty() && std::isspace(static_cast<unsigned char>(lang.front()))) lang.remove_prefix(1);
    while (!lang.empty() && std::isspace(static_cast<unsigned char>(lang.back()))) lang.remove_suffix(1);
    language = lower(lang);
    if (index && index->slots() > 0) {
        hits.assign(static_cast<std::size_t>(index->slots()), 0);
        index->evaluate(*this, hits);
        indexed = true;
    }
}

bool matches(const Condition& c, const MailView& m) {
    switch (c.kind) {
        case MatcherKind::all:
            for (const auto& child : c.children)
                if (!matches(child, m)) return false;
            return true;
        case MatcherKind::any:
            for (const auto& child : c.children)
                if (matches(child, m)) return true;
            return false;
        case MatcherKind::not_:
            return !matches(c.children.front(), m);
        default:
            if (c.slot >= 0 && m.indexed) {
                const unsigned char h = m.hits[static_cast<std::size_t>(c.slot)];
                if (h != 2) return h != 0;   // 2: the index could not tell (RE2::Set out of memory)
            }
            return leaf(c, m, nullptr);
    }
}

bool explainMatch(const Condition& c, const MailView& m, std::vector<std::string>& why, int depth) {
    const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    switch (c.kind) {
        case MatcherKind::all:
        case MatcherKind::any: {
            const bool isAll = c.kind == MatcherKind::all;
            // A rule's implicit top-level "all" of one matcher needs no heading.
            if (c.children.size() == 1 && isAll) return explainMatch(c.children.front(), m, why, depth);
            std::size_t head = why.size();
            why.push_back(indent + (isAll ? "all of:" : "any of:"));
            bool result = isAll;
            for (const auto& child : c.children) {
                bool r = explainMatch(child, m, why, depth + 1);
                if (isAll && !r) { result = false; break; }
                if (!isAll && r) { result = true; break; }
            }
            why[head] += result ? " yes" : " no";
            return result;
        }
        case MatcherKind::not_: {
            std::size_t head = why.size();
            why.push_back(indent + "not:");
            bool inner = explainMatch(c.children.front(), m, why, depth + 1);
            why[head] += inner ? " no" : " yes";
            return !inner;
        }
        default: {
            std::string reason;
            bool r = leaf(c, m, &reason);
            why.push_back(indent + (r ? "[yes] " : "[no] ") + reason);
            return r;
        }
    }
}

}  // namespace deskgate
