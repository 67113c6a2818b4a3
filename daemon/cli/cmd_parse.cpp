// `deskgate parse FILE… [--json]`: shows what parseMail makes of a mail, so admins can see
// why a mail was handled as it was (and tests can check it end to end).
#include "daemon/cli/commands.hpp"

#include "parsers/parsed_mail.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <malloc.h>

namespace deskgate {
namespace {

// JSON (RFC 8259) written straight into one buffer. nlohmann::json first copied every string
// of the mail into a DOM and then escaped it byte by byte through a UTF-8 state machine and
// snprintf: perf put about a quarter of `deskgate parse --json` there. Here a string is copied
// in runs between the few bytes that need an escape (§7: '"', '\\', U+0000–U+001F).
class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void string(std::string_view s) {
        separate();
        escaped(s);
        comma_ = true;
    }
    void number(std::uint64_t n) {
        separate();
        std::array<char, 24> buf{};
        auto r = std::to_chars(buf.data(), buf.data() + buf.size(), n);
        out_.append(buf.data(), r.ptr);
        comma_ = true;
    }
    void boolean(bool b) {
        separate();
        out_ += b ? "true" : "false";
        comma_ = true;
    }
    void null() {
        separate();
        out_ += "null";
        comma_ = true;
    }
    void key(std::string_view k) {
        separate();
        escaped(k);
        out_ += ':';
        comma_ = false;  // the value follows without one
    }
    void beginObject() { open('{'); }
    void endObject() { close('}'); }
    void beginArray() { open('['); }
    void endArray() { close(']'); }

private:
    void separate() {
        if (comma_) out_ += ',';
    }
    void open(char c) {
        separate();
        out_ += c;
        comma_ = false;
    }
    void close(char c) {
        out_ += c;
        comma_ = true;
    }
    // Eight bytes at a time: does any need a look (an escape or a non-ASCII byte)?
    static bool special8(std::uint64_t v) {
        constexpr std::uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        auto zero = [&](std::uint64_t x) { return (x - ones) & ~x & high; };
        return ((v & high) | ((v - ones * 0x20) & ~v & high) | zero(v ^ (ones * '"')) | zero(v ^ (ones * '\\'))) != 0;
    }
    // The length of the valid UTF-8 sequence at s[i] (lead byte >= 0x80), 0 if invalid
    // (RFC 3629 §4: no overlong forms, no surrogates, at most U+10FFFF).
    static std::size_t utf8Length(std::string_view s, std::size_t i) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1Fu, min = 0x80;
        else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0Fu, min = 0x800;
        else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07u, min = 0x10000;
        else return 0;
        if (s.size() - i < n) return 0;
        for (std::size_t k = 1; k < n; ++k) {
            auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        return n;
    }
    void escaped(std::string_view s) {
        out_ += '"';
        std::size_t run = 0;  // s[run, i) is copied as it is
        std::size_t i = 0;
        while (i < s.size()) {
            if (s.size() - i >= 8) {
                std::uint64_t v;
                std::memcpy(&v, s.data() + i, 8);
                if (!special8(v)) {
                    i += 8;
                    continue;
                }
            }
            auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x80) {
                // parseMail returns valid UTF-8; a broken byte would make the line unreadable.
                if (std::size_t len = utf8Length(s, i)) {
                    i += len;
                    continue;
                }
                out_.append(s.data() + run, i - run);
                out_ += "\xEF\xBF\xBD";  // U+FFFD
                run = ++i;
                continue;
            }
            if (c >= 0x20 && c != '"' && c != '\\') {
                ++i;
                continue;
            }
            out_.append(s.data() + run, i - run);
            run = ++i;
            switch (c) {
                case '"': out_ += "\\\""; break;
                case '\\': out_ += "\\\\"; break;
                case '\n': out_ += "\\n"; break;
                case '\r': out_ += "\\r"; break;
                case '\t': out_ += "\\t"; break;
                default: {
                    static constexpr char kHex[] = "0123456789abcdef";
                    const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
                    out_.append(esc, sizeof esc);
                }
            }
        }
        out_.append(s.data() + run, s.size() - run);
        out_ += '"';
    }

    std::string& out_;
    bool comma_ = false;  // a value was written at this level: the next one needs a ','
};

void addressesJson(JsonWriter& w, const std::vector<Address>& list) {
    w.beginArray();
    for (const auto& a : list) {
        w.beginObject();
        w.key("name");
        w.string(a.name);
        w.key("address");
        w.string(a.address);
        w.endObject();
    }
    w.endArray();
}

void stringsJson(JsonWriter& w, const std::vector<std::string>& list) {
    w.beginArray();
    for (const auto& s : list) {
        w.string(s);
    }
    w.endArray();
}

