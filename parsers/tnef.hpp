// TNEF (Outlook's winmail.dat, MS-OXTNEF) → the files it carries.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

struct TnefFile {
    std::string filename;  // UTF-8
    std::string data;
};

// The attachments inside a TNEF stream; an error string when the stream is not TNEF or
// is cut off before any attachment could be read.
std::expected<std::vector<TnefFile>, std::string> unpackTnef(std::string_view data);

}  // namespace deskgate
