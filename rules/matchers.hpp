// Routing conditions: a tree of matchers (from, subject, header, ...) combined with
// all / any / not, compiled at load (RE2 patterns, hash sets of addresses and domains).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "parsers/parsed_mail.hpp"
#include "rules/sla_calendar.hpp"

namespace re2 {
class RE2;
}

namespace deskgate {

// What a rule is evaluated against besides the mail itself.
struct RouteContext {
    std::string mailbox;              // name of the mailbox the mail came in through (deskgate.yaml)
    SysSeconds now{};                 // arrival time; rules never read the clock
    std::string language;             // detected language if the caller knows it; else Content-Language
};

enum class MatcherKind {
    all, any, not_,
    from, from_domain, from_regex,
    to, cc,
    subject, body, header,
    has_attachment, attachment_type, attachment_name,
    mailbox, language, time, kind,
};
std::string_view toString(MatcherKind kind);

struct Condition {
    MatcherKind kind = MatcherKind::all;
    int line = 0;
    int column = 0;
    std::vector<Condition> children;                // all / any / not
    std::unordered_set<std::string> set;            // lower-case addresses, domains, mailboxes, languages
    std::vector<std::string> values;                // as written, for explain and attachment types
    std::shared_ptr<const re2::RE2> regex;          // subject, body, header value, from_regex, attachment_name
    std::string header_name;                        // header
    bool flag = true;                               // has_attachment
    std::vector<MailKind> kinds;                    // kind
    // time:
    const Calendar* calendar = nullptr;
    std::optional<std::array<bool, 7>> weekdays;    // index 0 = Sunday
    std::optional<DayInterval> between;             // begin > end means across midnight
    std::optional<bool> open;                       // inside (true) / outside (false) business hours
    int slot = -1;                                  // answer precomputed per mail by MatchIndex, if >= 0
};

// Per-mail precomputation for a thousand rules: instead of asking every rule's hash set for
// the sender, the index maps each listed address/domain to the matchers listing it, and the
// subject and body regexes of all rules run as one RE2::Set (one pass over the text).
// Built once at load; the matchers it covers get a `slot`.
class MatchIndex {
public:
    MatchIndex();
    ~MatchIndex();
    MatchIndex(const MatchIndex&) = delete;
    MatchIndex& operator=(const MatchIndex&) = delete;

    // Assigns slots to the indexable matchers in `conditions` and builds the index.
    void build(std::vector<Condition*> conditions);
    int slots() const { return slots_; }
    // hits[slot] = 1 for every indexed matcher that matches the mail.
    void evaluate(const struct MailView& mail, std::vector<unsigned char>& hits) const;

private:
    struct RegexSet;
    int slots_ = 0;
    std::unordered_map<std::string, std::vector<int>> from_, to_, cc_, domain_;
    std::unique_ptr<RegexSet> subject_, body_;
};

// The parts of a mail the matchers read, normalised once per mail (lower-case addresses,
// sender domain, body choice) so that a thousand rules do not redo it.
struct MailView {
    MailView(const ParsedMail& mail, const RouteContext& context, const MatchIndex* index = nullptr);
    const ParsedMail& mail;
    const RouteContext& context;
    std::vector<std::string> senders;        // lower-case From addresses
    std::vector<std::string> sender_domains; // lower-case domains of senders
    std::vector<std::string> to;             // lower-case To addresses
    std::vector<std::string> cc;             // lower-case Cc addresses
    std::string_view body;                   // reply_text, or text when reply_text is empty
    std::string language;                    // lower-case primary tag (e.g. "de")
    bool indexed = false;                    // `hits` is filled: matches() uses the slots
    std::vector<unsigned char> hits;         // per slot of the index
};

// Fast path: no strings built.
bool matches(const Condition& condition, const MailView& mail);

// Same decision, with a human-readable account of why (one line per matcher, indented).
bool explainMatch(const Condition& condition, const MailView& mail, std::vector<std::string>& why, int depth = 0);

}  // namespace deskgate
