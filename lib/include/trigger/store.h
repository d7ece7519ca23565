// The store: the database holding triggers, their events, the queue of runs and the journal
// (SPEC §2), seen through one interface whatever the backend (today database files, lib/store/).
// It answers questions and keeps the promises each method states, including what holds when
// several processes call it at once; the rules live above it (catalog/, pass.cc). Only the
// backends speak SQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trigger/env.h"
#include "trigger/error.h"
#include "trigger/identity.h"
#include "trigger/trigger.h"

namespace trigger {

/// Which triggers list_triggers() returns.
struct TriggerFilter {
  bool include_finished = false;  ///< add cancelled and done
  std::optional<State> state;     ///< only this state (overrides the above)
  std::vector<std::pair<std::string, std::string>> labels;  ///< all must match
  /// A shell-style pattern the whole name must match, case-sensitive: `*` any run of
  /// characters, `?` one, `[...]` one of a set (`[^...]` none of it). Unnamed triggers never
  /// match.
  std::optional<std::string> name_pattern;
};

/// What run-once knows of a trigger's schedule: the seed's trigger_event row, plus the number
/// of occurrences fired (for --max-runs) and why the clock was set aside, if it was.
struct EventRow {
  std::int64_t trigger_id = 0;
  bool exists = false;
  std::optional<Epoch> last_event_epoch;
  std::optional<Epoch> next_event_epoch;
  std::int64_t runs = 0;                 ///< occurrences fired since runs_from_epoch
  std::optional<Epoch> runs_from_epoch;  ///< the clock setting the runs are counted from
  std::optional<std::string> error;
  /// For a boot clock (--on-boot): the boot (Env::boot() id) the row is scheduled for; the
  /// pass schedules the trigger again at the next boot. nullopt for other clocks.
  std::optional<std::string> boot_id;
};

/// A trigger changed since the pass's cursor: its id and version, and its definition or the
/// kDamaged error that decoding its row gave.
struct ChangedTrigger {
  std::int64_t id;
  std::int64_t version;
  Result<Trigger> trigger;
};

/// A queued or leased run of a trigger: one occurrence (or one manual run) until its final
/// outcome is recorded.
struct Task {
  std::int64_t id = 0;
  std::int64_t trigger_id = 0;
  Epoch scheduled_epoch = 0;  ///< the occurrence; for a manual run, when it was asked
  bool manual = false;
  bool serial = true;               ///< waits until the earlier tasks of its trigger are done
  std::optional<Epoch> last_epoch;  ///< the occurrence before it
  Epoch due_epoch = 0;              ///< not before (jitter, retry backoff)
  std::int64_t attempt = 0;         ///< attempts started (TRIGGER_ATTEMPT of the latest)
  std::int64_t interrupted = 0;     ///< attempts cut short by a dead pass: not --retries
  // The lease: NULL owner when queued. A lease is held by one pass, named by its process
  // (host, boot, pid, start time) so that a pass on the same host can tell it alive or dead.
  std::optional<std::string> lease_owner;
  /// When the holder's heartbeat lapses: lease time + the lease TTL, pushed forward by the
  /// holder every TTL/4 while the command runs. Past it, a holder on another host is presumed
  /// dead; a holder on this host is judged by its process instead, whatever the clock says.
  std::optional<Epoch> lease_expires_epoch;
  std::string lease_host;
  std::string lease_boot_id;
  std::int64_t lease_pid = 0;
  std::int64_t lease_pid_start = 0;
  std::optional<std::int64_t> lease_pgid;  ///< the command's process group, once started
  Epoch created_epoch = 0;
  /// When a lease was first refused it for a lock (--lock) that a running task held.
  std::optional<Epoch> lock_wait_since;
  /// Set by lease_tasks for a task that waited for a lock: how long, and its trigger's
  /// locks ("a,b"). The run's history record says so (HistoryRecord::of_run).
  std::optional<std::int64_t> lock_waited_seconds;
  std::string locks;
};

/// What Store::delete_trigger() removed besides the trigger.
struct DeletedTrigger {
  std::int64_t runs_cancelled = 0;   ///< queued runs recorded cancelled, then removed
  std::int64_t history_deleted = 0;  ///< history records deleted (0 with keep_history)
};

/// Who takes a lease: the pass's owner string (unique to the pass) and its process.
struct LeaseHolder {
  std::string owner;
  std::string host;
  std::string boot_id;
  std::int64_t pid = 0;
  std::int64_t pid_start = 0;  ///< clock ticks since boot (/proc/PID/stat field 22)
};

/// TRIGGER_EVENT_ID of an occurrence: "ID-EPOCH", or "ID-mEPOCH" for a manual run. Stable
/// across retries.
std::string event_id(std::int64_t trigger_id, Epoch scheduled_epoch, bool manual);

enum class Outcome {
  kSucceeded,
  kFailed,
  kTimedOut,
  kSkipped,
  kCoalesced,
  kCancelled,
  kEdit,
  kInterrupted,  ///< an attempt cut short by a dead pass (count 0); the occurrence runs again
  kRetried,      ///< an attempt that failed or timed out and is tried again (count 0)
  kHook,         ///< what an on-failure hook did, under its occurrence's event id (count 0)
};
std::string_view to_string(Outcome outcome);

/// One line of the history: an occurrence's final outcome, a run of skipped or coalesced
/// occurrences (`count` of them, the last at `scheduled_epoch`), or an edit.
struct HistoryRecord {
  std::int64_t id = 0;
  std::int64_t trigger_id = 0;
  std::optional<std::string> trigger_name;  ///< filled in when read
  std::string trigger_tz = "UTC";           ///< filled in when read
  std::optional<std::string> event_id;
  std::optional<Epoch> scheduled_epoch;
  std::int64_t count = 1;
  Outcome outcome = Outcome::kSucceeded;
  std::string reason;
  bool manual = false;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> exit_status;
  std::optional<Epoch> started_epoch;
  std::optional<Epoch> finished_epoch;
  std::string output;
  Epoch recorded_epoch = 0;
  /// Who made an edit (outcome kEdit); none for other records and for edits recorded before
  /// schema level 9.
  std::optional<Identity> editor;

