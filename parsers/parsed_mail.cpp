#include "parsers/parsed_mail.hpp"
#include "parsers/ascii.hpp"

#include <algorithm>
#include <cctype>

namespace deskgate {

std::string_view toString(MailKind kind) {
    switch (kind) {
        case MailKind::normal: return "normal";
        case MailKind::bounce: return "bounce";
        case MailKind::auto_reply: return "auto_reply";
        case MailKind::list: return "list";
        case MailKind::feedback_report: return "feedback_report";
    }
    return "normal";
}

const std::string* ParsedMail::header(std::string_view name) const {
    auto same = [name](const std::string& candidate) {
        return std::equal(candidate.begin(), candidate.end(), name.begin(), name.end(), [](char a, char b) {
            return asciiLower(a) == asciiLower(b);
        });
    };
    for (const auto& [field, value] : headers)
        if (same(field)) return &value;
    return nullptr;
}

}  // namespace deskgate
