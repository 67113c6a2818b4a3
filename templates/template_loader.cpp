// Loading and validation of a template directory: every file checked, every error kept.
#include "templates/template_set.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "templates/template_catalog.hpp"
#include "templates/template_check.hpp"
#include "templates/utf8.hpp"

namespace deskgate {

namespace {

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

std::string joinPath(std::string_view label, std::string_view key) {
    if (label.empty()) return std::string(key);
    std::string out(label);
    if (!out.ends_with('/')) out += '/';
    return out + std::string(key);
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

// A text template: line 1 "Subject: …", line 2 empty, the body from line 3. Returns the
// subject and body sources when the file has no errors.
std::optional<std::pair<std::string, std::string>> parseTextTemplate(FileCheck& check, const TemplateInfo& info,
                                                                    const std::string& text) {
    const std::size_t errorsBefore = check.errors.size();
    const std::string_view name = info.name;
    const std::size_t firstEnd = std::min(text.find('\n'), text.size());
    const std::string_view firstLine = std::string_view(text).substr(0, firstEnd);
    if (lowerAscii(firstLine.substr(0, 8)) != "subject:") {
        check.add(1, 1, "the first line must be 'Subject: …' (the mail's subject, a mustache template)");
        return std::nullopt;
    }
    std::size_t subjectStart = 8;
    while (subjectStart < firstLine.size() && (firstLine[subjectStart] == ' ' || firstLine[subjectStart] == '\t'))
        ++subjectStart;
    std::string subject(firstLine.substr(subjectStart));
    while (!subject.empty() && (subject.back() == ' ' || subject.back() == '\t')) subject.pop_back();
    const int subjectColumn = 1 + static_cast<int>(utf8Length(firstLine.substr(0, subjectStart)));
    if (subject.empty()) {
        check.add(1, 1, "the subject is empty");
    } else {
        const std::vector<TemplateError> found = checkTemplateSource(check.file, name, subject, 1, subjectColumn);
        check.errors.insert(check.errors.end(), found.begin(), found.end());
        // Replies find their ticket by the token in the subject (DESIGN §1.4).
        if (info.customer_facing && found.empty() && !usesVariable(subject, "token"))
            check.add(1, subjectColumn,
                      "the subject of a mail to the customer must contain {{token}}, so replies find the ticket");
    }

    std::string body;
    if (firstEnd < text.size()) {
        const std::size_t secondEnd = std::min(text.find('\n', firstEnd + 1), text.size());
        const std::string_view second = std::string_view(text).substr(firstEnd + 1, secondEnd - firstEnd - 1);
        if (second.find_first_not_of(" \t") != std::string_view::npos) {
            check.add(2, 1, "expected an empty line between the Subject line and the body");
            return std::nullopt;
        }
        if (secondEnd < text.size()) body = text.substr(secondEnd + 1);
    }
    if (body.find_first_not_of(" \t\n") == std::string::npos) {
        check.add(firstEnd < text.size() ? 3 : 1, 1, "the body is empty");
    } else {
        const std::vector<TemplateError> found = checkTemplateSource(check.file, name, body, 3, 1);
        check.errors.insert(check.errors.end(), found.begin(), found.end());
    }
    if (check.errors.size() != errorsBefore) return std::nullopt;
    return std::pair{std::move(subject), std::move(body)};
}

}  // namespace

std::expected<TemplateSet, std::vector<TemplateError>> TemplateSet::fromSources(
    const std::map<std::string, std::string>& files, const TemplateSetOptions& options, std::string_view label) {
    return build(files, options, label, {});
}

std::expected<TemplateSet, std::vector<TemplateError>> TemplateSet::build(
    const std::map<std::string, std::string>& files, const TemplateSetOptions& options, std::string_view label,
    const std::map<std::string, std::string>& origins) {
    // A file read from another directory than `label` (a layered load) is named by its own path.
    auto fileOf = [&](const std::string& key) {
        auto it = origins.find(key);
        return it != origins.end() ? it->second : joinPath(label, key);
    };
    std::vector<TemplateError> errors;
    TemplateSet set;
    set.fallback_ = normalizeLanguage(options.fallback_language);
    std::set<std::string> languages;
    std::set<std::pair<std::string, std::string>> textFiles;  // (language, name) of every text template seen
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> htmlSources;  // (lang,name) -> (file, src)

    for (const auto& [key, raw] : files) {
        FileCheck check{errors, fileOf(key)};
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
            check.add(0, 0, "unknown template '" + name + "'" + didYouMeanHint(name, requiredTemplateNames()));
            continue;
        }
        if (!isHtml) textFiles.emplace(language, name);
        std::optional<std::string> text = check.normalize(raw);
        if (!text) continue;
        if (isHtml) {
            std::vector<TemplateError> found = checkTemplateSource(check.file, name, *text, 1, 1);
            errors.insert(errors.end(), found.begin(), found.end());
            if (found.empty()) htmlSources[{language, name}] = {check.file, *text};
            continue;
        }
        if (auto parsed = parseTextTemplate(check, *info, *text))
            set.templates_[language][name] =
                Source{check.file, std::move(parsed->first), prepareForRender(parsed->second), std::nullopt};
    }

