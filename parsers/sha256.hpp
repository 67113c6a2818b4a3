#pragma once

#include <string>
#include <string_view>

namespace deskgate {

// Lower-case hex SHA-256 (OpenSSL libcrypto; no home-made crypto).
std::string sha256Hex(std::string_view data);

}  // namespace deskgate
