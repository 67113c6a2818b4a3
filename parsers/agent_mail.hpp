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
    std::string name;  // close, resolve, pending, open, assign, priority, queue, tag, note
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

// A rating answer: the first non-blank line starts with a digit 1..5 standing alone
// ("5", "5 — danke", "4/5", "5!", "  3: ok") — not "10", "5.1", "2023 order".
std::optional<Rating> parseRating(std::string_view text);

// The domain of an address (or of a bare domain), lower-cased: "Anna@ACME.test" -> "acme.test".
std::string addressDomain(std::string_view address);

// Does one of the Authentication-Results fields written by a trusted server (authserv-id in
// `trusted_servers`, case-insensitive) show dkim=pass for `domain` (header.d or header.i) or
// spf=pass for `domain` (smtp.mailfrom's domain)? Fields by other servers are
// ignored: anyone can write an Authentication-Results header into their own mail.
bool authenticatedFor(const ParsedMail& mail, std::string_view domain, const std::vector<std::string>& trusted_servers);

}  // namespace deskgate
