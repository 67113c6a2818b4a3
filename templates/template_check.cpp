// Validation of one mustache source: syntax (through kainjow's parser, with its byte
// offsets turned into line:column) and the names it uses (against the template catalog).
#include "templates/template_check.hpp"

#include "parsers/suggest.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include <kainjow/mustache.hpp>

#include "templates/template_catalog.hpp"
#include "templates/utf8.hpp"

namespace deskgate {

namespace {

struct Location {
    int line;
    int column;
};

// Line and column (in characters) of `offset` in `source`, which starts at line:column.
Location locate(std::string_view source, std::size_t offset, int line, int column) {
    offset = std::min(offset, source.size());
    const std::string_view before = source.substr(0, offset);
    const auto newlines = std::count(before.begin(), before.end(), '\n');
    if (newlines == 0) return {line, column + static_cast<int>(utf8Length(before))};
    const std::size_t lineStart = before.rfind('\n') + 1;
    return {line + static_cast<int>(newlines), 1 + static_cast<int>(utf8Length(before.substr(lineStart)))};
}

// One tag of a mustache source (default delimiters).
struct Tag {
    char sigil;         // 0 for a variable, or one of # ^ / ! > = & {
    std::string name;   // trimmed
    std::size_t offset; // of "{{"
};

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

std::vector<Tag> scanTags(std::string_view source) {
    std::vector<Tag> tags;
    std::size_t pos = 0;
    while ((pos = source.find("{{", pos)) != std::string_view::npos) {
        const bool triple = source.substr(pos).starts_with("{{{");
        const std::string_view close = triple ? "}}}" : "}}";
        const std::size_t start = pos + (triple ? 3 : 2);
        const std::size_t end = source.find(close, start);
        if (end == std::string_view::npos) break;  // the parser has reported it
        std::string content = trim(source.substr(start, end - start));
        char sigil = triple ? '{' : 0;
        if (!triple && !content.empty() && std::string_view("#^/!>=&").find(content[0]) != std::string_view::npos) {
            sigil = content[0];
            content = trim(std::string_view(content).substr(1));
        }
        tags.push_back({sigil, std::move(content), pos});
        pos = end + close.size();
    }
    return tags;
}

// kainjow reports "Unclosed tag at 17"; returns the message without the offset, and the offset.
std::pair<std::string, std::optional<std::size_t>> splitKainjowMessage(const std::string& message) {
    const std::size_t at = message.rfind(" at ");
    if (at == std::string::npos) return {message, std::nullopt};
    std::size_t offset = 0;
    const char* first = message.data() + at + 4;
    const char* last = message.data() + message.size();
    const auto [ptr, ec] = std::from_chars(first, last, offset);
    if (ec != std::errc{} || ptr != last) return {message, std::nullopt};
    std::string text = message.substr(0, at);
    if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
    return {text, offset};
}

std::vector<std::string> knownNames(std::string_view templateName) {
    std::vector<std::string> names;
    for (const TemplateVariable& v : commonTemplateVariables()) names.emplace_back(v.name);
    if (const TemplateInfo* info = findTemplateInfo(templateName))
        for (const TemplateVariable& v : info->variables) names.emplace_back(v.name);
    return names;
}

}  // namespace

std::string didYouMeanHint(std::string_view word, const std::vector<std::string>& candidates) {
    auto match = didYouMean(word, candidates);
    return match ? " (did you mean '" + *match + "'?)" : std::string();
}

std::vector<TemplateError> checkTemplateSource(std::string_view file, std::string_view name, std::string_view source,
                                               int line, int column) {
    std::vector<TemplateError> errors;
    const auto errorAt = [&](std::size_t offset, std::string message) {
        const Location where = locate(source, offset, line, column);
        errors.push_back({std::string(file), where.line, where.column, std::move(message)});
    };

    kainjow::mustache::mustache parsed{std::string(source)};
    if (!parsed.is_valid()) {
        auto [message, offset] = splitKainjowMessage(parsed.error_message());
        errorAt(offset.value_or(0), "mustache syntax: " + message);
        return errors;  // the names below would only repeat the same problem
    }

    const std::vector<std::string> known = knownNames(name);
    std::vector<std::string> sections;  // resolved names of the open sections
    // A name inside a section may be relative to it ({{#attachments}}{{name}}{{/attachments}}).
    const auto resolve = [&](const std::string& n) -> std::optional<std::string> {
        if (isTemplateVariable(name, n)) return n;
        for (auto it = sections.rbegin(); it != sections.rend(); ++it)
            if (isTemplateVariable(name, *it + "." + n)) return *it + "." + n;
        return std::nullopt;
    };
    for (const Tag& tag : scanTags(source)) {
        switch (tag.sigil) {
            case '!':
                continue;
            case '>':
                // Partials would render a value as a template: never allowed.
                errorAt(tag.offset, "partials ({{> " + tag.name + "}}) are not supported");
                continue;
            case '=':
                errorAt(tag.offset, "changing the delimiters ({{=...=}}) is not supported");
                continue;
            case '/':
                if (!sections.empty()) sections.pop_back();
                continue;
            default:
                break;
        }
        if (tag.name == "." && !sections.empty()) continue;
        const std::optional<std::string> resolved = resolve(tag.name);
        if (!resolved) {
            errorAt(tag.offset, "unknown variable '" + tag.name + "' in template '" + std::string(name) + "'" +
                                    didYouMeanHint(tag.name, known));
        }
        if (tag.sigil == '#' || tag.sigil == '^') sections.push_back(resolved.value_or(tag.name));
    }
    return errors;
}

std::string normalizeLanguage(std::string_view language) {
    std::string out(language);
    for (char& ch : out) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (ch == '_') ch = '-';
    }
    return out;
}

std::string prepareForRender(std::string_view source) {
    const std::string marker = "{{#" + std::string(kAlwaysTrueSection) + "}}{{/" + std::string(kAlwaysTrueSection) + "}}";
    std::string out;
    out.reserve(source.size() + 64);
    std::size_t start = 0;
    while (start < source.size()) {
        std::size_t end = source.find('\n', start);
        if (end == std::string_view::npos) end = source.size();
        const std::string_view line = source.substr(start, end - start);
        out += line;
        const auto b = line.find_first_not_of(" \t");
        const auto e = line.find_last_not_of(" \t");
        if (b != std::string_view::npos && line.substr(b).starts_with("{{/") && line.find("}}", b) == e - 1)
            out += marker;
        if (end < source.size()) out += '\n';
        start = end + 1;
    }
    return out;
}

bool usesVariable(std::string_view source, std::string_view variable) {
    const std::vector<Tag> tags = scanTags(source);
    return std::any_of(tags.begin(), tags.end(), [&](const Tag& t) {
        return (t.sigil == 0 || t.sigil == '{' || t.sigil == '&') && t.name == variable;
    });
}

}  // namespace deskgate
