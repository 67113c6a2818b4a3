// Test harness for integration tests against the real servers that tests/scripts/start-servers.sh
// starts (Dovecot IMAP/IMAPS/LMTP, Postfix SMTP -> LMTP, PostgreSQL), and for running the real
// `deskgate` binary. Everything here talks to the servers the way a user would: SMTP and IMAP over
// libcurl, doveadm for set-up that must not go through IMAP, libpq for throw-away databases.
//
// Every function throws std::runtime_error with a readable reason (curl error text plus the last
// server lines) when something fails that the test did not ask to fail.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate::test {

using namespace std::chrono_literals;

// ---- where the servers are ----------------------------------------------------------------------

struct ServerEnv {
  std::string base;            // HD_BASE
  std::string host = "127.0.0.1";
  int imapPort = 10143;        // HD_IMAP_PORT
  int imapsPort = 10993;       // HD_IMAPS_PORT
  int lmtpPort = 10024;        // HD_LMTP_PORT
  int smtpPort = 10025;        // HD_SMTP_PORT
  int saslPort = 10026;        // HD_SASL_PORT
  int pgPort = 54329;          // HD_PG_PORT
  int smtpLimitedPort = 10027;  // HD_SMTP_LIMITED_PORT: Postfix taking mail up to smtpLimitedSize only
  long smtpLimitedSize = 10240000;  // HD_SMTP_LIMITED_SIZE (Postfix's default message_size_limit)
  std::string caFile;          // HD_CA_FILE: the test CA (CURLOPT_CAINFO)
  std::string wrongCaFile;     // HD_WRONG_CA_FILE: an unrelated CA, for "wrong CA is refused"
  std::string pgUrl;           // HD_PG_URL: postgresql://deskgate:deskgate@127.0.0.1:PORT/deskgate
  std::string pgConninfo;      // HD_PG_CONNINFO: the same in libpq keyword form
  std::vector<std::string> doveadm;  // HD_DOVEADM split into argv: doveadm -c <conf>
  std::vector<std::string> postfixStart;  // HD_POSTFIX_START: master -c <conf> -w
  std::string postfixPidFile;             // HD_POSTFIX_PID_FILE
  std::string password;        // HD_PASSWORD: every account's password ("secret")
  std::vector<std::string> accounts;  // HD_ACCOUNTS

  std::string imapUrl() const;   // imap://127.0.0.1:PORT
  std::string imapsUrl() const;  // imaps://localhost:PORT (host name matches the certificate SAN)
  std::string smtpUrl() const;   // smtp://127.0.0.1:PORT
  std::string smtpLimitedUrl() const;  // smtp://127.0.0.1:LIMITED_PORT
};

// The servers of this test run. HD_BASE (default /tmp/deskgate-test-servers) names the base
// directory; when $HD_BASE/env.sh exists it is authoritative, otherwise the HD_* variables of the
// process environment (with the defaults above) are used. Loaded once; throws when the servers are
// evidently not there (no env.sh and no HD_IMAP_PORT), telling how to start them.
const ServerEnv& servers();

// ---- SMTP (to Postfix, which delivers into Dovecot over LMTP) ----------------------------------

struct SmtpOptions {
  std::string url;                 // default servers().smtpUrl()
  std::string username, password;  // AUTH PLAIN when set (Dovecot SASL; needs an account)
  bool starttls = false;           // STARTTLS with servers().caFile
};

struct SmtpResult {
  int curlCode = 0;        // CURLcode; 0 = accepted
  long responseCode = 0;   // last SMTP reply code
  std::string error;       // curl's error text plus the server's last lines
  bool ok() const { return curlCode == 0; }
};

// Sends raw RFC 5322 text. Bare LF line ends are turned into CRLF (SMTP needs CRLF); curl
// dot-stuffs. `from` may be "" for a null sender (MAIL FROM:<>), as bounces use.
void sendMail(std::string_view from, const std::vector<std::string>& to, std::string_view raw,
              const SmtpOptions& options = {});
// The same, without throwing: for tests that expect a refusal (unknown user -> 550, curl 55).
SmtpResult trySendMail(std::string_view from, const std::vector<std::string>& to,
                       std::string_view raw, const SmtpOptions& options = {});

// ---- IMAP (reading what arrived; plain IMAP on 127.0.0.1 as the account) -----------------------

