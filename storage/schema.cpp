#include "storage/schema.hpp"

#include "storage/database.hpp"
#include "storage/soci_rows.hpp"

#include <string>
#include <vector>

#include <soci/soci.h>

namespace deskgate {

namespace {

// `{id}` becomes the backend's auto-increment primary key. Times are unix seconds (BIGINT);
// raw mail bytes are base64 text so both backends store any byte sequence unchanged.
const std::vector<std::vector<std::string>> kMigrations = {
    // 1: the ticket store
    {
        "CREATE TABLE counters (name VARCHAR(64) PRIMARY KEY, value BIGINT NOT NULL)",
        "INSERT INTO counters (name, value) VALUES ('ticket_number', 1000)",
        "CREATE TABLE customers (id {id}, address VARCHAR(320) NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',"
        " language VARCHAR(16) NOT NULL DEFAULT '', created_at BIGINT NOT NULL)",
        "CREATE TABLE tickets (id {id}, number BIGINT NOT NULL UNIQUE, subject TEXT NOT NULL,"
        " status VARCHAR(16) NOT NULL, priority VARCHAR(16) NOT NULL, queue VARCHAR(128) NOT NULL,"
        " team VARCHAR(128) NOT NULL DEFAULT '', category VARCHAR(128) NOT NULL DEFAULT '',"
        " tags TEXT NOT NULL DEFAULT '', sla VARCHAR(128) NOT NULL DEFAULT '',"
        " customer_address VARCHAR(320) NOT NULL, customer_name TEXT NOT NULL DEFAULT '',"
        " assignee VARCHAR(128) NOT NULL DEFAULT '', language VARCHAR(16) NOT NULL DEFAULT '',"
        " mailbox VARCHAR(128) NOT NULL DEFAULT '', created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
        " first_response_at BIGINT, resolved_at BIGINT, closed_at BIGINT)",
        "CREATE INDEX tickets_status ON tickets (status)",
        "CREATE INDEX tickets_created ON tickets (created_at)",
        "CREATE INDEX tickets_customer ON tickets (customer_address)",
        "CREATE TABLE messages (id {id}, ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
        " direction VARCHAR(3) NOT NULL, author VARCHAR(200) NOT NULL, message_id VARCHAR(998) UNIQUE,"
        " in_reply_to TEXT NOT NULL DEFAULT '', refs TEXT NOT NULL DEFAULT '',"
        " from_address VARCHAR(320) NOT NULL DEFAULT '', from_name TEXT NOT NULL DEFAULT '',"
        " to_addrs TEXT NOT NULL DEFAULT '', cc_addrs TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL DEFAULT '',"
        " body TEXT NOT NULL DEFAULT '', raw_b64 TEXT NOT NULL DEFAULT '', kind VARCHAR(32) NOT NULL DEFAULT 'normal',"
        " mailbox VARCHAR(128) NOT NULL DEFAULT '', created_at BIGINT NOT NULL)",
        "CREATE INDEX messages_ticket ON messages (ticket_id)",
        "CREATE TABLE events (id {id}, ticket_id BIGINT NOT NULL REFERENCES tickets(id), at BIGINT NOT NULL,"
        " actor VARCHAR(400) NOT NULL, type VARCHAR(64) NOT NULL, detail TEXT NOT NULL DEFAULT '')",
        "CREATE INDEX events_ticket ON events (ticket_id)",
        "CREATE TABLE outbox (id {id}, ticket_id BIGINT, kind VARCHAR(64) NOT NULL, mail_from VARCHAR(320) NOT NULL,"
        " recipients TEXT NOT NULL, message_id VARCHAR(998) NOT NULL, raw TEXT NOT NULL,"
        " status VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL,"
        " locked_until BIGINT NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,"
        " sent_at BIGINT)",
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
        "CREATE TABLE mailbox_checkpoints (mailbox VARCHAR(128) PRIMARY KEY, uidvalidity BIGINT NOT NULL,"
        " last_uid BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
        // One row per mail taken in: the key that makes intake exactly-once in effect.
        "CREATE TABLE intake_log (id {id}, mailbox VARCHAR(128) NOT NULL, uidvalidity BIGINT NOT NULL,"
        " uid BIGINT NOT NULL, message_id VARCHAR(998) NOT NULL DEFAULT '', outcome VARCHAR(32) NOT NULL,"
        " ticket_id BIGINT, at BIGINT NOT NULL)",
        "CREATE UNIQUE INDEX intake_log_uid ON intake_log (mailbox, uidvalidity, uid) WHERE uid > 0",
        "CREATE INDEX intake_log_msgid ON intake_log (message_id)",
        "CREATE TABLE quarantine (id {id}, mailbox VARCHAR(128) NOT NULL, uidvalidity BIGINT NOT NULL,"
        " uid BIGINT NOT NULL, message_id VARCHAR(998) NOT NULL DEFAULT '', reason TEXT NOT NULL,"
        " raw_b64 TEXT NOT NULL, created_at BIGINT NOT NULL, released_at BIGINT)",
    },
    // 2: rules — SLA deadlines, fired escalation steps, round-robin position, rule hit counts
    {
        "ALTER TABLE tickets ADD COLUMN first_response_due BIGINT",
        "ALTER TABLE tickets ADD COLUMN resolution_due BIGINT",
        "ALTER TABLE tickets ADD COLUMN escalations TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE assignment_state (team VARCHAR(128) PRIMARY KEY, last_agent VARCHAR(128) NOT NULL)",
        "CREATE TABLE rule_hits (rule VARCHAR(400) PRIMARY KEY, hits BIGINT NOT NULL)",
        "CREATE INDEX tickets_assignee ON tickets (assignee, status)",
    },
    // 3: working by mail — ratings, reopen count, the ticket a new one follows, per-address limits
    {
        "ALTER TABLE tickets ADD COLUMN rating INTEGER",
        "ALTER TABLE tickets ADD COLUMN rating_comment TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE tickets ADD COLUMN rated_at BIGINT",
        "ALTER TABLE tickets ADD COLUMN rating_requested_at BIGINT",
        "ALTER TABLE tickets ADD COLUMN reopened_count INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tickets ADD COLUMN follows_number BIGINT",
        "CREATE TABLE address_usage (address VARCHAR(320) NOT NULL, what VARCHAR(32) NOT NULL,"
        " window_start BIGINT NOT NULL, uses INTEGER NOT NULL, PRIMARY KEY (address, what, window_start))",
    },
    // 4: reports — indexes for the period filters of `deskgate report`, and the scheduled
    // reports' last due time (so each is mailed once per due time, across restarts)
    {
        "CREATE INDEX tickets_queue_created ON tickets (queue, created_at)",
        "CREATE INDEX tickets_resolved ON tickets (resolved_at)",
        "CREATE INDEX tickets_closed ON tickets (closed_at)",
        "CREATE INDEX tickets_rating_requested ON tickets (rating_requested_at)",
        "CREATE INDEX tickets_first_response_due ON tickets (first_response_due)",
        "CREATE INDEX tickets_resolution_due ON tickets (resolution_due)",
        // Covers the report's message counts (replies by author, customer mail per time, bounces).
        "CREATE INDEX messages_report ON messages (kind, direction, author, created_at, ticket_id)",
        "CREATE INDEX events_type_at ON events (type, at)",
        "CREATE INDEX quarantine_created ON quarantine (created_at)",
        "CREATE TABLE report_runs (name VARCHAR(200) PRIMARY KEY, last_due BIGINT NOT NULL, queued_at BIGINT NOT NULL)",
    },
    // 5: the intake log says why (duplicate of what, quarantined for what), for `deskgate intake log`
    {
        "ALTER TABLE intake_log ADD COLUMN detail TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX intake_log_at ON intake_log (at)",
    },
    // 6: trust — participants as rows (one address each, compared exactly), addresses refused
    // for a ticket, the answer address of a ticket, the secret behind agents' reply keys, and a
    // hash of each received body (a reused Message-ID is a duplicate only with the same body)
    {
        "CREATE TABLE participants (ticket_id BIGINT NOT NULL REFERENCES tickets(id), address VARCHAR(320) NOT NULL,"
        " added_by VARCHAR(400) NOT NULL, added_at BIGINT NOT NULL, PRIMARY KEY (ticket_id, address))",
        "CREATE TABLE refused_addresses (ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
        " address VARCHAR(320) NOT NULL, reason TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (ticket_id, address))",
        "ALTER TABLE tickets ADD COLUMN reply_address VARCHAR(320) NOT NULL DEFAULT ''",
        "CREATE TABLE secrets (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL, created_at BIGINT NOT NULL)",
        "ALTER TABLE messages ADD COLUMN body_sha256 VARCHAR(64) NOT NULL DEFAULT ''",
    },
    // 7: the daemon's view of its connections for `deskgate status`: one row per mailbox and one
    // for SMTP, written when a state changes (and the last contact at most every 30 s)
    {
        "CREATE TABLE service_status (kind VARCHAR(16) NOT NULL, name VARCHAR(128) NOT NULL,"
        " connected INTEGER NOT NULL DEFAULT 0, last_contact_at BIGINT, last_error TEXT NOT NULL DEFAULT '',"
        " last_error_at BIGINT, updated_at BIGINT NOT NULL, daemon VARCHAR(200) NOT NULL DEFAULT '',"
        " PRIMARY KEY (kind, name))",
    },
    // 8: intake that never stalls (issue 12) — the end of a first_start: all import, and the
    // lowest UID intake owns (first_start new_only/since: older mail is never flagged or moved)
    {
        "ALTER TABLE mailbox_checkpoints ADD COLUMN import_until BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE mailbox_checkpoints ADD COLUMN first_uid BIGINT NOT NULL DEFAULT 0",
    },
    // 9: several daemons on one database — leases (a mailbox is watched by one daemon at a time;
    // times are the database's clock), a version per ticket (a change made meanwhile by another
    // session is never overwritten), and who claimed an outgoing mail
    {
        "CREATE TABLE leases (name VARCHAR(200) PRIMARY KEY, holder VARCHAR(200) NOT NULL,"
        " expires_at BIGINT NOT NULL, acquired_at BIGINT NOT NULL)",
        "ALTER TABLE tickets ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE outbox ADD COLUMN claimed_by VARCHAR(200) NOT NULL DEFAULT ''",
    },
    // 10: outgoing mail's bytes as base64 like every other raw mail (encodeOutboxRaw): an agent's
    // notification carries the customer's Latin-1 8bit original, which PostgreSQL's text refused
    {},
    // 11: PostgreSQL compresses the stored mail (raw, body) with lz4 instead of pglz, which took
    // a fifth of the intake session's CPU in the profile (compressLargeColumns)
    {},
    // 12: the outbox's queue in id order with what a claim filters on, in the index: the claim
    // (ORDER BY id LIMIT 10) sorted every due row and SQLite read each whole row (the mail's
    // bytes lie before locked_until), which made each claim cost as much as the whole queue
    {
        "DROP INDEX IF EXISTS outbox_due",
        "CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (status, id, next_attempt_at, locked_until)",
    },
};

// Migration 6 made participants rows; the tickets before it had them only as the To/Cc lists of
// the customer's own mails, which become rows here (the customer's address excepted).
// Migration 10: the outbox rows written before it hold the mail's bytes as they are.
void encodeOutboxRaw(soci::session& sql) {
    std::vector<std::pair<long long, std::string>> rows;
    soci::rowset<soci::row> found = (sql.prepare << "SELECT id, raw FROM outbox ORDER BY id");
    for (const auto& r : found) rows.emplace_back(intAt(r, 0), strAt(r, 1));
    for (auto& [id, raw] : rows) {
        std::string encoded = encodeRaw(raw);
        sql << "UPDATE outbox SET raw = :r WHERE id = :i", soci::use(encoded), soci::use(id);
    }
}

// Migration 11, PostgreSQL only (SQLite compresses nothing). A server built without lz4 keeps
// pglz (feature_not_supported).
void compressLargeColumns(soci::session& sql) {
    sql << "DO $$ BEGIN"
           " ALTER TABLE messages ALTER COLUMN raw_b64 SET COMPRESSION lz4;"
           " ALTER TABLE messages ALTER COLUMN body SET COMPRESSION lz4;"
           " ALTER TABLE outbox ALTER COLUMN raw SET COMPRESSION lz4;"
           " EXCEPTION WHEN feature_not_supported THEN NULL; END $$";
}

void backfillParticipants(soci::session& sql) {
    struct Row {
        long long ticket;
        std::string customer, lists;
    };
    std::vector<Row> rows;
    soci::rowset<soci::row> found =
        sql.prepare << "SELECT m.ticket_id, t.customer_address, m.to_addrs || ',' || m.cc_addrs, m.created_at"
                       " FROM messages m JOIN tickets t ON t.id = m.ticket_id"
                       " WHERE m.direction = 'in' AND m.author = 'customer' ORDER BY m.id";
    for (const auto& r : found) rows.push_back({intAt(r, 0), strAt(r, 1), strAt(r, 2)});
    for (const auto& row : rows) {
        std::size_t from = 0;
        while (from < row.lists.size()) {
            auto comma = row.lists.find(',', from);
            if (comma == std::string::npos) comma = row.lists.size();
            std::string address = row.lists.substr(from, comma - from);
            from = comma + 1;
            if (address.empty() || address == row.customer) continue;
            long long at = 0;
            sql << "INSERT INTO participants (ticket_id, address, added_by, added_at) VALUES (:t, :a, 'migration', :at)"
                   " ON CONFLICT (ticket_id, address) DO NOTHING",
                soci::use(row.ticket), soci::use(address), soci::use(at);
        }
    }
}

std::string expand(std::string sql, Backend backend) {
    const std::string id = backend == Backend::sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
    for (auto pos = sql.find("{id}"); pos != std::string::npos; pos = sql.find("{id}", pos)) sql.replace(pos, 4, id);
    return sql;
}

}  // namespace

int latestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

int migrate(soci::session& sql, Backend backend) {
    int exists = 0;
    if (backend == Backend::sqlite)
        sql << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", soci::into(exists);
    else
        sql << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
               " AND table_name = 'schema_version'",
            soci::into(exists);
    if (exists == 0) {
        try {
            sql << "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";
        } catch (const soci::soci_error&) {
            // Another daemon created it at the same moment; the lock below orders the rest.
        }
    }
    // Several daemons may start at once on PostgreSQL: one migrates, the others wait on the lock.
    beginWriteTransaction(sql, backend);
    try {
        if (backend == Backend::postgresql) sql << "LOCK TABLE schema_version IN EXCLUSIVE MODE";
        int current = 0;
        soci::indicator ind = soci::i_ok;
        sql << "SELECT MAX(version) FROM schema_version", soci::into(current, ind);
        if (ind == soci::i_null) current = 0;
        for (int v = current; v < latestSchemaVersion(); ++v) {
            for (const auto& statement : kMigrations[static_cast<std::size_t>(v)]) sql << expand(statement, backend);
            if (v + 1 == 6) backfillParticipants(sql);
            if (v + 1 == 10) encodeOutboxRaw(sql);
            if (v + 1 == 11 && backend == Backend::postgresql) compressLargeColumns(sql);
            int version = v + 1;
            long long now = static_cast<long long>(std::time(nullptr));
            sql << "INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)", soci::use(version),
                soci::use(now);
        }
        sql.commit();
    } catch (...) {
        try {
            sql.rollback();
        } catch (...) {  // the connection may be gone
        }
        throw;
    }
    return latestSchemaVersion();
}

}  // namespace deskgate
