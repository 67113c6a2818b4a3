// Ticket token in the subject: "[Ticket#{number}]" and the like.
#include "parsers/parsed_mail.hpp"
#include "parsers/ascii.hpp"

#include <cctype>

namespace deskgate {
namespace {

bool iequalAt(std::string_view s, std::size_t pos, std::string_view part) {
    if (pos + part.size() > s.size()) return false;
    for (std::size_t i = 0; i < part.size(); ++i)
        if (asciiLower(s[pos + i]) != asciiLower(part[i]))
            return false;
    return true;
}

}  // namespace

std::optional<std::uint64_t> extractToken(std::string_view subject, std::string_view token_format) {
    // The token may sit anywhere: behind "Re: AW: WG: Fwd: Antwort:" prefixes, mailing-list
    // tags or a forwarding client's own brackets, so we search rather than strip prefixes.
    std::size_t slot = token_format.find("{number}");
    if (slot == std::string_view::npos) return std::nullopt;
    std::string_view prefix = token_format.substr(0, slot);
    std::string_view suffix = token_format.substr(slot + 8);
    for (std::size_t pos = 0; pos + prefix.size() <= subject.size(); ++pos) {
        if (!iequalAt(subject, pos, prefix)) continue;
        std::size_t p = pos + prefix.size();
        // Clients and people insert a space: "[Ticket# 1042]".
        while (p < subject.size() && subject[p] == ' ' && p - pos - prefix.size() < 2) ++p;
        std::size_t digits = p;
        std::uint64_t number = 0;
        bool overflow = false;
        while (p < subject.size() && std::isdigit(static_cast<unsigned char>(subject[p]))) {
            if (number > (UINT64_MAX - 9) / 10) overflow = true;
            number = number * 10 + static_cast<std::uint64_t>(subject[p] - '0');
            ++p;
        }
        if (p == digits || overflow) continue;
        std::size_t q = p;
        while (q < subject.size() && subject[q] == ' ' && q - p < 2 && !suffix.empty() && suffix.front() != ' ') ++q;
        if (!iequalAt(subject, q, suffix)) continue;
        return number;
    }
    return std::nullopt;
}

}  // namespace deskgate
