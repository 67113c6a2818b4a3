// `deskgate ingest < mail.eml`: delivery from an MTA (pipe transport). Exit 0 = stored (or
// quarantined with a reason), 75 = EX_TEMPFAIL for everything else: the MTA keeps the mail and
// retries. Any other code would make the MTA bounce the customer's mail (Postfix pipe(8) turns
// a non-temporary failure into a bounce), and a broken configuration or a full disk is the
// desk's trouble, not the customer's.
#include <iostream>
#include <iterator>

#include <spdlog/spdlog.h>

#include "daemon/cli/commands.hpp"
#include "daemon/desk/intake.hpp"
#include "daemon/text_format.hpp"
#include "daemon/logging.hpp"
#include "daemon/runtime.hpp"

namespace deskgate {

namespace {
constexpr int kTempFail = 75;  // sysexits.h EX_TEMPFAIL
}  // namespace

void addIngestCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("ingest", "Take in one mail from standard input (for MTA delivery)");
    cmd->footer(
        "Exit status: 0 the mail was stored on a ticket or quarantined with a reason (deskgate intake log shows "
        "which); 75 (EX_TEMPFAIL) for anything temporary - configuration unreadable or invalid, database "
        "unreachable, disk full, an unexpected error - so the MTA keeps the mail and delivers it again later. "
        "No other status is used: the MTA would bounce the mail.");
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto mailbox = std::make_shared<std::string>("ingest");
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->add_option("-m,--mailbox", *mailbox, "Mailbox name the mail is recorded under")->capture_default_str();
    cmd->callback([config, mailbox] {
        setupLogging("warn");
        std::string raw((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
        if (!std::cin.eof() && std::cin.fail()) {
            std::cerr << "deskgate ingest: cannot read standard input\n";
            throw CLI::RuntimeError(kTempFail);
        }
        auto runtime = loadRuntime(*config);
        if (!runtime) {
            for (const auto& e : runtime.error()) std::cerr << e << "\n";
            std::cerr << "deskgate ingest: the configuration cannot be used; the mail stays with the MTA (exit 75)\n";
            throw CLI::RuntimeError(kTempFail);
        }
        try {
            SociStore store(parseDatabaseUrl((*runtime)->config.database));
            Intake intake(**runtime, store, wallNow);
            IntakeResult result;
            store.transaction([&] { result = intake.processIsolated(MailOrigin{*mailbox, 0, 0}, raw); });
            std::cout << describe(result) << "\n";
        } catch (const StorageUnavailable& e) {
            std::cerr << "deskgate ingest: database unavailable, try again later: " << e.what() << "\n";
            throw CLI::RuntimeError(kTempFail);
        } catch (const std::exception& e) {
            std::cerr << "deskgate ingest: " << e.what() << "\n";
            throw CLI::RuntimeError(kTempFail);
        }
        throw CLI::RuntimeError(0);
    });
}

}  // namespace deskgate