  /// The outcome of a run of `task` (an occurrence, or a manual run) that ended at `at`: its
  /// event id, occurrence and attempts so far; `reason` is kept only for an outcome other than
  /// succeeded. The caller adds what it knows besides (exit status, start, output).
  static HistoryRecord of_run(const Task& task, Outcome outcome, std::string reason, Epoch at);
  /// A record of the trigger itself rather than of an occurrence (count 0 but for an edit): an
  /// edit, or a clock set aside (kFailed).
  static HistoryRecord of_trigger(std::int64_t trigger_id, Outcome outcome, std::string reason,
                                  Epoch at);
  /// `count` occurrences that did not run (kSkipped or kCoalesced), the last of them at
  /// `last`; one alone has its event id.
  static HistoryRecord of_misses(std::int64_t trigger_id, Epoch last, std::int64_t count,
                                 Outcome outcome, std::string reason, Epoch at);
};

/// Which history records history() returns, newest first.
struct HistoryFilter {
  std::optional<std::int64_t> trigger_id;
  std::optional<std::string> event_id;
  bool failed_only = false;  ///< failed and timed_out
  std::optional<Epoch> since;
  std::size_t limit = 20;
};

/// How a pass ended, as its record says.
enum class PassOutcome {
  kOk,       ///< it did its work (failed runs are the runs' outcomes, not the pass's)
  kFailed,   ///< it stopped at an error (a full disk, a damaged table, a lock that stayed)
  kRefused,  ///< it refused to run commands from a database others can write (kUnsafe)
};
std::string_view to_string(PassOutcome outcome);

/// One run-once pass.
struct PassRecord {
  std::int64_t id = 0;
  std::string owner;
  Epoch started_epoch = 0;
  std::optional<Epoch> finished_epoch;
  std::optional<std::int64_t> duration_ms;
  std::int64_t scheduled = 0;
  std::int64_t fired = 0;
  std::int64_t ran = 0;
  std::int64_t failed = 0;
  std::int64_t clock_jump_seconds = 0;
  // The process that ran it: with these a pass that died is told from one still running.
  std::string host;  ///< "" in records made before schema level 4
  std::int64_t pid = 0;
  std::int64_t pid_start = 0;  ///< its start time, clock ticks since boot (0 if unknown)
  std::string boot_id;
  /// How it ended; none while it runs, when it died before it could say, and in records made
  /// before schema level 4 (those that have finished_epoch ended ok).
  std::optional<PassOutcome> outcome;
  std::optional<std::string> error;  ///< the failure or refusal, one line
};

/// How a pass ended, as `trigger status` judges it from its record.
enum class PassEnd {
  kRunning,  ///< no outcome yet and its process may still run
  kOk,
  kFailed,
  kRefused,
  kDied,  ///< no outcome, and its process is gone (this host) or it started kPassPresumedDead ago
};
std::string_view to_string(PassEnd end);

/// A trigger's newest run outcome, as `trigger status` judges it and its metrics print it.
struct TriggerRunState {
  std::int64_t trigger_id = 0;
  std::optional<std::string> name;
  State state = State::kActive;
  std::vector<std::pair<std::string, std::string>> labels;  ///< by key
  std::optional<Epoch> next_event_epoch;                    ///< as the last pass scheduled it
  /// The newest history record of an occurrence that ran (succeeded, failed or timed_out),
  /// if any: its id, event id, outcome, start and end.
  std::optional<std::int64_t> last_run_id;
  std::optional<std::string> last_event_id;
  std::optional<Outcome> last_outcome;
  std::optional<Epoch> last_started_epoch;
  std::optional<Epoch> last_finished_epoch;
  /// Active, and its last run failed or timed out after the failures acknowledged
  /// (acknowledge_failures: reset-failed, a pause, a cancel).
  bool failing = false;
};

/// The figures behind `trigger status`.
struct QueueFigures {
  std::int64_t pending_changes = 0;           ///< version - cursor
  std::optional<Epoch> oldest_pending_epoch;  ///< when the oldest change not yet scheduled was made
  std::int64_t due = 0;                       ///< events due at now
  std::optional<Epoch> oldest_due_epoch;
  std::int64_t queued = 0;   ///< tasks waiting, never leased or put back to retry
  std::int64_t running = 0;  ///< tasks leased, lease not expired
  std::int64_t stuck = 0;    ///< tasks whose lease expired: their runner died
  /// Every trigger's newest run, by id (what the metrics print; `failing` is the health).
  std::vector<TriggerRunState> runs;
  std::int64_t set_aside = 0;            ///< triggers whose clock failed
  std::optional<PassRecord> last_pass;   ///< the latest pass started, running or not
  std::optional<PassEnd> last_pass_end;  ///< how it ended (kRunning while it runs)
  /// The latest passes that ended, in a row, without ending ok (failed, refused or died),
  /// passing over those still running; counted up to kPassesCounted.
  std::int64_t failed_passes_in_a_row = 0;
  std::optional<PassRecord> last_failed_pass;  ///< the latest of them
  std::optional<PassEnd> last_failed_pass_end;
  std::map<std::string, std::int64_t> triggers_by_state;

