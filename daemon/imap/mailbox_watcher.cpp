#include "daemon/imap/mailbox_watcher.hpp"

#include "daemon/logging.hpp"

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <optional>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/desk/intake.hpp"
#include "daemon/imap/folder_names.hpp"

namespace deskgate {

namespace asio = boost::asio;

namespace {

std::shared_ptr<spdlog::logger> imapLog() { return componentLog("imap"); }

// A batch's transaction longer than this is said in the log (a warning).
constexpr double kSlowCommitSeconds = 5.0;

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}


// RFC 3501 §9 date for SEARCH SINCE: "24-Nov-2026" (UTC; SINCE compares dates, not times).
std::string imapDate(UnixTime t) {
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return std::to_string(tm.tm_mday) + "-" + kMonths[tm.tm_mon] + "-" + std::to_string(tm.tm_year + 1900);
}

}  // namespace

ImapSettings imapSettingsFor(const MailboxConfig& mb, std::size_t max_size) {
    ImapSettings s;
    s.name = mb.name;
    s.url = mb.url;
    s.username = mb.username;
    s.password = mb.password;
    s.ca_file = mb.ca_file;
    s.starttls = mb.starttls;
    s.connect_timeout = mb.connect_timeout;
    s.read_timeout = mb.read_timeout;
    // Bodies above limits.max_size are never fetched; a literal beyond it is not an answer to us.
    s.max_literal = max_size + (1u << 20);
    return s;
}

MailboxWatcher::MailboxWatcher(asio::io_context& io, MailboxConfig mailbox, WatcherDeps deps)
    : io_(io), mailbox_(std::move(mailbox)), deps_(std::move(deps)),
      client_(io, imapSettingsFor(mailbox_, deps_.runtime()->config.limits.max_size)), timer_(io) {}

void MailboxWatcher::stop() {
    stopping_ = true;
    timer_.cancel();
    client_.wake();
}

asio::awaitable<bool> MailboxWatcher::sleepFor(std::chrono::milliseconds d) {
    timer_.expires_after(d);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !stopping_;
}

asio::awaitable<void> MailboxWatcher::run() {
    auto backoff = std::chrono::milliseconds(1000);
    while (!stopping_) {
        try {
            co_await session();
            backoff = std::chrono::milliseconds(1000);
        } catch (const StorageConflict& e) {
            // Other sessions kept getting in the way (retried already): nothing is lost, the
            // batch is fetched and taken in again.
            imapLog()->warn("database conflict mailbox={} reason={}", mailbox_.name, e.what());
        } catch (const StorageUnavailable& e) {
            imapLog()->error("database unavailable mailbox={} reason={}", mailbox_.name, e.what());
            monitor().databaseError("imap", "unavailable");
            monitor().mailboxDown(mailbox_.name, std::string("database unavailable: ") + e.what());
        } catch (const StorageError& e) {
            imapLog()->error("database error mailbox={} reason={}", mailbox_.name, e.what());
            monitor().databaseError("imap", "error");
            monitor().mailboxDown(mailbox_.name, std::string("database error: ") + e.what());
        } catch (const std::exception& e) {
            if (!stopping_) {
                imapLog()->error("mailbox session failed mailbox={} reason={}", mailbox_.name, e.what());
                monitor().mailboxDown(mailbox_.name, e.what());
            }
        }
        client_.disconnect();
        if (stopping_) break;
        // One failing mailbox is retried with growing waits; it never stops the others.
        imapLog()->info("reconnecting mailbox={} in_ms={}", mailbox_.name, backoff.count());
        if (!co_await sleepFor(backoff)) break;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(60000));
    }
    client_.disconnect();
    monitor().mailboxStopped(mailbox_.name);
}

