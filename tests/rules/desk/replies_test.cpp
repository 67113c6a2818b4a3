// What a customer's reply means (rules/desk/replies.hpp), as a table over ticket states.
#include <doctest/doctest.h>

#include "rules/desk/replies.hpp"

using namespace deskgate;

namespace {

constexpr UnixTime kClosedAt = 1'800'000'000;

TicketFacts ticketIn(const std::string& status, bool rating_asked) {
    TicketFacts t;
    t.number = 1001;
    t.customer = "alice@c.test";
    t.status = status;
    t.updated_at = kClosedAt;
    if (status == "resolved") t.resolved_at = kClosedAt;
    if (status == "closed") t.closed_at = kClosedAt;
    if (rating_asked) t.rating_requested_at = kClosedAt;
    return t;
}

}  // namespace

TEST_CASE("the meaning of a reply by ticket state, kind, text and time") {
    ReopenSettings reopen;
    reopen.within = Seconds(86400);
    struct Row {
        const char* status;
        bool rating_asked;
        MailKind kind;
        const char* text;
        UnixTime after;  // seconds after the ticket was closed
        const char* expected;
    };
    const Row rows[] = {
        {"open", false, MailKind::normal, "more details", 10, "add"},
        {"pending", false, MailKind::normal, "here it is", 10, "reopen"},
        {"resolved", false, MailKind::normal, "still broken", 10, "reopen"},
        {"resolved", true, MailKind::normal, "5", 10, "rating"},
        {"resolved", true, MailKind::normal, "4 - danke", 3 * 86400, "rating"},  // also after the window
        {"closed", true, MailKind::normal, "5", 10, "rating"},
        {"resolved", false, MailKind::normal, "5", 10, "reopen"},                // nobody asked
        {"open", true, MailKind::normal, "5", 10, "add"},                        // not closed
        {"resolved", true, MailKind::normal, "still broken", 2 * 86400, "follow_up"},
        {"closed", false, MailKind::normal, "hello again", 2 * 86400, "follow_up"},
        {"resolved", true, MailKind::auto_reply, "5", 10, "add"},                // automatic: never acted on
        {"closed", false, MailKind::bounce, "", 2 * 86400, "add"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.status);
        CAPTURE(r.text);
        CAPTURE(r.after);
        auto m = meaningOfReply(ticketIn(r.status, r.rating_asked), r.kind, r.text, kClosedAt + r.after, reopen);
        CHECK(std::string(toString(m.kind)) == r.expected);
        if (m.kind == ReplyMeaning::Kind::rating) CHECK(m.rating.has_value());
        if (m.kind == ReplyMeaning::Kind::follow_up) CHECK(m.reason.find("reopen window") != std::string::npos);
    }
}

TEST_CASE("without a reopen window a closed ticket always reopens") {
    auto m = meaningOfReply(ticketIn("closed", false), MailKind::normal, "hi", kClosedAt + 365 * 86400, ReopenSettings{});
    CHECK(std::string(toString(m.kind)) == "reopen");
}