  /// A pass whose liveness cannot be told (another host) and that has no outcome this long
  /// after it started is taken as dead. A pass running a command with no timeout (the
  /// default) or one beyond a day can outlive it and be reported dead while it runs: with
  /// one database file a pass on another host is rare; a shared backend should judge such a
  /// pass by its leases' heartbeat instead.
  static constexpr std::int64_t kPassPresumedDeadSeconds = 24 * 3600;
  /// How many passes back the failures in a row are counted (status reads at most this many
  /// pass records).
  static constexpr std::int64_t kPassesCounted = 1000;
};

/// A store of triggers. Open one with Store::open(); every method may be called from one thread
/// at a time. Each write is atomic: it happens whole or not at all, also when the process is
/// killed at any instruction. Several processes (and, with a shared backend, several hosts)
/// may use the same database at once; the guarantees that then hold are stated per method
/// ("at once:"), and test/store_contract_test.cc proves them for every backend.
class Store {
 public:
  enum class Mode {
    kReadOnly,
    kReadWrite,
    kCreate,  ///< kReadWrite that also makes an existing empty file a new database
    /// A private copy of the database, migrated there if older: it may be written, and
    /// nothing is ever written back (run-once --dry-run). For a file it is a copy in memory,
    /// read with a read-only connection: it costs the size of the database and one read of it.
    kPrivateCopy,
  };

