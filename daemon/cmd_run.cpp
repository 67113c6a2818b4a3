// `deskgate run`: the daemon. One Asio event loop watches every mailbox; the outbox worker
// sends on its own thread; SIGTERM finishes the mail in hand and exits; SIGHUP reloads.
#include <csignal>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "daemon/commands.hpp"
#include "daemon/logging.hpp"
#include "daemon/mailbox_watcher.hpp"
#include "daemon/outbox_worker.hpp"
#include "daemon/runtime.hpp"

namespace deskgate {

namespace {

UnixTime wallNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int runDaemon(const std::string& configPath, const std::string& logLevel) {
    setupLogging(logLevel);
    auto log = spdlog::get("deskgate");
    auto loaded = loadRuntime(configPath);
    if (!loaded) {
        for (const auto& e : loaded.error()) std::cerr << e << "\n";
        return 1;
    }
    std::shared_ptr<const Runtime> runtime = *loaded;
    curl_global_init(CURL_GLOBAL_DEFAULT);

    const auto dbUrl = parseDatabaseUrl(runtime->config.database);
    std::unique_ptr<SociTicketStore> store;
    try {
        store = std::make_unique<SociTicketStore>(dbUrl);
    } catch (const std::exception& e) {
        log->error("cannot open the database: {}", e.what());
        return 75;
    }
    log->info("deskgate starting database={} mailboxes={}", dbUrl.redacted(), runtime->config.mailboxes.size());

    OutboxWorker outbox(runtime->config.smtp, dbUrl, wallNow);
    outbox.start();

    boost::asio::io_context io;
    WatcherDeps deps;
    deps.runtime = [&runtime] { return runtime; };
    deps.store = store.get();
    deps.mail_queued = [&outbox] { outbox.notify(); };
    deps.now = wallNow;
    std::vector<std::unique_ptr<MailboxWatcher>> watchers;
    for (const auto& mb : runtime->config.mailboxes) {
        watchers.push_back(std::make_unique<MailboxWatcher>(io, mb, deps));
        boost::asio::co_spawn(io, watchers.back()->run(), boost::asio::detached);
    }

    boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> onSignal =
        [&](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                auto fresh = loadRuntime(configPath);
                if (!fresh) {
                    log->error("reload rejected, the running configuration stays; errors={}", fresh.error().size());
                    for (const auto& e : fresh.error()) log->error("  {}", e);
                } else {
                    runtime = *fresh;
                    log->info("configuration reloaded (mailbox and database changes take effect at restart)");
                }
                signals.async_wait(onSignal);
                return;
            }
            log->info("stopping on signal {}: finishing the mail in hand", sig);
            for (auto& w : watchers) w->stop();
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
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->add_option("--log-level", *level, "trace, debug, info, warn, error")->capture_default_str();
    cmd->callback([config, level] {
        int rc = runDaemon(*config, *level);
        throw CLI::RuntimeError(rc);
    });
}

}  // namespace deskgate