asio::awaitable<void> MailboxWatcher::session() {
    SelectInfo info = co_await open();
    pos_ = co_await startingPoint(info);
    imapLog()->info("watching mailbox={} folder={} uidvalidity={} last_uid={} idle={}", mailbox_.name, folder_,
                    info.uidvalidity, pos_.last_uid, client_.hasCapability("IDLE") && mailbox_.idle);
    monitor().mailboxConnected(mailbox_.name);
    co_await finishHandled();
    while (!stopping_) {
        co_await takeInNew();
        if (unfinished_) co_await finishHandled();
        if (stopping_ || !co_await waitForMail()) break;
    }
}

asio::awaitable<SelectInfo> MailboxWatcher::open() {
    co_await client_.connect();
    const auto ns = co_await discoverNamespace(client_);
    const bool moving = mailbox_.after_ingest == MailboxConfig::After::move;
    folder_ = serverFolderName(mailbox_.folder, ns.personal);
    move_to_ = moving ? serverFolderName(mailbox_.move_to, ns.personal) : std::string();
    // Which names are used, and why (Courier and Cyrus keep folders under "INBOX."): logged at
    // the first session and whenever they change.
    const std::string names = folder_ + "\n" + move_to_;
    if (names != names_logged_) {
        names_logged_ = names;
        imapLog()->info("folder names mailbox={} folder={} move_to={} configured_folder={} configured_move_to={} "
                        "prefix=\"{}\" separator=\"{}\" from={}",
                        mailbox_.name, folder_, moving ? move_to_ : "-", mailbox_.folder,
                        moving ? mailbox_.move_to : "-", ns.personal.prefix, ns.personal.separator, ns.source);
    }
    if (moving) co_await prepareMoveFolder(ns.personal.separator);
    co_return co_await client_.select(folder_);
}

asio::awaitable<void> MailboxWatcher::prepareMoveFolder(const std::string& separator) {
    std::optional<std::string> refusal;
    try {
        if (co_await ensureFolder(client_, move_to_, separator) == FolderMade::created)
            imapLog()->info("created folder mailbox={} folder={}", mailbox_.name, move_to_);
    } catch (const ImapRefused& e) {
        refusal = e.server_text;
    }
    if (refusal) {
        if (!move_folder_error_logged_)
            imapLog()->error("cannot make the move_to folder mailbox={} folder={} answer={}: mail is flagged \\Seen "
                             "instead of moved; create the folder on the server, or set move_to to a folder that "
                             "exists (deskgate check --connect lists what the server has)",
                             mailbox_.name, move_to_, *refusal);
        move_folder_error_logged_ = true;
        move_folder_missing_ = true;
        co_return;
    }
    if (move_folder_missing_) imapLog()->info("move_to folder usable again mailbox={} folder={}", mailbox_.name, move_to_);
    move_folder_missing_ = false;
    move_folder_error_logged_ = false;
    if (!client_.hasCapability("MOVE") && !client_.hasCapability("UIDPLUS") && !no_expunge_logged_) {
        // RFC 6851 §3.3 needs UID EXPUNGE (RFC 4315) to remove just our mail; a plain EXPUNGE
        // would also remove what other clients marked \Deleted.
        imapLog()->warn("server has neither MOVE nor UIDPLUS mailbox={} folder={}: mail is copied to {} and flagged "
                        "\\Deleted; it stays in {} until a client or the server expunges it",
                        mailbox_.name, folder_, move_to_, folder_);
        no_expunge_logged_ = true;
    }
}

void MailboxWatcher::saveCheckpoint(std::uint64_t last_uid) {
    deps_.store->intake.saveCheckpoint({mailbox_.name, static_cast<std::int64_t>(pos_.uidvalidity),
                                        static_cast<std::int64_t>(last_uid), static_cast<std::int64_t>(pos_.import_until),
                                        static_cast<std::int64_t>(pos_.first_uid)},
                                       deps_.now());
}

