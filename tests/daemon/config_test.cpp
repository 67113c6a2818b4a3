#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "daemon/config.hpp"
#include "daemon/runtime.hpp"
#include "tests/support/backends.hpp"

using namespace deskgate;
using test::writeFile;

namespace {

const std::string kTemplates = std::string("templates: ") + DESKGATE_SOURCE_DIR + "/etc/templates\n";

}  // namespace

TEST_CASE("config: a complete file loads, paths are relative to it, secrets come from files and ${ENV}") {
    auto dir = test::freshDirectory("config-ok");
    writeFile(dir / "secret.txt", "s3cret\nignored second line\n");
    ::setenv("DESKGATE_TEST_SMTP_PW", "from-env", 1);
    auto file = writeFile(dir / "deskgate.yaml",
                          "database: sqlite:data/desk.db\n"
                          "identity:\n  name: ACME Support\n  address: support@acme.test\n"
                          "mailboxes:\n"
                          "  - name: support\n    url: imaps://mail.acme.test\n    username: support@acme.test\n"
                          "    password_file: secret.txt\n    address: support@acme.test\n"
                          "    after_ingest: move\n    move_to: Done\n    poll_interval: 2m\n    language: de\n"
                          "smtp:\n  url: smtp://mail.acme.test:587\n  username: support\n"
                          "  password: ${DESKGATE_TEST_SMTP_PW}\n  starttls: true\n"
                          "agents:\n  - { name: anna, address: Anna@ACME.test, teams: [first] }\n" +
                              kTemplates);
    auto c = loadConfig(file);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().front().str()));
    CHECK(c->database == "sqlite:" + (dir / "data/desk.db").string());
    CHECK(c->identity.domain == "acme.test");
    CHECK(c->identity.token_format == "[Ticket#{number}]");
    REQUIRE(c->mailboxes.size() == 1);
    const auto& mb = c->mailboxes[0];
    CHECK(mb.password == "s3cret");
    CHECK(mb.after_ingest == MailboxConfig::After::move);
    CHECK(mb.move_to == "Done");
    CHECK(mb.poll_interval == std::chrono::seconds(120));
    CHECK(mb.language == "de");
    CHECK(c->smtp.password == "from-env");
    CHECK(c->smtp.starttls);
    REQUIRE(c->agentByAddress("anna@acme.TEST"));
    CHECK(c->agentByAddress("anna@acme.test")->name == "anna");
    CHECK(c->isOwnAddress("SUPPORT@acme.test"));
    CHECK_FALSE(c->isOwnAddress("alice@customer.test"));
}

TEST_CASE("config: every error is reported at once, each with file:line:col") {
    auto dir = test::freshDirectory("config-bad");
    auto file = writeFile(dir / "deskgate.yaml",
                          "database: mysql://x\n"                      // 1
                          "identity:\n"                                // 2
                          "  adress: support@acme.test\n"              // 3
                          "mailboxes:\n"                               // 4
                          "  - name: support\n"                        // 5
                          "    url: http://mail.acme.test\n"           // 6
                          "    username: support\n"                    // 7
                          "    address: support@acme.test\n"           // 8
                          "    poll_interval: soon\n"                  // 9
                          "    after_ingest: delete\n"                 // 10
                          "smtp:\n"                                    // 11
                          "  url: smtp://x\n"                          // 12
                          "  password: ${DESKGATE_TEST_UNSET_VARIABLE}\n"  // 13
                          "priorty: high\n" +                          // 14
                              kTemplates);
    ::unsetenv("DESKGATE_TEST_UNSET_VARIABLE");
    auto c = loadConfig(file);
    REQUIRE_FALSE(c);
    std::vector<std::string> got;
    for (const auto& e : c.error()) got.push_back(e.str());
    const std::string f = file.string();
    auto has = [&](const std::string& line) {
        bool found = std::find(got.begin(), got.end(), line) != got.end();
        if (!found) {
            std::string all;
            for (const auto& g : got) all += g + "\n";
            MESSAGE("missing: " << line << "\ngot:\n" << all);
        }
        return found;
    };
    CHECK(has(f + ":1:11: 'database' must start with sqlite: or postgresql:"));
    CHECK(has(f + ":3:3: unknown key 'adress', did you mean 'address'?"));
    CHECK(has(f + ":3:3: missing required key 'address'"));
    CHECK(has(f + ":6:10: 'url' must start with imap:// or imaps://, not 'http://mail.acme.test'"));
    CHECK(has(f + ":9:20: 'poll_interval': bad duration 'soon' (use e.g. 90s, 30m, 4h, 3d)"));
    CHECK(has(f + ":10:19: 'after_ingest': 'delete' is not one of flag, move"));
    CHECK(has(f + ":13:13: environment variable DESKGATE_TEST_UNSET_VARIABLE is not set"));
    CHECK(has(f + ":14:1: unknown key 'priorty'"));
    CHECK(got.size() == 8);
}

