// Header values for outgoing mail: RFC 2047 encoded words where needed, never CR/LF,
// and folding (RFC 5322 §2.2.3) so lines stay within 78 characters where possible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace deskgate {

// RFC 4648 base64, one line, with padding.
std::string base64(std::string_view in);

// Replaces CR, LF and other control characters by spaces, so no value can add a header,
// and ill-formed UTF-8 by U+FFFD.
std::string sanitizeHeaderValue(std::string_view value);

// RFC 2047 §4/§5: plain ASCII is returned as is; anything else becomes UTF-8 "B" encoded
// words of at most 75 characters, separated by folding white space ("\r\n ").
std::string encodeHeaderText(std::string_view utf8);

// True when `word` cannot go into a header as it is: non-ASCII, control characters, or
// something a decoder would take for an encoded word ("=?").
bool needsEncodedWord(std::string_view word);

// Writes one header field, folding at the spaces between the pieces it is given.
// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters and MUST be at most 998;
// pieces are never split, so a line is only longer than 78 when one piece is.
class HeaderLine {
public:
    static constexpr std::size_t kSoftLimit = 78;

    explicit HeaderLine(std::string_view name);

    // Adds `text` unsplit; `space` puts white space (a possible fold) before it.
    void atom(std::string_view text, bool space = true);
    // Adds UTF-8 text as RFC 2047 "B" encoded words (RFC 2047 §2: each at most 75
    // characters; §5: never a UTF-8 sequence split across words), sized to fill lines.
    // The white space between two encoded words is not part of the decoded text (§6.2).
    void encoded(std::string_view utf8, bool space = true);
    // Adds unstructured text (Subject and the like): words kept readable where they are
    // plain ASCII, runs of words that need it encoded.
    void unstructured(std::string_view utf8);

    // The field without the final CRLF.
    const std::string& str() const { return out_; }

private:
    void fold();
    void append(std::string_view text, bool space);

    std::string out_;
    std::size_t column_ = 0;
    bool line_has_content_ = false;
};

// Whole field: "Name: value" folded, value sanitized and encoded as unstructured text.
std::string formatUnstructuredField(std::string_view name, std::string_view value);

}  // namespace deskgate