  /// The schema level this build writes (the highest numbered file in schema/).
  static int schema_version();

  /// The default location: $XDG_STATE_HOME/trigger/trigger.db, else
  /// ~/.local/state/trigger/trigger.db, and /var/lib/trigger/trigger.db for root.
  static std::string default_path();

  /// Open the store at `location`: a file path (lib/store/sqlite_store.h). A location of the form
  /// SCHEME://... names a database server: no such backend is built in yet, so it is refused
  /// (kUsage naming it) rather than taken for a file name.
  ///
  /// For a file: the path is resolved through any symbolic links. kReadWrite creates it (mode
  /// 0600, its missing directories 0700) and applies pending migrations in one transaction.
  /// Before it migrates a file at level N > 0, it keeps a copy of it beside the resolved file,
  /// FILE.schemaN.bak (mode 0600, replacing an older copy of that level), made under the
  /// migration's lock (so at once: one process migrates and copies, the others find the file
  /// migrated); if the copy cannot be made (a full disk, an unwritable directory) the
  /// migration is refused with kIO and the file is left as it was. upgrade() tells.
  /// kReadOnly never creates or writes: a missing file reads as an empty database, and one
  /// that needs migrating is migrated only if it can be opened for writing. Before anything is
  /// written, the file must be trigger's: its application_id, or for a file from before level 4
  /// (id 0) trigger's tables, or no tables at all. An existing empty file is refused but under
  /// kCreate (the commands that create triggers). Errors: kTooNew for a database from a newer
  /// trigger (left untouched), kCannotCreate, kIO (unreadable, not a database, another
  /// application's file or an empty one, left untouched), kBusy.
  static Result<std::unique_ptr<Store>> open(const std::string& location, Mode mode);

  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// The location as it was given to open() (for messages).
  virtual const std::string& location() const = 0;

  /// Whether a database was there: false only for a kReadOnly open of a location that holds
  /// none (which reads as an empty database).
  virtual bool exists() const = 0;

  /// What open() did to an older database: the level it was at, the level it is at now and
  /// the copy kept of it (its path, named through the location unless the location is a
  /// symbolic link). Empty when open() migrated nothing, made a new database (level 0) or
  /// migrated only a private copy.
  struct Upgrade {
    int from_level = 0;
    int to_level = 0;
    std::string copy;
  };
  virtual std::optional<Upgrade> upgrade() const { return std::nullopt; }

  // --- transactions -------------------------------------------------------------------------

  /// How hard a commit holds on to its changes.
  enum class Sync {
    kDurable,  ///< on disk when the commit returns (fsync): definitions, the pass's last word
    kBatched,  ///< safe from a crash of trigger at once, on disk within kBatchWindowMs (the
               ///< commit that falls after the window syncs everything before it); a power
               ///< cut can take back that much, all later commits with it, never half a commit
  };
  static constexpr int kBatchWindowMs = 100;

  /// Run `body` in one transaction: commit if it returns ok, roll back otherwise or if it
  /// throws. Returns the body's error, or the commit's. A nested call is part of its outer
  /// transaction (a savepoint: its failure undoes only its own writes). At once: the
  /// transactions of a writable store are serializable; one that cannot get the database
  /// within the busy timeout fails with kBusy, having written nothing.
  Status transaction(const std::function<Status()>& body, Sync sync = Sync::kDurable) {
    return run_transaction(body, Ending::kCommit, sync);
  }