TEST_CASE("config: smtp.max_message_size (bytes, MB, MiB; Postfix's default) and agent_mail.failure_notice_to") {
    CHECK(parseByteSize("10240000") == 10'240'000u);
    CHECK(parseByteSize("10MB") == 10'000'000u);
    CHECK(parseByteSize("25 MiB") == 25u * 1024 * 1024);
    CHECK(parseByteSize("512kb") == 512'000u);
    CHECK(parseByteSize("1GiB") == std::size_t(1) << 30);
    CHECK_FALSE(parseByteSize("ten MB"));
    CHECK_FALSE(parseByteSize("10 parsecs"));
    CHECK_FALSE(parseByteSize("-5MB"));
    CHECK_FALSE(parseByteSize(""));

    auto dir = test::freshDirectory("config-sizes");
    const std::string head = "database: sqlite:d.db\nidentity: { address: support@acme.test }\n";
    auto ok = loadConfig(writeFile(dir / "ok.yaml", head + "smtp: { url: smtp://127.0.0.1:25 }\n" + kTemplates));
    REQUIRE(ok);
    CHECK(ok->smtp.max_message_size == 10'240'000u);  // what Postfix takes by default
    CHECK(ok->agent_mail.failure_notice_to.empty());
    auto set = loadConfig(writeFile(dir / "set.yaml", head +
                                                          "smtp: { url: smtp://127.0.0.1:25, max_message_size: 50MiB }\n"
                                                          "agent_mail: { failure_notice_to: [admin@acme.test, ops@acme.test] }\n" +
                                                          kTemplates));
    REQUIRE_MESSAGE(set, (set ? "" : set.error().front().str()));
    CHECK(set->smtp.max_message_size == 50u * 1024 * 1024);
    CHECK(set->agent_mail.failure_notice_to == std::vector<std::string>{"admin@acme.test", "ops@acme.test"});

    auto bad = writeFile(dir / "bad.yaml", head +
                                                "smtp:\n"                                  // 3
                                                "  url: smtp://127.0.0.1:25\n"             // 4
                                                "  max_message_size: 10 parsecs\n"         // 5
                                                "agent_mail:\n"                            // 6
                                                "  failure_notice_to: [the admins]\n" +    // 7
                                                kTemplates);
    auto c = loadConfig(bad);
    REQUIRE_FALSE(c);
    std::vector<std::string> got;
    for (const auto& e : c.error()) got.push_back(e.str());
    const std::string f = bad.string();
    CHECK(got == std::vector<std::string>{
                     f + ":5:21: 'max_message_size' must be a size in bytes, e.g. 10240000, \"10MB\" or \"25MiB\", "
                         "not '10 parsecs'",
                     f + ":7:22: 'failure_notice_to' must list mail addresses, not 'the admins'"});
    auto small = loadConfig(writeFile(dir / "small.yaml", head + "smtp: { url: smtp://127.0.0.1:25, max_message_size: 64KB }\n" +
                                                              kTemplates));
    REQUIRE_FALSE(small);
    CHECK(small.error().front().message == "'max_message_size' must be at least 1MB (1000000 bytes)");
}

TEST_CASE("config: YAML syntax errors carry their position") {
    auto dir = test::freshDirectory("config-syntax");
    auto file = writeFile(dir / "deskgate.yaml", "identity:\n  address: [unclosed\n");
    auto c = loadConfig(file);
    REQUIRE_FALSE(c);
    REQUIRE(c.error().size() == 1);
    CHECK(c.error()[0].line > 0);
    CHECK(c.error()[0].file == file.string());
}

TEST_CASE("the shipped etc/deskgate.yaml with its rules and templates passes the daemon's load path") {
    ::setenv("DESKGATE_IMAP_PASSWORD", "x", 1);
    ::setenv("DESKGATE_SMTP_PASSWORD", "y", 1);
    auto r = loadRuntime(std::string(DESKGATE_SOURCE_DIR) + "/etc/deskgate.yaml");
    REQUIRE_MESSAGE(r, (r ? "" : r.error().front()));
    const Config& c = (*r)->config;
    CHECK(c.mailboxes.size() == 2);
    CHECK(c.agents.size() == 3);
    // No `rules:` or `templates:`: the files next to it (etc/rules, etc/templates) are found.
    CHECK_FALSE(c.rules_configured);
    CHECK(c.rules_dir == std::filesystem::path(DESKGATE_SOURCE_DIR) / "etc/rules");
    REQUIRE_FALSE(c.templates_dirs.empty());
    CHECK(c.templates_dirs.back() == std::filesystem::path(DESKGATE_SOURCE_DIR) / "etc/templates");
    CHECK((*r)->rules->rules.size() >= 3);
}

TEST_CASE("config: a password in clear text to another host is refused unless allow_plaintext says so") {
    auto dir = test::freshDirectory("config-plaintext");
    auto load = [&](const std::string& mailboxUrl, const std::string& mailboxExtra, const std::string& smtp) {
        auto file = writeFile(dir / "deskgate.yaml",
                              "identity: { address: support@acme.test }\n"
                              "mailboxes:\n  - name: support\n    url: " + mailboxUrl +
                                  "\n    username: support\n    password: pw\n    address: support@acme.test\n" +
                                  mailboxExtra + "smtp:\n" + smtp + kTemplates);
        return loadConfig(file);
    };
    const std::string smtpOk = "  url: smtps://mail.acme.test\n  username: s\n  password: pw\n";
    struct Row {
        const char* url;
        const char* extra;
        bool ok;
    };
    const Row rows[] = {
        {"imaps://mail.acme.test", "", true},
        {"imap://mail.acme.test", "    starttls: true\n", true},
        {"imap://127.0.0.1:10143", "", true},  // this machine: nothing crosses a network
        {"imap://localhost", "", true},
        {"imap://[::1]:143", "", true},
        {"imap://mail.acme.test", "", false},
        {"imap://user@mail.acme.test:143/", "", false},
        {"imap://mail.acme.test", "    allow_plaintext: true\n", true},
    };
    for (const auto& r : rows) {
        CAPTURE(r.url);
        CAPTURE(r.extra);
        auto c = load(r.url, r.extra, smtpOk);
        CHECK(c.has_value() == r.ok);
        if (!c && !r.ok)
            CHECK(c.error().front().str().find("deskgate.yaml:4:10: imap://mail.acme.test without STARTTLS would send the "
                                               "password in clear text: use imaps://, set starttls: true, or "
                                               "allow_plaintext: true") != std::string::npos);
    }
    auto smtpPlain = load("imaps://mail.acme.test", "", "  url: smtp://mail.acme.test:587\n  username: s\n  password: pw\n");
    REQUIRE_FALSE(smtpPlain);
    CHECK(smtpPlain.error().front().str().find("smtp://mail.acme.test without STARTTLS would send the password") !=
          std::string::npos);
    // Without a password nothing secret goes over the wire (a relay that needs no login).
    CHECK(load("imaps://mail.acme.test", "", "  url: smtp://relay.acme.test:25\n"));
    // Allowed, but said at start and by `deskgate check`.
    auto allowed = load("imap://mail.acme.test", "    allow_plaintext: true\n",
                        "  url: smtp://mail.acme.test\n  username: s\n  password: pw\n  allow_plaintext: true\n");
    REQUIRE(allowed);
    auto warnings = configWarnings(*allowed);
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0] == "mailbox support: allow_plaintext: the IMAP password goes to mail.acme.test in clear text");
    CHECK(warnings[1] == "smtp: allow_plaintext: the SMTP password goes to mail.acme.test in clear text");
    CHECK(urlHost("smtps://u:p@Mail.Acme.test:465/ehlo") == "mail.acme.test");
    CHECK(isLoopbackHost("127.0.0.2"));
    CHECK_FALSE(isLoopbackHost("mail.acme.test"));
}

