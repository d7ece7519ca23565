// The SQLite backend of Store (private to lib/). One class, its methods in one file per role:
//   connection.cc   opening, identifying and migrating the file, transactions, the sync window,
//                   statistics, the end-of-pass WAL choice, the file safety check;
//   definitions.cc  triggers, their labels and the counters;
//   queue.cc        event rows and the queue of tasks (leases, completion, reclaim);
//   journal.cc      history, pass records and the status figures.
// Each file keeps its own statements as named constants; sqlite_support.h has what they share.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "store/sqlite_support.h"
#include "trigger/store.h"

namespace trigger {

class SqliteStore final : public Store {
 public:
  /// Store::open for a file path.
  static Result<std::unique_ptr<Store>> open_file(const std::string& path, Mode mode);

  ~SqliteStore() override;

  const std::string& location() const override { return path_; }
  bool exists() const override { return !missing_; }
  std::optional<Upgrade> upgrade() const override { return upgrade_; }
  /// The file SQLite has open: the location made absolute, every symbolic link resolved (""
  /// for an in-memory database). Its -wal and -shm files are this name with the suffix.
  const std::string& real_path() const { return real_path_; }

  Result<std::chrono::milliseconds> sync_if_due(std::chrono::milliseconds longest) override;
  bool unsynced() const override { return unsynced_since_ms_ >= 0; }
  void set_env(Env& env) override { env_ = &env; }
  Stats stats() const override;
  Status check_writers() const override;
  Status check_root_only() const override;

  Result<std::int64_t> insert_trigger(const Trigger& trigger) override;
  Status update_trigger(const Trigger& trigger) override;
  Status set_state(std::int64_t id, State state, Epoch now) override;
  Result<Trigger> find_trigger(std::string_view ref) override;
  Result<std::optional<std::int64_t>> id_of(std::string_view name) override;
  Result<std::vector<Trigger>> list_triggers(const TriggerFilter& filter) override;
  Result<std::int64_t> counter(std::string_view name) override;
  Status set_counter(std::string_view name, std::int64_t value) override;

  Result<std::vector<ChangedTrigger>> triggers_changed_since(std::int64_t version,
                                                             std::size_t limit) override;
  Result<EventRow> event(std::int64_t trigger_id) override;
  Status write_event(const EventRow& row) override;
  Status finish_trigger(std::int64_t id, Epoch now) override;
  Result<bool> has_command_actions() override;
  Result<std::vector<std::int64_t>> due_triggers(Epoch now, std::size_t limit) override;
  Result<std::vector<std::int64_t>> boot_triggers_to_schedule(const std::string& boot_id,
                                                              std::size_t limit) override;
  Result<Trigger> trigger_for_pass(std::int64_t id) override;

  Result<std::int64_t> open_tasks(std::int64_t trigger_id) override;
  Result<std::optional<Epoch>> newest_queued_epoch(std::int64_t trigger_id) override;
  Result<bool> insert_task(const Task& task) override;
  Result<std::vector<Task>> lease_tasks(const LeaseHolder& holder, Epoch now,
                                        std::int64_t ttl_seconds, std::size_t limit) override;
  Result<std::vector<Task>> leased_tasks() override;
  Result<std::int64_t> renew_leases(const std::string& owner, Epoch expires) override;
  Result<bool> set_lease_group(const Task& task, std::int64_t pgid) override;
  Result<bool> interrupt_task(const Task& task, const HistoryRecord& record) override;
  Result<bool> release_task(const Task& task) override;
  Result<std::vector<std::pair<Task, std::string>>> runnable_log_tasks(Epoch now,
                                                                       std::size_t limit) override;
  Status remove_task(const Task& task) override;
  Result<bool> complete_task(const Task& task, const HistoryRecord& outcome) override;
  Result<bool> retry_task(const Task& task, Epoch due, const HistoryRecord& attempt) override;
  Result<std::int64_t> cancel_tasks(std::int64_t trigger_id, Epoch now) override;
  Result<DeletedTrigger> delete_trigger(std::int64_t id, bool keep_history, Epoch now) override;

