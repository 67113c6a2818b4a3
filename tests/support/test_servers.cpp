// Implementation notes: each IMAP/SMTP helper uses its own short-lived curl handle, so curl's
// per-connection cache of the selected mailbox (notes/test-servers.md §7) never leaks between
// calls. Processes are started with fork+exec and die with the test process (PR_SET_PDEATHSIG).
#include "support/test_servers.hpp"

#include "support/process_util.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace deskgate::test {
namespace fs = std::filesystem;
using namespace detail;

namespace {

std::vector<std::string> splitWords(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Parses the `export NAME='value'` / `export NAME=value` lines that start-servers.sh writes.
std::map<std::string, std::string> parseEnvFile(const fs::path& p) {
  std::map<std::string, std::string> vars;
  std::istringstream in(readFile(p));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("export ", 0) != 0) continue;
    line.erase(0, 7);
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    vars[line.substr(0, eq)] = value;
  }
  return vars;
}

ServerEnv loadServerEnv() {
  ServerEnv e;
  e.base = getenvOr("HD_BASE", "/tmp/deskgate-test-servers");
  const fs::path envFile = fs::path(e.base) / "env.sh";
  std::map<std::string, std::string> vars;
  if (fs::exists(envFile)) {
    vars = parseEnvFile(envFile);
  } else if (std::getenv("HD_IMAP_PORT") != nullptr) {
    for (const char* n : {"HD_IMAP_PORT", "HD_IMAPS_PORT", "HD_LMTP_PORT", "HD_SMTP_PORT",
                          "HD_SASL_PORT", "HD_PG_PORT", "HD_CA_FILE", "HD_WRONG_CA_FILE",
                          "HD_PG_URL", "HD_PG_CONNINFO", "HD_DOVEADM", "HD_PASSWORD", "HD_ACCOUNTS",
                          "HD_POSTFIX_START", "HD_POSTFIX_PID_FILE", "HD_SMTP_LIMITED_PORT",
                          "HD_SMTP_LIMITED_SIZE"})
      if (const char* v = std::getenv(n)) vars[n] = v;
  } else {
    fail("test servers not found: no " + envFile.string() +
         " and no HD_IMAP_PORT in the environment; start them with HD_BASE=" + e.base +
         " tests/scripts/start-servers.sh (ctest does this through the `servers` fixture)");
  }
  auto str = [&](const char* n, std::string fallback) {
    auto it = vars.find(n);
    return it != vars.end() ? it->second : std::move(fallback);
  };
  auto num = [&](const char* n, int fallback) {
    auto it = vars.find(n);
    return it != vars.end() ? std::stoi(it->second) : fallback;
  };
  e.imapPort = num("HD_IMAP_PORT", e.imapPort);
  e.imapsPort = num("HD_IMAPS_PORT", e.imapsPort);
  e.lmtpPort = num("HD_LMTP_PORT", e.lmtpPort);
  e.smtpPort = num("HD_SMTP_PORT", e.smtpPort);
  e.saslPort = num("HD_SASL_PORT", e.saslPort);
  e.pgPort = num("HD_PG_PORT", e.pgPort);
  e.smtpLimitedPort = num("HD_SMTP_LIMITED_PORT", e.smtpPort + 2);
  e.smtpLimitedSize = num("HD_SMTP_LIMITED_SIZE", static_cast<int>(e.smtpLimitedSize));
  e.caFile = str("HD_CA_FILE", e.base + "/tls/ca.pem");
  e.wrongCaFile = str("HD_WRONG_CA_FILE", e.base + "/tls/wrong-ca.pem");
  const std::string port = std::to_string(e.pgPort);
  e.pgUrl = str("HD_PG_URL", "postgresql://deskgate:deskgate@127.0.0.1:" + port + "/deskgate");
  e.pgConninfo = str("HD_PG_CONNINFO", "host=127.0.0.1 port=" + port +
                                           " dbname=deskgate user=deskgate password=deskgate");
  e.doveadm = splitWords(str("HD_DOVEADM", "doveadm -c " + e.base + "/dovecot/dovecot.conf"));
  e.postfixStart = splitWords(str("HD_POSTFIX_START", "/usr/lib/postfix/sbin/master -c " + e.base +
                                                          "/postfix/conf -w"));
  e.postfixPidFile = str("HD_POSTFIX_PID_FILE", e.base + "/postfix/queue/pid/master.pid");
  e.password = str("HD_PASSWORD", "secret");
  e.accounts = splitWords(str("HD_ACCOUNTS", ""));
  return e;
}

void curlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One curl easy handle with the buffers a request needs.
struct Curl {
  CURL* h;
  std::string body;
  std::string serverLines;  // every line the server sent (header callback)
  char errbuf[CURL_ERROR_SIZE] = {};

  Curl() {
    curlGlobalInit();
    h = curl_easy_init();
    if (h == nullptr) fail("curl_easy_init failed");
    prepare();
  }
  ~Curl() { curl_easy_cleanup(h); }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;

  static size_t onData(char* p, size_t size, size_t n, void* self) {
    static_cast<std::string*>(self)->append(p, size * n);
    return size * n;
  }
  // (Re)sets the options every request has; curl_easy_reset keeps the connection cache.
  void prepare() {
    curl_easy_reset(h);
    body.clear();
    serverLines.clear();
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Curl::onData);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Curl::onData);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &serverLines);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  }
  void login(const std::string& user, const std::string& password) {
    curl_easy_setopt(h, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
  }
  CURLcode perform() { return curl_easy_perform(h); }
  std::string describe(CURLcode rc, const std::string& what) const {
    std::string lastLines = serverLines;
    if (lastLines.size() > 600) lastLines = "..." + lastLines.substr(lastLines.size() - 600);
    return what + ": curl error " + std::to_string(static_cast<int>(rc)) + " (" +
           (errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc))) +
           ")" + (lastLines.empty() ? "" : "; server said:\n" + lastLines);
  }
  void check(CURLcode rc, const std::string& what) const {
    if (rc != CURLE_OK) fail(describe(rc, what));
  }
};

std::string escapeUrl(CURL* h, const std::string& s) {
  char* e = curl_easy_escape(h, s.c_str(), static_cast<int>(s.size()));
  std::string out(e);
  curl_free(e);
  return out;
}

std::string quoteImap(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::string mailboxUrl(CURL* h, const std::string& folder) {
  return servers().imapUrl() + "/" + escapeUrl(h, folder);
}

std::vector<std::uint32_t> parseSearch(const std::string& body) {
  std::vector<std::uint32_t> uids;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("* SEARCH", 0) != 0) continue;
    std::istringstream words(line.substr(8));
    for (std::string w; words >> w;)
      if (!w.empty() && std::isdigit(static_cast<unsigned char>(w[0])))
        uids.push_back(static_cast<std::uint32_t>(std::stoul(w)));
  }
  std::sort(uids.begin(), uids.end());
  return uids;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

// ---- ServerEnv ----------------------------------------------------------------------------------

std::string ServerEnv::imapUrl() const { return "imap://" + host + ":" + std::to_string(imapPort); }
std::string ServerEnv::imapsUrl() const { return "imaps://localhost:" + std::to_string(imapsPort); }
std::string ServerEnv::smtpUrl() const { return "smtp://" + host + ":" + std::to_string(smtpPort); }
std::string ServerEnv::smtpLimitedUrl() const {
  return "smtp://" + host + ":" + std::to_string(smtpLimitedPort);
}

const ServerEnv& servers() {
  static const ServerEnv env = loadServerEnv();
  return env;
}

// ---- SMTP ---------------------------------------------------------------------------------------

SmtpResult trySendMail(std::string_view from, const std::vector<std::string>& to,
                       std::string_view raw, const SmtpOptions& options) {
  Curl c;
  const std::string data = toCrlf(raw);
  size_t offset = 0;
  struct Reader {
    static size_t read(char* buf, size_t size, size_t n, void* user) {
      auto* st = static_cast<std::pair<const std::string*, size_t*>*>(user);
      const std::string& d = *st->first;
      size_t& off = *st->second;
      size_t len = std::min(size * n, d.size() - off);
      std::memcpy(buf, d.data() + off, len);
      off += len;
      return len;
    }
  };
  std::pair<const std::string*, size_t*> state{&data, &offset};
  // The URL path is the EHLO name (else curl says EHLO <local hostname>).
  const std::string url = (options.url.empty() ? servers().smtpUrl() : options.url) + "/deskgate-tests.test";
  const std::string mailFrom = "<" + std::string(from) + ">";
  curl_slist* rcpt = nullptr;
  for (const auto& r : to) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_FROM, mailFrom.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.h, CURLOPT_READFUNCTION, &Reader::read);
  curl_easy_setopt(c.h, CURLOPT_READDATA, &state);
  curl_easy_setopt(c.h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
  if (options.starttls) {
    curl_easy_setopt(c.h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    curl_easy_setopt(c.h, CURLOPT_CAINFO, servers().caFile.c_str());
  }
  if (!options.username.empty()) c.login(options.username, options.password);
  CURLcode rc = c.perform();
  curl_slist_free_all(rcpt);
  SmtpResult result;
  result.curlCode = static_cast<int>(rc);
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &result.responseCode);
  if (rc != CURLE_OK) result.error = c.describe(rc, "SMTP send to " + url);
  return result;
}

