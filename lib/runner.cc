#include "runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "trigger/time.h"

namespace trigger {
namespace {

// The descriptor on which a child that cannot exec says why (closed by a successful exec).
constexpr int kStartErrorFd = 3;

// In the child, after vfork: only system calls until exec or _exit.
[[noreturn]] void exec_child(const RunRequest& request, int output_fd, int start_error_fd,
                             char* const* argv, char* const* envp) {
  setpgid(0, 0);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
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
  // The reason goes to the output (for the history) and, without "trigger: " and the newline,
  // to the parent (for the outcome).
  auto fail = [](const char* what, const char* subject) {
    const char* reason = strerror(errno);
    const char* parts[] = {"trigger: ", "cannot ", what, " '", subject, "': ", reason, "\n"};
    for (std::size_t i = 0; i < sizeof parts / sizeof parts[0]; ++i) {
      ssize_t ignored = write(2, parts[i], strlen(parts[i]));
      if (i > 0 && i + 1 < sizeof parts / sizeof parts[0])
        ignored = write(kStartErrorFd, parts[i], strlen(parts[i]));
      (void)ignored;
    }
    _exit(127);
  };
  if (request.cwd && chdir(request.cwd->c_str()) != 0)
    fail("change to directory", request.cwd->c_str());
  execvpe(argv[0], argv, envp);
  fail("run", argv[0]);
  _exit(127);
}

}  // namespace

std::string RunResult::describe(std::int64_t timeout_seconds) const {
  if (!start_error.empty()) return start_error;
  if (timed_out) return "timed out after " + format_duration(timeout_seconds);
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

int ProcessPool::start(const RunRequest& request) {
  // Everything the child needs is built before fork.
  std::vector<char*> argv;
  for (const auto& word : request.argv) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : request.env) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  int fds[2];
  int handle = next_handle_++;
  Child child;
  child.kill_grace_seconds = request.kill_grace_seconds;
  // A timeout beyond a century is no timeout (and would overflow the clock's nanoseconds).
  constexpr std::int64_t kLongestTimeout = 100LL * 366 * 86400;
  child.deadline = std::chrono::steady_clock::now() +
                   std::chrono::seconds(std::min(request.timeout_seconds, kLongestTimeout));
  auto not_started = [&](const std::string& why) {
    child.result.exit_status = 127;
    child.result.start_error = why;
    child.result.output = "trigger: " + why + "\n";
    children_[handle] = child;
    return handle;
  };
  if (pipe2(fds, O_CLOEXEC) != 0)
    return not_started(std::string("cannot create a pipe: ") + std::strerror(errno));
  int start_error_fds[2] = {-1, -1};  // without it, a failed exec is still exit status 127
  if (pipe2(start_error_fds, O_CLOEXEC) != 0) start_error_fds[0] = start_error_fds[1] = -1;
  // vfork: the child borrows this process's memory until it execs, instead of a copy of its
  // page tables (fork cost milliseconds per command here, most of a short command's overhead).
  // exec_child makes only system calls and writes nothing but its own stack; run-once has no
  // signal handlers that could run in it.
  pid_t pid = vfork();
  if (pid == 0) exec_child(request, fds[1], start_error_fds[1], argv.data(), envp.data());
  int fork_errno = errno;
  close(fds[1]);
  if (start_error_fds[1] >= 0) close(start_error_fds[1]);
  if (pid < 0) {
    close(fds[0]);
    if (start_error_fds[0] >= 0) close(start_error_fds[0]);
    return not_started(std::string("cannot fork: ") + std::strerror(fork_errno));
  }
  if (start_error_fds[0] >= 0) {
    // Until the exec closes it: empty if the program started, else why it did not.
    char buffer[512];
    for (ssize_t got; (got = read(start_error_fds[0], buffer, sizeof buffer)) != 0;) {
      if (got > 0) {
        child.result.start_error.append(buffer, static_cast<std::size_t>(got));
      } else if (errno != EINTR) {
        break;
      }
    }
    close(start_error_fds[0]);
  }
  setpgid(pid, pid);  // also in the child: whichever runs first
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  child.pid = pid;
  child.output_fd = fds[0];
  // -1 on old kernels: then we poll with a short timeout.
  child.pid_fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  children_[handle] = child;
  return handle;
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
  using Clock = std::chrono::steady_clock;
  std::vector<std::pair<int, RunResult>> finished;
  auto until = Clock::now() + max_wait;
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

    auto now = Clock::now();
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
    poll(fds.data(), fds.size(), static_cast<int>(wait_ms));

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
    if (Clock::now() >= until) break;
  }
  return finished;
}

}  // namespace trigger