TEST_CASE("install layout: without rules: and templates: the shipped defaults are used, single templates overridden") {
    // An installed deskgate: data_dir holds the shipped templates and default rules, the
    // configuration directory only deskgate.yaml (and perhaps one template of its own).
    auto data = test::freshDirectory("install-data");
    std::filesystem::create_directories(data / "templates");
    std::filesystem::copy(std::string(DESKGATE_SOURCE_DIR) + "/etc/templates", data / "templates",
                          std::filesystem::copy_options::recursive);
    std::filesystem::copy(std::string(DESKGATE_SOURCE_DIR) + "/etc/default-rules", data / "rules");
    auto etc = test::freshDirectory("install-etc");
    std::filesystem::create_directories(etc / "rules");  // empty: the defaults apply
    const std::string minimal =
        "database: sqlite:deskgate.db\n"
        "mailboxes:\n  - { name: support, url: imaps://mail.acme.test, username: support, password: x,"
        " address: support@acme.test }\n"
        "smtp: { url: smtp://mail.acme.test:587 }\n"
        "agents:\n  - { name: zoe, address: zoe@acme.test }\n";
    auto file = writeFile(etc / "deskgate.yaml", minimal);
    const InstallPaths paths{data};

    auto c = loadConfig(file, paths);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().front().str()));
    CHECK(c->identity.address == "support@acme.test");  // no identity: the first mailbox's
    CHECK(c->identity.domain == "acme.test");
    CHECK(c->rules_dir == data / "rules");
    REQUIRE(c->templates_dirs.size() == 1);
    CHECK(c->templates_dirs[0] == data / "templates");
    auto r = loadRuntime(file, paths);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().front()));
    CHECK((*r)->rules->rules.size() == 3);
    CHECK((*r)->rules->slaPolicy("standard") != nullptr);

    // One file of the admin's replaces the shipped one; the others stay.
    writeFile(etc / "templates/de/acknowledgement.mustache",
              "Subject: {{token}} Eingang bestätigt\n\nWir kümmern uns, {{customer.name}}.\n");
    r = loadRuntime(file, paths);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().front()));
    REQUIRE((*r)->config.templates_dirs.size() == 2);
    CHECK((*r)->config.templates_dirs[1] == etc / "templates");
    TemplateValues values;
    values.set("token", "[Ticket#1001]");
    values.set("customer.name", "Alice");
    auto de = (*r)->templates.render("acknowledgement", "de", values);
    REQUIRE(de);
    CHECK(de->subject == "[Ticket#1001] Eingang bestätigt");
    auto en = (*r)->templates.render("acknowledgement", "en", values);
    REQUIRE(en);
    CHECK(en->subject.find("[Ticket#1001]") != std::string::npos);
    CHECK(en->subject.find("Eingang") == std::string::npos);
    CHECK((*r)->templates.render("resolved", "de", values).has_value());

    // An error in the override names the admin's file.
    writeFile(etc / "templates/de/acknowledgement.mustache", "Subject: {{token}} {{ticket.subjct}}\n\nx\n");
    r = loadRuntime(file, paths);
    REQUIRE_FALSE(r);
    CHECK(r.error().front().find((etc / "templates/de/acknowledgement.mustache").string() + ":1:") == 0);

    // Rule files of the admin's replace the defaults as a whole.
    std::filesystem::remove_all(etc / "templates");
    writeFile(etc / "rules/routing.yaml", "routing:\n  - name: everything\n    set: { queue: mine }\n");
    c = loadConfig(file, paths);
    REQUIRE(c);
    CHECK(c->rules_dir == etc / "rules");

    // Nothing installed and nothing next to the file: a clear error.
    c = loadConfig(file, InstallPaths{etc / "nowhere"});
    REQUIRE_FALSE(c);
    CHECK(c.error().front().message.find("no templates") != std::string::npos);

    // Without identity and without mailboxes there is nobody to send as.
    auto bare = writeFile(etc / "bare.yaml", "smtp: { url: smtp://x:25 }\n");
    c = loadConfig(bare, paths);
    REQUIRE_FALSE(c);
    CHECK(c.error().front().message.find("identity") != std::string::npos);
}