  /// Run `body` in a transaction that is always rolled back: what it would do, undone
  /// (run-once --dry-run). Transactions inside it nest.
  Status rehearse(const std::function<Status()>& body) {
    return run_transaction(body, Ending::kRollBack, Sync::kBatched);
  }

  /// Sync the batched commits once the oldest of them is kBatchWindowMs old, although no
  /// transaction comes to do it. Returns how long the caller may wait before it calls again:
  /// until the window of the oldest unsynced commit closes, or `longest` when nothing waits to
  /// be synced. kIO if the sync fails. For a caller that waits between commits (the pass,
  /// while commands run).
  virtual Result<std::chrono::milliseconds> sync_if_due(std::chrono::milliseconds longest) = 0;
  /// Whether batched commits wait to be synced.
  virtual bool unsynced() const = 0;
  /// The clocks the sync window reads (Env::system() unless set): the pass hands the store its
  /// own, tests a FakeEnv. `env` must outlive the store.
  virtual void set_env(Env& env) = 0;

  /// What the store has done since open: for cost assertions in tests and benchmarks, and
  /// for a command to know that it changed something.
  struct Stats {
    std::int64_t rows_read = 0;  ///< rows the queries returned or looked at one by one
    /// Units of storage (pages) the backend looked up, cached or not: the work done,
    /// whatever the query plan.
    std::int64_t blocks_read = 0;
    std::int64_t timed_syncs = 0;  ///< syncs made by sync_if_due
    /// Rows changed by the transactions committed: non-zero once a command has made its
    /// change (and must not print as if it had not).
    std::int64_t changes_committed = 0;
  };
  virtual Stats stats() const = 0;

  /// Whether commands may be run from this store (SPEC §9): ok when nobody but the invoking
  /// user or root can change what it holds; kUnsafe naming what others could change and how.
  /// For a file: the database, its -wal and -shm files and every directory up to / (see
  /// check_database_safety in lib/store/file_safety.h). Checked anew at each call.
  virtual Status check_writers() const = 0;

  /// Whether commands may run as other users from this store (--user): check_writers(), and
  /// what it holds is root's (for a file: the database is owned by root), so that nobody but
  /// root can have a command run as another user. kUnsafe naming what is not. It does not ask
  /// who this process is (check_run_by_root() does). Checked anew at each call.
  virtual Status check_root_only() const = 0;
  /// check_root_only() of the store at `location`, asked before it is opened (which may
  /// create it), so that a command refused for it creates nothing: what is there must pass it,
  /// and a database not there yet must be one that root alone could change once created (for
  /// a file: its directories that exist, links resolved, as check_writers() checks them).
  /// kUnsafe as check_root_only(); ok for a location no backend takes (open() refuses it).
  static Status check_root_only_at(const std::string& location);

  // --- definitions --------------------------------------------------------------------------

  /// Insert a new trigger; assigns and returns its id, above every id in use or ever deleted
  /// (delete_trigger: ids are never given twice), bumps the version. kData if the name is
  /// taken. At once: two inserts of one name cannot both succeed.
  virtual Result<std::int64_t> insert_trigger(const Trigger& trigger) = 0;

  /// Replace the definition of trigger `trigger.id` (everything but id, created_epoch and the
  /// event row); bumps the version. kNotFound if it is gone, kData if the name is taken. A
  /// change of its history retention (policy.history_keep_seconds or history_runs) applies at
  /// once to its records already written, in the same transaction: each may be pruned once it
  /// is older than the new keep and no longer kept whatever its age (see prune_history).
  virtual Status update_trigger(const Trigger& trigger) = 0;

  /// Set the state of trigger `id`, bumping the version. kNotFound if it does not exist.
  virtual Status set_state(std::int64_t id, State state, Epoch now) = 0;

