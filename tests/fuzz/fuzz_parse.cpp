// libFuzzer target for parseMail: any bytes must give a ParsedMail or a ParseError, never a
// crash, hang or runaway allocation. What intake does next with a parsed mail runs too: the
// agent command, rating and Authentication-Results readers (parsers/agent_mail.hpp). Built by build-fuzzer.sh (clang); the saved inputs in
// corpus-parse/ are replayed by replay_parse.cpp in the ordinary (g++) test build.
#include "parsers/agent_mail.hpp"
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
        auto commands = deskgate::parseAgentCommands(result->reply_text);
        auto rating = deskgate::parseRating(result->reply_text);
        bool authenticated = deskgate::authenticatedFor(*result, "example.com", {"mx.example.com"});
        volatile std::size_t more = commands.commands.size() + commands.errors.size() + commands.text.size() +
                                    (rating ? rating->comment.size() : 0) + (authenticated ? 1 : 0);
        (void)more;
    }
    // Raw bytes as an agent's text, unparsed (parseAgentCommands sees decoded text in practice).
    auto direct = deskgate::parseAgentCommands(raw);
    volatile std::size_t sink2 = direct.text.size() + (deskgate::parseRating(raw) ? 1 : 0);
    (void)sink2;
    return 0;
}