  Result<std::int64_t> append_history(const HistoryRecord& record) override;
  Result<std::vector<HistoryRecord>> history(const HistoryFilter& filter) override;
  Result<PruneSlice> prune_history(Epoch now, Epoch passes_before, std::size_t limit) override;
  Result<PruneSlice> prune_history_before(Epoch before, std::int64_t from_id,
                                          std::size_t span) override;
  Result<std::int64_t> begin_pass(const PassRecord& pass) override;
  Status end_pass(const PassRecord& pass, PassWork work) override;
  Result<std::optional<PassRecord>> last_pass() override;
  Result<QueueFigures> queue_figures(Epoch now) override;
  Result<std::optional<TriggerRunState>> run_state(std::int64_t trigger_id) override;
  Result<bool> acknowledge_failures(std::int64_t trigger_id, std::int64_t history_id) override;

 protected:
  Status run_transaction(const std::function<Status()>& body, Ending ending, Sync sync) override;

 private:
  SqliteStore(std::unique_ptr<SQLite::Database> db, std::string path, bool writable);
  static Result<std::unique_ptr<Store>> open_private_copy(const std::string& path);
  static Result<std::unique_ptr<Store>> open_missing(const std::string& path);

  /// Run `body`, turning SQLite's exceptions into errors that name this database.
  template <class Body>
  auto guarded(Body&& body) -> decltype(body()) {
    return sqlite::guarded(path_, std::forward<Body>(body));
  }
  /// The statement `sql` (one of the named constants: the cache is keyed by its address),
  /// prepared once per connection, with `args` bound from ?1 on.
  template <class... Args>
  sqlite::Prepared prepare(const char* sql, const Args&... args) {
    sqlite::Prepared prepared = statement(sql);
    sqlite::bind_all(*prepared, args...);
    return prepared;
  }
  sqlite::Prepared statement(const char* sql);
  /// The single value of the first row of `sql` run with `args`.
  template <class... Args>
  std::int64_t count(const char* sql, const Args&... args) {
    auto select = prepare(sql, args...);
    select->executeStep();
    return select->getColumn(0).getInt64();
  }
  void run(const char* sql) { statement(sql)->exec(); }

  // connection.cc
  std::int64_t steady_ms() const;
  /// fdatasync the -wal file (nothing when there is none).
  Status sync_wal();
  /// Do not checkpoint the WAL into the database when this, the last connection, closes.
  void keep_wal_on_close();
  void choose_sync(bool durable);
  void note_commit(bool durable, std::int64_t changes_before, std::int64_t now_ms);
  // definitions.cc
  Result<std::int64_t> bump_version();
  Status check_name_free(const Trigger& trigger);
  /// Write the trigger's labels; `replace` removes those it had first (not needed for a new one).
  void write_labels(const Trigger& trigger, bool replace);
  void load_labels(std::vector<Trigger>& triggers);
  std::vector<Trigger> read_triggers(sqlite::Prepared& select);
  // queue.cc
  /// After a task of the trigger went: its first task left may run.
  void unblock_first_task(std::int64_t trigger_id);
  /// How a leased task goes back to the queue (retry_task, release_task, interrupt_task).
  enum class Requeue { kRetry, kUnstarted, kInterrupted };
  Result<bool> requeue_task(const Task& task, Epoch due, Requeue how);
  /// requeue_task(), and `record` appended when it was requeued.
  Result<bool> requeue_recorded(const Task& task, Epoch due, Requeue how,
                                const HistoryRecord& record);
  std::vector<Task> read_tasks(sqlite::Prepared& select);
  bool take_locks(Task& task, Epoch now);
  /// cancel_tasks() with the cancelled records' reason.
  Result<std::int64_t> cancel_idle_tasks(std::int64_t trigger_id, Epoch now,
                                         const std::string& reason);
  // journal.cc
  /// Of the records a prune select returned (see kExpiredHistorySql), keep those kept
  /// whatever their age (their expiry cleared) and delete the others.
  PruneSlice prune_records(sqlite::Prepared& select);
  void read_pass_figures(QueueFigures& figures, Epoch now);
  void read_task_figures(QueueFigures& figures, Epoch now);

  std::unique_ptr<SQLite::Database> db_;
  std::string path_;
  std::string real_path_;
  bool writable_;
  bool missing_ = false;  ///< opened by open_missing: no file was there
  std::optional<Upgrade> upgrade_;  ///< set by open_file when it migrated a file
  std::map<const char*, sqlite::CachedStatement> statements_;
  bool synchronous_full_ = true;         ///< PRAGMA synchronous as last set (SQLite's default)
  std::int64_t unsynced_since_ms_ = -1;  ///< steady ms of the oldest commit not yet fsynced
  mutable std::int64_t rows_read_ = 0;
  std::int64_t timed_syncs_ = 0;
  std::int64_t changes_committed_ = 0;
  Env* env_;
};

}  // namespace trigger
