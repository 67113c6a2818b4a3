// The mails deskgate sends, loaded from <dir>/<lang>/<name>.mustache and rendered with values.
//
//   auto set = TemplateSet::load("/etc/deskgate/templates", {.languages = {"en", "de"}});
//   if (!set) for (const TemplateError& e : set.error()) std::cerr << e.str() << '\n';
//   auto mail = set->render("acknowledgement", "de", values);  // RenderedMail or TemplateError
//
// File format: the first line is "Subject: <mustache>", then a blank line, then the body.
// An optional <name>.html.mustache next to it is an HTML alternative (body only, no Subject).
// Text templates never HTML-escape ({{x}} and {{{x}}} are the same); HTML templates escape
// {{x}} and leave {{{x}}} raw.
#pragma once

#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "templates/template_values.hpp"

namespace deskgate {

struct TemplateError {
    std::string file;
    int line = 0;    // 1-based; 0 = whole file
    int column = 0;  // 1-based (characters); 0 = unknown
    std::string message;
    std::string str() const;  // "file:line:col: message" (parts that are 0 left out)
};

struct RenderedMail {
    std::string subject;               // one line, no CR/LF, trimmed
    std::string text;                  // LF line ends, ends with one LF
    std::optional<std::string> html;
    std::string language;              // the language actually used (after fallback)
};

struct TemplateSetOptions {
    // Languages that must exist (each with every template); the fallback is always required.
    std::vector<std::string> languages = {"en"};
    std::string fallback_language = "en";
};

class TemplateSet {
public:
    // Reads and validates everything; returns *all* errors, sorted by file and line:
    // mustache syntax, missing "Subject:" line, customer mails without {{token}} in the
    // subject, unknown template names and variables (with "did you mean"), templates
    // missing in a language, required languages missing, invalid UTF-8.
    static std::expected<TemplateSet, std::vector<TemplateError>> load(const std::filesystem::path& dir,
                                                                       const TemplateSetOptions& options = {});
    // Several directories, lowest precedence first (e.g. the shipped /usr/share/deskgate/templates,
    // then the admin's /etc/deskgate/templates): a file in a later one replaces the file of the
    // same language and name in an earlier one; the merged set is validated as one.
    static std::expected<TemplateSet, std::vector<TemplateError>> load(const std::vector<std::filesystem::path>& dirs,
                                                                       const TemplateSetOptions& options = {});

    // The same from memory: keys are "<lang>/<name>.mustache" (or ".html.mustache");
    // `label` prefixes the file names in errors.
    static std::expected<TemplateSet, std::vector<TemplateError>> fromSources(
        const std::map<std::string, std::string>& files, const TemplateSetOptions& options = {},
        std::string_view label = "");

    // Renders template `name` in `language` ("de", "de-AT" and "de_AT" all find "de"),
    // falling back to the fallback language when it does not have the template.
    std::expected<RenderedMail, TemplateError> render(std::string_view name, std::string_view language,
                                                      const TemplateValues& values) const;

    // The language render() would use for `language`, or "" when not even the fallback has `name`.
    std::string resolveLanguage(std::string_view name, std::string_view language) const;

    std::vector<std::string> languages() const;
    bool has(std::string_view name, std::string_view language) const;

private:
    // fromSources() with the real file of each key (`origins`) where it is not `label`/key.
    static std::expected<TemplateSet, std::vector<TemplateError>> build(
        const std::map<std::string, std::string>& files, const TemplateSetOptions& options, std::string_view label,
        const std::map<std::string, std::string>& origins);

    struct Source {
        std::string file;          // for errors at render time
        std::string subject;       // mustache source of the subject line
        std::string body;          // mustache source of the text body
        std::optional<std::string> html;
    };
    // language -> name -> source
    std::map<std::string, std::map<std::string, Source, std::less<>>, std::less<>> templates_;
    std::string fallback_;
};

}  // namespace deskgate
