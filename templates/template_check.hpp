// Checks on, and preparation of, one mustache source of a template file (internal to the
// templates library; exported for tests).
#pragma once

#include <string>
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

// " (did you mean 'x'?)" for the closest candidate within a small edit distance, or "".
std::string didYouMeanHint(std::string_view word, const std::vector<std::string>& candidates);

// "de_AT" -> "de-at": language tags compared case-insensitively with '-'.
std::string normalizeLanguage(std::string_view language);

// The name of a section that is always true while rendering (see prepareForRender).
inline constexpr std::string_view kAlwaysTrueSection = "__deskgate_true";

// The source as it is rendered: lines holding only a section's closing tag are marked so they
// vanish from the output. kainjow drops such "standalone" lines (mustache spec, "Sections")
// when the section is rendered, but leaves an empty line behind when it is skipped; a
// trailing, empty, always-true section tells it that the line held a section tag.
std::string prepareForRender(std::string_view source);

}  // namespace deskgate