asio::awaitable<MailboxWatcher::Position> MailboxWatcher::startingPoint(const SelectInfo& info) {
    auto log = imapLog();
    Position pos;
    pos.uidvalidity = info.uidvalidity;
    auto cp = deps_.store->intake.checkpoint(mailbox_.name);
    if (cp && static_cast<std::uint64_t>(cp->uidvalidity) == info.uidvalidity) {
        pos.last_uid = static_cast<std::uint64_t>(cp->last_uid);
        pos.import_until = static_cast<std::uint64_t>(cp->import_until);
        pos.first_uid = static_cast<std::uint64_t>(cp->first_uid);
        co_return pos;
    }
    pos_ = pos;
    if (cp) {
        log->warn("UIDVALIDITY changed mailbox={} old={} new={}: reading the folder again; mail already taken in "
                  "is recognised by its Message-ID",
                  mailbox_.name, cp->uidvalidity, info.uidvalidity);
        saveCheckpoint(0);
        co_return pos;
    }
    // The very first start: what is in the folder already is the admin's choice (first_start).
    const std::uint64_t highest = co_await client_.highestUid();
    if (mailbox_.first_start == MailboxConfig::FirstStart::all) {
        pos.import_until = highest;
        log->info("first start mailbox={} first_start=all existing={}: importing existing mail up to uid={} as tickets, "
                  "without acknowledgements or notifications",
                  mailbox_.name, info.exists, highest);
    } else if (mailbox_.first_start == MailboxConfig::FirstStart::since) {
        const std::string date = imapDate(deps_.now() - mailbox_.first_start_since.count());
        const std::uint64_t first = co_await firstUidSince(date, highest);
        pos.last_uid = first > 0 ? first - 1 : highest;
        pos.first_uid = pos.last_uid + 1;
        log->info("first start mailbox={} first_start=since date={} existing={}: intake starts at uid={}", mailbox_.name,
                  date, info.exists, pos.last_uid + 1);
    } else {
        pos.last_uid = std::max(highest, info.uidnext > 0 ? info.uidnext - 1 : 0);
        pos.first_uid = pos.last_uid + 1;
        log->info("first start mailbox={} first_start=new_only existing={}: existing mail is left alone, intake starts "
                  "at UIDNEXT={}",
                  mailbox_.name, info.exists, pos.last_uid + 1);
    }
    pos_ = pos;
    saveCheckpoint(pos.last_uid);
    co_return pos;
}

asio::awaitable<std::vector<std::uint64_t>> MailboxWatcher::notYetHandled() {
    // Flag mode: what is still unseen up to the checkpoint. Move mode: whatever is still there
    // and not \Deleted: without UIDPLUS, mail already copied stays flagged \Deleted and must not
    // be copied again (issue 15).
    const std::string criteria = mailbox_.after_ingest == MailboxConfig::After::move ? "UNDELETED" : "UNSEEN";
    std::vector<std::uint64_t> pending;
    // Only what intake owns: with first_start new_only/since, older mail stays as it is.
    for (std::uint64_t from = std::max<std::uint64_t>(pos_.first_uid, 1); from <= pos_.last_uid && !stopping_;
         from += kUidWindow) {
        auto found = co_await client_.searchUids(from, std::min(pos_.last_uid, from + kUidWindow - 1), criteria);
        pending.insert(pending.end(), found.begin(), found.end());
    }
    co_return pending;
}

asio::awaitable<std::uint64_t> MailboxWatcher::firstUidSince(const std::string& date, std::uint64_t highest) {
    // Window by window from the oldest, so that every answer stays small.
    std::vector<std::uint64_t> found;
    for (std::uint64_t from = 1; from <= highest && found.empty() && !stopping_; from += kUidWindow)
        found = co_await client_.searchUids(from, from + kUidWindow - 1, "SINCE " + date);
    co_return found.empty() ? 0 : found.front();
}

asio::awaitable<void> MailboxWatcher::finishHandled() {
    unfinished_ = false;
    if (pos_.last_uid == 0) co_return;
    auto pending = co_await notYetHandled();
    if (pending.empty()) co_return;
    co_await afterIngest(pending);
    // Trust the server's state, not its OK: what is still there is told, and tried again after
    // the next wait instead of at the next restart.
    auto left = co_await notYetHandled();
    if (mailbox_.after_ingest == MailboxConfig::After::move && (move_refused_logged_ || move_folder_missing_))
        left.clear();  // flagged instead
    if (!left.empty()) {
        unfinished_ = true;
        imapLog()->error("mail taken in before a restart still not flagged or moved mailbox={} count={} first_uid={}",
                         mailbox_.name, left.size(), left.front());
    }
    imapLog()->info("finished handling mail taken in before a restart mailbox={} count={}", mailbox_.name,
                    pending.size() - left.size());
}

