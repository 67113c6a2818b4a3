// Smoke test of the test servers and of the harness itself (tests/support/test_servers.hpp):
// if this fails, every other integration test's failure is suspect.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <set>
#include <string>

#include "support/test_servers.hpp"

using namespace deskgate::test;
namespace fs = std::filesystem;

namespace {

// The UID of the message in user/folder whose Message-ID is `id`, or 0.
std::uint32_t findByMessageId(const std::string& user, const std::string& folder, const std::string& id) {
  for (const auto& m : fetchAll(user, folder))
    if (headerValue(m.raw, "Message-ID") == id) return m.uid;
  return 0;
}

std::string bodyOf(const std::string& raw) {
  auto p = raw.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : raw.substr(p + 4);
}

}  // namespace

TEST_SUITE("servers") {

TEST_CASE("SMTP to Postfix arrives in the recipient's INBOX over IMAP, body byte for byte") {
  const std::string id = uniqueMessageId();
  // Dot-stuffing, a lone dot, trailing blanks, 8-bit UTF-8 and a long line all survive unchanged.
  const std::string body =
      "Hello Alice,\r\n.leading dot\r\n.\r\n..two dots\r\ntrailing blanks   \r\n"
      "Gr\xC3\xBC\xC3\x9F" "e \xE2\x82\xAC\r\n" + std::string(990, 'x') + "\r\n\r\n-- \r\nBob\r\n";
  const std::string raw = "From: Bob <bob@customer.test>\r\nTo: alice@customer.test\r\n"
                          "Subject: harness smoke test\r\nMessage-ID: " + id + "\r\n"
                          "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n\r\n" + body;
  sendMail("bob@customer.test", {"alice@customer.test"}, raw);

  std::uint32_t uid = 0;
  REQUIRE(waitFor([&] { return (uid = findByMessageId("alice@customer.test", "INBOX", id)) != 0; }, 10s));
  const std::string got = fetchMessage("alice@customer.test", "INBOX", uid);
  CHECK(bodyOf(got) == body);
  CHECK(headerValue(got, "Subject") == "harness smoke test");
  CHECK(headerValue(got, "Return-Path") == "<bob@customer.test>");
  // Reading through the harness does not mark the mail as read.
  CHECK_FALSE(hasFlag("alice@customer.test", "INBOX", uid, "\\Seen"));
}

TEST_CASE("SMTP: unknown local recipient is refused at RCPT; STARTTLS with AUTH works") {
  const std::string raw = "From: bob@customer.test\r\nTo: nobody@customer.test\r\nSubject: x\r\n\r\nx\r\n";
  SmtpResult r = trySendMail("bob@customer.test", {"nobody@customer.test"}, raw);
  CHECK_FALSE(r.ok());
  CHECK(r.responseCode == 550);

  SmtpOptions tls;
  tls.starttls = true;
  tls.username = "agent1@helpdesk.test";
  tls.password = servers().password;
  const std::string id = uniqueMessageId("helpdesk.test");
  sendMail("agent1@helpdesk.test", {"carol@customer.test"},
           "From: agent1@helpdesk.test\nTo: carol@customer.test\nSubject: tls\nMessage-ID: " + id + "\n\nbody\n",
           tls);
  CHECK(waitFor([&] { return findByMessageId("carol@customer.test", "INBOX", id) != 0; }, 10s));

  tls.password = "wrong";
  CHECK(trySendMail("agent1@helpdesk.test", {"carol@customer.test"}, "Subject: x\r\n\r\nx\r\n", tls).curlCode ==
        67);  // CURLE_LOGIN_DENIED
}

TEST_CASE("SMTP server can be taken away and brought back; queued mail survives") {
  REQUIRE(smtpServerUp());
  stopSmtpServer();
  CHECK_FALSE(smtpServerUp());
  SmtpResult down = trySendMail("bob@customer.test", {"alice@customer.test"}, "Subject: x\r\n\r\nx\r\n");
  CHECK(down.curlCode == 7);  // CURLE_COULDNT_CONNECT
  startSmtpServer();
  CHECK(smtpServerUp());
  const std::string id = uniqueMessageId();
  sendMail("bob@customer.test", {"alice@customer.test"}, "Subject: back\nMessage-ID: " + id + "\n\nx\n");
  CHECK(waitFor([&] { return findByMessageId("alice@customer.test", "INBOX", id) != 0; }, 10s));
}

TEST_CASE("IMAPS: the test CA verifies the server; no CA or a wrong CA fails verification") {
  const auto& env = servers();
  ImapProbe ok = probeImap(env.imapsUrl(), "alice@customer.test", env.password, env.caFile);
  CHECK_MESSAGE(ok.curlCode == 0, ok.error);
  // SAN 127.0.0.1 too
  ImapProbe byIp = probeImap("imaps://127.0.0.1:" + std::to_string(env.imapsPort), "alice@customer.test",
                             env.password, env.caFile);
  CHECK_MESSAGE(byIp.curlCode == 0, byIp.error);

  ImapProbe systemStore = probeImap(env.imapsUrl(), "alice@customer.test", env.password, "");
  CHECK(systemStore.curlCode == 60);  // CURLE_PEER_FAILED_VERIFICATION
  ImapProbe wrong = probeImap(env.imapsUrl(), "alice@customer.test", env.password, env.wrongCaFile);
  CHECK(wrong.curlCode == 60);
  ImapProbe badPassword = probeImap(env.imapsUrl(), "alice@customer.test", "wrong", env.caFile);
  CHECK(badPassword.curlCode == 67);  // CURLE_LOGIN_DENIED
}

TEST_CASE("doveadm: deliverDirect arrives unseen, flags read over IMAP, clearMailbox empties") {
  const std::string user = "supervisor@helpdesk.test";
  createFolder(user, "Handled");
  createFolder(user, "Handled");  // twice is fine
  clearMailbox(user, "Handled");
  CHECK(listMailbox(user, "Handled").empty());
  const std::string id = uniqueMessageId();
  deliverDirect(user, "Handled", "From: alice@customer.test\nSubject: direct\nMessage-ID: " + id + "\n\nhi\n");
  deliverDirect(user, "Handled", "Subject: second\n\nhi\n");
  const auto uids = listMailbox(user, "Handled");
  REQUIRE(uids.size() == 2);
  CHECK(searchMailbox(user, "Handled", "UNSEEN") == uids);
  CHECK_FALSE(hasFlag(user, "Handled", uids[0], "\\Seen"));
  const std::string raw = fetchMessage(user, "Handled", uids[0]);
  CHECK(headerValue(raw, "Message-ID") == id);
  CHECK(raw.find("\r\n\r\nhi\r\n") != std::string::npos);
  CHECK(searchMailbox(user, "Handled", "UNSEEN") == uids);  // fetch left them unseen
  CHECK_THROWS(fetchMessage(user, "Handled", uids.back() + 100));
  CHECK_THROWS(messageFlags(user, "Handled", uids.back() + 100));
  clearMailbox(user, "Handled");
  CHECK(listMailbox(user, "Handled").empty());
}

TEST_CASE("deliverDirectMany: a few hundred messages at once, all unseen") {
  const std::string user = "supervisor@helpdesk.test";
  createFolder(user, "Bulk");
  clearMailbox(user, "Bulk");
  std::vector<std::string> raws;
  for (int i = 0; i < 300; ++i)
    raws.push_back("From: alice@customer.test\nSubject: bulk " + std::to_string(i) + "\nMessage-ID: " +
                   uniqueMessageId() + "\n\nbody " + std::to_string(i) + "\n");
  deliverDirectMany(user, "Bulk", raws);
  const auto uids = listMailbox(user, "Bulk");
  CHECK(uids.size() == 300);
  CHECK(searchMailbox(user, "Bulk", "UNSEEN").size() == 300);
  std::set<std::string> subjects;
  for (const auto& m : fetchAll(user, "Bulk")) subjects.insert(headerValue(m.raw, "Subject").value_or(""));
  CHECK(subjects.size() == 300);
  CHECK(subjects.count("bulk 299") == 1);
  clearMailbox(user, "Bulk");
}

TEST_CASE("PostgreSQL accepts the URL; each PgDatabase is a fresh database of its own") {
  const auto& env = servers();
  CHECK(pgQueryValue(env.pgUrl, "SELECT current_user") == "deskgate");
  CHECK(pgQueryValue(env.pgConninfo, "SELECT 1") == "1");
  std::string firstName;
  {
    PgDatabase a("smoke");
    PgDatabase b("smoke");
    firstName = a.name();
    CHECK(a.name() != b.name());
    a.queryValue("CREATE TABLE t (x int)");
    a.queryValue("INSERT INTO t VALUES (42)");
    CHECK(a.queryValue("SELECT x FROM t") == "42");
    CHECK(pgQueryValue(a.url(), "SELECT count(*) FROM t") == "1");
    CHECK(b.queryValue("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");
  }
  CHECK(pgQueryValue(env.pgConninfo, "SELECT count(*) FROM pg_database WHERE datname = '" + firstName + "'") ==
        "0");
}

TEST_CASE("DeskgateProcess: output captured, signals, exit status, timeouts") {
  TempDir dir("proc");
  ProcessOptions opt;
  opt.binary = "/bin/sh";
  opt.logFile = dir / "log.txt";
  opt.env["HD_GREETING"] = "hello from child";
  DeskgateProcess p({"-c", "echo \"$HD_GREETING\"; echo to-stderr >&2; "
                           "trap 'echo got-term; exit 3' TERM; trap 'echo got-hup' HUP; "
                           "while :; do sleep 0.02; done"},
                    opt);
  CHECK(p.waitForOutput("hello from child"));
  CHECK(p.running());
  CHECK_FALSE(p.wait(50ms).has_value());
  p.signal(SIGHUP);
  CHECK(p.waitForOutput("got-hup"));
  CHECK(p.running());
  p.signal(SIGTERM);
  auto st = p.wait(5s);
  REQUIRE(st.has_value());
  CHECK(st->exited);
  CHECK(st->code == 3);
  CHECK(p.output().find("to-stderr") != std::string::npos);
  CHECK_FALSE(p.running());

  ProcessOptions opt2;
  opt2.binary = "/bin/sleep";
  DeskgateProcess k({"30"}, opt2);
  k.signal(SIGKILL);
  auto ks = k.wait(5s);
  REQUIRE(ks.has_value());
  CHECK_FALSE(ks->exited);
  CHECK(ks->signal == SIGKILL);
  CHECK(ks->describe().find("signal 9") != std::string::npos);

  CommandResult r = runCommand({"cat"}, std::string("stdin bytes\n"));
  CHECK(r.status.exited);
  CHECK(r.status.code == 0);
  CHECK(r.out == "stdin bytes\n");
  CommandResult slow = runCommand({"sleep", "10"}, std::nullopt, {}, 200ms);
  CHECK(slow.status.signal == SIGKILL);
  CHECK_THROWS_WITH(runCommand({"/nonexistent/program"}), doctest::Contains("cannot start"));
}

TEST_CASE("TempDir is fresh and removed afterwards") {
  fs::path kept;
  {
    TempDir a("x"), b("x");
    CHECK(a.path() != b.path());
    CHECK(fs::is_empty(a.path()));
    auto f = a.write("sub/dir/file.txt", "content");
    CHECK(fs::exists(f));
    kept = a.path();
  }
  if (std::getenv("HD_KEEP_TEMP") == nullptr) CHECK_FALSE(fs::exists(kept));
}

TEST_CASE("the deskgate binary runs (--help)") {
  if (!fs::exists(DESKGATE_BINARY)) {
    MESSAGE("deskgate binary not built: " DESKGATE_BINARY);
    return;
  }
  CommandResult r = runDeskgate({"--help"});
  CHECK_MESSAGE(r.status.exited, r.status.describe());
  CHECK(r.status.code == 0);
  CHECK((r.out + r.err).find("run") != std::string::npos);
}

}  // TEST_SUITE
