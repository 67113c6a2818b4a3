#include "rules/yaml_check.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace deskgate {

std::string ConfigError::str() const {
    std::string out = file;
    if (line > 0) {
        out += ':' + std::to_string(line);
        if (column > 0) out += ':' + std::to_string(column);
    }
    out += ": " + message;
    return out;
}

namespace {

std::string quoteKey(std::string_view key) { return "'" + std::string(key) + "'"; }

}  // namespace

std::optional<std::chrono::seconds> parseDuration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
        std::int64_t n = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            n = n * 10 + (text[i] - '0');
            if (n > 100000000) return std::nullopt;
            ++i;
        }
        if (i == text.size()) return std::nullopt;  // a unit is required
        switch (text[i]) {
            case 's': total += n; break;
            case 'm': total += n * 60; break;
            case 'h': total += n * 3600; break;
            case 'd': total += n * 86400; break;
            case 'w': total += n * 7 * 86400; break;
            default: return std::nullopt;
        }
        ++i;
    }
    return std::chrono::seconds(total);
}

std::optional<YAML::Node> YamlChecker::load(std::string_view text) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        errorAt(e.mark, e.msg);
        return std::nullopt;
    }
}

void YamlChecker::errorAt(const YAML::Mark& mark, std::string message) {
    ConfigError e;
    e.file = file_;
    if (!mark.is_null()) {
        e.line = mark.line + 1;
        e.column = mark.column + 1;
    }
    e.message = std::move(message);
    errors_.push_back(std::move(e));
}

void YamlChecker::error(const YAML::Node& at, std::string message) {
    errorAt(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), std::move(message));
}

bool YamlChecker::isMap(const YAML::Node& node, std::string_view what) {
    if (node.IsMap()) return true;
    error(node, std::string(what) + " must be a map (key: value)");
    return false;
}

bool YamlChecker::isList(const YAML::Node& node, std::string_view what) {
    if (node.IsSequence()) return true;
    error(node, std::string(what) + " must be a list");
    return false;
}

bool YamlChecker::isScalar(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar()) return true;
    error(node, std::string(what) + " must be a single value");
    return false;
}

void YamlChecker::allowKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) {
    allowKeys(map, std::vector<std::string>(allowed.begin(), allowed.end()));
}

void YamlChecker::allowKeys(const YAML::Node& map, const std::vector<std::string>& allowed) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
        if (!kv.first.IsScalar()) {
            error(kv.first, "keys must be plain words");
            continue;
        }
        const std::string key = kv.first.Scalar();
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
        std::string message = "unknown key " + quoteKey(key);
        if (auto hint = didYouMean(key, allowed)) message += ", did you mean " + quoteKey(*hint) + "?";
        error(kv.first, message);
    }
}

std::optional<std::string> YamlChecker::scalar(const YAML::Node& node, std::string_view what) {
    if (!isScalar(node, what)) return std::nullopt;
    return node.Scalar();
}

std::optional<std::string> YamlChecker::str(const YAML::Node& map, std::string_view key, bool required) {
    const YAML::Node node = map[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) {
        if (required) error(map, "missing required key " + quoteKey(key));
        return std::nullopt;
    }
    return scalar(node, quoteKey(key));
}

std::optional<std::int64_t> YamlChecker::integer(const YAML::Node& map, std::string_view key, bool required,
                                                 std::int64_t min, std::int64_t max) {
    auto text = str(map, key, required);
    if (!text) return std::nullopt;
    const YAML::Node node = map[std::string(key)];
    std::int64_t value = 0;
    try {
        std::size_t used = 0;
        value = std::stoll(*text, &used);
        if (used != text->size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
        error(node, quoteKey(key) + " must be a whole number, not '" + *text + "'");
        return std::nullopt;
    }
    if (value < min || value > max) {
        error(node, quoteKey(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
        return std::nullopt;
    }
    return value;
}

std::optional<bool> YamlChecker::boolean(const YAML::Node& map, std::string_view key, bool required) {
    auto text = str(map, key, required);
    if (!text) return std::nullopt;
    if (*text == "true" || *text == "yes" || *text == "on") return true;
    if (*text == "false" || *text == "no" || *text == "off") return false;
    error(map[std::string(key)], quoteKey(key) + " must be true or false, not '" + *text + "'");
    return std::nullopt;
}

std::optional<std::chrono::seconds> YamlChecker::duration(const YAML::Node& map, std::string_view key,
                                                          bool required) {
    auto text = str(map, key, required);
    if (!text) return std::nullopt;
    auto d = parseDuration(*text);
    if (!d) error(map[std::string(key)], quoteKey(key) + ": bad duration '" + *text + "' (use e.g. 90s, 30m, 4h, 3d)");
    return d;
}

std::optional<std::vector<std::string>> YamlChecker::strList(const YAML::Node& map, std::string_view key,
                                                             bool required) {
    const YAML::Node node = map[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) {
        if (required) error(map, "missing required key " + quoteKey(key));
        return std::nullopt;
    }
    std::vector<std::string> out;
    if (node.IsScalar()) {
        out.push_back(node.Scalar());
        return out;
    }
    if (!isList(node, quoteKey(key))) return std::nullopt;
    bool ok = true;
    for (const auto& item : node) {
        if (auto s = scalar(item, "an entry of " + quoteKey(key)))
            out.push_back(*s);
        else
            ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<std::string> YamlChecker::oneOf(const YAML::Node& map, std::string_view key,
                                              std::initializer_list<std::string_view> choices, bool required) {
    auto text = str(map, key, required);
    if (!text) return std::nullopt;
    for (auto c : choices)
        if (*text == c) return text;
    std::vector<std::string> all(choices.begin(), choices.end());
    std::string list;
    for (const auto& c : all) list += (list.empty() ? "" : ", ") + c;
    std::string message = quoteKey(key) + ": '" + *text + "' is not one of " + list;
    if (auto hint = didYouMean(*text, all)) message += " (did you mean '" + *hint + "'?)";
    error(map[std::string(key)], message);
    return std::nullopt;
}

}  // namespace deskgate
