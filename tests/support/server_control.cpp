// The test servers as processes: stopping and starting Dovecot and Postfix under a running
// daemon (crash and outage tests), and a fresh PostgreSQL database per test.
#include "support/test_servers.hpp"

#include "support/process_util.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <iostream>
#include <memory>

namespace deskgate::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace detail;

// ---- Dovecot and Postfix ----------------------------------------------------------------------------

namespace {
std::optional<pid_t> postfixMasterPid() {
  std::ifstream in(servers().postfixPidFile);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z') return std::nullopt;
  return static_cast<pid_t>(pid);
}
}  // namespace

namespace {
bool portAnswers(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return up;
}

fs::path dovecotConf() { return fs::path(servers().base) / "dovecot" / "dovecot.conf"; }

std::optional<pid_t> dovecotMasterPid() {
  std::ifstream in(fs::path(servers().base) / "dovecot" / "run" / "master.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z') return std::nullopt;
  return static_cast<pid_t>(pid);
}
}  // namespace

bool smtpServerUp() { return portAnswers(servers().smtpPort); }
bool imapServerUp() { return portAnswers(servers().imapPort); }

void stopImapServer() {
  if (auto pid = dovecotMasterPid()) {
    // SIGTERM to the master: with shutdown_clients = yes every imap process goes with it, as
    // when an admin restarts Dovecot.
    ::kill(*pid, SIGTERM);
    if (!waitFor([&] { return !dovecotMasterPid(); }, 30s, 20ms))
      fail("Dovecot master " + std::to_string(*pid) + " did not stop");
  }
  if (!waitFor([] { return !imapServerUp(); }, 10s, 20ms)) fail("the IMAP port still answers after stopping Dovecot");
}

void startImapServer() {
  if (!dovecotMasterPid()) {
    const fs::path out = fs::path(servers().base) / "dovecot" / "restart.out";
    // dovecot forks into the background and returns; stop-servers.sh stops it like the first one.
    pid_t pid = spawn({"dovecot", "-c", dovecotConf().string()}, {}, {}, out, out, {}, /*dieWithParent=*/false);
    auto st = waitPid(pid, 60s);
    if (!st || !st->exited || st->code != 0)
      fail("Dovecot did not start again: " + (st ? st->describe() : std::string("timeout")) + "\n" + readFile(out));
  }
  if (!waitFor(imapServerUp, 20s, 20ms)) fail("Dovecot started but the IMAP port does not answer");
}

void stopSmtpServer() {
  if (auto pid = postfixMasterPid()) {
    ::kill(*pid, SIGTERM);
    if (!waitFor([&] { return !postfixMasterPid(); }, 20s, 20ms))
      fail("Postfix master " + std::to_string(*pid) + " did not stop");
  }
  if (!waitFor([] { return !smtpServerUp(); }, 10s, 20ms)) fail("the SMTP port still answers after stopping Postfix");
}

void startSmtpServer() {
  if (!postfixMasterPid()) {
    const fs::path out = fs::path(servers().base) / "postfix" / "restart.out";
    // Not tied to the test process: stop-servers.sh stops it like the first one.
    pid_t pid = spawn(servers().postfixStart, {}, {}, out, out, {}, /*dieWithParent=*/false);
    auto st = waitPid(pid, 60s);  // master -w returns once the daemon is up
    if (!st || !st->exited || st->code != 0)
      fail("Postfix did not start again: " + (st ? st->describe() : std::string("timeout")) + "\n" + readFile(out));
  }
  if (!waitFor(smtpServerUp, 10s, 20ms)) fail("Postfix started but the SMTP port does not answer");
}

// ---- PostgreSQL ---------------------------------------------------------------------------------

std::string pgQueryValue(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    fail("PostgreSQL connect failed: " + std::string(PQerrorMessage(conn.get())));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  auto st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    fail("PostgreSQL: " + sql + ": " + PQerrorMessage(conn.get()));
  if (st == PGRES_TUPLES_OK && PQntuples(res.get()) > 0 && PQnfields(res.get()) > 0)
    return PQgetvalue(res.get(), 0, 0);
  return {};
}

PgDatabase::PgDatabase(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  std::string p;
  for (char ch : prefix)
    p += std::isalnum(static_cast<unsigned char>(ch)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(ch))) : '_';
  name_ = "dg_" + p.substr(0, 30) + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  pgQueryValue(servers().pgConninfo, "CREATE DATABASE \"" + name_ + "\" OWNER deskgate");
}

PgDatabase::~PgDatabase() {
  if (keepTemp()) {
    std::cerr << "HD_KEEP_TEMP: kept database " << name_ << "\n";
    return;
  }
  try {
    pgQueryValue(servers().pgConninfo, "DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)");
  } catch (const std::exception& e) {
    std::cerr << "warning: " << e.what() << "\n";
  }
}

std::string PgDatabase::url() const {
  return "postgresql://deskgate:deskgate@127.0.0.1:" + std::to_string(servers().pgPort) + "/" + name_;
}

std::string PgDatabase::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(servers().pgPort) + " dbname=" + name_ +
         " user=deskgate password=deskgate";
}

std::string PgDatabase::queryValue(const std::string& sql) const { return pgQueryValue(conninfo(), sql); }

}  // namespace deskgate::test