asio::awaitable<void> MailboxWatcher::takeInNew() {
    client_.clearNews();
    const std::uint64_t highest = co_await client_.highestUid();
    monitor().mailboxContact(mailbox_.name);
    const auto& limits = deps_.runtime()->config.limits;
    while (pos_.last_uid < highest && !stopping_) {
        const std::uint64_t from = pos_.last_uid + 1;
        const std::uint64_t to = std::min(highest, from + kUidWindow - 1);
        // The window's messages and their sizes in one answer (UID FETCH from:to, RFC 3501 §6.4.8:
        // UIDs without a message are skipped): the batches are cut by bytes before any body comes.
        std::vector<SizedUid> mails;
        const auto sizes = co_await client_.fetchSizes(from, to);
        for (const auto& s : sizes) mails.push_back({s.uid, s.size});
        if (mails.empty()) {
            saveCheckpoint(to);  // no mail in this window: nothing can appear there later (UIDs only grow)
            pos_.last_uid = to;
            continue;
        }
        // Named, not a temporary in the range-for: g++ 12 ends such temporaries early in coroutines.
        const auto batches = planBatches(mails, mailbox_.batch_size, mailbox_.max_batch_bytes, limits.max_size);
        for (const auto& batch : batches) {
            if (stopping_) break;
            co_await takeInBatch(batch);
        }
    }
}

asio::awaitable<void> MailboxWatcher::takeInBatch(const FetchBatch& batch) {
    const auto batchStart = std::chrono::steady_clock::now();
    BatchContent content = co_await fetchBatch(batch);
    int queued = 0;
    std::vector<Outcome> outcomes;  // told to the monitor once committed
    const auto commitStart = std::chrono::steady_clock::now();
    std::vector<std::uint64_t> handled = commitBatch(batch, content, queued, outcomes);
    // The loop waits while the database does (a lock held by a daemon that hangs, a disk that
    // stalls): every mailbox of this daemon with it. Said, so that a slow desk has a cause.
    if (const double held = secondsSince(commitStart); held >= kSlowCommitSeconds)
        imapLog()->warn("the database held the batch for {:.1f} s mailbox={} mails={}: this daemon's mailboxes "
                        "waited meanwhile (a lock held by another session?)",
                        held, mailbox_.name, handled.size());
    // Committed: now, and only now, the server may be told.
    pos_.last_uid = batch.last_uid;
    taken_in_ += handled.size();
    for (const auto& o : outcomes) monitor().mailTakenIn(mailbox_.name, o.outcome, o.reason, o.seconds);
    monitor().batchTakenIn(mailbox_.name, handled.size(), secondsSince(batchStart));
    if (queued > 0 && deps_.mail_queued) deps_.mail_queued();
    co_await afterIngest(handled);
}

asio::awaitable<MailboxWatcher::BatchContent> MailboxWatcher::fetchBatch(const FetchBatch& batch) {
    BatchContent c;
    c.fetched = co_await client_.fetchBodies(batch.fetch);
    if (c.fetched.refused) {
        // After a tagged NO the ones that did not come are asked for one by one, so one message
        // the server cannot give never holds up the others.
        std::vector<std::uint64_t> retry;
        for (auto uid : batch.fetch)
            if (!c.bodyOf(uid)) retry.push_back(uid);
        for (auto uid : retry) {
            if (batch.fetch.size() == 1) {
                c.failed[uid] = "the server refused to fetch it: " + *c.fetched.refused;
                break;
            }
            const std::vector<std::uint64_t> single(1, uid);  // g++ 12: no braced list inside co_await
            FetchedBodies one = co_await client_.fetchBodies(single);
            c.merge(uid, std::move(one));
        }
    }
    for (const auto& big : batch.oversized)
        if (auto h = co_await client_.fetchHeader(big.uid)) c.headers[big.uid] = std::move(*h);
    co_return c;
}

