// Watches one IMAP mailbox: IDLE where the server has it, polling otherwise; fetches new
// mail by UID in batches bounded by count and bytes, takes each batch in with one database
// transaction (mail, tickets, events, outgoing mail and the checkpoint together), and only then
// flags or moves it.
//
// A session is one connection, from login to the first failure; run() starts the next one after
// a growing pause. Its steps are separate functions (open, startingPoint, finishHandled,
// takeInNew, waitForMail), so that a lease or metrics can be put around them.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/imap/curl_imap_client.hpp"
#include "daemon/imap/fetch_plan.hpp"
#include "daemon/monitor.hpp"
#include "daemon/runtime.hpp"
#include "storage/store.hpp"

namespace deskgate {

struct WatcherDeps {
    std::function<std::shared_ptr<const Runtime>()> runtime;  // current configuration
    SociStore* store = nullptr;                               // the loop thread's session
    std::function<void()> mail_queued;                        // wakes the outbox worker
    std::function<UnixTime()> now;
    Monitor* monitor = nullptr;                               // metrics, status, readiness; may be null
    // Called first inside each batch's transaction: the mailbox lease's fence (mailbox_lease.hpp),
    // which throws when another daemon has taken the mailbox over. Optional.
    std::function<void()> in_batch;
};

// The connection settings of a mailbox; bodies above `max_size` (limits.max_size) are never
// fetched, so a literal well beyond it is not an answer to us. Also used by `check --connect`.
ImapSettings imapSettingsFor(const MailboxConfig& mb, std::size_t max_size);

class MailboxWatcher {
public:
    MailboxWatcher(boost::asio::io_context& io, MailboxConfig mailbox, WatcherDeps deps);

    boost::asio::awaitable<void> run();
    void stop();

    std::uint64_t taken_in() const { return taken_in_; }

    // UIDs per UID SEARCH / RFC822.SIZE window: the answers stay far below the parser's line cap
    // (1 MiB) whatever the folder holds.
    static constexpr std::uint64_t kUidWindow = 10000;

private:
    // Where intake stands in the selected folder: the checkpoint, and (first_start: all) the
    // highest UID that is imported quietly.
    struct Position {
        std::uint64_t uidvalidity = 0;
        std::uint64_t last_uid = 0;
        std::uint64_t import_until = 0;
        std::uint64_t first_uid = 0;  // mail below it was in the folder before intake began
    };

    boost::asio::awaitable<void> session();
    // Connects, logs in, resolves the folder names against the server's namespace, makes the
    // move_to folder when it is missing, selects the folder.
    boost::asio::awaitable<SelectInfo> open();
    // move_to on the server: there already, or made now. A real failure is logged once per
    // mailbox and intake flags instead (never blocks intake); each new session tries again.
    boost::asio::awaitable<void> prepareMoveFolder(const std::string& separator);
    // The checkpoint; on the very first start, what `first_start` says (saved at once).
    boost::asio::awaitable<Position> startingPoint(const SelectInfo& info);
    // After a crash between commit and flagging, mail up to the checkpoint may still look new
    // on the server: it is in the database already, so only the flag/move is repeated.
    boost::asio::awaitable<void> finishHandled();
    // The lowest UID that arrived on or after `date` (IMAP SEARCH SINCE), 0 if none.
    boost::asio::awaitable<std::uint64_t> firstUidSince(const std::string& date, std::uint64_t highest);
    // UIDs up to the checkpoint that are still unseen (flag) or still in the folder (move).
    boost::asio::awaitable<std::vector<std::uint64_t>> notYetHandled();
    // Everything above the checkpoint up to the highest UID, window by window, batch by batch.
    boost::asio::awaitable<void> takeInNew();
    boost::asio::awaitable<void> takeInBatch(const FetchBatch& batch);
    // What the server gave for one batch: bodies, why some could not be fetched, the headers
    // of mail above limits.max_size.
    struct BatchContent {
        FetchedBodies fetched;
        std::map<std::uint64_t, std::string> failed;   // uid -> the server's refusal
        std::map<std::uint64_t, std::string> headers;  // oversized uid -> its header
        const ImapFetch* bodyOf(std::uint64_t uid) const;
        void merge(std::uint64_t uid, FetchedBodies one);  // a retry of one UID
    };
    boost::asio::awaitable<BatchContent> fetchBatch(const FetchBatch& batch);
    // One transaction: every mail of the batch (taken in, quarantined or passed over) and the
    // checkpoint. Returns the UIDs to flag or move.
    struct Outcome {
        std::string outcome, reason;
        double seconds;
    };
    std::vector<std::uint64_t> commitBatch(const FetchBatch& batch, BatchContent& content, int& queued,
                                           std::vector<Outcome>& outcomes);
    // Flags or moves mail that is committed. A refused MOVE falls back to flagging.
    boost::asio::awaitable<void> afterIngest(const std::vector<std::uint64_t>& uids);
    // IDLE, or a sleep of poll_interval. False when stopping.
    boost::asio::awaitable<bool> waitForMail();
    boost::asio::awaitable<bool> sleepFor(std::chrono::milliseconds d);
    void saveCheckpoint(std::uint64_t last_uid);
    Monitor& monitor() { return deps_.monitor ? *deps_.monitor : quiet_; }

    boost::asio::io_context& io_;
    MailboxConfig mailbox_;
    WatcherDeps deps_;
    CurlImapClient client_;
    boost::asio::steady_timer timer_;
    Position pos_;
    bool stopping_ = false;
    bool move_refused_logged_ = false;  // a refused MOVE is logged once, until one works again
    bool unfinished_ = false;  // finishHandled() left mail behind: it runs again after the next batch
    // The server's names (modified UTF-7, with the personal prefix) of `folder` and `move_to`.
    std::string folder_, move_to_;
    std::string names_logged_;           // the names last logged, so a reconnect does not repeat them
    bool move_folder_missing_ = false;   // move_to could not be made: flag instead of moving
    bool move_folder_error_logged_ = false;
    bool no_expunge_logged_ = false;     // neither MOVE nor UIDPLUS: told once
    std::uint64_t taken_in_ = 0;
    Monitor quiet_;  // tells nobody, when no monitor is given
};

}  // namespace deskgate
