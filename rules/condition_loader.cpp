// Parses the `routing:` section: rules, their `when:` conditions and `set:` actions.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include <re2/re2.h>

#include "rules/loader_detail.hpp"

namespace deskgate::detail {

namespace {

const std::vector<std::string> kMatcherKeys = {
    "all", "any", "not", "from", "from_domain", "from_regex", "to", "cc", "subject", "body", "header",
    "has_attachment", "attachment_type", "attachment_name", "mailbox", "language", "time", "kind"};

const std::vector<std::string> kSetKeys = {"queue", "priority", "team", "agent", "tags", "sla", "category",
                                           "language", "template", "hold", "ignore"};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::optional<MatcherKind> matcherKind(std::string_view key) {
    static const std::vector<std::pair<std::string_view, MatcherKind>> table = {
        {"all", MatcherKind::all}, {"any", MatcherKind::any}, {"not", MatcherKind::not_},
        {"from", MatcherKind::from}, {"from_domain", MatcherKind::from_domain},
        {"from_regex", MatcherKind::from_regex}, {"to", MatcherKind::to}, {"cc", MatcherKind::cc},
        {"subject", MatcherKind::subject}, {"body", MatcherKind::body}, {"header", MatcherKind::header},
        {"has_attachment", MatcherKind::has_attachment}, {"attachment_type", MatcherKind::attachment_type},
        {"attachment_name", MatcherKind::attachment_name}, {"mailbox", MatcherKind::mailbox},
        {"language", MatcherKind::language}, {"time", MatcherKind::time}, {"kind", MatcherKind::kind}};
    for (const auto& [k, v] : table)
        if (k == key) return v;
    return std::nullopt;
}

std::shared_ptr<const re2::RE2> compileRegex(YamlChecker& check, const YAML::Node& node, std::string_view what) {
    auto pattern = check.scalar(node, what);
    if (!pattern) return nullptr;
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>(*pattern, options);
    if (!re->ok()) {
        check.error(node, std::string(what) + ": bad regular expression '" + *pattern + "': " + re->error());
        return nullptr;
    }
    return re;
}

bool isAddress(std::string_view s) {
    auto at = s.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < s.size() && s.find('@', at + 1) == std::string_view::npos &&
           s.find_first_of(" \t<>,") == std::string_view::npos;
}

void parseTime(YamlChecker& check, const YAML::Node& value, Condition& c, LoadContext& ctx) {
    if (!check.isMap(value, "'time'")) return;
    check.allowKeys(value, {"calendar", "weekday", "between", "business_hours"});
    if (auto name = check.str(value, "calendar", true)) {
        if (checkReference(check, value["calendar"], "calendar", *name, ctx.calendarNames))
            c.calendar = ctx.set.calendar(*name);
    }
    if (auto days = check.strList(value, "weekday")) {
        std::array<bool, 7> set{};
        for (const auto& d : *days) {
            auto list = parseDays(d);   // ranges like mon-fri are handy here too
            if (!list) {
                check.error(value["weekday"], "'weekday': '" + d + "' is not a weekday (mon, tue, … sun, or mon-fri)");
                continue;
            }
            for (int i : *list) set[static_cast<std::size_t>(i)] = true;
        }
        c.weekdays = set;
    }
    if (auto between = check.str(value, "between")) {
        auto dash = between->find('-');
        std::optional<int> from, to;
        if (dash != std::string::npos) {
            from = clockMinutes(between->substr(0, dash), false);
            to = clockMinutes(between->substr(dash + 1), true);
        }
        if (!from || !to || *from == *to)
            check.error(value["between"], "'between': '" + *between + "' is not a time range like 18:00-08:00");
        else
            c.between = DayInterval{*from, *to};
    }
    if (auto open = check.boolean(value, "business_hours")) c.open = *open;
    if (c.open && c.calendar && c.calendar->always_open && !*c.open)
        check.error(value["business_hours"], "calendar '" + c.calendar->name + "' is 24x7: it is never outside business hours");
}

std::optional<Condition> parseMatcher(YamlChecker& check, const YAML::Node& key, const YAML::Node& map,
                                      LoadContext& ctx) {
    const std::string name = key.Scalar();
    const YAML::Node value = map[name];
    auto kind = matcherKind(name);
    if (!kind) return std::nullopt;  // reported by allowKeys
    Condition c;
    c.kind = *kind;
    c.line = key.Mark().line + 1;
    c.column = key.Mark().column + 1;
    const std::string what = "'" + name + "'";
    bool ok = true;
    switch (*kind) {
        case MatcherKind::all:
        case MatcherKind::any:
            if (!check.isList(value, what)) return std::nullopt;
            if (value.size() == 0) {
                check.error(value, what + " needs at least one condition");
                return std::nullopt;
            }
            for (const auto& item : value) {
                if (auto child = parseCondition(check, item, ctx))
                    c.children.push_back(std::move(*child));
                else
                    ok = false;
            }
            break;
        case MatcherKind::not_:
            if (auto child = parseCondition(check, value, ctx))
                c.children.push_back(std::move(*child));
            else
                ok = false;
            break;
        case MatcherKind::from:
        case MatcherKind::to:
        case MatcherKind::cc: {
            auto list = check.strList(map, name, true);
            if (!list) return std::nullopt;
            for (const auto& a : *list) {
                if (!isAddress(a)) {
                    check.error(value, what + ": '" + a + "' is not an e-mail address (use from_domain for domains)");
                    ok = false;
                }
                c.values.push_back(a);
                c.set.insert(lower(a));
            }
            break;
        }
        case MatcherKind::from_domain: {
            auto list = check.strList(map, name, true);
            if (!list) return std::nullopt;
            for (auto d : *list) {
                if (d.starts_with("@")) d.erase(0, 1);
                if (d.starts_with("*.")) d.erase(0, 2);
                if (d.empty() || d.find_first_of("@ \t") != std::string::npos) {
                    check.error(value, what + ": '" + d + "' is not a domain");
                    ok = false;
                }
                c.values.push_back(d);
                c.set.insert(lower(d));
            }
            break;
        }
        case MatcherKind::from_regex:
        case MatcherKind::subject:
        case MatcherKind::body:
        case MatcherKind::attachment_name:
            c.regex = compileRegex(check, value, what);
            ok = c.regex != nullptr;
            break;
        case MatcherKind::header: {
            if (!check.isMap(value, what)) return std::nullopt;
            check.allowKeys(value, {"name", "matches"});
            auto header = check.str(value, "name", true);
            if (!header) return std::nullopt;
            c.header_name = *header;
            if (value["matches"].IsDefined()) {
                c.regex = compileRegex(check, value["matches"], "'matches'");
                ok = c.regex != nullptr;
            }
            break;
        }
        case MatcherKind::has_attachment: {
            auto b = check.boolean(map, name, true);
            if (!b) return std::nullopt;
            c.flag = *b;
            break;
        }
        case MatcherKind::attachment_type: {
            auto list = check.strList(map, name, true);
            if (!list) return std::nullopt;
            for (const auto& t : *list) {
                if (t.find('/') == std::string::npos) {
                    check.error(value, what + ": '" + t + "' is not a MIME type (like application/pdf or image/*)");
                    ok = false;
                }
                c.values.push_back(lower(t));
            }
            break;
        }
        case MatcherKind::mailbox:
        case MatcherKind::language: {
            auto list = check.strList(map, name, true);
            if (!list) return std::nullopt;
            for (const auto& v : *list) {
                if (*kind == MatcherKind::mailbox && !ctx.env.mailboxes.empty() &&
                    !checkReference(check, value, "mailbox", v, ctx.env.mailboxes))
                    ok = false;
                c.values.push_back(v);
                c.set.insert(lower(v));
            }
            break;
        }
        case MatcherKind::time:
            parseTime(check, value, c, ctx);
            ok = c.calendar != nullptr;
            break;
        case MatcherKind::kind: {
            auto list = check.strList(map, name, true);
            if (!list) return std::nullopt;
            static const std::vector<std::string> kinds = {"normal", "bounce", "auto_reply", "list", "feedback_report"};
            for (const auto& k : *list) {
                auto it = std::find(kinds.begin(), kinds.end(), k);
                if (it == kinds.end()) {
                    std::string m = what + ": unknown mail kind '" + k + "'";
                    if (auto hint = didYouMean(k, kinds)) m += ", did you mean '" + *hint + "'?";
                    else m += " (normal, bounce, auto_reply, list, feedback_report)";
                    check.error(value, m);
                    ok = false;
                    continue;
                }
                c.kinds.push_back(static_cast<MailKind>(it - kinds.begin()));
            }
            break;
        }
    }
    if (!ok) return std::nullopt;
    return c;
}

void parseActions(YamlChecker& check, const YAML::Node& node, Actions& a, LoadContext& ctx) {
    if (!check.isMap(node, "'set'")) return;
    check.allowKeys(node, kSetKeys);
    a.queue = check.str(node, "queue");
    if (auto p = check.oneOf(node, "priority", {"low", "normal", "high", "urgent"})) a.priority = parsePriority(*p);
    if (auto t = check.str(node, "team"); t && checkReference(check, node["team"], "team", *t, ctx.teamNames)) a.team = t;
    if (auto g = check.str(node, "agent"); g && checkReference(check, node["agent"], "agent", *g, ctx.agents)) a.agent = g;
    if (auto tags = check.strList(node, "tags")) a.tags = *tags;
    if (auto s = check.str(node, "sla"); s && checkReference(check, node["sla"], "sla policy", *s, ctx.slaNames)) a.sla = s;
    a.category = check.str(node, "category");
    a.language = check.str(node, "language");
    if (auto t = check.str(node, "template")) {
        if (ctx.env.templates.empty() || checkReference(check, node["template"], "template", *t, ctx.env.templates))
            a.reply_template = t;
    }
    a.hold = check.boolean(node, "hold");
    a.ignore = check.boolean(node, "ignore");
    if (a.hold.value_or(false) && a.ignore.value_or(false))
        check.error(node, "'hold' and 'ignore' exclude each other: a held mail waits for review, an ignored one is only stored");
}

}  // namespace

std::optional<Condition> parseCondition(YamlChecker& check, const YAML::Node& node, LoadContext& ctx) {
    if (!check.isMap(node, "a condition")) return std::nullopt;
    if (node.size() == 0) {
        check.error(node, "a condition needs at least one matcher");
        return std::nullopt;
    }
    check.allowKeys(node, kMatcherKeys);
    Condition all;
    all.kind = MatcherKind::all;
    all.line = node.Mark().line + 1;
    all.column = node.Mark().column + 1;
    bool ok = true;
    for (const auto& kv : node) {
        if (!kv.first.IsScalar() || !matcherKind(kv.first.Scalar())) {
            ok = false;
            continue;
        }
        if (auto m = parseMatcher(check, kv.first, node, ctx))
            all.children.push_back(std::move(*m));
        else
            ok = false;
    }
    if (!ok) return std::nullopt;
    if (all.children.size() == 1) return std::move(all.children.front());
    return all;
}

void parseRouting(YamlChecker& check, const YAML::Node& list, LoadContext& ctx) {
    if (!check.isList(list, "'routing'")) return;
    for (const auto& item : list) {
        if (!check.isMap(item, "a routing rule")) continue;
        check.allowKeys(item, {"name", "when", "set", "continue"});
        Rule rule;
        rule.file = check.file();
        rule.line = item.Mark().line + 1;
        rule.column = item.Mark().column + 1;
        auto name = check.str(item, "name", true);
        if (name) {
            for (const auto& other : ctx.set.rules)
                if (other.name == *name)
                    check.error(item["name"], "rule name '" + *name + "' is already used at " + other.file + ":" +
                                                  std::to_string(other.line));
            rule.name = *name;
        }
        if (item["when"].IsDefined()) rule.when = parseCondition(check, item["when"], ctx);
        if (item["set"].IsDefined())
            parseActions(check, item["set"], rule.set, ctx);
        else if (item.IsMap())
            check.error(item, "rule '" + rule.name + "' has no 'set': it would do nothing");
        rule.continue_ = check.boolean(item, "continue").value_or(false);
        ctx.set.rules.push_back(std::move(rule));
    }
}

}  // namespace deskgate::detail
