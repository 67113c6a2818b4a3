// The values a template is rendered with: dotted names ("ticket.number") and lists.
// A value is always text; an empty value counts as absent, so {{#customer.name}}…{{/customer.name}}
// shows its content only when there is a name.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

class TemplateValues {
public:
    // Sets a value by dotted name: set("ticket.number", "1042").
    TemplateValues& set(std::string_view name, std::string value);
    // Appends an item to a list section: add("attachments", TemplateValues{}.set("name", "a.pdf")).
    TemplateValues& add(std::string_view list, TemplateValues item);

    // nullptr when not set.
    const std::string* get(std::string_view name) const;

    const std::map<std::string, std::string, std::less<>>& values() const { return values_; }
    const std::map<std::string, std::vector<TemplateValues>, std::less<>>& lists() const { return lists_; }

private:
    std::map<std::string, std::string, std::less<>> values_;
    std::map<std::string, std::vector<TemplateValues>, std::less<>> lists_;
};

// The ticket token for subjects: `token_format` ("[Ticket#{number}]" by default, the format
// parsers' extractToken reads back) with the number put in place of "{number}".
std::string formatToken(std::string_view token_format, std::uint64_t number);

}  // namespace deskgate
