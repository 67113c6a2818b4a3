// The scheduled report: validated with file:line:col, queued through the outbox exactly once
// per due time (also across a restart), driven by an injected clock.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <date/tz.h>

#include "daemon/config.hpp"
#include "daemon/schedule/report_scheduler.hpp"
#include "report_seed.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

std::vector<OutboxRecord> reportMails(SociStore& store) {
    std::vector<OutboxRecord> out;
    for (const auto& o : store.outbox.listOutbox("queued"))
        if (o.kind == "report") out.push_back(o);
    return out;
}

const char* kWeekly =
    "reports:\n"
    "  - { name: weekly, schedule: \"monday 08:00\", calendar: office, to: [lead@acme.test], format: html, period: 7d }\n";

}  // namespace

TEST_CASE("a weekly report is queued once per due time, Monday 08:00 Berlin, across restarts") {
    SeededDesk desk("", kWeekly);
    desk.seed();
    boost::asio::io_context io;
    const UnixTime due = kMonday + 7 * kDay + 7 * kHour;  // Mon 2026-11-23 08:00 Berlin = 07:00Z
    UnixTime now = kMonday + 4 * kDay;                    // Friday: the first sight of the report
    int wakeups = 0;
    auto scheduler = std::make_unique<ReportScheduler>(io, [&] { return desk.runtime; }, *desk.store,
                                                       [&] { return now; }, [&] { ++wakeups; });
    int queued = -1;
    CHECK(scheduler->sweep(&queued) == due);
    CHECK(queued == 0);  // Monday 2026-11-16's due time passed before the report was known
    now = due - 1;
    CHECK(scheduler->sweep(&queued) == due);
    CHECK(reportMails(*desk.store).empty());

    now = due;
    CHECK(scheduler->sweep(&queued) == due + 7 * kDay);
    CHECK(queued == 1);
    CHECK(wakeups == 1);
    auto mails = reportMails(*desk.store);
    REQUIRE(mails.size() == 1);
    CHECK(mails[0].recipients == std::vector<std::string>{"lead@acme.test"});
    const std::string& raw = mails[0].raw;
    CHECK(raw.find("Subject: Help desk report 2026-11-16 to 2026-11-23") != std::string::npos);
    CHECK(raw.find("text/plain") != std::string::npos);
    CHECK(raw.find("text/html") != std::string::npos);  // the HTML page as the alternative part
    CHECK(raw.find("Auto-Submitted: auto-generated") != std::string::npos);

    now = due + 3600;
    scheduler->sweep(&queued);
    CHECK(queued == 0);
    // A restart (a new scheduler, a new connection) does not send it again.
    desk.store = std::make_unique<SociStore>(parseDatabaseUrl(desk.runtime->config.database));
    scheduler = std::make_unique<ReportScheduler>(io, [&] { return desk.runtime; }, *desk.store, [&] { return now; },
                                                  [&] { ++wakeups; });
    scheduler->sweep(&queued);
    CHECK(queued == 0);
    CHECK(reportMails(*desk.store).size() == 1);
    // The daemon was down over the next due time: it sends that one once when it is back.
    now = due + 7 * kDay + 5 * kHour;
    scheduler->sweep(&queued);
    CHECK(queued == 1);
    scheduler->sweep(&queued);
    CHECK(queued == 0);
    CHECK(reportMails(*desk.store).size() == 2);
}

TEST_CASE("due times follow the local clock of the zone, also over a daylight-saving change") {
    ReportSchedule r;
    r.weekday = 0;  // Sunday
    r.minute_of_day = 8 * 60;
    const auto* berlin = date::locate_zone("Europe/Berlin");
    // Sunday 2026-03-29 is the spring change in Berlin (UTC+1 -> UTC+2): 08:00 is 06:00Z.
    const UnixTime sat = 1'774'684'800;  // Sat 2026-03-28 08:00:00 UTC
    CHECK(nextDueAfter(r, berlin, sat) == sat + kDay - 2 * kHour);
    CHECK(lastDueAtOrBefore(r, berlin, sat + kDay) == sat + kDay - 2 * kHour);
    // The Sunday before: 08:00 CET = 07:00Z.
    CHECK(lastDueAtOrBefore(r, berlin, sat) == sat - 6 * kDay - kHour);
    r.weekday.reset();  // daily
    CHECK(nextDueAfter(r, berlin, sat) == sat + kDay - 2 * kHour);
    CHECK(lastDueAtOrBefore(r, berlin, sat) == sat - kHour);
}

TEST_CASE("reports: configuration errors name file:line:col") {
    auto dir = freshDirectory("report-config");
    writeFile(dir / "templates/.keep", "");
    writeFile(dir / "deskgate.yaml",
              "identity: { address: support@acme.test }\nsmtp: { url: smtp://127.0.0.1:1 }\n"
              "reports:\n"
              "  - name: weekly\n"
              "    schedule: \"mondy 8:00\"\n"
              "    to: [not-an-address]\n"
              "    format: pdf\n"
              "    timezone: Mars/Olympus\n"
              "    perid: 7d\n");
    auto config = loadConfig(dir / "deskgate.yaml");
    REQUIRE_FALSE(config);
    std::string all;
    for (const auto& e : config.error()) all += e.str() + "\n";
    INFO(all);
    const std::string file = (dir / "deskgate.yaml").string();
    CHECK(all.find(file + ":5:15: 'schedule' must be") != std::string::npos);
    CHECK(all.find(file + ":6:9: 'to' must list mail addresses") != std::string::npos);
    CHECK(all.find(file + ":7:13:") != std::string::npos);                // format: one of html, text
    CHECK(all.find(file + ":8:15: unknown time zone 'Mars/Olympus'") != std::string::npos);
    CHECK(all.find("unknown key 'perid'") != std::string::npos);
}

TEST_CASE("reports: a calendar that the rules do not define is an error of the whole runtime") {
    SeededDesk ok("", kWeekly);  // loads: calendar office exists
    auto dir = ok.dir;
    std::string text;
    {
        std::ifstream in(dir / "deskgate.yaml");
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text.replace(text.find("calendar: office"), 16, "calendar: offic");
    writeFile(dir / "deskgate.yaml", text);
    auto loaded = loadRuntime(dir / "deskgate.yaml");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().front().find("no calendar 'offic' in the rules") != std::string::npos);
}
