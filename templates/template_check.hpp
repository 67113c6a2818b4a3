// Checks on one mustache source of a template file (used by TemplateSet; exported for tests).
#pragma once

#include <string_view>
#include <vector>

#include "templates/template_set.hpp"

namespace deskgate {

// Mustache syntax (kainjow's parser; its byte offsets become line:column) and the names the
// source uses, against the catalog for template `name`: unknown variables (with a "did you
// mean"), partials and delimiter changes are errors. `line`/`column` give where the source
// starts in `file`.
std::vector<TemplateError> checkTemplateSource(std::string_view file, std::string_view name, std::string_view source,
                                               int line, int column);

// True when `source` has a variable tag ({{v}}, {{{v}}} or {{& v}}) for `variable`.
bool usesVariable(std::string_view source, std::string_view variable);

}  // namespace deskgate
