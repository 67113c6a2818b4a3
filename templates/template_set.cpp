#include "templates/template_set.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include <kainjow/mustache.hpp>

#include "templates/header_encoding.hpp"
#include "templates/quoted_printable.hpp"
#include "templates/template_catalog.hpp"
#include "templates/template_check.hpp"
#include "templates/utf8.hpp"

namespace deskgate {

namespace {

namespace mstch = kainjow::mustache;

constexpr std::string_view kTextSuffix = ".mustache";
constexpr std::string_view kHtmlSuffix = ".html.mustache";

std::string lowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// "de", "de-AT", "pt-br": RFC 5646 primary subtag (2-3 letters) with an optional region.
bool isLanguageTag(std::string_view s) {
    const std::size_t dash = s.find('-');
    const std::string_view primary = s.substr(0, dash);
    if (primary.size() < 2 || primary.size() > 3) return false;
    if (!std::all_of(primary.begin(), primary.end(), [](char c) { return c >= 'a' && c <= 'z'; })) return false;
    if (dash == std::string_view::npos) return true;
    const std::string_view rest = s.substr(dash + 1);
    return rest.size() >= 2 && rest.size() <= 8 &&
           std::all_of(rest.begin(), rest.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

std::string normalizeLanguage(std::string_view language) {
    std::string out = lowerAscii(language);
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

std::string joinPath(std::string_view label, std::string_view key) {
    if (label.empty()) return std::string(key);
    std::string out(label);
    if (!out.ends_with('/')) out += '/';
    return out + std::string(key);
}

std::string didYouMeanName(std::string_view word) {
    std::string best;
    std::size_t bestDistance = 3;
    for (const std::string& candidate : requiredTemplateNames()) {
        // Cheap distance: common prefix and suffix are enough for typos in file names.
        std::size_t diff = 0;
        const std::size_t n = std::max(word.size(), candidate.size());
        std::size_t prefix = 0;
        while (prefix < word.size() && prefix < candidate.size() && word[prefix] == candidate[prefix]) ++prefix;
        std::size_t suffix = 0;
        while (suffix < word.size() - prefix && suffix < candidate.size() - prefix &&
               word[word.size() - 1 - suffix] == candidate[candidate.size() - 1 - suffix])
            ++suffix;
        diff = n - prefix - suffix;
        if (diff < bestDistance) {
            bestDistance = diff;
            best = candidate;
        }
    }
    return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

// Template values as kainjow data: dotted names become nested objects; empty values and
// empty objects/lists are left out, so sections on them are false.
mstch::data toData(const TemplateValues& values) {
    mstch::data object(mstch::data::type::object);
    std::map<std::string, TemplateValues> nested;
    for (const auto& [name, rawValue] : values.values()) {
        // A text ending in line breaks would add empty lines after {{text}}.
        const std::string value = rawValue.substr(0, rawValue.find_last_not_of(" \t\r\n") + 1);
        if (value.empty()) continue;
        const std::size_t dot = name.find('.');
        if (dot == std::string::npos)
            object.set(name, mstch::data(value));
        else
            nested[name.substr(0, dot)].set(name.substr(dot + 1), value);
    }
    for (const auto& [name, items] : values.lists()) {
        const std::size_t dot = name.find('.');
        if (dot != std::string::npos) {
            for (const TemplateValues& item : items) nested[name.substr(0, dot)].add(name.substr(dot + 1), item);
            continue;
        }
        if (items.empty()) continue;
        mstch::data list(mstch::data::type::list);
        for (const TemplateValues& item : items) list.push_back(toData(item));
        object.set(name, list);
    }
    for (const auto& [name, sub] : nested) {
        mstch::data child = toData(sub);
        if (!child.is_empty_object()) object.set(name, child);  // an object wins over a plain value
    }
    return object;
}

std::expected<std::string, TemplateError> renderSource(const std::string& file, const std::string& source,
                                                       const mstch::data& data, bool html) {
    mstch::mustache tmpl{source};
    // Text mail is not HTML: {{x}} renders the value as it is. HTML keeps kainjow's escaping.
    if (!html) tmpl.set_custom_escape([](const std::string& s) { return s; });
    std::string out = tmpl.is_valid() ? tmpl.render(data) : std::string();
    if (!tmpl.is_valid()) return std::unexpected(TemplateError{file, 0, 0, "cannot render: " + tmpl.error_message()});
    return out;
}

// Marks the lines that hold only a section's closing tag, so they vanish from the output.
// kainjow drops such "standalone" lines (mustache spec, "Sections") when the section is
// rendered, but leaves an empty line behind when it is skipped; a trailing always-true,
// empty section tells it that the line held a section tag.
constexpr std::string_view kAlwaysTrue = "__deskgate_true";

std::string withStandaloneFix(std::string_view source) {
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
            out += "{{#" + std::string(kAlwaysTrue) + "}}{{/" + std::string(kAlwaysTrue) + "}}";
        if (end < source.size()) out += '\n';
        start = end + 1;
    }
    return out;
}

// Subjects are one line: CR/LF and runs of white space in values become one space.
std::string oneLine(std::string_view s) {
    const std::string clean = sanitizeHeaderValue(s);
    std::string out;
    for (char c : clean) {
        if (c == ' ' || c == '\t') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

struct FileCheck {
    std::vector<TemplateError>& errors;
    std::string file;

    void add(int line, int column, std::string message) {
        errors.push_back({file, line, column, std::move(message)});
    }

    // BOM stripped, CRLF → LF, UTF-8 checked.
    std::optional<std::string> normalize(std::string_view raw) {
        if (raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);
        std::string text;
        text.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
            text += raw[i];
        }
        if (const std::size_t bad = firstInvalidUtf8(text); bad != std::string::npos) {
            const std::string_view before = std::string_view(text).substr(0, bad);
            const auto line = 1 + std::count(before.begin(), before.end(), '\n');
            const std::size_t lineStart = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
            add(static_cast<int>(line), 1 + static_cast<int>(utf8Length(before.substr(lineStart))),
                "invalid UTF-8 (template files must be UTF-8)");
            return std::nullopt;
        }
        return text;
    }
};

}  // namespace

std::string TemplateError::str() const {
    std::string out = file;
    if (line > 0) {
        out += ":" + std::to_string(line);
        if (column > 0) out += ":" + std::to_string(column);
    }
    return out + ": " + message;
}

std::expected<TemplateSet, std::vector<TemplateError>> TemplateSet::fromSources(
    const std::map<std::string, std::string>& files, const TemplateSetOptions& options, std::string_view label) {
    std::vector<TemplateError> errors;
    TemplateSet set;
    set.fallback_ = normalizeLanguage(options.fallback_language);
    std::set<std::string> languages;
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> htmlSources;  // (lang,name) -> (file, src)

    for (const auto& [key, raw] : files) {
        FileCheck check{errors, joinPath(label, key)};
        const std::size_t slash = key.find('/');
        if (slash == std::string::npos || key.find('/', slash + 1) != std::string::npos) {
            check.add(0, 0, "templates belong in a language directory: <dir>/<language>/<name>.mustache");
            continue;
        }
        const std::string language = normalizeLanguage(key.substr(0, slash));
        const std::string fileName = key.substr(slash + 1);
        if (!isLanguageTag(language)) {
            check.add(0, 0, "'" + key.substr(0, slash) + "' is not a language directory (like en or de)");
            continue;
        }
        languages.insert(language);
        const bool isHtml = fileName.ends_with(kHtmlSuffix);
        if (!fileName.ends_with(kTextSuffix)) continue;  // README, backups: not templates
        const std::string name = fileName.substr(0, fileName.size() - (isHtml ? kHtmlSuffix : kTextSuffix).size());
        const TemplateInfo* info = findTemplateInfo(name);
        if (!info) {
            check.add(0, 0, "unknown template '" + name + "'" + didYouMeanName(name));
            continue;
        }
        std::optional<std::string> text = check.normalize(raw);
        if (!text) continue;
        if (isHtml) {
            std::vector<TemplateError> found = checkTemplateSource(check.file, name, *text, 1, 1);
            errors.insert(errors.end(), found.begin(), found.end());
            if (found.empty()) htmlSources[{language, name}] = {check.file, *text};
            continue;
        }
        // Line 1: "Subject: …"; line 2: empty; the body from line 3.
        const std::size_t firstEnd = std::min(text->find('\n'), text->size());
        const std::string_view firstLine = std::string_view(*text).substr(0, firstEnd);
        if (lowerAscii(firstLine.substr(0, 8)) != "subject:") {
            check.add(1, 1, "the first line must be 'Subject: …' (the mail's subject, a mustache template)");
            continue;
        }
        std::size_t subjectStart = 8;
        while (subjectStart < firstLine.size() && (firstLine[subjectStart] == ' ' || firstLine[subjectStart] == '\t'))
            ++subjectStart;
        std::string subject(firstLine.substr(subjectStart));
        while (!subject.empty() && (subject.back() == ' ' || subject.back() == '\t')) subject.pop_back();
        std::size_t errorsBefore = errors.size();
        if (subject.empty()) check.add(1, 1, "the subject is empty");
        std::vector<TemplateError> found =
            checkTemplateSource(check.file, name, subject, 1, 1 + static_cast<int>(subjectStart));
        errors.insert(errors.end(), found.begin(), found.end());
        if (info->customer_facing && found.empty() && !subject.empty() && !usesVariable(subject, "token"))
            check.add(1, 1 + static_cast<int>(subjectStart),
                      "the subject of a mail to the customer must contain {{token}}, so replies find the ticket");

        std::string body;
        if (firstEnd < text->size()) {
            const std::size_t secondEnd = std::min(text->find('\n', firstEnd + 1), text->size());
            const std::string_view second = std::string_view(*text).substr(firstEnd + 1, secondEnd - firstEnd - 1);
            if (second.find_first_not_of(" \t") != std::string_view::npos) {
                check.add(2, 1, "expected an empty line between the Subject line and the body");
                continue;
            }
            if (secondEnd < text->size()) body = text->substr(secondEnd + 1);
        }
        if (body.find_first_not_of(" \t\n") == std::string::npos) {
            check.add(firstEnd < text->size() ? 3 : 1, 1, "the body is empty");
        } else {
            found = checkTemplateSource(check.file, name, body, 3, 1);
            errors.insert(errors.end(), found.begin(), found.end());
        }
        if (errors.size() == errorsBefore)
            set.templates_[language][name] =
                Source{check.file, std::move(subject), withStandaloneFix(body), std::nullopt};
    }

    for (auto& [where, source] : htmlSources) {
        auto lang = set.templates_.find(where.first);
        auto tmpl = lang == set.templates_.end() ? nullptr : &lang->second;
        if (!tmpl || tmpl->find(where.second) == tmpl->end()) {
            // Either the text template had errors (reported) or it does not exist.
            const std::string textKey = where.first + "/" + where.second + std::string(kTextSuffix);
            if (!files.contains(textKey))
                errors.push_back({source.first, 0, 0, "HTML alternative without a text template (" + textKey + ")"});
            continue;
        }
        (*tmpl)[where.second].html = withStandaloneFix(source.second);
    }

    std::vector<std::string> required = options.languages;
    required.push_back(options.fallback_language);
    std::set<std::string> requiredSet;
    for (const std::string& l : required) requiredSet.insert(normalizeLanguage(l));
    for (const std::string& l : requiredSet)
        if (!languages.contains(l))
            errors.push_back({joinPath(label, l + "/"), 0, 0, "language '" + l + "' is missing"});
    for (const std::string& l : languages) {
        for (const std::string& name : requiredTemplateNames()) {
            const std::string key = l + "/" + name + std::string(kTextSuffix);
            if (!files.contains(key))
                errors.push_back({joinPath(label, key), 0, 0,
                                  "template '" + name + "' is missing in language '" + l + "'"});
        }
    }

    if (!errors.empty()) {
        std::stable_sort(errors.begin(), errors.end(), [](const TemplateError& a, const TemplateError& b) {
            return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
        });
        return std::unexpected(std::move(errors));
    }
    return set;
}

std::expected<TemplateSet, std::vector<TemplateError>> TemplateSet::load(const std::filesystem::path& dir,
                                                                         const TemplateSetOptions& options) {
    namespace fs = std::filesystem;
    std::vector<TemplateError> errors;
    std::map<std::string, std::string> files;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return std::unexpected(std::vector<TemplateError>{{dir.string(), 0, 0, "not a directory"}});
    }
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& entry = it->path();
        const std::string top = entry.filename().string();
        if (top.starts_with(".")) continue;
        if (!it->is_directory(ec)) {
            if (top.ends_with(kTextSuffix)) files[top] = {};  // reported as outside a language directory
            continue;
        }
        for (fs::directory_iterator inner(entry, ec), innerEnd; !ec && inner != innerEnd; inner.increment(ec)) {
            const std::string name = inner->path().filename().string();
            if (name.starts_with(".") || !name.ends_with(kTextSuffix) || !inner->is_regular_file(ec)) {
                if (!name.starts_with(".") && !name.ends_with(kTextSuffix)) files.try_emplace(top + "/");
                continue;
            }
            std::ifstream in(inner->path(), std::ios::binary);
            std::ostringstream content;
            content << in.rdbuf();
            if (!in && !in.eof()) {
                errors.push_back({inner->path().string(), 0, 0, "cannot read"});
                continue;
            }
            files[top + "/" + name] = content.str();
        }
        files.try_emplace(top + "/");  // an empty language directory still counts as a language
    }
    if (ec) errors.push_back({dir.string(), 0, 0, "cannot read: " + ec.message()});
    auto set = fromSources(files, options, dir.string());
    if (errors.empty()) return set;
    if (!set) errors.insert(errors.end(), set.error().begin(), set.error().end());
    return std::unexpected(std::move(errors));
}

std::string TemplateSet::resolveLanguage(std::string_view name, std::string_view language) const {
    const std::string wanted = normalizeLanguage(language);
    for (const std::string& candidate : {wanted, wanted.substr(0, wanted.find('-')), fallback_}) {
        if (has(name, candidate)) return candidate;
    }
    return {};
}

bool TemplateSet::has(std::string_view name, std::string_view language) const {
    const auto lang = templates_.find(language);
    return lang != templates_.end() && lang->second.find(name) != lang->second.end();
}

std::vector<std::string> TemplateSet::languages() const {
    std::vector<std::string> out;
    for (const auto& [language, names] : templates_) out.push_back(language);
    return out;
}

std::expected<RenderedMail, TemplateError> TemplateSet::render(std::string_view name, std::string_view language,
                                                               const TemplateValues& values) const {
    const std::string lang = resolveLanguage(name, language);
    if (lang.empty()) {
        const std::string message = findTemplateInfo(name) ? "no template '" + std::string(name) + "' loaded"
                                                           : "unknown template '" + std::string(name) + "'";
        return std::unexpected(TemplateError{std::string(name), 0, 0, message});
    }
    const Source& source = templates_.find(lang)->second.find(name)->second;
    mstch::data data = toData(values);
    data.set(std::string(kAlwaysTrue), mstch::data(true));
    if (!values.get("language")) data.set("language", mstch::data(lang));
    // ticket.status "pending" also sets status.pending, so templates can word each status.
    if (const std::string* status = values.get("ticket.status"); status && !status->empty() && !values.get("status." + *status)) {
        TemplateValues flags;
        for (const auto& [key, value] : values.values())
            if (key.starts_with("status.")) flags.set(key.substr(7), value);
        flags.set(*status, "1");
        data.set("status", toData(flags));
    }

    RenderedMail mail;
    mail.language = lang;
    auto subject = renderSource(source.file, source.subject, data, false);
    if (!subject) return std::unexpected(subject.error());
    mail.subject = oneLine(*subject);
    auto text = renderSource(source.file, source.body, data, false);
    if (!text) return std::unexpected(text.error());
    mail.text = normalizeLineEnds(*text);
    if (source.html) {
        auto html = renderSource(source.file, *source.html, data, true);
        if (!html) return std::unexpected(html.error());
        mail.html = std::move(*html);
    }
    return mail;
}

}  // namespace deskgate
