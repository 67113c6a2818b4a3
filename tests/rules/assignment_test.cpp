// Assignment in a team: round robin, least open, none.
#include <doctest/doctest.h>

#include "rules/assignment.hpp"
#include "rules_test_util.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

Team team(AssignMode mode) {
    Team t;
    t.name = "t";
    t.agents = {"anna", "ben", "carla"};
    t.assign = mode;
    return t;
}

}  // namespace

TEST_CASE("round robin takes turns and survives a changed agent list") {
    const Team t = team(AssignMode::round_robin);
    std::optional<std::string> last;
    std::string order;
    for (int i = 0; i < 7; ++i) {
        const Assignment a = pickAgent(t, {.last_agent = last, .open_tickets = {}, .unavailable = {}});
        REQUIRE(a.agent);
        order += *a.agent + " ";
        last = a.agent;   // the daemon stores this as the team's position
    }
    CHECK(order == "anna ben carla anna ben carla anna ");
    // The last agent was removed from the team by a reload: start from the top.
    CHECK(pickAgent(t, {.last_agent = "zoe", .open_tickets = {}, .unavailable = {}}).agent == "anna");
    // Unavailable agents are skipped.
    const std::vector<std::string> away{"ben"};
    CHECK(pickAgent(t, {.last_agent = "anna", .open_tickets = {}, .unavailable = away}).agent == "carla");
    const std::vector<std::string> everyone{"anna", "ben", "carla"};
    const Assignment none = pickAgent(t, {.last_agent = {}, .open_tickets = {}, .unavailable = everyone});
    CHECK(!none.agent);
    CHECK(none.reason == "team t has no available agent");
}

TEST_CASE("least open picks the agent with the fewest open tickets; ties take turns") {
    const Team t = team(AssignMode::least_open);
    AssignmentInput in;
    in.open_tickets = {{"anna", 5}, {"ben", 2}, {"carla", 3}};
    Assignment a = pickAgent(t, in);
    CHECK(a.agent == "ben");
    CHECK(a.reason == "least open in team t (2 open)");
    in.open_tickets = {{"anna", 2}, {"ben", 2}};   // carla missing = 0
    CHECK(pickAgent(t, in).agent == "carla");
    in.open_tickets = {{"anna", 1}, {"ben", 1}, {"carla", 1}};
    in.last_agent = "anna";
    CHECK(pickAgent(t, in).agent == "ben");
    in.last_agent = "carla";
    CHECK(pickAgent(t, in).agent == "anna");
}

TEST_CASE("assign: none leaves the ticket unassigned") {
    const Assignment a = pickAgent(team(AssignMode::none), {});
    CHECK(!a.agent);
    CHECK(a.reason == "team t assigns nobody (assign: none)");
}
