// The ticket database as the daemon uses it: one session (SociDatabase: transactions,
// savepoints) and the stores over it, by what they hold. One instance per thread.
//
//   SociStore store(parseDatabaseUrl("sqlite:desk.db"));
//   store.transaction([&] { auto t = store.tickets.ticketByNumber(1001); ... });
#pragma once

#include "storage/counter_store.hpp"
#include "storage/database.hpp"
#include "storage/intake_store.hpp"
#include "storage/lease_store.hpp"
#include "storage/outbox_store.hpp"
#include "storage/status_store.hpp"
#include "storage/ticket_store.hpp"

namespace deskgate {

class SociStore : public SociDatabase {
public:
    explicit SociStore(const DatabaseUrl& url)
        : SociDatabase(url), tickets(*this), intake(*this), outbox(*this), counters(*this), status(*this),
          leases(*this) {}

    TicketStore tickets;    // tickets, messages, events, customers
    IntakeStore intake;     // intake log, checkpoints, quarantine
    OutboxStore outbox;     // outgoing mail
    CounterStore counters;  // round robin, rule hits, rate-limit counters
    StatusStore status;     // the daemon's connections, summaries for `deskgate status`
    LeaseStore leases;      // which daemon watches which mailbox
};

}  // namespace deskgate
