// The outbox: every mail deskgate sends, queued in the transaction that caused it, claimed by a
// sender with a lease, marked sent, retried or failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/records.hpp"

namespace deskgate {

class OutboxStore {
public:
    explicit OutboxStore(SociDatabase& db) : db_(db) {}

    std::int64_t queueMail(const OutboxRecord& mail);
    // Claims up to `limit` due mails for `lease` seconds (other workers skip them meanwhile).
    std::vector<OutboxRecord> claimDueMail(UnixTime now, int limit, int lease_seconds = 300);
    void markSent(std::int64_t id, UnixTime at);
    void markRetry(std::int64_t id, int attempts, UnixTime next_attempt, const std::string& error);
    void markFailed(std::int64_t id, int attempts, const std::string& error);
    std::optional<UnixTime> nextOutboxAttempt();
    std::vector<OutboxRecord> listOutbox(const std::string& status);

private:
    soci::session& sql() { return db_.session(); }
    SociDatabase& db_;
};

}  // namespace deskgate