const ImapFetch* MailboxWatcher::BatchContent::bodyOf(std::uint64_t uid) const {
    for (const auto& f : fetched.messages)
        if (f.uid == uid && f.body) return &f;
    return nullptr;
}

void MailboxWatcher::BatchContent::merge(std::uint64_t uid, FetchedBodies one) {
    std::erase_if(fetched.messages, [uid](const ImapFetch& f) { return f.uid == uid; });
    for (auto& f : one.messages) fetched.messages.push_back(std::move(f));
    if (one.refused) failed[uid] = "the server refused to fetch it: " + *one.refused;
}

std::vector<std::uint64_t> MailboxWatcher::commitBatch(const FetchBatch& batch, BatchContent& content, int& queued,
                                                       std::vector<Outcome>& outcomes) {
    auto log = imapLog();
    auto& store = *deps_.store;
    auto runtime = deps_.runtime();
    const auto& limits = runtime->config.limits;
    std::optional<Intake> intake;  // made anew for each run of the batch: nothing it read survives a rollback
    bool isolate = false;          // see Intake::isolateEachMail
    std::vector<std::uint64_t> handled;
    std::vector<std::function<void()>> told;  // the log lines, written once committed
    auto originOf = [&](std::uint64_t uid) {
        return MailOrigin{mailbox_.name, static_cast<std::int64_t>(pos_.uidvalidity), static_cast<std::int64_t>(uid)};
    };
    // A message that fails alone is recorded with the reason and passed over (issue 12).
    auto passOver = [&](std::uint64_t uid, const std::string& outcome, const std::string& reason) {
        store.intake.recordIntake(originOf(uid), "", outcome, std::nullopt, deps_.now(), reason);
        outcomes.push_back({outcome, reason, 0.0});
        told.push_back([=, name = mailbox_.name] {
            log->error("mail passed over mailbox={} uid={} outcome={} reason={}", name, uid, outcome, reason);
        });
    };
    // A conflict with another session (deadlock, lock timeout, a key taken meanwhile) rolls the
    // batch back: it is taken in again from the fetched bytes, never quarantined. What each mail
    // became is logged once, after the commit.
    auto onConflict = [&](const StorageConflict& e, int attempt) {
        log->warn("batch rolled back by a database conflict, running it again mailbox={} attempt={} reason={}",
                  mailbox_.name, attempt, e.what());
    };
    auto runBatch = [&] {
        handled.clear();
        outcomes.clear();
        told.clear();
        queued = 0;
        intake.emplace(*runtime, store, deps_.now);
        intake->isolateEachMail(isolate);
        if (deps_.in_batch) deps_.in_batch();
        if (!batch.fetch.empty()) {
            const auto [first, last] = std::minmax_element(batch.fetch.begin(), batch.fetch.end());
            intake->expectUids(mailbox_.name, static_cast<std::int64_t>(pos_.uidvalidity),
                              static_cast<std::int64_t>(*first), static_cast<std::int64_t>(*last));
        }
        for (auto uid : batch.fetch) {
            auto it = std::find_if(content.fetched.messages.begin(), content.fetched.messages.end(),
                                   [uid](const ImapFetch& f) { return f.uid == uid; });
            if (content.failed.contains(uid)) {
                passOver(uid, "fetch_failed", content.failed[uid]);
            } else if (it == content.fetched.messages.end()) {
                // Listed with its size a moment ago, not returned now: expunged meanwhile.
                passOver(uid, "missing", "listed by the server but not returned by its FETCH (expunged meanwhile?)");
                continue;  // nothing there to flag or move
            } else if (!it->body) {
                passOver(uid, "fetch_failed", "the server returned no body (NIL)");
            } else {
                intake->importQuietly(uid <= pos_.import_until);
                const auto mailStart = std::chrono::steady_clock::now();
                auto r = intake->processIsolated(originOf(uid), *it->body);
                outcomes.push_back({r.outcome, r.reason, secondsSince(mailStart)});
                queued += r.queued_mails;
                told.push_back([=, name = mailbox_.name] {
                    log->info("mail taken in mailbox={} uid={} outcome={} ticket={}{}", name, uid, r.outcome,
                              r.ticket_number.value_or(0), r.reason.empty() ? "" : " reason=" + r.reason);
                });
            }
            handled.push_back(uid);
        }
        for (const auto& big : batch.oversized) {
            auto header = content.headers.find(big.uid);
            std::string raw = header == content.headers.end() ? std::string() : header->second;
            std::string message_id;
            if (auto parsed = parseMail(raw); parsed) message_id = parsed->message_id;
            const std::string reason = "message of " + std::to_string(big.size) + " bytes exceeds limits.max_size (" +
                                       std::to_string(limits.max_size) + "); only its header was fetched and kept";
            intake->quarantine(originOf(big.uid), raw, message_id, reason);
            outcomes.push_back({"quarantined", reason, 0.0});
            told.push_back([=, name = mailbox_.name, uid = big.uid] {
                log->warn("mail taken in mailbox={} uid={} outcome=quarantined reason={}", name, uid, reason);
            });
            handled.push_back(big.uid);
        }
        store.intake.saveCheckpoint({mailbox_.name, static_cast<std::int64_t>(pos_.uidvalidity),
                                     static_cast<std::int64_t>(batch.last_uid),
                                     static_cast<std::int64_t>(pos_.import_until),
                                     static_cast<std::int64_t>(pos_.first_uid)},
                                    deps_.now());
        intake->finishBatch();  // the rows held back for the batch, one statement per table
    };
    try {
        store.retryingTransaction(runBatch, 6, onConflict);
    } catch (const MailNeedsIsolation& e) {
        // Rolled back: each mail in a savepoint of its own now, the one that fails quarantined.
        log->info("a mail of the batch failed, running the batch again mail by mail mailbox={} reason={}",
                  mailbox_.name, e.what());
        isolate = true;
        store.retryingTransaction(runBatch, 6, onConflict);
    }
    for (const auto& tell : told) tell();
    std::sort(handled.begin(), handled.end());
    return handled;
}

