// deskgate: the email-driven helpdesk. Thin executable; the work is in the libraries.
#include <CLI/CLI.hpp>

#include "daemon/cli/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"deskgate - an email-driven helpdesk"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "deskgate " DESKGATE_VERSION);

    deskgate::addRunCommand(app);
    deskgate::addCheckCommand(app);
    deskgate::addIngestCommand(app);
    deskgate::addTicketsCommand(app);
    deskgate::addQuarantineCommand(app);
    deskgate::addParseCommand(app);
    deskgate::addExplainCommand(app);
    deskgate::addRulesCommand(app);
    deskgate::addReportCommand(app);
    deskgate::addIntakeCommand(app);
    deskgate::addStatusCommand(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::RuntimeError& e) {
        return e.get_exit_code();  // a command finished with this status; it printed its own messages
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return 0;
}
