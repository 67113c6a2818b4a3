// The outbox: every mail deskgate sends, queued in the transaction that caused it, claimed by a
// sender with a lease, marked sent, retried or failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/held_rows.hpp"
#include "storage/records.hpp"

namespace deskgate {

class OutboxStore {
public:
    explicit OutboxStore(SociDatabase& db);

    // Queues the mail now and returns its id.
    std::int64_t queueMail(const OutboxRecord& mail);
    // Queues the mail; inside a transaction held back and written with the others (intake: one
    // statement for a batch's mail on PostgreSQL). Nothing in the transaction reads the outbox.
    void queue(const OutboxRecord& mail);
    // Claims up to `limit` due mails for `lease` seconds for `holder` (other workers skip them
    // meanwhile; after the lease, they are anyone's again).
    std::vector<OutboxRecord> claimDueMail(UnixTime now, int limit, int lease_seconds = 30,
                                           const std::string& holder = "");
    // The claim's query (:n and :n2 = now): the queue in id order, filtered in the index
    // outbox_queue, so that a claim reads the rows it takes and not the whole queue.
    static std::string claimSql(Backend backend, int limit);
    // Extends `holder`'s claims to `until`; returns the ids still claimed by `holder` (not sent,
    // and not taken by another worker after the lease ran out).
    std::vector<std::int64_t> renewClaims(const std::vector<std::int64_t>& ids, const std::string& holder,
                                          UnixTime until);
    // Frees `holder`'s claims at once (a stopping daemon's unsent mail, for the others to send).
    void releaseClaims(const std::vector<std::int64_t>& ids, const std::string& holder);
    // Every claim of `holder` on unsent mail, freed (a holder known to be dead); how many.
    int releaseAllClaims(const std::string& holder);
    // Who holds claims on unsent mail that have not run out at `now`.
    std::vector<std::string> claimants(UnixTime now);
    void markSent(std::int64_t id, UnixTime at);
    // markSent and, for a ticket's mail, its 'sent' event ("KIND to ADDRESS" in `detail`), at once:
    // on PostgreSQL one statement (one round trip where a transaction takes four).
    void markSentNoting(std::int64_t id, UnixTime at, const std::string& detail);
    void markRetry(std::int64_t id, int attempts, UnixTime next_attempt, const std::string& error);
    void markFailed(std::int64_t id, int attempts, const std::string& error);
    std::optional<UnixTime> nextOutboxAttempt();
    std::vector<OutboxRecord> listOutbox(const std::string& status);

private:
    struct QueuedRow {
        std::optional<long long> ticket;
        std::string kind, mail_from, recipients, message_id, raw_b64;
        long long next = 0, created = 0;
    };
    static QueuedRow rowOf(const OutboxRecord& mail);
    static std::int64_t insertRow(SociDatabase& db, const QueuedRow& row);

    soci::session& sql() { return db_.session(); }
    SociDatabase& db_;
    HeldRows<QueuedRow> queued_;
};

}  // namespace deskgate
