// Loads rule files: the top level, calendars, teams, SLA policies, escalation and the
// lifecycle settings. Routing rules and conditions are in condition_loader.cpp.
#include "rules/rule_loader.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <date/tz.h>

#include "rules/loader_detail.hpp"

namespace deskgate {

namespace detail {

bool checkReference(YamlChecker& check, const YAML::Node& at, std::string_view what, const std::string& name,
                    const std::vector<std::string>& known) {
    if (std::find(known.begin(), known.end(), name) != known.end()) return true;
    std::string message = "unknown " + std::string(what) + " '" + name + "'";
    if (auto hint = didYouMean(name, known))
        message += ", did you mean '" + *hint + "'?";
    else if (known.empty())
        message += " (none is defined)";
    check.error(at, message);
    return false;
}

std::optional<int> clockMinutes(std::string_view s, bool allow24) {
    int h = 0, m = 0;
    char tail = 0;
    std::string text(s);
    while (!text.empty() && text.front() == ' ') text.erase(0, 1);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (text.size() != 5 || std::sscanf(text.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2) return std::nullopt;
    if (m < 0 || m > 59 || h < 0) return std::nullopt;
    if (h == 24 && m == 0 && allow24) return 24 * 60;
    if (h > 23) return std::nullopt;
    return h * 60 + m;
}

namespace {

// "mon" or "monday", any case.
std::optional<int> weekdayIndex(std::string s) {
    static constexpr std::array<std::string_view, 7> names{"sunday",   "monday", "tuesday", "wednesday",
                                                           "thursday", "friday", "saturday"};
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!s.empty() && s.front() == ' ') s.erase(0, 1);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (s == names[i] || s == names[i].substr(0, 3)) return static_cast<int>(i);
    return std::nullopt;
}

}  // namespace

std::optional<std::vector<int>> parseDays(std::string_view spec) {
    std::vector<int> days;
    std::string s(spec);
    std::stringstream parts(s);
    std::string part;
    while (std::getline(parts, part, ',')) {
        auto dash = part.find('-');
        auto a = weekdayIndex(part.substr(0, dash));
        auto b = dash == std::string::npos ? a : weekdayIndex(part.substr(dash + 1));
        if (!a || !b) return std::nullopt;
        for (int i = *a;; i = (i + 1) % 7) {
            days.push_back(i);
            if (i == *b) break;
        }
    }
    if (days.empty()) return std::nullopt;
    return days;
}

}  // namespace detail

namespace {

using detail::checkReference;
using detail::clockMinutes;
using detail::parseDays;
using detail::LoadContext;

const std::vector<std::string> kSections = {"teams", "routing", "calendars", "sla", "escalation",
                                            "auto_close", "reopen", "limits", "threading"};
const std::vector<std::string> kStatuses = {"new", "open", "pending", "resolved", "closed"};

std::string where(const std::string& file, const YAML::Node& node) {
    return file + ":" + std::to_string(node.Mark().line + 1);
}

// ---- calendars -------------------------------------------------------------------------

void addHours(YamlChecker& check, const YAML::Node& at, const std::string& text, const std::vector<int>& days,
              Calendar& cal) {
    if (text == "closed" || text == "off") return;
    std::stringstream ranges(text);
    std::string range;
    while (std::getline(ranges, range, ',')) {
        auto dash = range.find('-');
        std::optional<int> from, to;
        if (dash != std::string::npos) {
            from = clockMinutes(range.substr(0, dash), false);
            to = clockMinutes(range.substr(dash + 1), true);
        }
        if (!from || !to || *from == *to) {
            check.error(at, "bad hours '" + range + "' (use e.g. \"08:00-18:00\", \"08:00-12:00, 13:00-17:00\" or closed)");
            continue;
        }
        for (int d : days) {
            if (*from < *to) {
                cal.week[static_cast<std::size_t>(d)].push_back({*from, *to});
            } else {  // across midnight: the rest of this day and the start of the next
                cal.week[static_cast<std::size_t>(d)].push_back({*from, 24 * 60});
                if (*to > 0) cal.week[static_cast<std::size_t>((d + 1) % 7)].push_back({0, *to});
            }
        }
    }
}

void parseCalendar(YamlChecker& check, const YAML::Node& key, const YAML::Node& node, LoadContext& ctx) {
    const std::string name = key.Scalar();
    if (auto it = ctx.set.calendars.find(name); it != ctx.set.calendars.end()) {
        check.error(key, "calendar '" + name + "' is already defined");
        return;
    }
    if (!check.isMap(node, "calendar '" + name + "'")) return;
    check.allowKeys(node, {"timezone", "hours", "holidays"});
    Calendar cal;
    cal.name = name;
    const YAML::Node hours = node["hours"];
    if (hours.IsDefined() && hours.IsScalar() && hours.Scalar() == "24x7") cal.always_open = true;
    cal.timezone = check.str(node, "timezone", !cal.always_open).value_or("UTC");
    try {
        cal.zone = date::locate_zone(cal.timezone);
    } catch (const std::exception&) {
        std::vector<std::string> zones;
        for (const auto& z : date::get_tzdb().zones) zones.emplace_back(z.name());
        std::string message = "unknown time zone '" + cal.timezone + "'";
        if (auto hint = didYouMean(cal.timezone, zones)) message += ", did you mean '" + *hint + "'?";
        check.error(node["timezone"].IsDefined() ? node["timezone"] : node, message);
    }
    if (!hours.IsDefined()) {
        check.error(node, "calendar '" + name + "' needs 'hours' (a map like { mon-fri: \"08:00-18:00\" } or \"24x7\")");
    } else if (!cal.always_open && check.isMap(hours, "'hours'")) {
        for (const auto& kv : hours) {
            auto days = kv.first.IsScalar() ? parseDays(kv.first.Scalar()) : std::nullopt;
            if (!days) {
                check.error(kv.first, "'" + (kv.first.IsScalar() ? kv.first.Scalar() : std::string("?")) +
                                          "' is not a day or day range (mon, tue, … sun, mon-fri, sat,sun)");
                continue;
            }
            if (kv.second.IsSequence()) {
                for (const auto& r : kv.second)
                    if (auto s = check.scalar(r, "hours")) addHours(check, r, *s, *days, cal);
            } else if (auto s = check.scalar(kv.second, "hours")) {
                addHours(check, kv.second, *s, *days, cal);
            }
        }
        bool any = false;
        for (auto& day : cal.week) {
            std::sort(day.begin(), day.end(), [](auto& a, auto& b) { return a.begin < b.begin; });
            std::vector<DayInterval> merged;
            for (const auto& iv : day) {
                if (!merged.empty() && iv.begin <= merged.back().end)
                    merged.back().end = std::max(merged.back().end, iv.end);
                else
                    merged.push_back(iv);
            }
            day = std::move(merged);
            any = any || !day.empty();
        }
        if (!any) check.error(hours, "calendar '" + name + "' has no working hours at all");
    }
    if (const YAML::Node hol = node["holidays"]; hol.IsDefined() && check.isList(hol, "'holidays'")) {
        for (const auto& h : hol) {
            auto text = check.scalar(h, "a holiday");
            if (!text) continue;
            int y = 0;
            unsigned m = 0, d = 0;
            char tail = 0;
            date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
            if (std::sscanf(text->c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) == 3)
                ymd = date::year{y} / date::month{m} / date::day{d};
            if (!ymd.ok()) {
                check.error(h, "holiday '" + *text + "' is not a date like 2026-12-24");
                continue;
            }
            cal.holidays.push_back(date::local_days{ymd});
        }
        std::sort(cal.holidays.begin(), cal.holidays.end());
    }
    ctx.calendarNames.push_back(name);
    ctx.set.calendars.emplace(name, std::move(cal));
}

// ---- teams -----------------------------------------------------------------------------

void parseTeam(YamlChecker& check, const YAML::Node& key, const YAML::Node& node, LoadContext& ctx) {
    const std::string name = key.Scalar();
    if (ctx.set.teams.contains(name)) {
        check.error(key, "team '" + name + "' is already defined at " + ctx.set.teams.find(name)->second.file + ":" +
                             std::to_string(ctx.set.teams.find(name)->second.line));
        return;
    }
    if (!check.isMap(node, "team '" + name + "'")) return;
    check.allowKeys(node, {"agents", "assign", "lead"});
    Team team;
    team.name = name;
    team.file = check.file();
    team.line = key.Mark().line + 1;
    team.column = key.Mark().column + 1;
    if (auto agents = check.strList(node, "agents")) {
        for (const auto& a : *agents)
            if (checkReference(check, node["agents"], "agent", a, ctx.agents)) team.agents.push_back(a);
    }
    if (auto mode = check.oneOf(node, "assign", {"round_robin", "least_open", "none"}))
        team.assign = *mode == "round_robin" ? AssignMode::round_robin
                      : *mode == "least_open" ? AssignMode::least_open
                                              : AssignMode::none;
    if (auto lead = check.str(node, "lead"); lead && checkReference(check, node["lead"], "agent", *lead, ctx.agents))
        team.lead = lead;
    ctx.set.teams.emplace(name, std::move(team));
}

// Memberships declared in deskgate.yaml (agents: [{name, teams: [...]}]) join the teams here;
// a team named only there is a round-robin team.
void addEnvironmentMembers(LoadContext& ctx) {
    for (const auto& agent : ctx.env.agents) {
        for (const auto& t : agent.teams) {
            auto it = ctx.set.teams.find(t);
            if (it == ctx.set.teams.end()) {
                Team team;
                team.name = t;
                team.file = "deskgate.yaml";
                it = ctx.set.teams.emplace(t, std::move(team)).first;
            }
            auto& members = it->second.agents;
            if (std::find(members.begin(), members.end(), agent.name) == members.end()) members.push_back(agent.name);
        }
    }
}

// ---- SLA -------------------------------------------------------------------------------

void parseSla(YamlChecker& check, const YAML::Node& key, const YAML::Node& node, LoadContext& ctx) {
    const std::string name = key.Scalar();
    if (ctx.set.sla.contains(name)) {
        check.error(key, "sla policy '" + name + "' is already defined");
        return;
    }
    if (!check.isMap(node, "sla policy '" + name + "'")) return;
    check.allowKeys(node, {"calendar", "first_response", "resolution", "pause_when", "priorities"});
    SlaPolicy p;
    p.name = name;
    p.file = check.file();
    p.line = key.Mark().line + 1;
    if (auto c = check.str(node, "calendar", true); c && checkReference(check, node["calendar"], "calendar", *c, ctx.calendarNames))
        p.calendar = ctx.set.calendar(*c);
    p.first_response = check.duration(node, "first_response");
    p.resolution = check.duration(node, "resolution");
    if (!node["first_response"].IsDefined() && !node["resolution"].IsDefined() && !node["priorities"].IsDefined())
        check.error(key, "sla policy '" + name + "' sets neither 'first_response' nor 'resolution'");
    if (const YAML::Node prios = node["priorities"]; prios.IsDefined() && check.isMap(prios, "'priorities'")) {
        check.allowKeys(prios, {"low", "normal", "high", "urgent"});
        for (const auto& kv : prios) {
            auto level = kv.first.IsScalar() ? parsePriority(kv.first.Scalar()) : std::nullopt;
            if (!level || !check.isMap(kv.second, "'" + kv.first.Scalar() + "'")) continue;
            check.allowKeys(kv.second, {"first_response", "resolution"});
            auto& t = p.by_priority[static_cast<std::size_t>(*level)];
            t.first_response = check.duration(kv.second, "first_response");
            t.resolution = check.duration(kv.second, "resolution");
        }
    }
    if (auto statuses = check.strList(node, "pause_when")) {
        for (const auto& s : *statuses)
            if (checkReference(check, node["pause_when"], "ticket status", s, kStatuses)) p.pause_when.push_back(s);
    }
    ctx.slaNames.push_back(name);
    ctx.set.sla.emplace(name, std::move(p));
}

// ---- escalation ------------------------------------------------------------------------

void parseEscalation(YamlChecker& check, const YAML::Node& list, LoadContext& ctx) {
    if (!check.isList(list, "'escalation'")) return;
    const std::vector<std::string> notifyWords = {"team_lead", "team", "assignee"};
    std::vector<std::string> notifyKnown = ctx.agents;
    notifyKnown.insert(notifyKnown.end(), notifyWords.begin(), notifyWords.end());
    for (const auto& item : list) {
        if (!check.isMap(item, "an escalation step")) continue;
        check.allowKeys(item, {"name", "when", "do"});
        EscalationStep step;
        step.file = check.file();
        step.line = item.Mark().line + 1;
        if (auto name = check.str(item, "name", true)) {
            for (const auto& other : ctx.set.escalation)
                if (other.name == *name)
                    check.error(item["name"], "escalation step '" + *name + "' is already defined at " + other.file +
                                                  ":" + std::to_string(other.line));
            step.name = *name;
        }
        const YAML::Node when = item["when"];
        if (!when.IsDefined()) {
            check.error(item, "escalation step '" + step.name + "' needs 'when' (before: … by: …, or breached: …)");
        } else if (check.isMap(when, "'when'")) {
            check.allowKeys(when, {"before", "breached", "by", "sla"});
            const bool hasBefore = when["before"].IsDefined(), hasBreached = when["breached"].IsDefined();
            if (hasBefore == hasBreached) {
                check.error(when, "'when' needs exactly one of 'before' or 'breached'");
            } else {
                step.breached = hasBreached;
                if (auto t = check.oneOf(when, hasBefore ? "before" : "breached", {"first_response", "resolution"}))
                    step.target = *t == "first_response" ? SlaTarget::first_response : SlaTarget::resolution;
                if (hasBefore) {
                    if (auto by = check.duration(when, "by", true)) step.before = *by;
                } else if (when["by"].IsDefined()) {
                    check.error(when["by"], "'by' belongs to 'before'; a 'breached' step fires at the deadline");
                }
            }
            if (auto slas = check.strList(when, "sla"))
                for (const auto& s : *slas)
                    if (checkReference(check, when["sla"], "sla policy", s, ctx.slaNames)) step.only_sla.push_back(s);
        }
        const YAML::Node action = item["do"];
        if (!action.IsDefined()) {
            check.error(item, "escalation step '" + step.name + "' needs 'do'");
        } else if (check.isMap(action, "'do'")) {
            check.allowKeys(action, {"notify", "priority", "team", "agent"});
            if (auto who = check.strList(action, "notify")) {
                for (const auto& w : *who) {
                    if (w.find('@') != std::string::npos || checkReference(check, action["notify"], "agent", w, notifyKnown))
                        step.notify.push_back(w);
                }
            }
            if (auto p = check.oneOf(action, "priority", {"raise", "low", "normal", "high", "urgent"})) {
                if (*p == "raise") step.raise_priority = true;
                else step.set_priority = parsePriority(*p);
            }
            if (auto t = check.str(action, "team"); t && checkReference(check, action["team"], "team", *t, ctx.teamNames))
                step.team = t;
            if (auto a = check.str(action, "agent"); a && checkReference(check, action["agent"], "agent", *a, ctx.agents))
                step.agent = a;
            if (action.size() == 0) check.error(action, "'do' is empty: the step would do nothing");
        }
        ctx.set.escalation.push_back(std::move(step));
    }
}

// ---- lifecycle settings ----------------------------------------------------------------

void parseSettings(YamlChecker& check, const std::string& section, const YAML::Node& node, LoadContext& ctx) {
    if (!check.isMap(node, "'" + section + "'")) return;
    if (section == "auto_close") {
        check.allowKeys(node, {"pending_for", "template"});
        ctx.set.auto_close.pending_for = check.duration(node, "pending_for", true);
        if (auto t = check.str(node, "template")) {
            if (ctx.env.templates.empty() || checkReference(check, node["template"], "template", *t, ctx.env.templates))
                ctx.set.auto_close.notice_template = t;
        }
    } else if (section == "reopen") {
        check.allowKeys(node, {"within"});
        ctx.set.reopen.within = check.duration(node, "within", true);
    } else if (section == "threading") {
        check.allowKeys(node, {"foreign_token"});
        if (auto v = check.oneOf(node, "foreign_token", {"new_ticket", "hold"}))
            ctx.set.threading.foreign_token =
                *v == "hold" ? ThreadingSettings::ForeignToken::hold : ThreadingSettings::ForeignToken::new_ticket;
    } else if (section == "limits") {
        check.allowKeys(node, {"auto_replies_per_address_per_hour", "auto_replies_per_hour", "max_recipients"});
        auto& l = ctx.set.limits;
        l.auto_replies_per_address_per_hour = check.integer(node, "auto_replies_per_address_per_hour", false, 0, 100000);
        l.auto_replies_per_hour = check.integer(node, "auto_replies_per_hour", false, 0, 10000000);
        if (auto v = check.integer(node, "max_recipients", false, 1, 100000)) l.max_recipients = *v;
    }
}

}  // namespace

namespace {

RuleSetResult loadChecked(const std::vector<RuleFile>& files, const RuleEnvironment& environment,
                          std::vector<ConfigError>& errors) {
    auto set = std::make_shared<RuleSet>();
    LoadContext ctx{environment, *set, {}, {}, {}, {}};
    for (const auto& a : environment.agents) ctx.agents.push_back(a.name);

    // Phase 1: read every file; keep each file's checker with its root.
    struct Doc {
        YamlChecker check;
        YAML::Node root;
    };
    std::vector<Doc> docs;
    docs.reserve(files.size());
    for (const auto& f : files) {
        YamlChecker check(f.name, errors);
        auto root = check.load(f.text);
        if (!root || root->IsNull()) continue;  // syntax error recorded, or an empty file
        if (!check.isMap(*root, "a rules file")) continue;
        check.allowKeys(*root, kSections);
        docs.push_back({std::move(check), *root});
    }

    // Phase 2: sections in dependency order (calendars → teams → sla → routing → escalation).
    std::map<std::string, std::string> singleSeen;  // auto_close/reopen/limits: where first set
    auto eachSection = [&](const std::string& section, auto&& fn) {
        for (auto& doc : docs)
            if (const YAML::Node node = doc.root[section]; node.IsDefined() && !node.IsNull()) fn(doc.check, node);
    };
    auto eachEntry = [&](const std::string& section, auto&& fn) {
        eachSection(section, [&](YamlChecker& check, const YAML::Node& node) {
            if (!check.isMap(node, "'" + section + "'")) return;
            for (const auto& kv : node)
                if (kv.first.IsScalar()) fn(check, kv.first, kv.second);
        });
    };
    eachEntry("calendars", [&](YamlChecker& c, const YAML::Node& k, const YAML::Node& v) { parseCalendar(c, k, v, ctx); });
    eachEntry("teams", [&](YamlChecker& c, const YAML::Node& k, const YAML::Node& v) { parseTeam(c, k, v, ctx); });
    addEnvironmentMembers(ctx);
    for (const auto& [name, team] : set->teams) {
        ctx.teamNames.push_back(name);
        if (team.agents.empty() && team.assign != AssignMode::none)
            errors.push_back({team.file, team.line, team.column,
                              "team '" + name + "' has no agents (add 'agents:' or set 'assign: none')"});
    }
    eachEntry("sla", [&](YamlChecker& c, const YAML::Node& k, const YAML::Node& v) { parseSla(c, k, v, ctx); });
    eachSection("routing", [&](YamlChecker& c, const YAML::Node& n) { detail::parseRouting(c, n, ctx); });
    eachSection("escalation", [&](YamlChecker& c, const YAML::Node& n) { parseEscalation(c, n, ctx); });
    for (const std::string section : {"auto_close", "reopen", "limits", "threading"}) {
        eachSection(section, [&](YamlChecker& c, const YAML::Node& n) {
            if (auto it = singleSeen.find(section); it != singleSeen.end()) {
                c.error(n, "'" + section + "' is already set at " + it->second);
                return;
            }
            singleSeen.emplace(section, where(c.file(), n));
            parseSettings(c, section, n, ctx);
        });
    }
    if (!errors.empty()) {
        // Report in reading order: by file as given, then by position.
        auto fileIndex = [&](const std::string& name) {
            for (std::size_t i = 0; i < files.size(); ++i)
                if (files[i].name == name) return i;
            return files.size();
        };
        std::stable_sort(errors.begin(), errors.end(), [&](const ConfigError& a, const ConfigError& b) {
            return std::tuple(fileIndex(a.file), a.line, a.column) < std::tuple(fileIndex(b.file), b.line, b.column);
        });
        return std::unexpected(std::move(errors));
    }
    set->buildIndex();
    set->initCounters();
    return std::shared_ptr<const RuleSet>(std::move(set));
}

}  // namespace

RuleSetResult loadRuleSet(const std::vector<RuleFile>& files, const RuleEnvironment& environment) {
    std::vector<ConfigError> errors;
    try {
        return loadChecked(files, environment, errors);
    } catch (const YAML::Exception& e) {
        // The checks above look before they read; this is the net for a shape they missed.
        errors.push_back({files.size() == 1 ? files.front().name : std::string("rules"), e.mark.is_null() ? 0 : e.mark.line + 1,
                          e.mark.is_null() ? 0 : e.mark.column + 1, e.msg});
        return std::unexpected(std::move(errors));
    }
}

RuleSetResult loadRuleDirectory(const std::string& directory, const RuleEnvironment& environment) {
    namespace fs = std::filesystem;
    std::vector<ConfigError> errors;
    std::vector<fs::path> paths;
    std::error_code ec;
    for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
        const auto ext = it->path().extension();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) paths.push_back(it->path());
    }
    if (ec) {
        errors.push_back({directory, 0, 0, "cannot read rules directory: " + ec.message()});
        return std::unexpected(std::move(errors));
    }
    std::sort(paths.begin(), paths.end());
    std::vector<RuleFile> files;
    for (const auto& p : paths) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) {
            errors.push_back({p.string(), 0, 0, "cannot read file"});
            continue;
        }
        files.push_back({p.string(), text.str()});
    }
    if (!errors.empty()) return std::unexpected(std::move(errors));
    return loadRuleSet(files, environment);
}

}  // namespace deskgate
