// Processes for the integration tests: fork+exec with PR_SET_PDEATHSIG (no daemon outlives a
// killed test runner), waiting with timeouts, and temporary directories. Split from
// test_servers.cpp, which keeps the mail-server and database helpers.
#include "support/process_util.hpp"
#include "support/test_servers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace deskgate::test {
namespace fs = std::filesystem;

namespace detail {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

std::string getenvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

std::vector<char*> makeEnvp(const std::map<std::string, std::string>& extra,
                            std::vector<std::string>& storage) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) merged[k] = v;
  storage.clear();
  for (const auto& [k, v] : merged) storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  return envp;
}

ExitStatus decodeStatus(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) {
    s.exited = true;
    s.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
  }
  return s;
}

// The program's path: args[0] itself if it has a '/', else its first match in PATH.
std::string resolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::istringstream path(getenvOr("PATH", "/usr/local/bin:/usr/bin:/bin"));
  for (std::string dir; std::getline(path, dir, ':');) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  fail("cannot start " + name + ": not found in PATH");
}

// Starts args with stdin from `stdinPath` ("" = /dev/null) and stdout/stderr appended to the
// given files. fork+exec rather than posix_spawn for PR_SET_PDEATHSIG: a test runner killed by a
// ctest timeout must not leave daemons behind. Between fork and exec only async-signal-safe calls.
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const fs::path& stdinPath, const fs::path& outPath, const fs::path& errPath,
            const fs::path& workDir, bool dieWithParent) {
  if (args.empty()) fail("spawn: no program");
  const std::string program = resolveProgram(args[0]);
  const std::string in = stdinPath.empty() ? "/dev/null" : stdinPath.string();
  const std::string out = outPath.string(), err = errPath.string(), dir = workDir.string();
  const bool sameOutErr = errPath == outPath;
  std::vector<std::string> argStorage(args);
  std::vector<char*> argv;
  for (auto& a : argStorage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envStorage;
  auto envp = makeEnvp(env, envStorage);
  int errPipe[2];
  if (pipe2(errPipe, O_CLOEXEC) != 0) fail(std::string("pipe2: ") + std::strerror(errno));
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(errPipe[0]);
    close(errPipe[1]);
    fail(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    auto die = [&](int e) {
      (void)!write(errPipe[1], &e, sizeof e);
      _exit(127);
    };
    // Its own process group: a signal meant for the test runner's group (Ctrl-C, a kill of the
    // group) does not hit the daemon behind the test's back, nor the other way round.
    setpgid(0, 0);
    if (dieWithParent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int fd = open(in.c_str(), O_RDONLY);
    if (fd < 0 || dup2(fd, 0) < 0) die(errno);
    fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || dup2(fd, 1) < 0) die(errno);
    if (sameOutErr) {
      if (dup2(1, 2) < 0) die(errno);
    } else {
      fd = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd < 0 || dup2(fd, 2) < 0) die(errno);
    }
    if (!dir.empty() && chdir(dir.c_str()) != 0) die(errno);
    // Nothing else of the test process leaks into the child (sockets, ctest's pipes), except the
    // close-on-exec error pipe, which exec closes.
    if (errPipe[1] > 3) close_range(3, static_cast<unsigned>(errPipe[1]) - 1, 0);
    close_range(static_cast<unsigned>(errPipe[1]) + 1, ~0U, 0);
    execve(program.c_str(), argv.data(), envp.data());
    die(errno);
  }
  close(errPipe[1]);
  int childErrno = 0;
  ssize_t n;
  while ((n = read(errPipe[0], &childErrno, sizeof childErrno)) < 0 && errno == EINTR) {
  }
  close(errPipe[0]);
  if (n > 0) {
    int st = 0;
    waitpid(pid, &st, 0);
    fail("cannot start " + program + ": " + std::strerror(childErrno));
  }
  return pid;
}