void sendMail(std::string_view from, const std::vector<std::string>& to, std::string_view raw,
              const SmtpOptions& options) {
  SmtpResult r = trySendMail(from, to, raw, options);
  if (!r.ok()) fail(r.error);
}

// ---- IMAP ---------------------------------------------------------------------------------------

std::vector<std::uint32_t> searchMailbox(const std::string& user, const std::string& folder,
                                         const std::string& criteria) {
  Curl c;
  const std::string url = mailboxUrl(c.h, folder);
  const std::string cmd = "UID SEARCH " + criteria;
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, cmd.c_str());
  c.login(user, servers().password);
  c.check(c.perform(), cmd + " in " + user + "/" + folder);
  return parseSearch(c.body);
}

std::vector<std::uint32_t> listMailbox(const std::string& user, const std::string& folder) {
  return searchMailbox(user, folder, "ALL");
}

namespace {
// Opens `folder` read-only on c's connection: curl SELECTs it (it must, before a custom command
// on a mailbox URL), then our EXAMINE makes it read-only while curl still believes the folder is
// selected, so the following URL fetches (UID FETCH n BODY[]) leave \Seen alone.
void examine(Curl& c, const std::string& user, const std::string& folder) {
  const std::string url = mailboxUrl(c.h, folder);
  const std::string cmd = "EXAMINE " + quoteImap(folder);
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, cmd.c_str());
  c.login(user, servers().password);
  c.check(c.perform(), cmd + " as " + user);
}

std::string fetchOn(Curl& c, const std::string& user, const std::string& folder, std::uint32_t uid) {
  c.prepare();
  const std::string url = mailboxUrl(c.h, folder) + ";UID=" + std::to_string(uid);
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  c.login(user, servers().password);
  c.check(c.perform(), "fetch UID " + std::to_string(uid) + " of " + user + "/" + folder);
  return std::move(c.body);
}
}  // namespace

std::string fetchMessage(const std::string& user, const std::string& folder, std::uint32_t uid) {
  Curl c;
  examine(c, user, folder);
  return fetchOn(c, user, folder, uid);
}

std::vector<Message> fetchAll(const std::string& user, const std::string& folder) {
  std::vector<Message> out;
  const auto uids = listMailbox(user, folder);
  if (uids.empty()) return out;
  Curl c;
  examine(c, user, folder);
  for (auto uid : uids) out.push_back({uid, fetchOn(c, user, folder, uid)});
  return out;
}

std::set<std::string> messageFlags(const std::string& user, const std::string& folder,
                                   std::uint32_t uid) {
  Curl c;
  const std::string url = mailboxUrl(c.h, folder);
  const std::string cmd = "UID FETCH " + std::to_string(uid) + " (FLAGS)";
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, cmd.c_str());
  c.login(user, servers().password);
  c.check(c.perform(), cmd + " in " + user + "/" + folder);
  // * 3 FETCH (UID 7 FLAGS (\Seen \Recent))  -- order of UID/FLAGS varies
  const std::string uidTag = "UID " + std::to_string(uid);
  std::istringstream in(c.body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("* ", 0) != 0 || line.find(" FETCH (") == std::string::npos) continue;
    auto u = line.find(uidTag);
    if (u == std::string::npos ||
        (u + uidTag.size() < line.size() && std::isdigit(static_cast<unsigned char>(line[u + uidTag.size()]))))
      continue;
    auto f = line.find("FLAGS (");
    if (f == std::string::npos) continue;
    auto end = line.find(')', f);
    std::set<std::string> flags;
    std::istringstream words(line.substr(f + 7, end - f - 7));
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  fail("no message with UID " + std::to_string(uid) + " in " + user + "/" + folder);
}

bool hasFlag(const std::string& user, const std::string& folder, std::uint32_t uid,
             std::string_view flag) {
  const auto flags = messageFlags(user, folder, uid);
  return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return iequals(f, flag); });
}

