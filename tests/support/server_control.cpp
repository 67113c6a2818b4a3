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
// The process a pid file names, if it is alive (not gone, not a zombie).
std::optional<pid_t> livePidFrom(const fs::path& pid_file) {
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z') return std::nullopt;
  return static_cast<pid_t>(pid);
}

std::optional<pid_t> postfixMasterPid() { return livePidFrom(servers().postfixPidFile); }
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
  return livePidFrom(fs::path(servers().base) / "dovecot" / "run" / "master.pid");
}
}  // namespace

bool smtpServerUp() { return portAnswers(servers().smtpPort); }
bool imapServerUp() { return portAnswers(servers().imapPort); }

namespace {
// A test server as the tests restart it: its master process, the port that shows it answers.
struct ServerProcess {
  std::string name, port_name;
  std::optional<pid_t> (*master)();
  bool (*up)();
  std::chrono::seconds stop_wait, start_wait;
};

const ServerProcess kDovecot{"Dovecot", "IMAP", dovecotMasterPid, imapServerUp, 30s, 20s};
const ServerProcess kPostfix{"Postfix", "SMTP", postfixMasterPid, smtpServerUp, 20s, 10s};

// SIGTERM to the master: Dovecot (shutdown_clients = yes) takes every imap process with it, as
// when an admin restarts it.
void stopServer(const ServerProcess& s) {
  if (auto pid = s.master()) {
    ::kill(*pid, SIGTERM);
    if (!waitFor([&] { return !s.master(); }, s.stop_wait, 20ms))
      fail(s.name + " master " + std::to_string(*pid) + " did not stop");
  }
  if (!waitFor([&] { return !s.up(); }, 10s, 20ms))
    fail("the " + s.port_name + " port still answers after stopping " + s.name);
}

// Started detached, not tied to the test process: stop-servers.sh stops it like the first one.
// Both start commands return once the daemon is up (dovecot forks, postfix's master -w waits).
void startServer(const ServerProcess& s, const std::vector<std::string>& command, const fs::path& out) {
  if (!s.master()) {
    pid_t pid = spawn(command, {}, {}, out, out, {}, /*dieWithParent=*/false);
    auto st = waitPid(pid, 60s);
    if (!st || !st->exited || st->code != 0)
      fail(s.name + " did not start again: " + (st ? st->describe() : std::string("timeout")) + "\n" + readFile(out));
  }
  if (!waitFor(s.up, s.start_wait, 20ms)) fail(s.name + " started but the " + s.port_name + " port does not answer");
}
}  // namespace

void stopImapServer() { stopServer(kDovecot); }
void startImapServer() {
  startServer(kDovecot, {"dovecot", "-c", dovecotConf().string()}, fs::path(servers().base) / "dovecot" / "restart.out");
}
void stopSmtpServer() { stopServer(kPostfix); }
void startSmtpServer() {
  startServer(kPostfix, servers().postfixStart, fs::path(servers().base) / "postfix" / "restart.out");
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
