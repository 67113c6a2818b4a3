// Deterministic file contents for tests of attachments: bytes of every value (xorshift), the
// same for the same seed, optionally behind a PDF header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace deskgate::test {

inline std::string testBytes(std::size_t n, unsigned seed = 1, bool pdf = false) {
    std::string out = pdf ? "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" : "";
    std::uint32_t x = seed * 2654435761u + 1;
    while (out.size() < n) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out += static_cast<char>(x & 0xff);
    }
    out.resize(n);
    return out;
}

}  // namespace deskgate::test
