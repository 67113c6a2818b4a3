// What a customer's reply to an existing ticket means: a rating, a message that reopens the
// ticket, a plain addition, or — after the reopen window — a new ticket that follows it.
// Pure: the ticket's facts, the mail's kind and new text, and `now` in; the meaning out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "parsers/agent_mail.hpp"
#include "parsers/parsed_mail.hpp"
#include "rules/desk/desk_facts.hpp"
#include "rules/rule_set.hpp"

namespace deskgate {

struct ReplyMeaning {
    enum class Kind {
        rating,     // the answer to the satisfaction question: stored, thanked, reopens nothing
        follow_up,  // closed longer than the reopen window: a new ticket linked to this one
        reopen,     // a person's mail on a pending, resolved or closed ticket: open again
        add,        // stored on the ticket as it is (automatic mail; or the ticket is open)
    } kind = Kind::add;
    std::optional<Rating> rating;  // for rating
    std::string reason;            // for follow_up: why it is a new ticket
};
std::string_view toString(ReplyMeaning::Kind kind);

// `new_text` is the reply's own text (the quoted history cut off).
ReplyMeaning meaningOfReply(const TicketFacts& ticket, MailKind kind, std::string_view new_text, UnixTime now,
                            const ReopenSettings& reopen);

}  // namespace deskgate
