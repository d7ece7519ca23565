// Running commands for the pass: each in its own process group, stdin from /dev/null, no
// descriptors beyond 0-2, stdout and stderr captured (the last `output_limit` bytes kept),
// SIGTERM to the whole group at the timeout and SIGKILL `kill_grace` later, and SIGKILL to the
// command when the pass dies (PR_SET_PDEATHSIG) (not public).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "account.h"
#include "trigger/env.h"
#include "trigger/error.h"

namespace trigger {

struct RunRequest {
  /// argv[0] is looked up when it has no '/': in the PATH that `env` sets (else in this
  /// process's), relative directories in it read from `cwd`.
  std::vector<std::string> argv;
  std::vector<std::string> env;   ///< the whole environment, "K=V" each
  std::optional<std::string> cwd;
  std::optional<std::int64_t> timeout_seconds;  ///< none: it runs until it ends
  std::int64_t kill_grace_seconds = 10;
  /// What its standard input reads (from an unlinked memory file, so that a large input never
  /// blocks the pass); none: /dev/null.
  std::optional<std::string> input;
  /// Whom it runs as (--user): set, the child takes the account's groups (setgroups), group
  /// (setgid) and user (setuid), in that order, each checked, before it changes to `cwd` and
  /// execs; a step that fails ends it with kCannotBecomeUser before anything runs. Requires a
  /// process run by root. None: it runs as this process.
  std::optional<Account> account;
};

/// The exit status of a command that could not be given its account's credentials (--user):
/// it never ran (as env(1) and chroot(1) use 125 for their own failure).
inline constexpr int kCannotBecomeUser = 125;

struct RunResult {
  bool timed_out = false;
  std::optional<int> exit_status;  ///< set when it exited
  std::optional<int> signal;       ///< set when a signal ended it
  std::string output;              ///< stdout and stderr, interleaved, the last bytes kept
  /// Why the program could not be started ("cannot run '/no/such': No such file or
  /// directory"); it then ends with exit status 127 (kCannotBecomeUser when it could not
  /// become its user).
  std::string start_error;
  bool succeeded() const { return !timed_out && exit_status == 0; }
  /// The start error, or "exit status 3", "killed by signal 9", "timed out after 1h".
  std::string describe(std::optional<std::int64_t> timeout_seconds) const;
};

/// Runs processes concurrently. Not thread-safe; one per pass. Timeouts are measured and
/// waits made on `env` (steady_now() and poll()), which must outlive the pool.
class ProcessPool {
 public:
  explicit ProcessPool(Env& env, std::size_t output_limit = 64 * 1024)
      : env_(env), output_limit_(output_limit) {}
  ~ProcessPool();
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  /// A command started: its handle for wait(), and its process group (its pid), or -1 when
  /// the program could not be started (it then ends at once with exit status 127).
  struct Started {
    int handle = 0;
    pid_t pgid = -1;
  };
  /// Start `request`. A program that cannot be started still gets a handle: it ends with exit
  /// status 127 and the reason in its output. kBusy, and nothing started, when this process
  /// is out of descriptors or processes (EMFILE, ENFILE, EAGAIN, ENOMEM from pipe2 or vfork):
  /// that is the caller's trouble, not the command's; try again later.
  Result<Started> start(const RunRequest& request);
  /// A command that may not start: its handle ends at once, with exit status 127 and "not
  /// run: WHY" (its start_error, and its output with "trigger: " before it).
  Started refuse(const std::string& why);
  /// Wait until at least one process ends or `max_wait` passes; returns those that ended.
  std::vector<std::pair<int, RunResult>> wait(std::chrono::milliseconds max_wait);

 private:
  struct Child {
    pid_t pid = -1;
    int output_fd = -1;
    int pid_fd = -1;
    Env::SteadyTime deadline;
    Env::SteadyTime kill_at;
    bool terminated = false;  ///< SIGTERM sent at the timeout
    bool killed = false;      ///< SIGKILL sent
    std::int64_t kill_grace_seconds = 10;
    RunResult result;
  };
  void read_output(Child& child);
  /// `child` (under `handle`) ending at once with exit status 127 and `why`.
  Started ended_at_once(int handle, Child child, const std::string& why);
  void keep_tail(std::string& output) const;

  Env& env_;
  std::size_t output_limit_;
  int next_handle_ = 1;
  std::map<int, Child> children_;
};

/// End what is left of process group `pgid` (of this boot) after the pass that started it
/// died: SIGKILL to the group, if one of its processes still carries `marker` ("K=V") in its
/// environment, so that a reused group id is never killed; waits up to a second of `env`'s
/// (pause()) for them to go. Returns how many processes the group had.
int end_orphaned_group(Env& env, pid_t pgid, const std::string& marker);

}  // namespace trigger
