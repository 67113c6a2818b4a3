#include "templates/template_set.hpp"

#include <kainjow/mustache.hpp>

#include "templates/header_encoding.hpp"
#include "templates/quoted_printable.hpp"
#include "templates/template_catalog.hpp"
#include "templates/template_check.hpp"

namespace deskgate {

namespace {

namespace mstch = kainjow::mustache;

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

}  // namespace

std::string TemplateError::str() const {
    std::string out = file;
    if (line > 0) {
        out += ":" + std::to_string(line);
        if (column > 0) out += ":" + std::to_string(column);
    }
    return out + ": " + message;
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
    data.set(std::string(kAlwaysTrueSection), mstch::data(true));
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