// Field names are exactly ParsedMail's member names.
void toJson(const ParsedMail& m, std::string& out) {
    JsonWriter w(out);
    auto field = [&](std::string_view name, const std::string& value) {
        w.key(name);
        w.string(value);
    };
    w.beginObject();
    field("message_id", m.message_id);
    field("date", m.date);
    w.key("from");
    addressesJson(w, m.from);
    w.key("reply_to");
    addressesJson(w, m.reply_to);
    w.key("to");
    addressesJson(w, m.to);
    w.key("cc");
    addressesJson(w, m.cc);
    field("subject", m.subject);
    field("in_reply_to", m.in_reply_to);
    w.key("references");
    stringsJson(w, m.references);
    field("text", m.text);
    field("reply_text", m.reply_text);
    field("quoted", m.quoted);
    w.key("attachments");
    w.beginArray();
    for (const auto& a : m.attachments) {
        w.beginObject();
        field("filename", a.filename);
        w.key("name_given");
        w.boolean(a.name_given);
        field("content_type", a.content_type);
        w.key("size");
        w.number(a.size);
        field("sha256", a.sha256);
        w.key("is_inline");
        w.boolean(a.is_inline);
        field("content_id", a.content_id);
        w.endObject();
    }
    w.endArray();
    w.key("kind");
    w.string(toString(m.kind));
    w.key("bounce");
    if (m.bounce) {
        w.beginObject();
        field("failed_recipient", m.bounce->failed_recipient);
        field("status", m.bounce->status);
        w.key("permanent");
        w.boolean(m.bounce->permanent);
        field("original_message_id", m.bounce->original_message_id);
        w.endObject();
    } else {
        w.null();
    }
    field("auto_reply_reason", m.auto_reply_reason);
    w.key("token");
    if (m.token) w.number(*m.token);
    else w.null();
    w.key("defects");
    stringsJson(w, m.defects);
    w.key("headers");
    w.beginArray();
    for (const auto& [name, value] : m.headers) {
        w.beginObject();
        field("name", name);
        field("value", value);
        w.endObject();
    }
    w.endArray();
    w.endObject();
    out += '\n';
}

void errorJson(const ParseError& e, std::string& out) {
    JsonWriter w(out);
    w.beginObject();
    w.key("error");
    w.beginObject();
    w.key("code");
    w.string(e.code);
    w.key("message");
    w.string(e.message);
    w.endObject();
    w.endObject();
    out += '\n';
}

// The whole file in one read (an ostringstream copy of rdbuf() cost a second pass).
bool readFile(const std::string& path, std::string& out) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    out.clear();
    std::array<char, 65536> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) out.append(buf.data(), n);
    bool ok = !std::ferror(f);
    std::fclose(f);
    return ok;
}

std::string addressesText(const std::vector<Address>& list) {
    std::string out;
    for (const auto& a : list) {
        if (!out.empty()) out += ", ";
        out += a.name.empty() ? a.address : a.name + " <" + a.address + ">";
    }
    return out;
}

void printText(const std::string& file, const ParsedMail& m) {
    std::cout << "== " << file << "\n"
              << "kind:        " << toString(m.kind) << "\n";
    if (m.bounce)
        std::cout << "bounce:      status " << m.bounce->status << (m.bounce->permanent ? " (permanent)" : " (temporary)")
                  << ", recipient " << m.bounce->failed_recipient << ", original " << m.bounce->original_message_id << "\n";
    if (!m.auto_reply_reason.empty()) std::cout << "auto-reply:  " << m.auto_reply_reason << "\n";
    std::cout << "message-id:  " << m.message_id << "\n"
              << "date:        " << m.date << "\n"
              << "from:        " << addressesText(m.from) << "\n"
              << "to:          " << addressesText(m.to) << "\n";
    if (!m.cc.empty()) std::cout << "cc:          " << addressesText(m.cc) << "\n";
    if (!m.reply_to.empty()) std::cout << "reply-to:    " << addressesText(m.reply_to) << "\n";
    std::cout << "subject:     " << m.subject << "\n";
    if (m.token) std::cout << "token:       " << *m.token << "\n";
    if (!m.in_reply_to.empty()) std::cout << "in-reply-to: " << m.in_reply_to << "\n";
    for (const auto& a : m.attachments)
        std::cout << "attachment:  " << a.filename << " (" << a.content_type << ", " << a.size << " bytes"
                  << (a.is_inline ? ", inline" : "") << ") sha256 " << a.sha256 << "\n";
    for (const auto& d : m.defects) std::cout << "defect:      " << d << "\n";
    std::cout << "--- reply_text\n" << m.reply_text << "\n";
    if (!m.quoted.empty()) std::cout << "--- quoted\n" << m.quoted << "\n";
}

}  // namespace

void addParseCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("parse", "Parse mail files and print what deskgate sees in them");
    struct Options {
        std::vector<std::string> files;
        bool json = false;
        std::string token_format = "[Ticket#{number}]";
    };
    auto opts = std::make_shared<Options>();
    cmd->add_option("files", opts->files, "raw mail files (RFC 5322), '-' for stdin")->required();
    cmd->add_flag("--json", opts->json, "one JSON object per file (ParsedMail's field names)");
    cmd->add_option("--token-format", opts->token_format, "ticket token format in the subject")
        ->capture_default_str();
    cmd->callback([opts] {
        // One short process parses many mails, each allocating and freeing buffers of up to
        // megabytes (decoded parts, the JSON line). Above glibc's initial 128 KB threshold each
        // would be an mmap/munmap with its pages faulted in anew; kept on the heap instead
        // (perf stat over 400 corpus files: 6,679 → 4,503 page faults, 98 → 82 ms).
        mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
        mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
        // Exit status: 0 all parsed, 1 some file was rejected by the parser, 2 some file unreadable.
        int status = 0;
        ParseOptions options;
        options.token_format = opts->token_format;
        std::string raw, json;  // reused for every file
        for (const auto& file : opts->files) {
            if (file == "-") {
                raw.assign(std::istreambuf_iterator<char>(std::cin), {});
            } else if (!readFile(file, raw)) {
                std::cerr << file << ": cannot read\n";
                status = 2;
                continue;
            }
            auto parsed = parseMail(raw, options);
            json.clear();
            if (!parsed) {
                std::cerr << file << ": " << parsed.error().code << ": " << parsed.error().message << "\n";
                if (opts->json) errorJson(parsed.error(), json);
                status = std::max(status, 1);
            } else if (opts->json) {
                toJson(*parsed, json);
            } else {
                printText(file, *parsed);
            }
            // stdout is synchronised with std::cout (the text output), so the two never interleave.
            if (!json.empty()) std::fwrite(json.data(), 1, json.size(), stdout);
        }
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

}  // namespace deskgate