  /// The trigger named by `ref`: an id when all digits, else a name. kNotFound naming `ref`.
  virtual Result<Trigger> find_trigger(std::string_view ref) = 0;

  /// The id of the trigger named `name`, if there is one: one index lookup.
  virtual Result<std::optional<std::int64_t>> id_of(std::string_view name) = 0;

  /// Triggers matching `filter`, by id.
  virtual Result<std::vector<Trigger>> list_triggers(const TriggerFilter& filter) = 0;

  /// A counter: "version" (bumped on every change of a definition) or "cursor" (the version
  /// the pass has scheduled up to). kInternal for another name.
  virtual Result<std::int64_t> counter(std::string_view name) = 0;

  /// Set a counter (the pass moves "cursor"). At once: in a transaction that read it first,
  /// no other transaction moves it in between (a read-and-advance is never lost).
  virtual Status set_counter(std::string_view name, std::int64_t value) = 0;

  // --- events: run-once's schedule ----------------------------------------------------------

  /// Up to `limit` triggers whose version is above `version`, in version order. A trigger
  /// whose row cannot be decoded comes with kDamaged in place of its definition; the others
  /// are read on.
  virtual Result<std::vector<ChangedTrigger>> triggers_changed_since(std::int64_t version,
                                                                     std::size_t limit) = 0;

  /// The event row of a trigger (exists = false if there is none yet).
  virtual Result<EventRow> event(std::int64_t trigger_id) = 0;

  /// Insert or replace the event row of `row.trigger_id`.
  virtual Status write_event(const EventRow& row) = 0;

  /// Mark a trigger done (its clock has no more fire times, or --until / --max-runs passed).
  /// A state the pass derives: the version is not bumped. Only an active trigger changes.
  virtual Status finish_trigger(std::int64_t id, Epoch now) = 0;

  /// Whether any trigger, whatever its state, runs a command (--sh or a program): a queued
  /// run of a done or cancelled trigger runs its action too.
  virtual Result<bool> has_command_actions() = 0;

  /// Up to `limit` trigger ids whose next event is at or before `now`, oldest first.
  virtual Result<std::vector<std::int64_t>> due_triggers(Epoch now, std::size_t limit) = 0;

  /// Up to `limit` ids of active triggers with a boot clock (--on-boot) whose event row is
  /// not scheduled for boot `boot_id` (or that have none), by id: those the pass schedules for
  /// the boot it runs in. Costs the boot-clock triggers only, however many others there are.
  virtual Result<std::vector<std::int64_t>> boot_triggers_to_schedule(const std::string& boot_id,
                                                                      std::size_t limit) = 0;

  /// A trigger as the pass needs it: its definition only, without its labels, last outcome or
  /// event times (scheduled reads false).
  virtual Result<Trigger> trigger_for_pass(std::int64_t id) = 0;

  // --- the queue of runs --------------------------------------------------------------------

  /// How many tasks of the trigger are queued or running.
  virtual Result<std::int64_t> open_tasks(std::int64_t trigger_id) = 0;

  /// When the trigger's newest queued or running occurrence (not a manual run) was queued,
  /// if it has one: one index lookup.
  virtual Result<std::optional<Epoch>> newest_queued_epoch(std::int64_t trigger_id) = 0;

  /// Queue a task; false (and nothing written) if that occurrence is already queued. A serial
  /// task queued behind another task of its trigger is blocked until every task before it has
  /// gone (completed, removed or cancelled: each of those unblocks the next). At once: an
  /// occurrence is queued once however many callers queue it (one gets true).
  virtual Result<bool> insert_task(const Task& task) = 0;

