#include "parsers/agent_mail.hpp"

#include <algorithm>
#include <cctype>

#include "parsers/ascii.hpp"

namespace deskgate {

namespace {

// Splits at '\n' keeping empty lines; a trailing '\r' is dropped from each line.
std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

bool isWordChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/' ||
           static_cast<unsigned char>(c) >= 0x80;
}

std::optional<CommandError> readCommand(std::string_view line, AgentCommand& out) {
    std::string_view rest = trimSpace(line);
    rest.remove_prefix(1);  // '#'
    auto space = rest.find_first_of(" \t");
    std::string name = lower(rest.substr(0, space));
    std::string_view argument = space == std::string_view::npos ? std::string_view{} : trimSpace(rest.substr(space));
    out = AgentCommand{name, std::string(argument), std::string(trimSpace(line))};
    auto error = [&](std::string reason) { return CommandError{out.line, std::move(reason)}; };

    if (name.empty()) return error("a command name must follow '#'");
    if (name == "close" || name == "resolve" || name == "pending" || name == "open" || name == "note") {
        if (!argument.empty()) return error("#" + name + " takes no argument");
        return std::nullopt;
    }
    if (name == "priority") {
        out.argument = lower(argument);
        if (out.argument != "low" && out.argument != "normal" && out.argument != "high" && out.argument != "urgent")
            return error(argument.empty() ? "#priority needs one of low, normal, high, urgent"
                                          : "unknown priority '" + std::string(argument) +
                                                "': use low, normal, high or urgent");
        return std::nullopt;
    }
    if (name == "assign" || name == "queue" || name == "tag") {
        if (argument.empty()) return error("#" + name + " needs " + (name == "tag" ? "a word" : "a name"));
        if (!std::all_of(argument.begin(), argument.end(), isWordChar))
            return error("#" + name + " takes one word, not '" + std::string(argument) + "'");
        if (name == "assign" && lower(argument) == "me") out.argument = "me";
        return std::nullopt;
    }
    if (name == "cc" || name == "uncc") {
        // An agent widens (or narrows) who is copied on the customer's side: one plain address.
        std::string_view a = argument;
        if (a.size() > 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
        const auto at = a.find('@');
        const bool plain = at != std::string_view::npos && at > 0 && at + 1 < a.size() && a.find('@', at + 1) == std::string_view::npos &&
                           std::none_of(a.begin(), a.end(), [](char c) {
                               return std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';' || c == '<' ||
                                      c == '>' || c == '"' || static_cast<unsigned char>(c) < 0x20;
                           });
        if (!plain) return error("#" + name + " needs one mail address, not '" + std::string(argument) + "'");
        out.argument = lower(a);
        return std::nullopt;
    }
    return error("unknown command '#" + name + "'");
}

std::string_view afterPrefix(std::string_view s, std::size_t n) { return n >= s.size() ? std::string_view{} : s.substr(n); }

// RFC 8601 §2.2: drops (comments), honouring nesting and quoted strings.
std::string withoutComments(std::string_view value) {
    std::string out;
    int depth = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '\\' && i + 1 < value.size()) {
            if (depth == 0) out += value.substr(i, 2);
            ++i;
        } else if (quoted) {
            if (c == '"') quoted = false;
            out += c;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && depth > 0) {
            --depth;
        } else if (depth == 0) {
            if (c == '"') quoted = true;
            out += c;
        }
    }
    return out;
}

std::vector<std::string> splitOn(std::string_view s, char sep) {
    std::vector<std::string> out;
    bool quoted = false;
    std::string current;
    for (char c : s) {
        if (c == '"') quoted = !quoted;
        if (c == sep && !quoted) {
            out.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    out.push_back(current);
    return out;
}

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::string current;
    bool quoted = false;
    for (char c : s) {
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && std::isspace(static_cast<unsigned char>(c))) {
            if (!current.empty()) out.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) out.push_back(current);
    return out;
}

// The authenticated domain is the agent's, or one is a subdomain of the other (relaxed
// alignment, as DMARC has it: mail.example.com signs for example.com).
bool aligned(const std::string& identity_domain, const std::string& domain) {
    if (identity_domain.empty()) return false;
    return identity_domain == domain || domain.ends_with("." + identity_domain) ||
           identity_domain.ends_with("." + domain);
}

}  // namespace

std::string addressDomain(std::string_view address) {
    auto at = address.rfind('@');
    return lower(at == std::string_view::npos ? address : address.substr(at + 1));
}

AgentCommands parseAgentCommands(std::string_view text) {
    AgentCommands result;
    auto all = lines(text);
    std::size_t i = 0;
    for (; i < all.size(); ++i) {
        auto trimmed = trimSpace(all[i]);
        if (trimmed.empty()) continue;
        if (trimmed.front() != '#') break;
        AgentCommand command;
        if (auto error = readCommand(all[i], command)) {
            result.errors.push_back(*error);
            continue;
        }
        if (command.name == "note") result.note = true;
        result.commands.push_back(std::move(command));
    }
    std::string rest;
    for (; i < all.size(); ++i) {
        rest += all[i];
        rest += '\n';
    }
    result.text = std::string(trimSpace(rest));
    return result;
}