    for (auto& [where, source] : htmlSources) {
        auto lang = set.templates_.find(where.first);
        auto tmpl = lang == set.templates_.end() ? nullptr : &lang->second;
        if (!tmpl || tmpl->find(where.second) == tmpl->end()) {
            // Either the text template had errors (reported) or it does not exist.
            if (!textFiles.contains(where))
                errors.push_back({source.first, 0, 0,
                                  "HTML alternative without a text template (" + where.second + ".mustache)"});
            continue;
        }
        (*tmpl)[where.second].html = prepareForRender(source.second);
    }

    std::vector<std::string> required = options.languages;
    required.push_back(options.fallback_language);
    std::set<std::string> requiredSet;
    for (const std::string& l : required) requiredSet.insert(normalizeLanguage(l));
    for (const std::string& l : requiredSet)
        if (!languages.contains(l))
            errors.push_back({fileOf(l + "/"), 0, 0, "language '" + l + "' is missing"});
    for (const std::string& l : languages) {
        for (const std::string& name : requiredTemplateNames()) {
            if (!textFiles.contains({l, name}))
                errors.push_back({fileOf(l + "/" + name + std::string(kTextSuffix)), 0, 0,
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
    return load(std::vector<std::filesystem::path>{dir}, options);
}

std::expected<TemplateSet, std::vector<TemplateError>> TemplateSet::load(const std::vector<std::filesystem::path>& dirs,
                                                                         const TemplateSetOptions& options) {
    namespace fs = std::filesystem;
    std::vector<TemplateError> errors;
    std::map<std::string, std::string> files;
    std::map<std::string, std::string> origins;  // key -> the file it was read from
    if (dirs.empty()) return std::unexpected(std::vector<TemplateError>{{"", 0, 0, "no template directory"}});
    for (const fs::path& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            errors.push_back({dir.string(), 0, 0, "not a directory"});
            continue;
        }
        // A later directory's file replaces an earlier one's of the same language and name:
        // an admin overrides one shipped template by putting one file in their own directory.
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& entry = it->path();
            const std::string top = entry.filename().string();
            if (top.starts_with(".")) continue;
            if (!it->is_directory(ec)) {
                if (top.ends_with(kTextSuffix)) {  // reported as outside a language directory
                    files[top] = {};
                    origins[top] = entry.string();
                }
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
                origins[top + "/" + name] = inner->path().string();
            }
            files.try_emplace(top + "/");  // an empty language directory still counts as a language
        }
        if (ec) errors.push_back({dir.string(), 0, 0, "cannot read: " + ec.message()});
    }
    if (!errors.empty() && files.empty()) return std::unexpected(std::move(errors));
    // Whatever is missing belongs in the last (the admin's own) directory.
    auto set = build(files, options, dirs.back().string(), origins);
    if (errors.empty()) return set;
    if (!set) errors.insert(errors.end(), set.error().begin(), set.error().end());
    return std::unexpected(std::move(errors));
}

}  // namespace deskgate