  /// Lease up to `limit` runnable tasks to `holder`: due, not blocked (for serial tasks: no
  /// earlier task of the same trigger left) and not leased; finding them costs the same however
  /// many tasks are queued. Each lease lasts until now + `ttl_seconds` unless renewed
  /// (renew_leases); each leased task's attempt is increased. Returned in due order. A task
  /// whose lease expired or whose holder died is not runnable until reclaimed
  /// (interrupt_task): leases are cleared only by their holder or by a reclaim. At once: no
  /// two owners ever lease the same task; concurrent callers split the runnable tasks.
  /// Lock groups: a task whose trigger shares a lock name (Policy::locks) with the trigger of
  /// any leased task, or of a task leased earlier in the same call, is not leased; it stays
  /// queued, its lock_wait_since set when first so refused, and is leased once the lock is
  /// free (its lock_waited_seconds then set). At once: no two tasks whose triggers share a
  /// lock are ever leased at the same time, whoever leases them; a dead holder's lease holds
  /// its locks until reclaimed (interrupt_task).
  virtual Result<std::vector<Task>> lease_tasks(const LeaseHolder& holder, Epoch now,
                                                std::int64_t ttl_seconds, std::size_t limit) = 0;

  /// Every leased task, with its holder, by owner and id. Costs the leased rows only, however
  /// long the queue: for the pass's reclaim step.
  virtual Result<std::vector<Task>> leased_tasks() = 0;

  /// The heartbeat: every lease held by `owner` now lasts until `expires`. Returns how many.
  virtual Result<std::int64_t> renew_leases(const std::string& owner, Epoch expires) = 0;

  /// Record the process group of the command started for `task`, if its lease still holds.
  virtual Result<bool> set_lease_group(const Task& task, std::int64_t pgid) = 0;

  /// Reclaim a task whose holder died (or whose heartbeat lapsed): the lease is cleared, the
  /// task queued again as it was (its `interrupted` count increased, so that the attempt cut
  /// short does not count against --retries), and `record` (outcome interrupted) appended;
  /// only if the lease (owner and attempt) still holds, else false and nothing written. At
  /// once: of several reclaimers of one lease, one gets true.
  virtual Result<bool> interrupt_task(const Task& task, const HistoryRecord& record) = 0;

  /// Put a leased task back unstarted, as if it had not been leased (the attempt is given
  /// back): the pass could not start it. False if the lease no longer holds.
  virtual Result<bool> release_task(const Task& task) = 0;

  /// Up to `limit` runnable tasks (as lease_tasks picks them) of triggers whose action is
  /// --log, each with its message. Nothing is leased: the caller completes them in the same
  /// transaction with remove_task.
  virtual Result<std::vector<std::pair<Task, std::string>>> runnable_log_tasks(
      Epoch now, std::size_t limit) = 0;

  /// Remove a task (not leased to anyone else: see runnable_log_tasks); the next task of its
  /// trigger is unblocked. kInternal if it is gone.
  virtual Status remove_task(const Task& task) = 0;

  /// Record the final outcome of a leased task and remove it, if `task`'s lease (owner and
  /// attempt) still holds; false if it does not (another runner took it over), and nothing
  /// is written.
  virtual Result<bool> complete_task(const Task& task, const HistoryRecord& outcome) = 0;

  /// Put a leased task back to run again at `due`, if its lease (owner and attempt) still
  /// holds, and append `attempt` (kRetried: what this attempt did) to the history; the lease
  /// is cleared. False, and nothing written, when the lease was lost.
  virtual Result<bool> retry_task(const Task& task, Epoch due, const HistoryRecord& attempt) = 0;

  /// Remove the tasks of a trigger that are not leased, recording each as cancelled.
  /// Returns how many.
  virtual Result<std::int64_t> cancel_tasks(std::int64_t trigger_id, Epoch now) = 0;

  /// Delete trigger `id` for good (`trigger delete`): its queued runs are first recorded
  /// cancelled ("the trigger was deleted before this run started") and removed, then its event
  /// row, labels and definition go, and its history with them (the records just written too)
  /// unless `keep_history`; bumps the version. A pass that had read the trigger finds it gone
  /// (trigger_for_pass: kNotFound) and its event row with it. kNotFound if there is no such
  /// trigger; kBusy naming the event when a task of it is leased (a run in progress, or one
  /// whose holder died until a pass reclaims it): nothing is written then.
  virtual Result<DeletedTrigger> delete_trigger(std::int64_t id, bool keep_history, Epoch now) = 0;

