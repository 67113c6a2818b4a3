// Spelling suggestions for error messages ("unknown key 'priorty', did you mean 'priority'?"),
// shared by the rule, configuration and template checks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

// Case-insensitive Levenshtein distance.
std::size_t editDistance(std::string_view a, std::string_view b);

// Closest candidate within a small edit distance (a third of the word, 1 to 3 edits).
std::optional<std::string> didYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace deskgate
