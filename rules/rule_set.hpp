// A validated, compiled set of rules: routing, teams, calendars, SLA policies, escalation
// and the ticket-lifecycle settings. Built once by loadRuleSet, then shared immutable
// (shared_ptr<const RuleSet>); a reload builds a new one and swaps the pointer.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/matchers.hpp"
#include "rules/priority.hpp"
#include "rules/sla_calendar.hpp"

namespace deskgate {

// What a routing rule's `set:` does. Empty optionals leave the field alone.
struct Actions {
    std::optional<std::string> queue;
    std::optional<Priority> priority;
    std::optional<std::string> team;
    std::optional<std::string> agent;
    std::vector<std::string> tags;            // added (union over all matching rules)
    std::optional<std::string> sla;
    std::optional<std::string> category;
    std::optional<std::string> language;      // language of the mails deskgate sends (templates/<lang>/)
    std::optional<std::string> reply_template;// acknowledgement template name (`template:`)
    std::optional<bool> hold;                 // quarantine for review
    std::optional<bool> ignore;               // store, never answer
};

struct Rule {
    std::string name;
    std::string file;
    int line = 0;
    int column = 0;
    std::optional<Condition> when;   // absent: matches every mail
    Actions set;
    bool continue_ = false;          // `continue: true`: later rules still apply
};

enum class AssignMode { none, round_robin, least_open };
std::string_view toString(AssignMode m);

struct Team {
    std::string name;
    std::vector<std::string> agents;      // in round-robin order
    AssignMode assign = AssignMode::round_robin;
    std::optional<std::string> lead;      // receives `notify: [team_lead]`
    std::string file;
    int line = 0;
    int column = 0;
};

enum class SlaTarget { first_response, resolution };
std::string_view toString(SlaTarget t);

struct EscalationStep {
    std::string name;                     // unique: the daemon records fired steps by name
    std::string file;
    int line = 0;
    SlaTarget target = SlaTarget::first_response;
    bool breached = false;                // `breached:` (at the deadline) vs `before:` (lead time)
    Seconds before{0};                    // `by:` for before-steps (wall-clock time before the deadline)
    std::vector<std::string> only_sla;    // `sla:` filter; empty = every policy
    // `do:`
    std::vector<std::string> notify;      // agent names, e-mail addresses, team_lead, team, assignee
    bool raise_priority = false;          // `priority: raise`
    std::optional<Priority> set_priority; // `priority: urgent`
    std::optional<std::string> team;
    std::optional<std::string> agent;
};

struct AutoCloseSettings {
    std::optional<Seconds> pending_for;    // close tickets pending on the customer this long
    std::optional<std::string> notice_template;
};
struct ReopenSettings {
    std::optional<Seconds> within;         // a reply to a closed ticket reopens it within this time;
                                           // later it opens a new linked ticket
};
inline constexpr std::int64_t kDefaultMaxRecipients = 10;
struct LimitSettings {
    std::optional<std::int64_t> auto_replies_per_address_per_hour;
    std::optional<std::int64_t> auto_replies_per_hour;
    // A new mail with more addresses in To and Cc is held for review (a relay attempt), and a
    // ticket gets no more participants than this.
    std::optional<std::int64_t> max_recipients = kDefaultMaxRecipients;
};

struct ThreadingSettings {
    // A reply carrying a ticket's token from someone who is neither its customer, a
    // participant nor an agent: open a new ticket (default) or hold it for review.
    enum class ForeignToken { new_ticket, hold };
    ForeignToken foreign_token = ForeignToken::new_ticket;
};

// What the caller knows from deskgate.yaml, so references can be checked.
struct RuleEnvironment {
    struct Agent {
        std::string name;
        std::vector<std::string> teams;   // memberships declared in deskgate.yaml (added to the team)
    };
    std::vector<Agent> agents;
    std::vector<std::string> templates;   // known template names; empty = do not check
    std::vector<std::string> mailboxes;   // known mailbox names; empty = do not check
};

struct RuleStat {
    std::string name;
    std::string file;
    int line = 0;
    std::uint64_t hits = 0;
};

class RuleSet {
public:
    RuleSet() = default;
    RuleSet(const RuleSet&) = delete;
    RuleSet& operator=(const RuleSet&) = delete;

    std::vector<Rule> rules;                    // in order: files in the given order, rules as written
    std::map<std::string, Team, std::less<>> teams;
    std::map<std::string, Calendar, std::less<>> calendars;   // node-stable: policies point into it
    std::map<std::string, SlaPolicy, std::less<>> sla;
    std::vector<EscalationStep> escalation;
    AutoCloseSettings auto_close;
    ReopenSettings reopen;
    LimitSettings limits;
    ThreadingSettings threading;

    // "7 rules, 2 teams, 2 calendars, 2 SLA policies, 4 escalation steps" (for `deskgate check`).
    std::string summary() const;

    const Team* team(std::string_view name) const;
    const SlaPolicy* slaPolicy(std::string_view name) const;
    const Calendar* calendar(std::string_view name) const;

    // Hit counters, one per rule; thread-safe, counted by route(), not part of the rules' identity.
    void countHit(std::size_t rule) const;
    std::uint64_t hits(std::size_t rule) const;
    std::vector<RuleStat> stats() const;
    void initCounters();                        // called by the loader once `rules` is final

    // The per-mail index of the routing matchers (see MatchIndex); built by the loader.
    void buildIndex();
    const MatchIndex* index() const { return index_.get(); }

private:
    std::unique_ptr<std::atomic<std::uint64_t>[]> hits_;
    std::unique_ptr<MatchIndex> index_;
};

}  // namespace deskgate
