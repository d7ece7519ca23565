#include "runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "trigger/time.h"

namespace trigger {
namespace {

// The descriptor on which a child that cannot exec says why (closed by a successful exec).
constexpr int kStartErrorFd = 3;

// The program to exec: argv[0] found in the search path, or why not.
struct Program {
  std::string path;    ///< empty: not found
  int error = ENOENT;  ///< when not found: ENOENT, or EACCES for a file it may not run
};

// The PATH the command's own environment sets; without one, this process's (as execvp).
std::string search_path(const RunRequest& request) {
  for (const auto& entry : request.env) {
    if (entry.compare(0, 5, "PATH=") == 0) return entry.substr(5);
  }
  const char* inherited = getenv("PATH");
  return inherited != nullptr ? inherited : "/bin:/usr/bin";
}

// argv[0] as the child will exec it: a name with a '/' as it is, any other looked up in the
// command's PATH (not this process's, which execvpe would search), in the parent, before
// vfork. An empty or relative directory is read from the command's --cwd, where it runs.
Program find_program(const RunRequest& request) {
  if (request.argv.empty()) return Program{};
  const std::string& name = request.argv.front();
  if (name.find('/') != std::string::npos) return Program{name, 0};
  if (name.empty()) return Program{};
  Program found;
  std::string path = search_path(request);
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = std::min(path.find(':', start), path.size());
    std::string directory = path.substr(start, end - start);
    start = end + 1;
    if (directory.empty()) directory = ".";
    if (directory.front() != '/' && request.cwd) directory = *request.cwd + "/" + directory;
    std::string candidate = directory + "/" + name;
    struct stat info;
    if (stat(candidate.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    if (access(candidate.c_str(), X_OK) == 0) return Program{candidate, 0};
    found.error = EACCES;
  }
  return found;
}

// In the child: why it cannot start, to its output (for the history) and, without
// "trigger: " and the newline, to the parent (for the outcome); then it ends with `status`.
[[noreturn]] void fail_start(int status, const char* what, const char* subject) {
  const char* reason = strerror(errno);
  const char* parts[] = {"trigger: ", "cannot ", what, " '", subject, "': ", reason, "\n"};
  for (std::size_t i = 0; i < sizeof parts / sizeof parts[0]; ++i) {
    ssize_t ignored = write(2, parts[i], strlen(parts[i]));
    if (i > 0 && i + 1 < sizeof parts / sizeof parts[0])
      ignored = write(kStartErrorFd, parts[i], strlen(parts[i]));
    (void)ignored;
  }
  _exit(status);
}

// In the child (forked: never borrowed memory, see start()): take `account`'s groups, group
// and user, in that order (the groups and the group only root may set), each step checked;
// a step that fails ends the child with kCannotBecomeUser: the command never runs, as root
// least of all. Then the parent-death signal, which a change of credentials clears, is armed
// again.
void become_user(const Account& account, pid_t parent) {
  const char* name = account.name.c_str();
  if (setgroups(account.groups.size(), account.groups.data()) != 0)
    fail_start(kCannotBecomeUser, "take the groups of user", name);
  if (setgid(account.gid) != 0) fail_start(kCannotBecomeUser, "take the group of user", name);
  if (setuid(account.uid) != 0) fail_start(kCannotBecomeUser, "become user", name);
  bool became = getuid() == account.uid && geteuid() == account.uid && getgid() == account.gid &&
                getegid() == account.gid;
  // A user other than root must not be able to take root back (a saved set-user-ID kept).
  if (became && account.uid != 0) became = setuid(0) != 0;
  if (!became) {
    errno = EPERM;
    fail_start(kCannotBecomeUser, "become user", name);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
}

// In the child, after vfork (or fork, for a command with an account): only system calls until
// exec or _exit.
[[noreturn]] void exec_child(const RunRequest& request, const Program& program, int input_fd,
                             int output_fd, int start_error_fd, char* const* argv,
                             char* const* envp, pid_t parent) {
  setpgid(0, 0);
  // Tied to the pass: killed when it dies (SIGKILL: nobody is left to follow a SIGTERM up).
  // If the pass died before this was armed, the child has another parent already: give up.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  if (input_fd < 0) input_fd = open("/dev/null", O_RDONLY);
  if (input_fd >= 0) dup2(input_fd, 0);
  dup2(output_fd, 1);
  dup2(output_fd, 2);
  if (start_error_fd >= 0 && dup2(start_error_fd, kStartErrorFd) == kStartErrorFd) {
    fcntl(kStartErrorFd, F_SETFD, FD_CLOEXEC);
    close_range(kStartErrorFd + 1, ~0U, 0);
  } else {
    close_range(kStartErrorFd, ~0U, 0);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  if (request.account) become_user(*request.account, parent);
  if (request.cwd && chdir(request.cwd->c_str()) != 0)
    fail_start(127, "change to directory", request.cwd->c_str());
  if (program.path.empty()) {
    errno = program.error;
  } else {
    execvpe(program.path.c_str(), argv, envp);  // a path: no search; a script without #! runs in sh
  }
  fail_start(127, "run", argv[0]);
}

}  // namespace

std::string RunResult::describe(std::optional<std::int64_t> timeout_seconds) const {
  if (!start_error.empty()) return start_error;
  if (timed_out && timeout_seconds) return "timed out after " + format_duration(*timeout_seconds);
  if (timed_out) return "timed out";
  if (signal) return "killed by signal " + std::to_string(*signal);
  if (exit_status) return "exit status " + std::to_string(*exit_status);
  return "unknown end";
}

ProcessPool::~ProcessPool() {
  for (auto& [handle, child] : children_) {
    if (child.pid > 0) kill(-child.pid, SIGKILL);
  }
  for (auto& [handle, child] : children_) {
    if (child.pid > 0) waitpid(child.pid, nullptr, 0);
    if (child.output_fd >= 0) close(child.output_fd);
    if (child.pid_fd >= 0) close(child.pid_fd);
  }
}

// Whether a failure to make a pipe or a process is this process running out of something
// (descriptors, processes, memory) rather than anything the command could be blamed for.
bool out_of_resources(int error) {
  return error == EMFILE || error == ENFILE || error == EAGAIN || error == ENOMEM;
}

Error resources_error(const char* what, int error) {
  return Error(ErrorKind::kBusy, std::string("cannot ") + what + ": " + std::strerror(error));
}

// The child's standard input when the request gives one: an unlinked memory file holding
// it, read from its start, closed with this object. fd -1: none (the child reads /dev/null).
struct InputFile {
  int fd = -1;
  int error = 0;  ///< the errno when it could not be made
  explicit InputFile(const std::optional<std::string>& input) {
    if (!input) return;
    fd = memfd_create("trigger-input", MFD_CLOEXEC);
    if (fd < 0) {
      error = errno;
      return;
    }
    for (std::size_t done = 0; done < input->size();) {
      ssize_t wrote = write(fd, input->data() + done, input->size() - done);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote < 0) {
        error = errno;
        reset();
        return;
      }
      done += static_cast<std::size_t>(wrote);
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
      error = errno;
      reset();
    }
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() { reset(); }
  void reset() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

// What a child wrote on its start-error pipe until its exec closed it: empty if the program
// started, else why it did not. Closes `fd`.
std::string read_start_error(int fd) {
  std::string error;
  char buffer[512];
  for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) != 0;) {
    if (got > 0) {
      error.append(buffer, static_cast<std::size_t>(got));
    } else if (errno != EINTR) {
      break;
    }
  }
  close(fd);
  return error;
}

// `words` as exec takes them: pointers into the strings, ending with a null pointer.
std::vector<char*> exec_vector(const std::vector<std::string>& words) {
  std::vector<char*> pointers;
  for (const auto& word : words) pointers.push_back(const_cast<char*>(word.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

ProcessPool::Started ProcessPool::ended_at_once(int handle, Child child, const std::string& why) {
  child.result.exit_status = 127;
  child.result.start_error = why;
  child.result.output = "trigger: " + why + "\n";
  children_[handle] = std::move(child);
  return Started{handle, -1};
}

ProcessPool::Started ProcessPool::refuse(const std::string& why) {
  return ended_at_once(next_handle_++, Child{}, "not run: " + why);
}

Result<ProcessPool::Started> ProcessPool::start(const RunRequest& request) {
  // Everything the child needs is built before fork.
  std::vector<char*> argv = exec_vector(request.argv);
  std::vector<char*> envp = exec_vector(request.env);
  Program program = find_program(request);

  int fds[2];
  int handle = next_handle_++;
  Child child;
  child.kill_grace_seconds = request.kill_grace_seconds;
  // No timeout, or one beyond a century, is a deadline a century away (further would overflow
  // the clock's nanoseconds).
  constexpr std::int64_t kLongestTimeout = 100LL * 366 * 86400;
  std::int64_t timeout =
      std::min(request.timeout_seconds.value_or(kLongestTimeout), kLongestTimeout);
  child.deadline = env_.steady_now() + std::chrono::seconds(timeout);
  auto not_started = [&](const std::string& why) -> Result<Started> {
    return ended_at_once(handle, std::move(child), why);
  };
  InputFile input(request.input);
  if (input.error != 0) {
    if (out_of_resources(input.error)) return resources_error("store the input", input.error);
    return not_started(std::string("cannot store the input: ") + std::strerror(input.error));
  }
  if (pipe2(fds, O_CLOEXEC) != 0) {
    if (out_of_resources(errno)) return resources_error("create a pipe", errno);
    return not_started(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  int start_error_fds[2] = {-1, -1};  // without it, a failed exec is still exit status 127
  if (pipe2(start_error_fds, O_CLOEXEC) != 0) {
    int pipe_errno = errno;
    close(fds[0]);
    close(fds[1]);
    if (out_of_resources(pipe_errno)) return resources_error("create a pipe", pipe_errno);
    return not_started(std::string("cannot create a pipe: ") + std::strerror(pipe_errno));
  }
  pid_t parent = getpid();
  // vfork: the child borrows this process's memory until it execs, instead of a copy of its
  // page tables (fork cost milliseconds per command here, most of a short command's overhead).
  // exec_child makes only system calls and writes nothing but its own stack; run-once has no
  // signal handlers that could run in it. A command with an account is forked: once its
  // child has become the user, that user's processes could stop it (the pass would wait in
  // vfork) until it execs.
  pid_t pid = request.account ? fork() : vfork();
  if (pid == 0)
    exec_child(request, program, input.fd, fds[1], start_error_fds[1], argv.data(), envp.data(),
               parent);
  int fork_errno = errno;
  close(fds[1]);
  close(start_error_fds[1]);
  input.reset();  // the child has its own copy
  if (pid < 0) {
    close(fds[0]);
    close(start_error_fds[0]);
    if (out_of_resources(fork_errno)) return resources_error("start a process", fork_errno);
    return not_started(std::string("cannot fork: ") + std::strerror(fork_errno));
  }
  child.result.start_error = read_start_error(start_error_fds[0]);
  setpgid(pid, pid);  // also in the child: whichever runs first
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  child.pid = pid;
  child.output_fd = fds[0];
  // -1 on old kernels: then we poll with a short timeout.
  child.pid_fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  children_[handle] = child;
  return Started{handle, pid};
}

void ProcessPool::keep_tail(std::string& output) const {
  if (output.size() > output_limit_) output.erase(0, output.size() - output_limit_);
}

void ProcessPool::read_output(Child& child) {
  if (child.output_fd < 0) return;
  char buffer[16384];
  while (true) {
    ssize_t got = read(child.output_fd, buffer, sizeof buffer);
    if (got > 0) {
      child.result.output.append(buffer, static_cast<std::size_t>(got));
      if (child.result.output.size() > 2 * output_limit_) keep_tail(child.result.output);
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) {  // every writer closed it
      close(child.output_fd);
      child.output_fd = -1;
    }
    return;
  }
}

std::vector<std::pair<int, RunResult>> ProcessPool::wait(std::chrono::milliseconds max_wait) {
  std::vector<std::pair<int, RunResult>> finished;
  auto until = env_.steady_now() + max_wait;
  while (finished.empty()) {
    // Children that never started (no pid) are finished at once.
    for (auto it = children_.begin(); it != children_.end();) {
      if (it->second.pid < 0) {
        finished.emplace_back(it->first, std::move(it->second.result));
        it = children_.erase(it);
      } else {
        ++it;
      }
    }
    if (!finished.empty() || children_.empty()) break;

    auto now = env_.steady_now();
    auto wake = until;
    std::vector<pollfd> fds;
    bool have_pid_fds = true;
    for (auto& [handle, child] : children_) {
      // Timeouts: SIGTERM to the whole group, then SIGKILL after the grace.
      if (!child.terminated && now >= child.deadline) {
        child.terminated = true;
        child.result.timed_out = true;
        kill(-child.pid, SIGTERM);
        child.kill_at = now + std::chrono::seconds(child.kill_grace_seconds);
      }
      if (child.terminated && !child.killed && now >= child.kill_at) {
        child.killed = true;
        kill(-child.pid, SIGKILL);
      }
      wake =
          std::min(wake, child.terminated ? (child.killed ? wake : child.kill_at) : child.deadline);
      if (child.output_fd >= 0) fds.push_back({child.output_fd, POLLIN, 0});
      if (child.pid_fd >= 0) {
        fds.push_back({child.pid_fd, POLLIN, 0});
      } else {
        have_pid_fds = false;
      }
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    if (!have_pid_fds) wait_ms = std::min<long long>(wait_ms, 5);
    if (wait_ms < 0) wait_ms = 0;
    env_.poll(fds.data(), fds.size(), std::chrono::milliseconds(wait_ms));

    for (auto it = children_.begin(); it != children_.end();) {
      Child& child = it->second;
      read_output(child);
      int status = 0;
      pid_t done = waitpid(child.pid, &status, WNOHANG);
      if (done == child.pid) {
        read_output(child);  // what it wrote last; stragglers holding the pipe are not waited for
        if (child.result.timed_out) kill(-child.pid, SIGKILL);  // killed whole on timeout
        if (WIFEXITED(status)) child.result.exit_status = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) child.result.signal = WTERMSIG(status);
        if (child.output_fd >= 0) close(child.output_fd);
        if (child.pid_fd >= 0) close(child.pid_fd);
        keep_tail(child.result.output);
        finished.emplace_back(it->first, std::move(child.result));
        it = children_.erase(it);
      } else {
        ++it;
      }
    }
    if (env_.steady_now() >= until) break;
  }
  return finished;
}

namespace {

// The process group (field 5 of /proc/PID/stat) and whether it still runs (not a zombie), or
// nullopt when there is no such process.
struct GroupMember {
  pid_t pgid = 0;
  bool running = false;
};
std::optional<GroupMember> group_of(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  std::string state, parent;
  long long pgid = 0;
  if (!(fields >> state >> parent >> pgid)) return std::nullopt;
  return GroupMember{static_cast<pid_t>(pgid), state != "Z" && state != "X"};
}

bool environment_holds(const std::string& pid, const std::string& marker) {
  std::ifstream file("/proc/" + pid + "/environ", std::ios::binary);
  for (std::string entry; std::getline(file, entry, '\0');) {
    if (entry == marker) return true;
  }
  return false;
}

// The running processes of group `pgid`, and whether one of them carries `marker`.
std::pair<int, bool> group_members(pid_t pgid, const std::string& marker) {
  int members = 0;
  bool marked = false;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return {0, false};
  while (dirent* entry = readdir(proc)) {
    std::string pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto member = group_of(pid);
    if (!member || member->pgid != pgid || !member->running) continue;
    ++members;
    if (!marked && !marker.empty()) marked = environment_holds(pid, marker);
  }
  closedir(proc);
  return {members, marked};
}

}  // namespace

int end_orphaned_group(Env& env, pid_t pgid, const std::string& marker) {
  if (pgid <= 1) return 0;
  auto [members, marked] = group_members(pgid, marker);
  if (members == 0 || !marked) return 0;
  kill(-pgid, SIGKILL);
  // Until they are gone (their descriptors and locks released), or a second has passed.
  for (int wait = 0; wait < 100 && group_members(pgid, "").first > 0; ++wait)
    env.pause(std::chrono::milliseconds(10));
  return members;
}

}  // namespace trigger
