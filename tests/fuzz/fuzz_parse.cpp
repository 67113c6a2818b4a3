// libFuzzer target for parseMail: any bytes must give a ParsedMail or a ParseError, never a
// crash, hang or runaway allocation. Built by build-fuzzer.sh (clang); the saved inputs in
// corpus-parse/ are replayed by replay_parse.cpp in the ordinary (g++) test build.
#include "parsers/parsed_mail.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    deskgate::ParseOptions options;
    options.limits.max_size = 1 << 20;
    auto result = deskgate::parseMail(raw, options);
    if (result) {
        // Touch the results so that every field is computed and readable.
        volatile std::size_t sink = result->text.size() + result->reply_text.size() + result->quoted.size() +
                                    result->headers.size() + result->attachments.size();
        (void)sink;
    }
    return 0;
}
