// The mails deskgate sends: template names and the variables each one is given.
// One table, used by the loader (unknown names and variables are errors) and the README.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

struct TemplateVariable {
    std::string_view name;         // dotted, as written in the template: "ticket.number"
    std::string_view description;  // for people (README, `deskgate check`)
};

struct TemplateInfo {
    std::string_view name;         // file name without ".mustache"
    std::string_view description;
    bool customer_facing;          // sent to the customer: the subject must carry {{token}}
    std::vector<TemplateVariable> variables;  // besides commonTemplateVariables()
};

// Variables every template is given.
std::span<const TemplateVariable> commonTemplateVariables();

// Every template deskgate sends (issue 5), in a stable order.
std::span<const TemplateInfo> templateCatalog();

// nullptr for a name deskgate does not send.
const TemplateInfo* findTemplateInfo(std::string_view name);

// The names of templateCatalog(), for "did you mean" hints and option defaults.
std::vector<std::string> requiredTemplateNames();

// True when `variable` (dotted) is given to template `name`; list items are written as
// "attachments.name" (inside {{#attachments}} simply {{name}}).
bool isTemplateVariable(std::string_view name, std::string_view variable);

}  // namespace deskgate