std::optional<Rating> parseRating(std::string_view text) {
    // Only a reply whose new text IS the rating counts: "2 Drucker zeigen den Fehler immer noch"
    // is a customer saying the problem is back, and must reopen the ticket, not rate it.
    constexpr std::size_t kMaxComment = 200;  // a short comment; more is a message
    constexpr std::size_t kMaxCommentLines = 3;
    for (auto line : lines(text)) {
        line = trimSpace(line);
        if (line.empty()) continue;
        if (line.front() < '1' || line.front() > '5') return std::nullopt;
        Rating rating{line.front() - '0', ""};
        auto rest = trimSpace(afterPrefix(line, 1));
        if (rest.starts_with("/5")) rest = trimSpace(afterPrefix(rest, 2));
        // "5 stars", "4 Sterne": the unit people write after the number.
        for (std::string_view unit : {"stars", "star", "sterne", "stern", "punkte", "points"}) {
            if (rest.size() >= unit.size() && lower(rest.substr(0, unit.size())) == unit &&
                (rest.size() == unit.size() || !std::isalpha(static_cast<unsigned char>(rest[unit.size()])))) {
                rest = trimSpace(rest.substr(unit.size()));
                break;
            }
        }
        std::string_view comment;
        if (!rest.empty()) {
            // The number stands alone only when a separator follows it: "5 - ", "5 — ", "5: ",
            // "5!", "5/5, ", "5." — a letter or digit after it makes it part of a sentence.
            bool separated = false;
            for (std::string_view sep : {"—", "–", "-", ":", "!", ",", ".", ";"}) {
                if (rest.starts_with(sep)) {
                    comment = trimSpace(rest.substr(sep.size()));
                    separated = true;
                    break;
                }
            }
            if (!separated) return std::nullopt;
            // "5.1", "2,5", "3-4": a number, not a rating.
            if (!comment.empty() && std::isdigit(static_cast<unsigned char>(comment.front())) &&
                rest.size() > 1 && std::isdigit(static_cast<unsigned char>(rest[1])))
                return std::nullopt;
        }
        auto end = static_cast<std::size_t>(line.data() - text.data()) + line.size();
        std::string more(trimSpace(text.substr(end)));
        rating.comment = std::string(comment);
        if (!more.empty()) rating.comment += (rating.comment.empty() ? "" : "\n") + more;
        std::size_t commentLines = 0;
        for (auto l : lines(rating.comment))
            if (!trimSpace(l).empty()) ++commentLines;
        if (rating.comment.size() > kMaxComment || commentLines > kMaxCommentLines) return std::nullopt;
        return rating;
    }
    return std::nullopt;
}

std::string receivedBy(std::string_view received) {
    auto tokens = words(withoutComments(received));
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
        if (lower(tokens[i]) == "by") return lower(tokens[i + 1]);
    return {};
}

bool authenticatedFor(const ParsedMail& mail, std::string_view agent, const std::vector<std::string>& trusted) {
    const std::string domain = addressDomain(agent);
    const std::string address = agent.find('@') == std::string_view::npos ? std::string() : lower(agent);
    auto isTrusted = [&](const std::string& host) {
        return !host.empty() &&
               std::any_of(trusted.begin(), trusted.end(), [&](const std::string& t) { return lower(t) == host; });
    };
    // RFC 8601 §5: only fields our own servers added count, and anyone can write an
    // Authentication-Results field with our authserv-id into the mail they send. Ours stand above
    // the Received field our border server added when the mail came in: walking down from the
    // top, Received fields by trusted hosts are our own hops, and the lowest of them before the
    // first Received by another host is the border. Fields below it came with the mail.
    std::size_t border = 0;
    for (std::size_t i = 0; i < mail.headers.size(); ++i) {
        if (lower(mail.headers[i].first) != "received") continue;
        if (!isTrusted(receivedBy(mail.headers[i].second))) break;
        border = i;
    }
    for (std::size_t i = 0; i < border; ++i) {
        const auto& [name, value] = mail.headers[i];
        if (lower(name) != "authentication-results") continue;
        auto parts = splitOn(withoutComments(value), ';');
        if (parts.empty()) continue;
        auto head = words(parts[0]);  // authserv-id [version]
        if (head.empty()) continue;
        if (!isTrusted(lower(head[0]))) continue;
        for (std::size_t p = 1; p < parts.size(); ++p) {
            auto tokens = words(parts[p]);
            if (tokens.empty()) continue;
            auto eq = tokens[0].find('=');
            if (eq == std::string::npos) continue;
            const std::string method = lower(tokens[0].substr(0, eq));
            const std::string result = lower(tokens[0].substr(eq + 1));
            if (result != "pass") continue;
            for (std::size_t t = 1; t < tokens.size(); ++t) {
                auto peq = tokens[t].find('=');
                if (peq == std::string::npos) continue;
                const std::string property = lower(tokens[t].substr(0, peq));
                const std::string identity = tokens[t].substr(peq + 1);
                // RFC 8601 §2.7.4: our MTA authenticated the SMTP client as this very user.
                if (method == "auth" && property == "smtp.auth" && !address.empty() && lower(identity) == address)
                    return true;
                bool relevant = (method == "dkim" && (property == "header.d" || property == "header.i")) ||
                                (method == "spf" && property == "smtp.mailfrom");
                if (relevant && aligned(addressDomain(identity), domain)) return true;
            }
        }
    }
    return false;
}

}  // namespace deskgate
