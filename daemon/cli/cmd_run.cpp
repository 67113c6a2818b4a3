// `deskgate run`: the daemon. One Asio event loop watches every mailbox, runs the timers and
// serves the metrics; the outbox worker sends on its own thread; SIGTERM finishes the mail in
// hand and exits; SIGHUP reloads. Under systemd it tells READY/RELOADING/STOPPING/WATCHDOG.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "daemon/cli/commands.hpp"
#include "daemon/schedule/escalation_scheduler.hpp"
#include "daemon/logging.hpp"
#include "daemon/desk/mail_composer.hpp"
#include "daemon/imap/mailbox_lease.hpp"
#include "daemon/metrics/metrics_server.hpp"
#include "daemon/service/desk_monitor.hpp"
#include "daemon/service/systemd_notifier.hpp"
#include "daemon/smtp/outbox_worker.hpp"
#include "daemon/schedule/report_scheduler.hpp"
#include "daemon/runtime.hpp"
#include "daemon/text_format.hpp"
#include "daemon/holder_id.hpp"
#include "storage/daemon_lock.hpp"

namespace deskgate {

namespace {

int runDaemon(const std::string& configPath, const std::string& logLevel, LogTarget logTarget) {
    setupLogging(logLevel, logTarget);
    auto log = spdlog::get("deskgate");
    auto loaded = loadRuntime(configPath);
    if (!loaded) {
        for (const auto& e : loaded.error()) std::cerr << e << "\n";
        return 1;
    }
    // Swapped whole on reload; read by the Asio loop and by the outbox thread (delivery_failed
    // notices), so every reader takes its own reference.
    std::atomic<std::shared_ptr<const Runtime>> runtime{*loaded};
    auto currentRuntime = [&runtime] { return runtime.load(); };
    curl_global_init(CURL_GLOBAL_DEFAULT);

    auto dbUrl = parseDatabaseUrl((*loaded)->config.database);
    // A daemon that hangs inside a transaction must not block the others (nor keep its mailbox
    // leases, which its open batch holds) beyond twice the lease.
    dbUrl.idle_in_transaction_timeout_s = static_cast<int>(std::max<long long>(2 * (*loaded)->config.lease.count(), 10));
    std::unique_ptr<SqliteDaemonLock> sqliteLock;
    if (dbUrl.backend == Backend::sqlite) {
        try {
            sqliteLock = std::make_unique<SqliteDaemonLock>(dbUrl.connect);
        } catch (const DaemonLockHeld& e) {
            log->error("refusing to start: {}", e.what());
            return 1;
        } catch (const std::exception& e) {
            log->error("cannot lock the database: {}", e.what());
            return 75;
        }
    }
    const std::string holder = makeHolderId();
    const auto lease = (*loaded)->config.lease;
    std::unique_ptr<SociStore> store;
    try {
        store = std::make_unique<SociStore>(dbUrl);
    } catch (const std::exception& e) {
        log->error("cannot open the database: {}", e.what());
        return 75;
    }
    log->info("deskgate starting database={} mailboxes={} holder={} lease_s={}", dbUrl.redacted(),
              (*loaded)->config.mailboxes.size(), holder, lease.count());
    for (const auto& w : configWarnings((*loaded)->config)) log->warn("configuration lowers protection: {}", w);

    boost::asio::io_context io;
    SystemdNotifier systemd(io);
    MetricsRegistry metrics;
    describeDaemonMetrics(metrics, *store, wallNow);
    std::vector<std::string> mailboxNames;
    for (const auto& mb : (*loaded)->config.mailboxes) mailboxNames.push_back(mb.name);
    DeskMonitor monitor(io, *store, metrics, mailboxNames, wallNow);
    std::unique_ptr<MetricsServer> metricsServer;
    if (!(*loaded)->config.metrics.listen.empty()) {
        try {
            metricsServer = std::make_unique<MetricsServer>(io, (*loaded)->config.metrics.listen, metrics);
        } catch (const std::exception& e) {
            log->error("{}", e.what());
            return 1;
        }
        boost::asio::co_spawn(io, metricsServer->run(), boost::asio::detached);
        log->info("serving metrics listen={} port={}", (*loaded)->config.metrics.listen, metricsServer->port());
    }

    OutboxWorker outbox((*loaded)->config.smtp, dbUrl, wallNow, holder, lease);
    outbox.setMonitor(&monitor);
    outbox.onFailure([&](SociStore& outboxStore, const OutboxRecord& failed, const std::string& reason) {
        auto current = currentRuntime();
        auto ticket = outboxStore.tickets.ticketById(*failed.ticket_id);
        if (!ticket) return;
        MailComposer composer(*current, outboxStore, wallNow);
        if (composer.queueDeliveryFailure(*ticket, failed, reason))
            log->info("failure notice queued ticket={} kind={}", ticket->number, failed.kind);
    });
    outbox.start();

    EscalationScheduler escalation(io, currentRuntime, *store, wallNow, [&outbox] { outbox.notify(); });
    escalation.setMonitor(&monitor);
    boost::asio::co_spawn(io, escalation.run(), boost::asio::detached);
    ReportScheduler reports(io, currentRuntime, *store, wallNow, [&outbox] { outbox.notify(); });
    boost::asio::co_spawn(io, reports.run(), boost::asio::detached);
    WatcherDeps deps;
    deps.runtime = currentRuntime;
    deps.store = store.get();
    deps.mail_queued = [&outbox, &escalation] {
        outbox.notify();
        escalation.wake();  // new tickets bring new deadlines
    };
    deps.now = wallNow;
    deps.monitor = &monitor;
    // Every batch takes the ticket counter's lock first: batches of several daemons on one
    // PostgreSQL then wait for each other instead of deadlocking (see TicketStore).
    deps.in_batch = [&store] { store->tickets.lockTicketNumbers(); };
    // Each mailbox is watched under its lease: of several daemons on one database, one at a time.
    std::vector<std::unique_ptr<MailboxLease>> watchers;
    for (const auto& mb : (*loaded)->config.mailboxes) {
        watchers.push_back(std::make_unique<MailboxLease>(io, mb, deps, LeaseSettings{holder, lease}));
        boost::asio::co_spawn(io, watchers.back()->run(), boost::asio::detached);
    }

    // systemd: ready when every mailbox has logged in once; a mailbox that cannot (yet) does not
    // hold the start back longer than start_timeout (its error is in the log and in status).
    const std::string readyStatus = "watching " + std::to_string(mailboxNames.size()) + " mailboxes";
    boost::asio::steady_timer startTimer(io);
    monitor.onAllConnected([&] {
        startTimer.cancel();
        if (!systemd.isReady()) log->info("ready: every mailbox logged in mailboxes={}", mailboxNames.size());
        systemd.ready(readyStatus);
    });
    startTimer.expires_after((*loaded)->config.start_timeout);
    startTimer.async_wait([&](const boost::system::error_code& ec) {
        if (ec || systemd.isReady()) return;
        log->warn("ready after start_timeout={}s although not every mailbox has logged in",
                  (*loaded)->config.start_timeout.count());
        systemd.ready(readyStatus + " (not all logged in yet: see deskgate status)");
    });
    systemd.startWatchdog();

    // Reload: build and validate a whole new Runtime; an invalid one is rejected, the old stays.
    auto stamp = configurationStamp((*loaded)->config);
    auto reload = [&](const char* why) {
        stamp = configurationStamp(currentRuntime()->config);
        systemd.reloading();
        auto fresh = loadRuntime(configPath);
        if (!fresh) {
            log->error("reload ({}) rejected, the running configuration stays; errors={}", why, fresh.error().size());
            for (const auto& e : fresh.error()) log->error("  {}", e);
            systemd.reloaded(readyStatus + " (last reload rejected: see the log)");
            return;
        }
        systemd.reloaded(readyStatus);
        runtime.store(*fresh);
        stamp = configurationStamp((*fresh)->config);
        log->info("configuration reloaded ({}); rules: {} (mailbox and database changes take effect at restart)", why,
                  (*fresh)->rules->rules.size());
        escalation.wake();
        reports.wake();
    };
    bool stopping = false;
    boost::asio::steady_timer fileWatch(io);
    std::function<void(const boost::system::error_code&)> onFileWatch = [&](const boost::system::error_code& ec) {
        if (ec || stopping) return;
        if (configurationStamp(currentRuntime()->config) != stamp) reload("files changed");
        fileWatch.expires_after(std::chrono::seconds(2));
        fileWatch.async_wait(onFileWatch);
    };
    fileWatch.expires_after(std::chrono::seconds(2));
    fileWatch.async_wait(onFileWatch);

    boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> onSignal =
        [&](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                reload("SIGHUP");
                signals.async_wait(onSignal);
                return;
            }
            log->info("stopping on signal {}: finishing the mail in hand", sig);
            systemd.stopping();
            stopping = true;
            startTimer.cancel();
            if (metricsServer) metricsServer->stop();
            for (auto& w : watchers) w->stop();
            escalation.stop();
            reports.stop();
            fileWatch.cancel();
            signals.cancel();
        };
    signals.async_wait(onSignal);
    io.run();
    outbox.stop();
    log->info("deskgate stopped");
    curl_global_cleanup();
    return 0;
}

}  // namespace

void addRunCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("run", "Run the daemon: watch the mailboxes, answer, escalate");
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto level = std::make_shared<std::string>("info");
    auto target = std::make_shared<LogTarget>(LogTarget::automatic);
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->add_option("--log-level", *level, "trace, debug, info, warn, error")->capture_default_str();
    cmd->add_option("--log-target", *target, "auto (the journal when systemd connected stderr to it), stderr, journal")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, LogTarget>{
                {"auto", LogTarget::automatic}, {"stderr", LogTarget::stderr_stream}, {"journal", LogTarget::journal}},
            CLI::ignore_case))
        ->default_str("auto");
    cmd->callback([config, level, target] {
        int rc = runDaemon(*config, *level, *target);
        throw CLI::RuntimeError(rc);
    });
}

}  // namespace deskgate
