// The tokens of an IMAP response text (RFC 3501 §9 grammar, just enough of it): atoms, quoted
// strings, literals and parentheses. Internal to parsers/ (imap_response.cpp, imap_folders.cpp).
#pragma once

#include <string>

#include "parsers/imap_response.hpp"

namespace deskgate::imap_detail {

// Tokens of a response text: atoms, quoted strings, literals, parentheses.
struct Token {
    enum class Type { atom, string, literal, open, close, end } type;
    std::string value;
    std::size_t literal = 0;  // for Type::literal: its index in ImapResponse::literals
};

class Tokenizer {
public:
    Tokenizer(const ImapResponse& r, std::size_t start) : r_(r), pos_(start) {}

    Token next() {
        const std::string& s = r_.text;
        while (pos_ < s.size() && s[pos_] == ' ') ++pos_;
        if (pos_ >= s.size()) return {Token::Type::end, {}};
        char c = s[pos_];
        if (c == '(') return ++pos_, Token{Token::Type::open, "("};
        if (c == ')') return ++pos_, Token{Token::Type::close, ")"};
        if (c == '"') {
            std::string out;
            ++pos_;
            while (pos_ < s.size() && s[pos_] != '"') {
                if (s[pos_] == '\\' && pos_ + 1 < s.size()) ++pos_;
                out += s[pos_++];
            }
            ++pos_;
            return {Token::Type::string, out};
        }
        if (c == '{') {
            auto close = s.find('}', pos_);
            if (close != std::string::npos && literal_ < r_.literals.size()) {
                pos_ = close + 1;
                return {Token::Type::literal, {}, literal_++};  // the caller takes or copies it
            }
        }
        // Atom; "BODY[...]" keeps its bracketed section (which may contain spaces and parens).
        std::string out;
        int depth = 0;
        while (pos_ < s.size()) {
            char ch = s[pos_];
            if (ch == '[') ++depth;
            if (ch == ']') --depth;
            if (depth <= 0 && (ch == ' ' || ch == '(' || ch == ')')) break;
            out += ch;
            ++pos_;
        }
        return {Token::Type::atom, out};
    }

private:
    const ImapResponse& r_;
    std::size_t pos_;
    std::size_t literal_ = 0;
};

}  // namespace deskgate::imap_detail