asio::awaitable<void> MailboxWatcher::afterIngest(const std::vector<std::uint64_t>& uids) {
    if (uids.empty()) co_return;
    if (mailbox_.after_ingest == MailboxConfig::After::move && !move_folder_missing_) {
        try {
            co_await client_.move(uids, move_to_);
            if (move_refused_logged_) imapLog()->info("MOVE works again mailbox={} folder={}", mailbox_.name, move_to_);
            move_refused_logged_ = false;
            co_return;
        } catch (const ImapRefused& e) {
            // E.g. NO [OVERQUOTA] on the target: the mail is taken in all the same; it is flagged
            // instead, and intake goes on. Told once, not for every batch.
            if (!move_refused_logged_)
                imapLog()->error("MOVE refused mailbox={} folder={} answer={}: flagging \\Seen instead until a MOVE "
                                 "works again",
                                 mailbox_.name, move_to_, e.server_text);
            move_refused_logged_ = true;
        }
    }
    try {
        co_await client_.addFlags(uids, "\\Seen");
    } catch (const ImapRefused& e) {
        // Never taken as success; the mail is committed, so the next session start tries again.
        imapLog()->error("STORE refused mailbox={} count={} answer={}", mailbox_.name, uids.size(), e.server_text);
    }
}

asio::awaitable<bool> MailboxWatcher::waitForMail() {
    if (mailbox_.idle && client_.hasCapability("IDLE")) {
        co_await client_.idle(std::max(mailbox_.poll_interval, std::chrono::seconds(1)));
        monitor().mailboxContact(mailbox_.name);
        co_return !stopping_;
    }
    co_return co_await sleepFor(mailbox_.poll_interval);
}

}  // namespace deskgate