std::optional<ExitStatus> waitPid(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return decodeStatus(st);
    if (r < 0 && errno != EINTR) fail(std::string("waitpid: ") + std::strerror(errno));
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

fs::path makeTempDir(std::string_view prefix) {
  std::string tmpl = (fs::temp_directory_path() / ("deskgate-" + std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) fail("mkdtemp " + tmpl + ": " + std::strerror(errno));
  return tmpl;
}

bool keepTemp() { return getenvOr("HD_KEEP_TEMP", "") == "1"; }

}  // namespace detail

using namespace detail;

// ---- processes ----------------------------------------------------------------------------------

std::string ExitStatus::describe() const {
  if (exited) return "exit " + std::to_string(code);
  if (signal != 0) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "unknown status";
}

DeskgateProcess::DeskgateProcess(std::vector<std::string> args, ProcessOptions options) {
  fs::path binary = options.binary.empty() ? fs::path(DESKGATE_BINARY) : options.binary;
  logFile_ = options.logFile;
  if (logFile_.empty()) {
    ownDir_ = makeTempDir("proc");
    logFile_ = ownDir_ / "output.log";
  }
  if (options.stdinData) {
    stdinFile_ = logFile_.parent_path() / ("stdin-" + std::to_string(getpid()) + "-" +
                                           std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::ofstream(stdinFile_, std::ios::binary) << *options.stdinData;
  }
  args.insert(args.begin(), binary.string());
  pid_ = spawn(args, options.env, stdinFile_, logFile_, logFile_, options.workDir);
}

DeskgateProcess::~DeskgateProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
  std::error_code ec;
  if (!stdinFile_.empty()) fs::remove(stdinFile_, ec);
  if (!ownDir_.empty() && !keepTemp()) fs::remove_all(ownDir_, ec);
}

bool DeskgateProcess::running() {
  if (status_) return false;
  return !wait(0ms).has_value();
}

void DeskgateProcess::signal(int sig) {
  if (status_ || pid_ <= 0) return;
  if (::kill(pid_, sig) != 0 && errno != ESRCH)
    fail("kill(" + std::to_string(pid_) + ", " + std::to_string(sig) + "): " + std::strerror(errno));
}

std::optional<ExitStatus> DeskgateProcess::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  status_ = waitPid(pid_, timeout);
  return status_;
}

std::string DeskgateProcess::output() const { return readFile(logFile_); }

bool DeskgateProcess::waitForOutput(std::string_view text, std::chrono::milliseconds timeout) {
  return waitFor(
      [&] {
        if (output().find(text) != std::string::npos) return true;
        if (!running()) return output().find(text) != std::string::npos;
        return false;
      },
      timeout, 20ms) &&
         output().find(text) != std::string::npos;
}

CommandResult runCommand(const std::vector<std::string>& args,
                         const std::optional<std::string>& stdinData,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout) {
  const fs::path dir = makeTempDir("cmd");
  fs::path in;
  if (stdinData) {
    in = dir / "stdin";
    std::ofstream(in, std::ios::binary) << *stdinData;
  }
  pid_t pid = spawn(args, env, in, dir / "stdout", dir / "stderr", {});
  CommandResult r;
  if (auto st = waitPid(pid, timeout)) {
    r.status = *st;
  } else {
    ::kill(pid, SIGKILL);
    r.status = *waitPid(pid, 60s);
  }
  r.out = readFile(dir / "stdout");
  r.err = readFile(dir / "stderr");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

CommandResult runDeskgate(const std::vector<std::string>& args,
                          const std::optional<std::string>& stdinData,
                          const std::map<std::string, std::string>& env,
                          std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{DESKGATE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, stdinData, env, timeout);
}

// ---- isolation ----------------------------------------------------------------------------------

TempDir::TempDir(std::string_view prefix) : path_(makeTempDir(prefix)) {}

TempDir::~TempDir() {
  if (keepTemp()) {
    std::cerr << "HD_KEEP_TEMP: kept " << path_ << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(std::string_view name, std::string_view content) const {
  fs::path p = path_ / name;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
  if (!out) fail("cannot write " + p.string());
  return p;
}

}  // namespace deskgate::test
