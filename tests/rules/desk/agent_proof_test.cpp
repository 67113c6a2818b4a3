// Reply keys and the verdict on a mail from an agent's address (rules/desk/agent_proof.hpp).
#include <doctest/doctest.h>

#include "rules/desk/agent_proof.hpp"

using namespace deskgate;

TEST_CASE("a reply key binds one Message-ID to one ticket and one agent under one secret") {
    const std::string secret = "0123456789abcdef0123456789abcdef";
    const auto id = keyedMessageId("dg.t1001-agent_notification.1a2b3c4d5e6f7788@helpdesk.test", secret, 1001, "anna");
    CHECK(id.starts_with("dg.t1001-agent_notification.1a2b3c4d5e6f7788.k"));
    CHECK(id.ends_with("@helpdesk.test"));
    CHECK(carriesReplyKey(id, secret, 1001, "anna"));
    CHECK(carriesReplyKey(id, secret, 1001, "Anna"));  // agent names compare without case
    CHECK_FALSE(carriesReplyKey(id, secret, 1001, "ben"));
    CHECK_FALSE(carriesReplyKey(id, secret, 1002, "anna"));
    CHECK_FALSE(carriesReplyKey(id, "another secret", 1001, "anna"));
    CHECK_FALSE(carriesReplyKey(id, "", 1001, "anna"));
    CHECK_FALSE(carriesReplyKey("dg.t1001-agent_notification.1a2b3c4d5e6f7788@helpdesk.test", secret, 1001, "anna"));
    // The key covers the rest of the id: moving it onto another notification's id fails.
    const auto key = id.substr(id.rfind(".k"), id.find('@') - id.rfind(".k"));
    CHECK_FALSE(carriesReplyKey("dg.t1001-other.99" + key + "@helpdesk.test", secret, 1001, "anna"));
    std::string flipped = id;
    flipped[flipped.find('@') - 1] = flipped[flipped.find('@') - 1] == '0' ? '1' : '0';
    CHECK_FALSE(carriesReplyKey(flipped, secret, 1001, "anna"));
    CHECK_FALSE(carriesReplyKey("", secret, 1001, "anna"));
    CHECK_FALSE(carriesReplyKey("no-at-sign.k0123456789abcdef0123456789abcdef", secret, 1001, "anna"));
}

TEST_CASE("the verdict: which proofs count, for which tickets, and why not") {
    const std::string secret = "s3cr3t";
    const auto keyed = keyedMessageId("dg.x.1@h.test", secret, 1001, "anna");
    const std::vector<ReferencedTicket> refs = {{"customer@c.test", 1001}, {keyed, 1001}, {"dg.y.2@h.test", 1002}};
    using M = AgentProofMethod;
    const std::vector<M> both{M::reply_key, M::authentication_results};

    auto v = proveAgent(both, "anna", false, refs, secret);
    CHECK(v.proven());
    CHECK_FALSE(v.everywhere);
    CHECK(v.tickets == std::vector<std::int64_t>{1001});
    CHECK(v.method == "reply_key");

    v = proveAgent(both, "anna", true, {}, secret);
    CHECK(v.everywhere);
    CHECK(v.method == "authentication_results");

    v = proveAgent(both, "ben", false, refs, secret);  // anna's key does not prove ben
    CHECK_FALSE(v.proven());
    CHECK(v.why_not.find("does not answer a mail deskgate sent you") != std::string::npos);
    CHECK(v.why_not.find("no DKIM or SPF pass") != std::string::npos);

    v = proveAgent({M::authentication_results}, "anna", false, refs, secret);  // keys not accepted
    CHECK_FALSE(v.proven());
    v = proveAgent({M::reply_key}, "anna", true, {}, secret);  // the MTA's verdict not accepted
    CHECK_FALSE(v.proven());
    v = proveAgent({M::from_address}, "anna", false, {}, secret);
    CHECK(v.everywhere);
    CHECK(v.method == "from_address");

    for (auto m : {M::reply_key, M::authentication_results, M::from_address})
        CHECK((parseAgentProofMethod(toString(m)) == m));
    CHECK_FALSE(parseAgentProofMethod("dkim"));
}