  // --- the journal: history and passes ------------------------------------------------------

  /// Append a history record; returns its id (ids grow with each record). The record may be
  /// pruned once its trigger's policy.history_keep_seconds (kDefaultHistoryKeepSeconds for a
  /// trigger that is gone) have passed since its recorded_epoch, unless it is kept whatever
  /// its age: its trigger's creation record (an edit whose reason starts "created") and its
  /// trigger's newest policy.history_runs run outcomes (succeeded, failed or timed_out, count
  /// above 0). A run outcome appended may push the oldest of those out; it may then be pruned
  /// as any other record.
  virtual Result<std::int64_t> append_history(const HistoryRecord& record) = 0;

  /// History records matching `filter`, newest first.
  virtual Result<std::vector<HistoryRecord>> history(const HistoryFilter& filter) = 0;

  /// What a slice of history pruning did.
  struct PruneSlice {
    std::int64_t deleted = 0;         ///< history records deleted
    std::int64_t kept = 0;            ///< records looked at and kept whatever their age
    std::int64_t passes_deleted = 0;  ///< pass records deleted
    /// prune_history_before: the id the next slice starts at; none when the last is done.
    std::optional<std::int64_t> next_id;
  };

  /// One slice of the pruning by each trigger's own retention (see append_history): of up to
  /// `limit` records whose time came by `now`, those kept whatever their age are kept (and
  /// not looked at again while they stay so: a slice costs what it finds, not what is kept)
  /// and the others deleted; and up to `limit` pass records started before `passes_before`
  /// are deleted, but for the latest. Fewer than `limit` deleted and kept: nothing more is due.
  virtual Result<PruneSlice> prune_history(Epoch now, Epoch passes_before, std::size_t limit) = 0;

  /// One slice of pruning by age alone: of the history records with ids from `from_id` to
  /// below `from_id + span`, those recorded before `before` are deleted unless kept whatever
  /// their age (see append_history); and up to `span` pass records started before `before`,
  /// but for the latest. Looks at up to `span` records whatever their age: slice after slice
  /// reads the whole history once.
  virtual Result<PruneSlice> prune_history_before(Epoch before, std::int64_t from_id,
                                                  std::size_t span) = 0;

  /// Start a pass record (owner, start, clock jump and process); returns its id.
  virtual Result<std::int64_t> begin_pass(const PassRecord& pass) = 0;

  /// What a pass did, as end_pass() is told.
  enum class PassWork {
    kWorked,
    /// Nothing but its own record: the store may spend less on keeping it (a file store
    /// leaves its log for the next command to fold in, sparing two fsyncs; until then a copy
    /// of the database file alone lacks the record).
    kIdle,
  };
  /// Complete the pass record `pass.id`: its end, figures, outcome and error.
  virtual Status end_pass(const PassRecord& pass, PassWork work = PassWork::kWorked) = 0;
  /// The most recent pass, if any.
  virtual Result<std::optional<PassRecord>> last_pass() = 0;

  /// The queue's figures at `now`, with every trigger's newest run (runs).
  virtual Result<QueueFigures> queue_figures(Epoch now) = 0;

  /// The newest run of trigger `trigger_id` (as QueueFigures::runs has it); none if there is
  /// no such trigger. One index lookup.
  virtual Result<std::optional<TriggerRunState>> run_state(std::int64_t trigger_id) = 0;

  /// Acknowledge the failures of trigger `trigger_id` up to history record `history_id`: a run
  /// recorded up to it no longer makes the trigger failing. False (nothing written) when the
  /// trigger has no event row (never scheduled, so never run).
  virtual Result<bool> acknowledge_failures(std::int64_t trigger_id, std::int64_t history_id) = 0;

 protected:
  Store() = default;
  enum class Ending { kCommit, kRollBack };
  virtual Status run_transaction(const std::function<Status()>& body, Ending ending, Sync sync) = 0;
};

}  // namespace trigger
