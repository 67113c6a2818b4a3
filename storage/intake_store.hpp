// What intake records besides tickets: the intake log (one row per mail taken in, the key of
// exactly-once intake), mailbox checkpoints, and the quarantine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/held_rows.hpp"
#include "storage/records.hpp"

namespace deskgate {

class IntakeStore {
public:
    explicit IntakeStore(SociDatabase& db);

    // The outcome recorded for a mail already taken in from this mailbox/UID, if any.
    std::optional<std::string> intakeOutcome(const MailOrigin& origin);
    // The same for UIDs `first` to `last` at once: uid -> outcome of those taken in.
    std::map<std::int64_t, std::string> intakeOutcomes(const std::string& mailbox, std::int64_t uidvalidity,
                                                       std::int64_t first, std::int64_t last);
    void recordIntake(const MailOrigin& origin, const std::string& message_id, const std::string& outcome,
                      std::optional<std::int64_t> ticket_id, UnixTime at, const std::string& detail = "");
    // The log, newest first; empty filters match everything.
    std::vector<IntakeLogRecord> intakeLog(const std::string& mailbox, const std::string& outcome, int limit);
    // Was a mail with this Message-ID taken in before (stored, or logged other than quarantined)?
    bool hasMessageId(const std::string& message_id);

    std::optional<Checkpoint> checkpoint(const std::string& mailbox);
    void saveCheckpoint(const Checkpoint& checkpoint, UnixTime at);

    std::int64_t quarantine(const QuarantineRecord& record);
    std::vector<QuarantineRecord> listQuarantine(bool with_raw = false);  // not yet released
    std::optional<QuarantineRecord> quarantined(std::int64_t id);          // with raw bytes
    void releaseQuarantine(std::int64_t id, UnixTime at);

private:
    struct LogRow {
        MailOrigin origin;
        std::string message_id, outcome;
        std::optional<std::int64_t> ticket_id;
        UnixTime at = 0;
        std::string detail;
    };
    static void insertRow(SociDatabase& db, const LogRow& row);

    soci::session& sql() { return db_.session(); }
    SociDatabase& db_;
    HeldRows<LogRow> logged_;  // the intake log of a transaction (of an intake batch), written together
};

}  // namespace deskgate
