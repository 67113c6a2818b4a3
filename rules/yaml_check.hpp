// Validation helpers for every YAML file an admin edits (deskgate.yaml, rules/*.yaml).
// Two phases: yaml-cpp reads, then these helpers check and collect *all* errors, each
// with file:line:col, so `deskgate check` can print everything that is wrong at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "parsers/suggest.hpp"  // didYouMean

namespace deskgate {

struct ConfigError {
    std::string file;
    int line = 0;    // 1-based; 0 = unknown
    int column = 0;  // 1-based; 0 = unknown
    std::string message;
    std::string str() const;  // "file:line:col: message"
};


// Parses "90s", "30m", "4h", "3d", "1w", or a combination like "1h30m".
std::optional<std::chrono::seconds> parseDuration(std::string_view text);

class YamlChecker {
public:
    YamlChecker(std::string file, std::vector<ConfigError>& errors) : file_(std::move(file)), errors_(errors) {}

    // Parses YAML text; a syntax error is recorded with its location and yields nullopt.
    std::optional<YAML::Node> load(std::string_view text);

    const std::string& file() const { return file_; }
    void error(const YAML::Node& at, std::string message);
    void errorAt(const YAML::Mark& mark, std::string message);

    // Node kind checks: record "<what> must be a map/list/..." and return false on mismatch.
    bool isMap(const YAML::Node& node, std::string_view what);
    bool isList(const YAML::Node& node, std::string_view what);
    bool isScalar(const YAML::Node& node, std::string_view what);

    // Every key of `map` must be one of `allowed`; unknown keys are errors with a hint.
    void allowKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed);
    void allowKeys(const YAML::Node& map, const std::vector<std::string>& allowed);

    // Typed reads of map[key]; `required` missing keys are errors naming the key.
    std::optional<std::string> str(const YAML::Node& map, std::string_view key, bool required = false);
    std::optional<std::int64_t> integer(const YAML::Node& map, std::string_view key, bool required = false,
                                        std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
    std::optional<bool> boolean(const YAML::Node& map, std::string_view key, bool required = false);
    std::optional<std::chrono::seconds> duration(const YAML::Node& map, std::string_view key, bool required = false);
    // A scalar or a list of scalars, as a list.
    std::optional<std::vector<std::string>> strList(const YAML::Node& map, std::string_view key, bool required = false);
    // Value must be one of `choices`.
    std::optional<std::string> oneOf(const YAML::Node& map, std::string_view key,
                                     std::initializer_list<std::string_view> choices, bool required = false);

    // Same reads on a node itself rather than a map entry.
    std::optional<std::string> scalar(const YAML::Node& node, std::string_view what);

private:
    std::string file_;
    std::vector<ConfigError>& errors_;
};

}  // namespace deskgate
