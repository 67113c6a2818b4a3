#include "rules/desk/replies.hpp"

namespace deskgate {

std::string_view toString(ReplyMeaning::Kind kind) {
    switch (kind) {
        case ReplyMeaning::Kind::rating: return "rating";
        case ReplyMeaning::Kind::follow_up: return "follow_up";
        case ReplyMeaning::Kind::reopen: return "reopen";
        case ReplyMeaning::Kind::add: return "add";
    }
    return "add";
}

ReplyMeaning meaningOfReply(const TicketFacts& ticket, MailKind kind, std::string_view new_text, UnixTime now,
                            const ReopenSettings& reopen) {
    ReplyMeaning m;
    const bool closed = isClosedStatus(ticket.status);
    // The answer to the satisfaction question reopens nothing, also after the reopen window.
    if (kind == MailKind::normal && closed && ticket.rating_requested_at) {
        if (auto rating = parseRating(new_text)) {
            m.kind = ReplyMeaning::Kind::rating;
            m.rating = std::move(rating);
            return m;
        }
    }
    if (kind != MailKind::normal) return m;  // automatic mail is kept, never acted on
    // A customer writing to a closed ticket after the reopen window gets a new, linked ticket.
    const UnixTime closedAt = ticket.closed_at.value_or(ticket.resolved_at.value_or(ticket.updated_at));
    if (closed && reopen.within && now - closedAt > reopen.within->count()) {
        m.kind = ReplyMeaning::Kind::follow_up;
        m.reason = "it was " + ticket.status + " longer than the reopen window";
        return m;
    }
    if (closed || ticket.status == "pending") m.kind = ReplyMeaning::Kind::reopen;
    return m;
}

}  // namespace deskgate
