// MatchIndex: one hash lookup per sender/recipient and one RE2::Set pass per text field
// instead of a thousand separate matcher calls.
#include <re2/re2.h>
#include <re2/set.h>

#include "rules/matchers.hpp"

namespace deskgate {

struct MatchIndex::RegexSet {
    RE2::Set set;
    std::vector<int> slots;   // set index → slot
    RegexSet() : set(options(), RE2::UNANCHORED) {}
    static RE2::Options options() {
        RE2::Options o;
        o.set_log_errors(false);
        o.set_max_mem(64 << 20);   // the DFA of a few hundred patterns; on exhaustion we fall back
        return o;
    }
};

MatchIndex::MatchIndex() = default;
MatchIndex::~MatchIndex() = default;

namespace {

void addSlots(std::unordered_map<std::string, std::vector<int>>& map, const std::unordered_set<std::string>& keys,
              int slot) {
    for (const auto& k : keys) map[k].push_back(slot);
}

void mark(const std::unordered_map<std::string, std::vector<int>>& map, const std::string& key,
          std::vector<unsigned char>& hits) {
    if (auto it = map.find(key); it != map.end())
        for (int s : it->second) hits[static_cast<std::size_t>(s)] = 1;
}

}  // namespace

void MatchIndex::build(std::vector<Condition*> conditions) {
    auto subject = std::make_unique<RegexSet>();
    auto body = std::make_unique<RegexSet>();
    std::vector<Condition*> subjectLeaves, bodyLeaves;
    // Regex leaves go into the sets first; they get slots only if their set compiles.
    auto walk = [&](auto&& self, Condition& c) -> void {
        for (auto& child : c.children) self(self, child);
        switch (c.kind) {
            case MatcherKind::from: c.slot = slots_++; addSlots(from_, c.set, c.slot); break;
            case MatcherKind::to: c.slot = slots_++; addSlots(to_, c.set, c.slot); break;
            case MatcherKind::cc: c.slot = slots_++; addSlots(cc_, c.set, c.slot); break;
            case MatcherKind::from_domain: c.slot = slots_++; addSlots(domain_, c.set, c.slot); break;
            case MatcherKind::subject:
                if (subject->set.Add(c.regex->pattern(), nullptr) >= 0) subjectLeaves.push_back(&c);
                break;
            case MatcherKind::body:
                if (body->set.Add(c.regex->pattern(), nullptr) >= 0) bodyLeaves.push_back(&c);
                break;
            default: break;
        }
    };
    for (Condition* c : conditions) walk(walk, *c);
    auto finish = [&](std::unique_ptr<RegexSet>& set, std::vector<Condition*>& leaves, std::unique_ptr<RegexSet>& into) {
        if (leaves.empty() || !set->set.Compile()) return;   // not compiled: leaves keep matching one by one
        for (Condition* c : leaves) {
            c->slot = slots_++;
            set->slots.push_back(c->slot);
        }
        into = std::move(set);
    };
    finish(subject, subjectLeaves, subject_);
    finish(body, bodyLeaves, body_);
}

void MatchIndex::evaluate(const MailView& m, std::vector<unsigned char>& hits) const {
    for (const auto& s : m.senders) mark(from_, s, hits);
    for (const auto& a : m.to) mark(to_, a, hits);
    for (const auto& a : m.cc) {
        mark(to_, a, hits);   // `to:` means any recipient
        mark(cc_, a, hits);
    }
    if (!domain_.empty()) {
        std::string key;
        for (const auto& d : m.sender_domains) {
            std::string_view rest = d;
            while (!rest.empty()) {   // the domain and its parents
                key.assign(rest);
                mark(domain_, key, hits);
                auto dot = rest.find('.');
                if (dot == std::string_view::npos) break;
                rest.remove_prefix(dot + 1);
            }
        }
    }
    auto runSet = [&](const std::unique_ptr<RegexSet>& set, std::string_view text) {
        if (!set) return;
        std::vector<int> found;
        RE2::Set::ErrorInfo error{};
        if (set->set.Match(text, &found, &error)) {
            for (int i : found) hits[static_cast<std::size_t>(set->slots[static_cast<std::size_t>(i)])] = 1;
        } else if (error.kind != RE2::Set::kNoError) {
            // The DFA ran out of memory on this text: answer each regex on its own.
            for (std::size_t i = 0; i < set->slots.size(); ++i) hits[static_cast<std::size_t>(set->slots[i])] = 2;
        }
    };
    runSet(subject_, m.mail.subject);
    runSet(body_, m.body);
}

}  // namespace deskgate
