// Test-side reading of the messages buildMessage writes, independent of the code under test:
// header unfolding and RFC 2047 decoding written here, MIME structure and quoted-printable
// decoding by mimetic.
#pragma once

#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <mimetic/mimetic.h>

namespace testmail {

inline std::vector<std::string> rawLines(const std::string& raw) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < raw.size()) {
        std::size_t end = raw.find("\r\n", start);
        if (end == std::string::npos) end = raw.size();
        lines.push_back(raw.substr(start, end - start));
        start = end + 2;
    }
    return lines;
}

// The header section's physical lines (up to the first empty line).
inline std::vector<std::string> headerLines(const std::string& raw) {
    std::vector<std::string> out;
    for (const std::string& line : rawLines(raw)) {
        if (line.empty()) break;
        out.push_back(line);
    }
    return out;
}

// RFC 5322 §2.2.3 unfolding: (name, value) per field.
inline std::vector<std::pair<std::string, std::string>> headers(const std::string& raw) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& line : headerLines(raw)) {
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            if (!out.empty()) out.back().second += line;
            continue;
        }
        const auto colon = line.find(':');
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        out.emplace_back(line.substr(0, colon), value);
    }
    return out;
}

inline std::vector<std::string> values(const std::string& raw, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers(raw))
        if (n == name) out.push_back(v);
    return out;
}

inline std::string header(const std::string& raw, const std::string& name) {
    const auto v = values(raw, name);
    return v.empty() ? std::string("<absent>") : v.front();
}

inline std::string base64Decode(const std::string& in) {
    std::string out;
    mimetic::Base64::Decoder decoder;
    mimetic::decode(in.begin(), in.end(), decoder, std::back_inserter(out));
    return out;
}

inline std::string qpDecode(const std::string& in) {
    std::string out;
    mimetic::QP::Decoder decoder;
    mimetic::decode(in.begin(), in.end(), decoder, std::back_inserter(out));
    return out;
}

// RFC 2047 §6: encoded words decoded, white space between adjacent encoded words dropped.
inline std::string decodeWords(const std::string& value) {
    std::string out;
    std::string pendingSpace;
    bool lastWasEncoded = false;
    std::size_t i = 0;
    while (i < value.size()) {
        if (value[i] == ' ' || value[i] == '\t') {
            pendingSpace += value[i++];
            continue;
        }
        std::size_t end = value.find_first_of(" \t", i);
        if (end == std::string::npos) end = value.size();
        const std::string word = value.substr(i, end - i);
        i = end;
        const bool encoded = word.size() > 8 && word.starts_with("=?") && word.ends_with("?=");
        if (encoded) {
            const auto q1 = word.find('?', 2);
            const auto q2 = word.find('?', q1 + 1);
            const char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(word[q1 + 1])));
            const std::string text = word.substr(q2 + 1, word.size() - q2 - 3);
            std::string decoded;
            if (enc == 'B') {
                decoded = base64Decode(text);
            } else {
                for (std::size_t k = 0; k < text.size(); ++k) {
                    if (text[k] == '_') decoded += ' ';
                    else if (text[k] == '=' && k + 2 < text.size()) {
                        decoded += static_cast<char>(std::stoi(text.substr(k + 1, 2), nullptr, 16));
                        k += 2;
                    } else decoded += text[k];
                }
            }
            if (!lastWasEncoded) out += pendingSpace;
            out += decoded;
        } else {
            out += pendingSpace + word;
        }
        pendingSpace.clear();
        lastWasEncoded = encoded;
    }
    return out;
}

inline std::string bodyOf(const std::string& raw) {
    const auto pos = raw.find("\r\n\r\n");
    return pos == std::string::npos ? std::string() : raw.substr(pos + 4);
}

struct Part {
    std::string content_type;
    std::string text;  // decoded
};

// The leaf parts of the message, decoded (mimetic parses the structure).
inline std::vector<Part> parts(const std::string& raw) {
    mimetic::MimeEntity entity(raw.begin(), raw.end());
    std::vector<Part> out;
    const auto leaf = [&](mimetic::MimeEntity& e) {
        std::ostringstream type;
        type << e.header().contentType().type() << "/" << e.header().contentType().subtype();
        std::string body(e.body().begin(), e.body().end());
        out.push_back({type.str(), qpDecode(body)});
    };
    if (entity.body().parts().empty()) {
        leaf(entity);
    } else {
        for (mimetic::MimeEntity* p : entity.body().parts()) leaf(*p);
    }
    return out;
}

}  // namespace testmail
