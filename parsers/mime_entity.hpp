// The MIME tree of a message (RFC 2045/2046), as views into the raw bytes.
//
// deskgate parses MIME itself rather than with mimetic: it needs hard limits (depth, parts,
// header count) enforced while parsing, RFC 2231 parameter joining, lenient handling of
// the broken boundaries real mail has, and zero-copy views for speed (see
// notes/test-servers.md §2 for what mimetic lacks).
#pragma once

#include "parsers/parsed_mail.hpp"

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deskgate {

struct RawField {
    std::string_view name;
    std::string value;  // unfolded, trimmed, still raw bytes (not RFC 2047 decoded)
};

using Params = std::vector<std::pair<std::string, std::string>>;  // lower-case name → UTF-8 value

// Splits `type/subtype; a=b; c*0*=…` style values; RFC 2231 continuations and
// charset'lang'%XX values are joined and decoded, RFC 2047 words inside values (a common
// violation for file names) are decoded too. Returns the part before the first ';'.
std::string parseParams(std::string_view value, Params& params, std::vector<std::string>* defects);
const std::string* findParam(const Params& params, std::string_view name);

// Header block parsing: `raw` starts at the first header line (LF line ends).
// Returns the fields and the offset where the body starts.
struct HeaderBlock {
    std::vector<RawField> fields;
    std::size_t body_offset = 0;
};
std::expected<HeaderBlock, ParseError> parseHeaderBlock(std::string_view raw, const Limits& limits,
                                                        std::vector<std::string>& defects);

struct Entity {
    std::vector<RawField> fields;
    std::string type = "text";  // lower-case
    std::string subtype = "plain";
    Params type_params;
    std::string disposition;  // lower-case, "" if absent
    Params disposition_params;
    std::string cte;  // lower-case
    std::string_view body;  // raw body (still transfer-encoded), a view into the message or arena
    std::vector<std::unique_ptr<Entity>> children;  // parts of a multipart, or the message in message/rfc822
    std::size_t depth = 0;

    const std::string* field(std::string_view name) const;
    bool isMultipart() const { return type == "multipart"; }
    bool isMessage() const {
        return type == "message" && (subtype == "rfc822" || subtype == "global");
    }
};

class MimeParser {
public:
    MimeParser(const Limits& limits, std::vector<std::string>& defects) : limits_(limits), defects_(defects) {}
    // `raw` must use LF line ends and outlive the result.
    std::expected<std::unique_ptr<Entity>, ParseError> parse(std::string_view raw);
    std::size_t partCount() const { return parts_; }

private:
    std::expected<std::unique_ptr<Entity>, ParseError> parseEntity(std::string_view raw, std::size_t depth,
                                                                   bool digest_default);
    std::expected<void, ParseError> splitMultipart(Entity& e);

    const Limits& limits_;
    std::vector<std::string>& defects_;
    std::size_t parts_ = 0;
    std::vector<std::unique_ptr<std::string>> arena_;  // decoded bodies of encoded message/rfc822 parts
public:
    // Owned storage that views in the tree point into; kept alive with the parser.
    std::vector<std::unique_ptr<std::string>>& arena() { return arena_; }
};

}  // namespace deskgate
