#include "storage/status_store.hpp"

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"

namespace deskgate {

void StatusStore::saveService(const ServiceStatus& s) {
    guarded("saving the service status", [&] {
        int connected = s.connected ? 1 : 0;
        long long contact = s.last_contact_at.value_or(0), errorAt = s.last_error_at.value_or(0), updated = s.updated_at;
        soci::indicator contactInd = s.last_contact_at ? soci::i_ok : soci::i_null;
        soci::indicator errorInd = s.last_error_at ? soci::i_ok : soci::i_null;
        // ON CONFLICT … DO UPDATE: SQLite 3.24+ and PostgreSQL 9.5+ spell the upsert alike.
        sql() << "INSERT INTO service_status (kind, name, connected, last_contact_at, last_error, last_error_at,"
                 " updated_at, daemon) VALUES (:k, :n, :c, :lc, :le, :lea, :u, :d)"
                 " ON CONFLICT (kind, name) DO UPDATE SET connected = excluded.connected,"
                 " last_contact_at = excluded.last_contact_at, last_error = excluded.last_error,"
                 " last_error_at = excluded.last_error_at, updated_at = excluded.updated_at, daemon = excluded.daemon",
            soci::use(s.kind), soci::use(s.name), soci::use(connected), soci::use(contact, contactInd),
            soci::use(s.last_error), soci::use(errorAt, errorInd), soci::use(updated), soci::use(s.daemon);
        return 0;
    });
}

std::vector<ServiceStatus> StatusStore::services() {
    return guarded("reading the service status", [&] {
        std::vector<ServiceStatus> out;
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT kind, name, connected, last_contact_at, last_error, last_error_at, updated_at,"
                              " daemon FROM service_status ORDER BY kind, name");
        for (const auto& r : rows) {
            ServiceStatus s;
            s.kind = strAt(r, 0);
            s.name = strAt(r, 1);
            s.connected = intAt(r, 2) != 0;
            s.last_contact_at = optIntAt(r, 3);
            s.last_error = strAt(r, 4);
            s.last_error_at = optIntAt(r, 5);
            s.updated_at = intAt(r, 6);
            s.daemon = strAt(r, 7);
            out.push_back(std::move(s));
        }
        return out;
    });
}

OutboxSummary StatusStore::outboxSummary() {
    return guarded("summarising the outbox", [&] {
        OutboxSummary o;
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT status, COUNT(*), MIN(created_at) FROM outbox"
                              " WHERE status IN ('queued', 'failed') GROUP BY status");
        for (const auto& r : rows) {
            if (strAt(r, 0) == "queued") {
                o.queued = intAt(r, 1);
                o.oldest_queued_at = optIntAt(r, 2);
            } else {
                o.failed = intAt(r, 1);
            }
        }
        std::string error;
        soci::indicator ind = soci::i_ok;
        sql() << "SELECT last_error FROM outbox WHERE last_error <> '' AND status IN ('queued', 'failed')"
                 " ORDER BY id DESC LIMIT 1",
            soci::into(error, ind);
        if (sql().got_data() && ind == soci::i_ok) o.last_error = error;
        return o;
    });
}

std::int64_t StatusStore::quarantineCount() {
    return guarded("counting the quarantine", [&] {
        long long n = 0;
        sql() << "SELECT COUNT(*) FROM quarantine WHERE released_at IS NULL", soci::into(n);
        return static_cast<std::int64_t>(n);
    });
}

TicketSummary StatusStore::ticketSummary(UnixTime now, std::int64_t risk_window_seconds) {
    return guarded("summarising the tickets", [&] {
        TicketSummary t;
        long long n = now, horizon = now + risk_window_seconds;
        long long open = 0, breached = 0, atRisk = 0;
        sql() << "SELECT COUNT(*) FROM tickets WHERE status IN ('new', 'open', 'pending')", soci::into(open);
        // Pending tickets wait for the customer: their SLA clock stands still.
        const std::string active = "status IN ('new', 'open')";
        const std::string passed = "((first_response_at IS NULL AND first_response_due IS NOT NULL AND"
                                   " first_response_due <= :n1) OR (resolution_due IS NOT NULL AND resolution_due <= :n2))";
        sql() << "SELECT COUNT(*) FROM tickets WHERE " + active + " AND " + passed, soci::use(n), soci::use(n),
            soci::into(breached);
        sql() << "SELECT COUNT(*) FROM tickets WHERE " + active + " AND NOT " + passed +
                     " AND ((first_response_at IS NULL AND first_response_due IS NOT NULL AND first_response_due <= :h1)"
                     " OR (resolution_due IS NOT NULL AND resolution_due <= :h2))",
            soci::use(n), soci::use(n), soci::use(horizon), soci::use(horizon), soci::into(atRisk);
        t.open = open;
        t.breached = breached;
        t.at_risk = atRisk;
        return t;
    });
}

}  // namespace deskgate