TEST_CASE("config: a mailbox's intake settings (first_start, max_batch_bytes, timeouts) and their defaults") {
    auto dir = test::freshDirectory("config-intake");
    auto mailbox = [](const std::string& name, const std::string& extra) {
        return "  - name: " + name + "\n    url: imaps://mail.acme.test\n    username: u\n    password: p\n"
               "    address: " + name + "@acme.test\n" + extra;
    };
    auto file = writeFile(dir / "deskgate.yaml",
                          "identity:\n  address: support@acme.test\nmailboxes:\n" +
                              mailbox("plain", "") +
                              mailbox("all", "    first_start: all\n    max_batch_bytes: 1048576\n"
                                             "    read_timeout: 5s\n    connect_timeout: 1m\n") +
                              mailbox("week", "    first_start: { since: 7d }\n") +
                              "smtp:\n  url: smtp://x\n" + kTemplates);
    auto c = loadConfig(file);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().front().str()));
    REQUIRE(c->mailboxes.size() == 3);
    const auto& plain = c->mailboxes[0];
    CHECK(plain.first_start == MailboxConfig::FirstStart::new_only);
    CHECK(plain.max_batch_bytes == 32u << 20);
    CHECK(plain.read_timeout == std::chrono::seconds(30));
    CHECK(plain.connect_timeout == std::chrono::seconds(30));
    const auto& all = c->mailboxes[1];
    CHECK(all.first_start == MailboxConfig::FirstStart::all);
    CHECK(all.max_batch_bytes == 1048576);
    CHECK(all.read_timeout == std::chrono::seconds(5));
    CHECK(all.connect_timeout == std::chrono::seconds(60));
    const auto& week = c->mailboxes[2];
    CHECK(week.first_start == MailboxConfig::FirstStart::since);
    CHECK(week.first_start_since == std::chrono::seconds(7 * 86400));
}

