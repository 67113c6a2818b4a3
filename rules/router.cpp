#include "rules/router.hpp"

#include <algorithm>
#include <sstream>

#include <date/tz.h>

namespace deskgate {

namespace {

// Which rule set each field, for the "kept" lines of the trace.
struct Sources {
    std::size_t queue = 0, priority = 0, team = 0, agent = 0, sla = 0, category = 0, language = 0, tmpl = 0;
};

template <typename T>
std::string show(const T& v) {
    if constexpr (std::is_same_v<T, Priority>)
        return std::string(toString(v));
    else
        return v;
}

template <typename T>
void apply(const char* field, const std::optional<T>& want, std::optional<T>& have, std::size_t& source,
           std::size_t rule, const RuleSet& rules, TraceEntry* trace) {
    if (!want) return;
    if (!have) {
        have = want;
        source = rule;
        if (trace) trace->applied.push_back(std::string(field) + " = " + show(*want));
    } else if (trace) {
        if (*have == *want)
            trace->kept.push_back(std::string(field) + " = " + show(*want) + " (already set by '" +
                                  rules.rules[source].name + "')");
        else
            trace->kept.push_back(std::string(field) + " = " + show(*want) + " not applied: already " + show(*have) +
                                  " from '" + rules.rules[source].name + "'");
    }
}

void applyActions(const RuleSet& rules, std::size_t index, Decision& d, Sources& src, TraceEntry* trace) {
    const Actions& a = rules.rules[index].set;
    apply("queue", a.queue, d.queue, src.queue, index, rules, trace);
    apply("priority", a.priority, d.priority, src.priority, index, rules, trace);
    apply("team", a.team, d.team, src.team, index, rules, trace);
    apply("agent", a.agent, d.agent, src.agent, index, rules, trace);
    apply("sla", a.sla, d.sla, src.sla, index, rules, trace);
    apply("category", a.category, d.category, src.category, index, rules, trace);
    apply("language", a.language, d.language, src.language, index, rules, trace);
    apply("template", a.reply_template, d.reply_template, src.tmpl, index, rules, trace);
    for (const auto& t : a.tags) {
        if (std::find(d.tags.begin(), d.tags.end(), t) == d.tags.end()) {
            d.tags.push_back(t);
            if (trace) trace->applied.push_back("tag + " + t);
        }
    }
    if (a.hold.value_or(false) && !d.hold) {
        d.hold = true;
        if (trace) trace->applied.push_back("hold (quarantine for review)");
    }
    if (a.ignore.value_or(false) && !d.ignore) {
        d.ignore = true;
        if (trace) trace->applied.push_back("ignore (store, do not answer)");
    }
}

std::string formatTime(SysSeconds t, const Calendar* cal) {
    std::string out = date::format("%Y-%m-%d %H:%M UTC", t);
    if (cal && cal->zone && cal->timezone != "UTC")
        out += " (" + date::format("%a %Y-%m-%d %H:%M %Z", date::make_zoned(cal->zone, t)) + " " + cal->timezone + ")";
    return out;
}

std::string ruleLabel(const RuleSet& rules, std::size_t i, bool hits) {
    const Rule& r = rules.rules[i];
    std::string s = "'" + r.name + "' (" + r.file + ":" + std::to_string(r.line);
    if (hits) s += ", " + std::to_string(rules.hits(i)) + " hits";
    return s + ")";
}

}  // namespace

Decision route(const RuleSet& rules, const ParsedMail& mail, const RouteContext& context, const RouteOptions& options) {
    Decision d;
    Sources src;
    const MailView view(mail, context, rules.index());
    for (std::size_t i = 0; i < rules.rules.size(); ++i) {
        const Rule& rule = rules.rules[i];
        const bool hit = !rule.when || matches(*rule.when, view);
        TraceEntry* entry = nullptr;
        if (options.trace && (hit || options.trace_misses)) {
            entry = &d.trace.emplace_back();
            entry->rule = i;
            entry->matched = hit;
            if (rule.when)
                explainMatch(*rule.when, view, entry->why);
            else
                entry->why.push_back("(no conditions: matches every mail)");
        }
        if (!hit) continue;
        d.matched.push_back(i);
        if (options.count_hits) rules.countHit(i);
        applyActions(rules, i, d, src, entry);
        if (!rule.continue_) {
            if (entry) entry->stopped = true;
            break;
        }
    }
    return d;
}

std::string formatDecision(const RuleSet& rules, const Decision& d, const ExplainOptions& options) {
    std::ostringstream out;
    out << "Rules:\n";
    if (d.trace.empty()) out << "  (no rule matched)\n";
    for (const auto& e : d.trace) {
        out << "  " << (e.matched ? "MATCH " : "no    ") << ruleLabel(rules, e.rule, options.show_hits) << "\n";
        for (const auto& w : e.why) out << "      " << w << "\n";
        for (const auto& a : e.applied) out << "      -> " << a << "\n";
        for (const auto& k : e.kept) out << "      .. " << k << "\n";
        if (e.stopped) out << "      (stop: no 'continue')\n";
    }
    auto field = [&](const char* name, const std::optional<std::string>& v, const char* dflt) {
        out << "  " << name << ": " << (v ? *v : std::string(dflt)) << "\n";
    };
    out << "Decision:\n";
    field("queue", d.queue, "(default)");
    out << "  priority: " << (d.priority ? toString(*d.priority) : std::string_view("normal (default)")) << "\n";
    field("category", d.category, "-");
    out << "  tags: ";
    if (d.tags.empty()) out << "-";
    for (std::size_t i = 0; i < d.tags.size(); ++i) out << (i ? ", " : "") << d.tags[i];
    out << "\n";
    field("language", d.language, "(from the mail / default)");
    field("template", d.reply_template, "(default acknowledgement)");
    field("team", d.team, "-");
    if (d.agent) {
        out << "  agent: " << *d.agent << " (fixed by rule)\n";
    } else if (const Team* team = d.team ? rules.team(*d.team) : nullptr) {
        out << "  agent: ";
        if (options.assigned_agent) out << *options.assigned_agent << " ";
        out << "(" << toString(team->assign) << " among ";
        for (std::size_t i = 0; i < team->agents.size(); ++i) out << (i ? ", " : "") << team->agents[i];
        out << ")\n";
    } else {
        out << "  agent: " << options.assigned_agent.value_or("-") << "\n";
    }
    if (d.hold) out << "  HOLD: the mail is quarantined for review\n";
    if (d.ignore) out << "  IGNORE: stored, no answer\n";
    if (const SlaPolicy* p = d.sla ? rules.slaPolicy(*d.sla) : nullptr) {
        out << "  sla: " << p->name << " (calendar " << (p->calendar ? p->calendar->name : "?") << ")\n";
        const SlaDeadlines dl = slaDeadlines(*p, options.created, {}, d.priority);
        if (p->first_response && dl.first_response)
            out << "    first response due: " << formatTime(*dl.first_response, p->calendar) << "\n";
        if (p->resolution && dl.resolution)
            out << "    resolution due:     " << formatTime(*dl.resolution, p->calendar) << "\n";
    } else {
        out << "  sla: -\n";
    }
    return out.str();
}

std::string formatRuleStats(const RuleSet& rules) {
    std::ostringstream out;
    for (std::size_t i = 0; i < rules.rules.size(); ++i)
        out << rules.hits(i) << "\t" << rules.rules[i].name << "\t" << rules.rules[i].file << ":" << rules.rules[i].line
            << "\n";
    return out.str();
}

}  // namespace deskgate
