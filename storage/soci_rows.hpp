// Tolerant column readers for soci::row (internal to storage/): SQLite reports the types of
// columns and expressions loosely, PostgreSQL exactly (bigint, numeric, text); integers and
// strings are read whatever the driver calls them.
#pragma once

#include <cmath>
#include <optional>
#include <string>

#include <soci/soci.h>

#include "storage/database.hpp"

namespace deskgate {

inline long long intAt(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return 0;
    switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer: return r.get<int>(i);
        case soci::dt_long_long: return r.get<long long>(i);
        case soci::dt_unsigned_long_long: return static_cast<long long>(r.get<unsigned long long>(i));
        case soci::dt_double: return std::llround(r.get<double>(i));
        case soci::dt_string: return std::stoll(r.get<std::string>(i));
        default: throw StorageError("unexpected column type for an integer");
    }
}

inline std::optional<long long> optIntAt(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return std::nullopt;
    return intAt(r, i);
}

inline std::string strAt(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return {};
    if (r.get_properties(i).get_data_type() == soci::dt_string) return r.get<std::string>(i);
    return std::to_string(intAt(r, i));
}

}  // namespace deskgate
