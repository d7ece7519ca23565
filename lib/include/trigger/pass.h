// The run-once pass (SPEC §1, §5-§9; trigger-run-once(1)): schedule what changed, fire what is
// due, execute what is queued. Each phase works in bounded batches, each batch one transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "trigger/env.h"
#include "trigger/error.h"
#include "trigger/store.h"
#include "trigger/syslog.h"
#include "trigger/time.h"

namespace trigger {

struct PassOptions {
  /// Where the pass reads the time and waits: wall time for what is due, leases, retries and
  /// records; the monotonic clock for max_time, deadline, the write budget, heartbeats and
  /// commands' timeouts; sleep_for() for --linger, pause() for the gaps left to writers and the
  /// retries on a busy database (a fixed time stays where it is). Never null; must outlive
  /// the pass. run_pass hands the store the same (Store::set_env).
  Env* env = &Env::system();
  std::size_t jobs = 4;                ///< commands run at once
  std::int64_t max_time_seconds = 50;  ///< stop leasing new work after this long
  bool dry_run = false;  ///< schedule and fire in a transaction that is rolled back; run nothing
  bool linger = false;   ///< keep firing events due within max_time at their second
  std::size_t batch = 1000;  ///< rows per transaction in the schedule and fire phases
  /// Occurrences one firing of a trigger queues; a catch-up beyond it is queued by the next
  /// firings (in the same pass while there is time), behind the first, whatever --overlap says.
  std::size_t max_catch_up = 100000;
  /// Occurrences one firing walks (counting those --misfire latest or skip does not fire); a
  /// longer outage is walked by the next firings, and --misfire latest still fires once.
  std::size_t max_scan = 100000000;
  /// Schedule, fire and log completion begin no batch after this (each phase does its first,
  /// of one trigger or task at least) and end a batch here; run_pass sets it from
  /// max_time_seconds. Each write transaction is
  /// also bounded to about 200 ms, so that writers never wait long behind a pass.
  Env::SteadyTime deadline = Env::SteadyTime::max();  ///< on env's monotonic clock
  std::string owner;         ///< the lease owner; default "HOST:PID:RANDOM"
  /// How long a lease lasts past the holder's last heartbeat; renewed every quarter of it
  /// while commands run. Only a holder on another host is ever judged by it.
  std::int64_t lease_ttl_seconds = 120;
  /// Called with one line per thing done, for -v (and the plan under dry_run).
  std::function<void(const std::string&)> narrate;
  /// Where one line per run started or ended, occurrence skipped, coalesced or set aside, and
  /// pass failure goes (syslog for run-once; trigger-run-once(1), "Logging"); null: nowhere.
  /// Must outlive the pass.
  LogSink* log = nullptr;
};

/// A failed, timed-out or set-aside run or trigger, as the pass's report on stderr tells it.
struct Failure {
  /// One line: "'bad' (event 1-1700000060): exit status 3", "'b' is set aside: WHY".
  std::string summary;
  std::string host;    ///< the machine the pass ran on
  Epoch at = 0;        ///< when the run ended or the trigger was set aside
  std::string output;  ///< the command's output (its last bytes, as recorded); "" if none
};

/// How many of a failed command's last output lines its report shows.
inline constexpr std::size_t kReportTailLines = 20;

/// The stderr report of `failure`: its summary with " (on HOST at TIME)" (UTC), then the last
/// `tail_lines` lines of its output, each indented by two spaces, after a line
/// "  (N earlier lines left out)" when there were more. Lines are joined by "\n"; no final one.
std::string failure_report(const Failure& failure, std::size_t tail_lines = kReportTailLines);

/// What a pass did.
struct PassReport {
  std::int64_t scheduled = 0;           ///< triggers (re)scheduled
  std::int64_t fired = 0;               ///< occurrences turned into tasks
  std::int64_t skipped = 0;             ///< occurrences recorded skipped
  std::int64_t coalesced = 0;           ///< occurrences recorded coalesced
  std::int64_t set_aside = 0;           ///< triggers whose clock failed
  std::int64_t ran = 0;                 ///< runs finished (each attempt)
  std::int64_t failed = 0;              ///< final outcomes failed or timed out
  std::int64_t retried = 0;             ///< failed attempts put back to retry
  std::int64_t interrupted = 0;         ///< runs of dead passes reclaimed, to run again
  std::int64_t deferred = 0;            ///< runs put back unstarted: out of descriptors or processes
  std::string start_trouble;            ///< why runs were deferred, one line ("" if none)
  std::int64_t clock_jump_seconds = 0;  ///< negative when the clock moved back
  std::vector<Failure> failures;        ///< one per failed run or set-aside trigger
};

/// Run one pass at options.env's now(), first handing `store` that Env (Store::set_env), so
/// that its sync window reads the same clocks. With options.linger it then repeats the phases
/// every second of that Env until max_time (a fixed or fake Env included), and while commands
/// run it schedules and fires at each new second of it, starting what falls due when a job is
/// free. kUnsafe if commands
/// would be run from a database others can write (check_pass_safety(), and again before each
/// command is leased); store errors as they come (kBusy when it stays locked). Failed runs are
/// not errors: they are in the report.
Result<PassReport> run_pass(Store& store, const PassOptions& options);

/// The schedule phase alone: give every trigger changed since the cursor its next time and
/// move the cursor, in batches. Returns how many triggers it scheduled.
Result<std::int64_t> schedule_phase(Store& store, Epoch now, const PassOptions& options,
                                    PassReport& report);

/// The fire phase alone: turn every occurrence due at `now` into a task (or a skipped or
/// coalesced record), per the trigger's policy, advancing its event in the same transaction.
Status fire_phase(Store& store, Epoch now, const PassOptions& options, PassReport& report);

/// The execute phase alone: reclaim the runs of dead passes, lease runnable tasks and run
/// them, `jobs` at once, renewing their leases every quarter of lease_ttl_seconds and
/// recording each outcome; returns when nothing runnable is left or max_time has passed (the
/// runs already started seen through). A run that cannot be started because this process is
/// out of descriptors or processes is put back unstarted (report.deferred) and no more is
/// leased. kUnsafe, the runs already started seen through, when a command would be leased
/// from a database that Store::check_writers() refuses at that moment. Reads options.env;
/// `store`'s sync window reads its own (give it the same).
Status execute_phase(Store& store, const PassOptions& options, PassReport& report);

/// The jitter of an occurrence: a pseudo-random offset in [0, jitter), the same for a given
/// trigger and occurrence every time.
std::int64_t jitter_offset(std::int64_t trigger_id, Epoch scheduled_epoch, std::int64_t jitter);

/// Whether a pass may start on `store` (run_pass calls it first, but for a dry run): kUnsafe
/// from Store::check_writers() when any trigger in the database, in any state, runs a command;
/// ok for a database of --log actions only, wherever it is. The execute phase checks the files
/// again before each lease that would start a command, and refuses (kUnsafe) then.
Status check_pass_safety(Store& store);

}  // namespace trigger
