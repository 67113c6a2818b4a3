// What an agent's or customer's reply says beyond its text: the #commands at the top of an
// agent's reply, a satisfaction rating at the top of a customer's answer, and whether the
// receiving MTA authenticated the sender (RFC 8601 Authentication-Results). Pure: text in,
// data out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parsed_mail.hpp"

namespace deskgate {

// One "#word argument" line. Arguments are checked for form here (a priority must be one of
// the four, #assign needs a name); whether a name or queue exists is the caller's business.
// Names, queues and tags keep their case ("me" is lower-cased).
struct AgentCommand {
    std::string name;  // close, resolve, pending, open, assign, priority, queue, tag, note, cc, uncc
    std::string argument;
    std::string line;  // as written, for messages
};

struct CommandError {
    std::string line;
    std::string reason;
};

struct AgentCommands {
    std::vector<AgentCommand> commands;
    std::vector<CommandError> errors;  // any error: apply nothing
    std::string text;                  // what follows the command lines, trimmed
    bool note = false;                 // #note given: the whole mail is internal
};

// Reads command lines at the top of `text` (blank lines between them allowed); the first
// line that does not start with '#' ends them. "#1 is urgent" is an unknown command, not
// text: a line at the top starting with '#' is always read as a command, so a typo never
// reaches the customer.
AgentCommands parseAgentCommands(std::string_view text);

struct Rating {
    int score = 0;        // 1..5
    std::string comment;  // the rest of the answer, trimmed ("danke")
};

// A rating answer: the new text is the rating — a digit 1..5 on the first non-blank line,
// optionally "/5" (or "stars"/"Sterne"), then nothing or a separator (- – — : , . ! ;) and a
// short comment (at most 200 characters on 3 lines, following lines included): "5", "5 — danke",
// "4/5, quick help", "5!", "  3: ok". Not "10", "5.1", "2023 order", and not a sentence that
// starts with a digit ("2 Drucker zeigen den Fehler immer noch"): that is a reply.
std::optional<Rating> parseRating(std::string_view text);

// The domain of an address (or of a bare domain), lower-cased: "Anna@ACME.test" -> "acme.test".
std::string addressDomain(std::string_view address);

// Does an Authentication-Results field our own servers added vouch for `agent` (an address, or
// just a domain): dkim=pass for its domain (header.d or header.i), spf=pass for it
// (smtp.mailfrom's domain), or auth=pass with smtp.auth the agent's very address (our MTA
// authenticated the agent's SMTP login, RFC 8601 §2.7.4)? `trusted_servers`
// are the host names of our servers, as they write them as authserv-id and in the `by` clause
// of their Received fields (case-insensitive). A field counts only when its authserv-id is
// trusted and it stands above the border: the lowest Received by a trusted host in the run of
// such Received fields at the top (RFC 8601 §5; our MTA must also remove incoming fields with
// its own authserv-id). Anyone can write such a field into the mail they send; it then stands
// below our MTA's Received and is ignored.
bool authenticatedFor(const ParsedMail& mail, std::string_view agent, const std::vector<std::string>& trusted_servers);

// The host in the `by` clause of a Received field ("" when there is none), lower-cased.
std::string receivedBy(std::string_view received);

}  // namespace deskgate