// UIDs in `folder`, ascending (UID SEARCH ALL). An empty folder gives {}.
std::vector<std::uint32_t> listMailbox(const std::string& user, const std::string& folder = "INBOX");
// UID SEARCH with any criteria, e.g. "UNSEEN", "HEADER Subject \"[Ticket#1]\"".
std::vector<std::uint32_t> searchMailbox(const std::string& user, const std::string& folder,
                                         const std::string& criteria);
// The message's exact bytes as the server holds them (CRLF line ends). Reads the folder opened
// read-only (EXAMINE), so it does NOT set \Seen. Throws if the UID does not exist.
std::string fetchMessage(const std::string& user, const std::string& folder, std::uint32_t uid);
// Its flags, e.g. {"\\Seen", "\\Recent"}. Throws if the UID does not exist.
std::set<std::string> messageFlags(const std::string& user, const std::string& folder,
                                   std::uint32_t uid);
bool hasFlag(const std::string& user, const std::string& folder, std::uint32_t uid,
             std::string_view flag);

struct Message {
  std::uint32_t uid;
  std::string raw;
};
// Every message of the folder, ascending UID (unseen state untouched).
std::vector<Message> fetchAll(const std::string& user, const std::string& folder = "INBOX");

struct ImapProbe {
  int curlCode = 0;       // CURLcode; 60 = certificate verification failed
  std::string error;
  std::string body;       // the untagged response lines
};
// Logs in at `url` (imap:// or imaps://, e.g. servers().imapsUrl()) with the given CA file
// ("" = the system's trust store) and runs `UID SEARCH ALL` in INBOX. For TLS tests.
ImapProbe probeImap(const std::string& url, const std::string& user, const std::string& password,
                    const std::string& caFile);

// ---- doveadm (server-side set-up, not through IMAP) ---------------------------------------------

// Stores `raw` straight into the folder (doveadm save): arrives unseen, like LMTP delivery but
// without Postfix. LF or CRLF both fine. Creates nothing: the folder must exist (INBOX always does).
void deliverDirect(const std::string& user, const std::string& folder, std::string_view raw);
// Many messages at once, for bulk tests (500 doveadm runs take minutes on a loaded machine): the
// files are written into the folder's Maildir new/ directory the way an MDA does, and Dovecot
// assigns UIDs at its next look (any IMAP command, or IDLE). Arrive unseen; the UID order is not
// guaranteed to follow the vector. The folder must exist (INBOX always does).
void deliverDirectMany(const std::string& user, const std::string& folder,
                       const std::vector<std::string>& raws);
// Expunges every message of the folder.
void clearMailbox(const std::string& user, const std::string& folder = "INBOX");
// Creates a folder (no error if it exists).
void createFolder(const std::string& user, const std::string& folder);

// ---- taking the SMTP server away and back (for "SMTP down" tests) -------------------------------

// Stops Postfix (SIGTERM to its master, waits until the SMTP port refuses connections). Mail
// already queued stays in the queue. No-op if it is not running.
void stopSmtpServer();
// Starts it again (master -w, detached from the test process) and waits until SMTP answers.
void startSmtpServer();
// True while something accepts connections on the SMTP port.
bool smtpServerUp();

// ---- taking Dovecot away and back (IMAP, LMTP and SASL go together) ------------------------------

// Stops Dovecot (SIGTERM to its master, which ends every imap process) and waits until the IMAP
// port refuses connections. No-op if it is not running.
void stopImapServer();
// Starts it again with the same configuration and waits until IMAP answers.
void startImapServer();
bool imapServerUp();

// ---- waiting ------------------------------------------------------------------------------------

// Polls `predicate` every `interval` until it returns true (-> true) or `timeout` passes (-> false).
// The predicate runs at least once, and once more at the deadline.
bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = 10s,
             std::chrono::milliseconds interval = 20ms);

// ---- small mail helpers -------------------------------------------------------------------------

// LF -> CRLF (existing CRLF kept).
std::string toCrlf(std::string_view text);
// The first header field `name` (case-insensitive), unfolded, leading/trailing blanks trimmed;
// nullopt when absent. Looks only at the header section. No RFC 2047 decoding.
std::optional<std::string> headerValue(std::string_view raw, std::string_view name);
// A unique Message-ID value like "<test-17-3-1234@customer.test>".
std::string uniqueMessageId(std::string_view domain = "customer.test");