TEST_CASE("config: bad intake settings are reported with file:line:col") {
    auto dir = test::freshDirectory("config-intake-bad");
    auto file = writeFile(dir / "deskgate.yaml",
                          "identity:\n  address: support@acme.test\n"     // 1-2
                          "mailboxes:\n"                                   // 3
                          "  - name: a\n    url: imaps://m\n    username: u\n    password: p\n"  // 4-7
                          "    address: a@acme.test\n"                     // 8
                          "    first_start: everything\n"                  // 9
                          "    read_timeout: 0s\n"                         // 10
                          "    max_batch_bytes: 0\n"                       // 11
                          "  - name: b\n    url: imaps://m\n    username: u\n    password: p\n"  // 12-15
                          "    address: b@acme.test\n"                     // 16
                          "    first_start: { since: soon, until: 1d }\n"  // 17
                          "smtp:\n  url: smtp://x\n" +
                              kTemplates);
    auto c = loadConfig(file);
    REQUIRE_FALSE(c);
    std::string all;
    for (const auto& e : c.error()) all += e.str() + "\n";
    const std::string f = file.string();
    CHECK_MESSAGE(all.find(f + ":9:18: 'first_start': 'everything' is not one of new_only, all, { since: 7d }") !=
                      std::string::npos, all);
    CHECK_MESSAGE(all.find(f + ":10:19: 'read_timeout' must be between 1s and 1h") != std::string::npos, all);
    CHECK_MESSAGE(all.find(f + ":11:22:") != std::string::npos, all);
    CHECK_MESSAGE(all.find(f + ":17:27: 'since': bad duration 'soon'") != std::string::npos, all);
    CHECK_MESSAGE(all.find(f + ":17:33: unknown key 'until'") != std::string::npos, all);
}