ImapProbe probeImap(const std::string& url, const std::string& user, const std::string& password,
                    const std::string& caFile) {
  Curl c;
  const std::string full = url + "/INBOX";
  curl_easy_setopt(c.h, CURLOPT_URL, full.c_str());
  curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, "UID SEARCH ALL");
  if (!caFile.empty()) curl_easy_setopt(c.h, CURLOPT_CAINFO, caFile.c_str());
  c.login(user, password);
  CURLcode rc = c.perform();
  ImapProbe p;
  p.curlCode = static_cast<int>(rc);
  if (rc != CURLE_OK) p.error = c.describe(rc, "IMAP " + full);
  p.body = c.body;
  return p;
}

// ---- doveadm ------------------------------------------------------------------------------------

CommandResult doveadm(std::vector<std::string> args, const std::optional<std::string>& stdinData) {
  std::vector<std::string> argv = servers().doveadm;
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = runCommand(argv, stdinData, {}, 60s);
  if (!r.status.exited || r.status.code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    fail(cmd + "failed: " + r.status.describe() + "\n" + r.out + r.err);
  }
  return r;
}

void deliverDirect(const std::string& user, const std::string& folder, std::string_view raw) {
  doveadm({"save", "-u", user, "-m", folder}, std::string(raw));
}

void deliverDirectMany(const std::string& user, const std::string& folder,
                       const std::vector<std::string>& raws) {
  // Opening the folder once creates INBOX's Maildir if it was never used; then ask for its path.
  doveadm({"mailbox", "status", "-u", user, "messages", folder});
  auto argv = servers().doveadm;
  argv.insert(argv.end(), {"mailbox", "path", "-u", user, folder});
  CommandResult r = runCommand(argv);
  std::string dir = r.out.substr(0, r.out.find('\n'));
  if (!r.status.exited || r.status.code != 0 || dir.empty() || !fs::is_directory(fs::path(dir) / "new"))
    fail("no Maildir for " + user + "/" + folder + ": " + r.out + r.err);
  struct stat owner {};
  if (::stat((fs::path(dir) / "new").c_str(), &owner) != 0) fail("stat " + dir + "/new");
  static std::atomic<unsigned> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  for (const auto& raw : raws) {
    // Maildir file name: time.unique.host, unique per process and call.
    const std::string name = std::to_string(secs) + ".M" + std::to_string(counter++) + "P" +
                             std::to_string(getpid()) + ".deskgate-tests";
    const fs::path tmp = fs::path(dir) / "tmp" / name;
    {
      std::ofstream out(tmp, std::ios::binary);
      out << raw;
      if (!out) fail("cannot write " + tmp.string());
    }
    if (::chown(tmp.c_str(), owner.st_uid, owner.st_gid) != 0 || ::chmod(tmp.c_str(), 0600) != 0)
      fail("cannot chown " + tmp.string() + ": " + std::strerror(errno));
    fs::rename(tmp, fs::path(dir) / "new" / name);
  }
}

void clearMailbox(const std::string& user, const std::string& folder) {
  doveadm({"expunge", "-u", user, "mailbox", folder, "all"});
}

void createFolder(const std::string& user, const std::string& folder) {
  const auto existing = runCommand([&] {
    auto argv = servers().doveadm;
    argv.insert(argv.end(), {"mailbox", "list", "-u", user});
    return argv;
  }());
  std::istringstream in(existing.out);
  for (std::string line; std::getline(in, line);)
    if (line == folder) return;
  doveadm({"mailbox", "create", "-u", user, folder});
}

// ---- waiting and mail helpers -------------------------------------------------------------------

bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(interval, deadline - std::chrono::steady_clock::now()));
    if (std::chrono::steady_clock::now() >= deadline) return predicate();
  }
}

std::string toCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

std::optional<std::string> headerValue(std::string_view raw, std::string_view name) {
  size_t pos = 0;
  std::optional<std::string> found;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    if (eol == std::string_view::npos) eol = raw.size();
    std::string_view line = raw.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header section
    if (line.front() == ' ' || line.front() == '\t') {
      if (found) *found += " " + std::string(line.substr(line.find_first_not_of(" \t")));
    } else if (found) {
      break;
    } else {
      auto colon = line.find(':');
      if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
        std::string_view v = line.substr(colon + 1);
        auto b = v.find_first_not_of(" \t");
        found = b == std::string_view::npos ? std::string() : std::string(v.substr(b));
      }
    }
    pos = eol + 1;
  }
  if (found) {
    while (!found->empty() && (found->back() == ' ' || found->back() == '\t')) found->pop_back();
  }
  return found;
}

std::string uniqueMessageId(std::string_view domain) {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}();
  return "<test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(salt % 100000) + "@" + std::string(domain) + ">";
}

}  // namespace deskgate::test
