// Tickets, their messages and events, and customers (SOCI, on a SociDatabase session). Every
// SOCI error leaving here is a StorageError or StorageUnavailable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/held_rows.hpp"
#include "storage/records.hpp"

namespace deskgate {

class TicketStore {
public:
    explicit TicketStore(SociDatabase& db);

    std::optional<TicketRecord> ticketByNumber(std::int64_t number);
    std::optional<TicketRecord> ticketById(std::int64_t id);
    // The ticket, read for an update: locked until the transaction ends (PostgreSQL: FOR
    // UPDATE), so no other session changes it meanwhile. With `skip_locked`, none when another
    // session holds it (SKIP LOCKED: the caller looks again later).
    std::optional<TicketRecord> lockTicket(std::int64_t id, bool skip_locked = false);
    // Takes the next number from the database counter and inserts; fills id and number.
    TicketRecord createTicket(TicketRecord ticket);
    // Takes the ticket-number counter's lock now, until the commit (PostgreSQL; SQLite's write
    // transaction is exclusive anyway), with the read the numbers of this transaction count on
    // from. An intake batch that takes it first takes every other lock after it, so the batches
    // of several daemons wait for each other in turn instead of deadlocking (customer rows, team
    // positions, the counter in different orders).
    void lockTicketNumbers();
    // Writes the ticket and counts its version up. Throws StorageConflict when the stored
    // version is not `ticket.version` (another session changed it since it was read): a change
    // is never overwritten; the caller's transaction is rolled back and run again.
    void updateTicket(TicketRecord& ticket);
    // Tickets escalation and auto-close look at: not resolved/closed, with an SLA or pending.
    std::vector<TicketRecord> activeTickets();
    std::vector<TicketRecord> listTickets(const std::string& status_filter = "", int limit = 1000);
    std::int64_t countTickets();

    // Inside a transaction the message is held back and written with the others (the mail's
    // savepoint, or the batch's end: one statement on PostgreSQL); the reads below see it, with
    // id 0 until then. A Message-ID already stored fails there (StorageDuplicateKey).
    void addMessage(const MessageRecord& message);
    std::vector<MessageRecord> messagesOf(std::int64_t ticket_id, bool with_raw = false);
    // A ticket that holds a message (received or sent) with this Message-ID.
    std::optional<std::int64_t> ticketIdByMessageId(const std::string& message_id);
    // What is known of the message with this Message-ID, to tell a repeat from a reused id.
    std::optional<MessageFingerprint> fingerprintOf(const std::string& message_id);

    // The customer's side besides the customer, one row per address (compared exactly).
    // addParticipant is true when the address was new on the ticket.
    bool addParticipant(std::int64_t ticket_id, const std::string& address, const std::string& added_by, UnixTime at);
    bool removeParticipant(std::int64_t ticket_id, const std::string& address);
    std::vector<std::string> participantsOf(std::int64_t ticket_id);
    // Addresses a server refused for good for this ticket: not tried again for it.
    void refuseAddress(std::int64_t ticket_id, const std::string& address, const std::string& reason, UnixTime at);
    std::vector<std::string> refusedAddresses(std::int64_t ticket_id);

    // In a transaction, events are written together at the end of the mail (the release of its
    // savepoint) or just before the commit (DeferredRows);
    // eventsOf() includes those not written yet (id 0, after the stored ones).
    void addEvent(const EventRecord& event);
    std::vector<EventRecord> eventsOf(std::int64_t ticket_id);

    // Creates or updates the customer; an empty name or language keeps the stored one.
    void upsertCustomer(const std::string& address, const std::string& name, const std::string& language, UnixTime at);
    // The language a customer's earlier tickets were answered in ("" if none yet).
    std::string customerLanguage(const std::string& address);

private:
    // Ticket numbers given in a transaction: the counter is read (and locked) once, the numbers
    // counted on from it, and the counter written once when they are written (the mail's
    // savepoint released, or the commit); numbers taken after a savepoint rolled back to are
    // given again. Outside a transaction each number is one UPDATE ... RETURNING.
    class TicketNumbers : public DeferredRows {
    public:
        explicit TicketNumbers(SociDatabase& db) : db_(db) {}
        void lock();  // in a transaction: the counter read (and locked), unless it was already
        std::int64_t next();
        std::size_t pending() const override { return taken_.size(); }
        void write() override;
        void dropFrom(std::size_t n) override;

    private:
        SociDatabase& db_;
        std::optional<std::int64_t> base_;  // the counter as read in this transaction
        std::vector<std::int64_t> taken_;
    };
    soci::session& sql() { return db_.session(); }
    SociDatabase& db_;
    HeldRows<EventRecord> events_;
    struct CustomerRow {
        std::string address, name, language;
        UnixTime at = 0;
    };
    static void writeCustomers(SociDatabase& db, const std::vector<CustomerRow>& rows);
    HeldRows<CustomerRow> customers_;  // upserts of a transaction, written together
    static void writeMessages(SociDatabase& db, const std::vector<MessageRecord>& rows);
    const MessageRecord* heldMessage(const std::string& message_id) const;
    HeldRows<MessageRecord> messages_;
    TicketNumbers numbers_;
    // The tickets made in this transaction and the participants added to them (written at
    // once; known here until the mail's savepoint is released or the commit), so that their
    // participants need no query. Remembered only: the rows are in their tables already.
    struct AddedParticipant {
        std::int64_t ticket_id = 0;
        UnixTime at = 0;
        std::string address;
    };
    bool createdHere(std::int64_t ticket_id) const;
    HeldRows<std::int64_t> created_here_;
    HeldRows<AddedParticipant> added_here_;
};

}  // namespace deskgate
