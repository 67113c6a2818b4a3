// Ticket priorities, ordered from low to urgent.
#pragma once

#include <optional>
#include <string_view>

namespace deskgate {

enum class Priority { low, normal, high, urgent };
std::string_view toString(Priority p);
std::optional<Priority> parsePriority(std::string_view s);
// One level up, urgent stays urgent.
Priority raised(Priority p);

}  // namespace deskgate
