#include "rules/desk/agent_proof.hpp"

#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "parsers/ascii.hpp"

namespace deskgate {

namespace {

constexpr std::string_view kKeyMark = ".k";
constexpr std::size_t kKeyHex = 32;  // 128 bits of the HMAC

std::string replyKey(std::string_view base_local, std::string_view secret, std::int64_t ticket, std::string_view agent) {
    // Domain-separated input: nothing else deskgate signs can be mistaken for a reply key.
    std::string input = "deskgate reply key";
    input += '\0';
    input += base_local;
    input += '\0';
    input += std::to_string(ticket);
    input += '\0';
    input += lower(agent);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), mac, &len);
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len && hex.size() < kKeyHex; ++i) {
        hex += digits[mac[i] >> 4];
        hex += digits[mac[i] & 15];
    }
    return hex;
}

}  // namespace

std::string_view toString(AgentProofMethod method) {
    switch (method) {
        case AgentProofMethod::reply_key: return "reply_key";
        case AgentProofMethod::authentication_results: return "authentication_results";
        case AgentProofMethod::from_address: return "from_address";
    }
    return "reply_key";
}

std::optional<AgentProofMethod> parseAgentProofMethod(std::string_view name) {
    for (auto m : {AgentProofMethod::reply_key, AgentProofMethod::authentication_results, AgentProofMethod::from_address})
        if (toString(m) == name) return m;
    return std::nullopt;
}

std::string keyedMessageId(std::string_view base_id, std::string_view secret, std::int64_t ticket,
                           std::string_view agent) {
    const auto at = base_id.rfind('@');
    const std::string_view local = base_id.substr(0, at), domain = at == std::string_view::npos ? "" : base_id.substr(at);
    return std::string(local) + std::string(kKeyMark) + replyKey(local, secret, ticket, agent) + std::string(domain);
}

bool carriesReplyKey(std::string_view message_id, std::string_view secret, std::int64_t ticket, std::string_view agent) {
    if (secret.empty()) return false;
    const auto at = message_id.rfind('@');
    if (at == std::string_view::npos) return false;
    const std::string_view local = message_id.substr(0, at);
    const auto mark = local.rfind(kKeyMark);
    if (mark == std::string_view::npos || local.size() - mark - kKeyMark.size() != kKeyHex) return false;
    const std::string expected = replyKey(local.substr(0, mark), secret, ticket, agent);
    const std::string given = lower(local.substr(mark + kKeyMark.size()));
    return CRYPTO_memcmp(expected.data(), given.data(), kKeyHex) == 0;
}

AgentVerdict proveAgent(const std::vector<AgentProofMethod>& methods, std::string_view agent, bool authenticated,
                        const std::vector<ReferencedTicket>& references, std::string_view secret) {
    AgentVerdict v;
    auto uses = [&](AgentProofMethod m) { return std::find(methods.begin(), methods.end(), m) != methods.end(); };
    if (uses(AgentProofMethod::from_address)) {
        v.everywhere = true;
        v.method = "from_address";
        return v;
    }
    if (uses(AgentProofMethod::authentication_results) && authenticated) {
        v.everywhere = true;
        v.method = "authentication_results";
        return v;
    }
    if (uses(AgentProofMethod::reply_key)) {
        for (const auto& r : references)
            if (carriesReplyKey(r.message_id, secret, r.ticket, agent) &&
                std::find(v.tickets.begin(), v.tickets.end(), r.ticket) == v.tickets.end())
                v.tickets.push_back(r.ticket);
        if (!v.tickets.empty()) {
            v.method = "reply_key";
            return v;
        }
    }
    std::string wanted;
    if (uses(AgentProofMethod::reply_key)) wanted = "it does not answer a mail deskgate sent you about the ticket";
    if (uses(AgentProofMethod::authentication_results))
        wanted += std::string(wanted.empty() ? "" : ", and ") +
                  "our mail server's Authentication-Results show no DKIM or SPF pass for your domain";
    v.why_not = wanted.empty() ? "no proof is configured" : wanted;
    return v;
}

}  // namespace deskgate
