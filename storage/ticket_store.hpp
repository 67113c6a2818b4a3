// The ticket database over SOCI (SQLite or PostgreSQL). One instance = one session; use one
// per thread. Every SOCI error leaving here is a StorageError or StorageUnavailable.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/records.hpp"

namespace deskgate {

class SociTicketStore {
public:
    explicit SociTicketStore(const DatabaseUrl& url);  // opens and migrates
    ~SociTicketStore();
    SociTicketStore(const SociTicketStore&) = delete;
    SociTicketStore& operator=(const SociTicketStore&) = delete;

    Backend backend() const { return url_.backend; }
    const DatabaseUrl& url() const { return url_; }

    // Runs `work` in one transaction: committed when it returns, rolled back when it throws.
    void transaction(const std::function<void()>& work);

    // Savepoints inside transaction(): one mail's failure must not spoil its batch (on
    // PostgreSQL any error aborts the whole transaction unless rolled back to a savepoint).
    void savepoint(const std::string& name);
    void releaseSavepoint(const std::string& name);
    void rollbackToSavepoint(const std::string& name);

    // --- intake -------------------------------------------------------------------------
    // The outcome recorded for a mail already taken in from this mailbox/UID, if any.
    std::optional<std::string> intakeOutcome(const MailOrigin& origin);
    void recordIntake(const MailOrigin& origin, const std::string& message_id, const std::string& outcome,
                      std::optional<std::int64_t> ticket_id, UnixTime at);
    // A ticket that holds a message (received or sent) with this Message-ID.
    std::optional<std::int64_t> ticketIdByMessageId(const std::string& message_id);
    bool hasMessageId(const std::string& message_id);
    // Has `address` written on, or been addressed (To/Cc) by, any message of the customer's
    // side of the ticket (the customer's mail and what deskgate sent to the customer)?
    bool isParticipant(std::int64_t ticket_id, const std::string& address);
    std::optional<TicketRecord> ticketByNumber(std::int64_t number);
    std::optional<TicketRecord> ticketById(std::int64_t id);
    // Takes the next number from the database counter and inserts; fills id and number.
    TicketRecord createTicket(TicketRecord ticket);
    void updateTicket(const TicketRecord& ticket);
    std::int64_t addMessage(const MessageRecord& message);
    void addEvent(const EventRecord& event);
    // Creates or updates the customer; an empty name or language keeps the stored one.
    void upsertCustomer(const std::string& address, const std::string& name, const std::string& language, UnixTime at);
    // The language a customer's earlier tickets were answered in ("" if none yet).
    std::string customerLanguage(const std::string& address);
    // Per-address counters for rate limits: uses of `what` by `address` in the window that
    // starts at `window_start`; countUsage adds one and returns the new count.
    std::int64_t usage(const std::string& address, const std::string& what, UnixTime window_start);
    std::int64_t countUsage(const std::string& address, const std::string& what, UnixTime window_start);
    std::int64_t quarantine(const QuarantineRecord& record);
    std::optional<Checkpoint> checkpoint(const std::string& mailbox);
    void saveCheckpoint(const Checkpoint& checkpoint, UnixTime at);

    // --- rules ----------------------------------------------------------------------------
    std::optional<std::string> lastAssigned(const std::string& team);
    void saveLastAssigned(const std::string& team, const std::string& agent);
    std::map<std::string, std::int64_t, std::less<>> openTicketsByAssignee();
    void addRuleHit(const std::string& rule);
    std::vector<std::pair<std::string, std::int64_t>> ruleHits();
    // Tickets escalation and auto-close look at: not resolved/closed, with an SLA or pending.
    std::vector<TicketRecord> activeTickets();

    // --- outbox -------------------------------------------------------------------------
    std::int64_t queueMail(const OutboxRecord& mail);
    // Claims up to `limit` due mails for `lease` seconds (other workers skip them meanwhile).
    std::vector<OutboxRecord> claimDueMail(UnixTime now, int limit, int lease_seconds = 300);
    void markSent(std::int64_t id, UnixTime at);
    void markRetry(std::int64_t id, int attempts, UnixTime next_attempt, const std::string& error);
    void markFailed(std::int64_t id, int attempts, const std::string& error);
    std::optional<UnixTime> nextOutboxAttempt();
    std::vector<OutboxRecord> listOutbox(const std::string& status);

    // --- reading ------------------------------------------------------------------------
    std::vector<TicketRecord> listTickets(const std::string& status_filter = "", int limit = 1000);
    std::vector<MessageRecord> messagesOf(std::int64_t ticket_id, bool with_raw = false);
    std::vector<EventRecord> eventsOf(std::int64_t ticket_id);
    std::vector<QuarantineRecord> listQuarantine(bool with_raw = false);  // not yet released
    std::optional<QuarantineRecord> quarantined(std::int64_t id);          // with raw bytes
    void releaseQuarantine(std::int64_t id, UnixTime at);
    std::int64_t countTickets();

    soci::session& session() { return *sql_; }

private:
    template <typename F>
    auto guarded(const char* what, F&& f) -> decltype(f());

    DatabaseUrl url_;
    std::unique_ptr<soci::session> sql_;
    int depth_ = 0;  // nesting of transaction()
};

// base64 for raw mail bytes in text columns.
std::string encodeRaw(const std::string& bytes);
std::string decodeRaw(const std::string& b64);

}  // namespace deskgate