// ---- processes ----------------------------------------------------------------------------------

struct ExitStatus {
  bool exited = false;   // exited normally: see code
  int code = -1;         // exit code when exited
  int signal = 0;        // terminating signal otherwise
  std::string describe() const;  // "exit 0", "killed by signal 9 (Killed)"
};

struct ProcessOptions {
  std::filesystem::path binary;                // default DESKGATE_BINARY
  std::map<std::string, std::string> env;      // added to (or replacing in) this process's env
  std::filesystem::path workDir;               // default: current directory
  std::filesystem::path logFile;               // stdout+stderr; default: a temp file, removed with the object
  std::optional<std::string> stdinData;        // default: /dev/null
};

// The `deskgate` binary (or any program) running in the background. Its stdout and stderr go to
// logFile(). The destructor kills (SIGKILL) and reaps it if it is still running.
class DeskgateProcess {
 public:
  explicit DeskgateProcess(std::vector<std::string> args, ProcessOptions options = {});
  ~DeskgateProcess();
  DeskgateProcess(const DeskgateProcess&) = delete;
  DeskgateProcess& operator=(const DeskgateProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();                      // false once it has exited (and is reaped)
  void signal(int sig);                // SIGTERM, SIGKILL, SIGHUP, ... (no-op once exited)
  // Waits up to `timeout` for the exit; nullopt if it is still running then.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout = 30s);
  // Status once exited (nullopt while running).
  std::optional<ExitStatus> status() const { return status_; }
  const std::filesystem::path& logFile() const { return logFile_; }
  std::string output() const;          // the log so far
  // Waits until the log contains `text` (true) or the process exits / `timeout` passes (false).
  bool waitForOutput(std::string_view text, std::chrono::milliseconds timeout = 10s);

 private:
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  std::filesystem::path logFile_;
  std::filesystem::path stdinFile_;
  std::filesystem::path ownDir_;  // the default log's directory, removed unless HD_KEEP_TEMP=1
};

struct CommandResult {
  ExitStatus status;
  std::string out;   // stdout
  std::string err;   // stderr
};
// Runs a program to completion (killed with SIGKILL after `timeout`, then status.signal = 9).
// args[0] is the program; without a '/' it is looked up in PATH.
CommandResult runCommand(const std::vector<std::string>& args,
                         const std::optional<std::string>& stdinData = std::nullopt,
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::milliseconds timeout = 60s);
// `deskgate ARGS...` to completion, e.g. runDeskgate({"ingest", "--config", cfg}, rawMail).
CommandResult runDeskgate(const std::vector<std::string>& args,
                          const std::optional<std::string>& stdinData = std::nullopt,
                          const std::map<std::string, std::string>& env = {},
                          std::chrono::milliseconds timeout = 60s);

// Runs `doveadm ARGS...` against the test Dovecot (folder names in UTF-8); fails the test with
// its output when it fails.
CommandResult doveadm(std::vector<std::string> args, const std::optional<std::string>& stdinData = {});

// ---- isolation: a directory and a database of one's own ----------------------------------------

// A fresh directory under $TMPDIR (deskgate-<prefix>-XXXXXX), removed by the destructor unless
// HD_KEEP_TEMP=1 is set (then its path is printed for post-mortems).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }
  // Writes a file below the directory (creating parent folders); returns its path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// A fresh, empty PostgreSQL database owned by the deskgate role on the test cluster, dropped
// (WITH (FORCE)) by the destructor unless HD_KEEP_TEMP=1.
class PgDatabase {
 public:
  explicit PgDatabase(std::string_view prefix = "t");
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;
  const std::string& name() const { return name_; }
  std::string url() const;       // postgresql://deskgate:deskgate@127.0.0.1:PORT/NAME
  std::string conninfo() const;  // host=127.0.0.1 port=PORT dbname=NAME user=deskgate password=deskgate
  // Runs SQL and returns the first column of the first row ("" if no rows); for quick checks.
  std::string queryValue(const std::string& sql) const;

 private:
  std::string name_;
};

// Runs SQL on the database named by `conninfo`, returns the first column of the first row.
std::string pgQueryValue(const std::string& conninfo, const std::string& sql);

}  // namespace deskgate::test
