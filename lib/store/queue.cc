// The SQLite backend: event rows (run-once's schedule) and the queue of tasks, with their
// leases. Every write that acts on a lease holds only while the lease does (the same owner and
// attempt): a runner that lost its lease changes nothing.
#include <nlohmann/json.hpp>

#include "store/sqlite_store.h"

namespace trigger {
namespace {

constexpr const char* kSelectEventSql =
    "SELECT last_event_epoch, next_event_epoch, runs, runs_from_epoch, error, boot_id "
    "FROM trigger_event WHERE trigger_id = ?";
constexpr const char* kUpsertEventSql =
    "INSERT INTO trigger_event (trigger_id, last_event_epoch, next_event_epoch, runs, "
    "runs_from_epoch, error, boot_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trigger_id) DO "
    "UPDATE SET last_event_epoch = excluded.last_event_epoch, "
    "next_event_epoch = excluded.next_event_epoch, runs = excluded.runs, "
    "runs_from_epoch = excluded.runs_from_epoch, error = excluded.error, "
    "boot_id = excluded.boot_id";
// The boot-clock triggers through the partial index trigger_on_boot (its WHERE, word for word).
constexpr const char* kBootTriggersSql =
    "SELECT t.id FROM trigger t INDEXED BY trigger_on_boot"
    " LEFT JOIN trigger_event e ON e.trigger_id = t.id"
    " WHERE t.clock GLOB '--on-boot*' AND t.state = 'active'"
    " AND (e.boot_id IS NULL OR e.boot_id != ?1) ORDER BY t.id LIMIT ?2";
// Any state: the queued runs of a done or cancelled trigger run its action too.
constexpr const char* kCommandActionsSql =
    "SELECT EXISTS (SELECT 1 FROM trigger WHERE action_kind != 'log')";
constexpr const char* kFinishTriggerSql =
    "UPDATE trigger SET state = 'done', updated_epoch = ? WHERE id = ? AND state = 'active'";
constexpr const char* kDueTriggersSql =
    "SELECT trigger_id FROM trigger_event WHERE next_event_epoch <= ? "
    "ORDER BY next_event_epoch, id LIMIT ?";  // index order: no sort of every due row
constexpr const char* kOpenTasksSql = "SELECT COUNT(*) FROM task WHERE trigger_id = ?";
constexpr const char* kNewestQueuedSql =
    "SELECT created_epoch FROM task WHERE trigger_id = ? AND manual = 0 ORDER BY id DESC LIMIT 1";
// A serial task queued behind any task of its trigger is blocked (a new task has the highest id).
constexpr const char* kInsertTaskSql =
    "INSERT OR IGNORE INTO task (trigger_id, scheduled_epoch, manual, serial, last_epoch, "
    "due_epoch, attempt, created_epoch, blocked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, "
    "?4 = 1 AND EXISTS (SELECT 1 FROM task WHERE trigger_id = ?1))";
// When a task goes, the first task left of its trigger is runnable (the tasks behind it wait).
constexpr const char* kUnblockFirstTaskSql =
    "UPDATE task SET blocked = 0 WHERE id = (SELECT id FROM task WHERE trigger_id = ? "
    "ORDER BY id LIMIT 1) AND blocked = 1";

// The columns read_task() reads, in its order.
#define TASK_COLUMNS                                                                       \
  "t.id, t.trigger_id, t.scheduled_epoch, t.manual, t.serial, t.last_epoch, t.due_epoch, " \
  "t.attempt, t.interrupted, t.lease_owner, t.lease_expires_epoch, t.lease_host, "         \
  "t.lease_boot_id, t.lease_pid, t.lease_pid_start, t.lease_pgid, t.created_epoch, "       \
  "t.lock_wait_since"
constexpr int kTaskColumnCount = 18;
// Lock groups: the lock names held, those of the triggers of leased tasks (few rows: the
// partial index task_leased), and whether trigger `g` holds none of them.
#define LOCKS_HELD                                                               \
  "(SELECT hl.value FROM task h CROSS JOIN trigger hg ON hg.id = h.trigger_id, " \
  "json_each(hg.locks) hl WHERE h.lease_owner IS NOT NULL)"
#define LOCK_FREE(g)                                              \
  "(" g ".locks = '[]' OR NOT EXISTS (SELECT 1 FROM json_each(" g \
  ".locks) l "                                                    \
  "WHERE l.value IN " LOCKS_HELD "))"
// Runnable: due (?1 is now), not blocked (a serial task behind an earlier task of its trigger)
// and not leased; the first `limit` (?2) rows of task_ready, whatever the length of the queue.
// An expired lease or a dead holder's is cleared first by the pass's reclaim step
// (interrupt_task), never taken over here: its command may still run. The lease test is a
// filter on the rows of task_ready, not the scan.
#define RUNNABLE_TASKS                                             \
  " t.blocked = 0 AND t.due_epoch <= ?1 AND t.lease_owner IS NULL" \
  " ORDER BY t.due_epoch, t.id LIMIT ?2"

// The queue first (in task_ready order), then each task's trigger, whose locks must be free.
constexpr const char* kRunnableTasksSql =
    "SELECT " TASK_COLUMNS
    ", g.locks FROM task t INDEXED BY task_ready"
    " CROSS JOIN trigger g ON g.id = t.trigger_id WHERE " LOCK_FREE("g") " AND" RUNNABLE_TASKS;
constexpr const char* kRunnableLogTasksSql =
    "SELECT " TASK_COLUMNS
    ", g.action_argv FROM task t INDEXED BY task_ready"
    " CROSS JOIN trigger g ON g.id = t.trigger_id WHERE g.action_kind = 'log' AND " LOCK_FREE(
        "g") " AND" RUNNABLE_TASKS;
// Whether the locks of trigger ?1 are free (leases taken earlier in this transaction count).
constexpr const char* kLocksFreeSql = "SELECT " LOCK_FREE("g") " FROM trigger g WHERE g.id = ?1";
// Whether any leased task holds a lock: only then can a task wait for one.
constexpr const char* kAnyLockHeldSql =
    "SELECT EXISTS (SELECT 1 FROM task h CROSS JOIN trigger hg ON hg.id = h.trigger_id"
    " WHERE h.lease_owner IS NOT NULL AND hg.locks != '[]')";
// The runnable tasks held back by a lock start their wait at ?1 (those already waiting keep
// theirs): the triggers with locks through trigger_locked, then their tasks.
constexpr const char* kMarkLockWaitersSql =
    "UPDATE task SET lock_wait_since = ?1 WHERE lock_wait_since IS NULL AND lease_owner IS NULL"
    " AND blocked = 0 AND due_epoch <= ?1 AND trigger_id IN (SELECT g.id FROM trigger g"
    " INDEXED BY trigger_locked WHERE g.locks != '[]' AND NOT " LOCK_FREE("g") ")";
constexpr const char* kMarkLockWaitSql =
    "UPDATE task SET lock_wait_since = ?2 WHERE id = ?1 AND lock_wait_since IS NULL";
constexpr const char* kLeasedTasksSql =  // the partial index task_leased, in its order
    "SELECT " TASK_COLUMNS
    " FROM task t WHERE t.lease_owner IS NOT NULL"
    " ORDER BY t.lease_owner, t.id";
#undef RUNNABLE_TASKS
#undef LOCK_FREE
#undef LOCKS_HELD
#undef TASK_COLUMNS

constexpr const char* kLeaseTaskSql =
    "UPDATE task SET lease_owner = ?, lease_host = ?, lease_boot_id = ?, lease_pid = ?, "
    "lease_pid_start = ?, lease_pgid = NULL, lease_expires_epoch = ?, attempt = attempt + 1 "
    "WHERE id = ? AND lease_owner IS NULL";
constexpr const char* kRenewLeasesSql =
    "UPDATE task SET lease_expires_epoch = ? WHERE lease_owner = ?";
// The statements below act on a lease only while it holds: the same owner, the same attempt.
constexpr const char* kSetLeaseGroupSql =
    "UPDATE task SET lease_pgid = ? WHERE id = ? AND lease_owner = ? AND attempt = ?";
constexpr const char* kDeleteLeasedTaskSql =
    "DELETE FROM task WHERE id = ? AND lease_owner = ? AND attempt = ?";
// Queued again: `attempt` is kept (retry, interrupted) or given back (never started).
constexpr const char* kRequeueTaskSql =
    "UPDATE task SET due_epoch = ?, attempt = attempt - ?, interrupted = interrupted + ?, "
    "lease_owner = NULL, lease_host = NULL, lease_boot_id = NULL, lease_pid = NULL, "
    "lease_pid_start = NULL, lease_pgid = NULL, lease_expires_epoch = NULL, "
    "lock_wait_since = NULL WHERE id = ? AND lease_owner = ? AND attempt = ?";
constexpr const char* kIdleTasksOfTriggerSql =
    "SELECT t.id, t.scheduled_epoch, t.manual, t.attempt FROM task t WHERE t.trigger_id = ? "
    "AND t.lease_owner IS NULL ORDER BY t.id";
constexpr const char* kDeleteTaskSql = "DELETE FROM task WHERE id = ?";
// delete_trigger: a leased task of the trigger refuses it; then its rows go, children first
// (trigger_label, trigger_event and task reference trigger; history does not).
constexpr const char* kLeasedTaskOfTriggerSql =
    "SELECT t.scheduled_epoch, t.manual FROM task t WHERE t.trigger_id = ? "
    "AND t.lease_owner IS NOT NULL ORDER BY t.id LIMIT 1";
constexpr const char* kDeleteTriggerTasksSql = "DELETE FROM task WHERE trigger_id = ?";
constexpr const char* kDeleteTriggerLabelsSql = "DELETE FROM trigger_label WHERE trigger_id = ?";
constexpr const char* kDeleteTriggerEventSql = "DELETE FROM trigger_event WHERE trigger_id = ?";
constexpr const char* kDeleteTriggerHistorySql = "DELETE FROM history WHERE trigger_id = ?";
constexpr const char* kDeleteTriggerSql = "DELETE FROM trigger WHERE id = ?";
// The highest id ever deleted, so that insert_trigger never gives it (or one below it) again:
// a new trigger must not inherit a deleted one's event ids (TRIGGER_EVENT_ID, which jobs use
// to be idempotent) or its kept history.
constexpr const char* kNoteDeletedIdSql =
    "INSERT INTO counter (name, value) VALUES ('highest_deleted_id', ?) "
    "ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)";
constexpr const char* kTriggerExistsSql = "SELECT COUNT(*) FROM trigger WHERE id = ?";

Task read_task(SQLite::Statement& s) {
  Task t;
  int i = 0;
  t.id = s.getColumn(i++).getInt64();
  t.trigger_id = s.getColumn(i++).getInt64();
  t.scheduled_epoch = s.getColumn(i++).getInt64();
  t.manual = s.getColumn(i++).getInt() != 0;
  t.serial = s.getColumn(i++).getInt() != 0;
  t.last_epoch = sqlite::optional_int(s.getColumn(i++));
  t.due_epoch = s.getColumn(i++).getInt64();
  t.attempt = s.getColumn(i++).getInt64();
  t.interrupted = s.getColumn(i++).getInt64();
  t.lease_owner = sqlite::optional_text(s.getColumn(i++));
  t.lease_expires_epoch = sqlite::optional_int(s.getColumn(i++));
  t.lease_host = s.getColumn(i++).getString();  // "" for NULL
  t.lease_boot_id = s.getColumn(i++).getString();
  t.lease_pid = s.getColumn(i++).getInt64();  // 0 for NULL
  t.lease_pid_start = s.getColumn(i++).getInt64();
  t.lease_pgid = sqlite::optional_int(s.getColumn(i++));
  t.created_epoch = s.getColumn(i++).getInt64();
  t.lock_wait_since = sqlite::optional_int(s.getColumn(i++));
  return t;
}

// `task` as lease_tasks leaves it: held by `holder` until `expires`, one attempt more.
void take_lease(Task& task, const LeaseHolder& holder, Epoch expires) {
  task.lease_owner = holder.owner;
  task.lease_expires_epoch = expires;
  task.lease_host = holder.host;
  task.lease_boot_id = holder.boot_id;
  task.lease_pid = holder.pid;
  task.lease_pid_start = holder.pid_start;
  task.lease_pgid.reset();
  task.attempt += 1;
}

}  // namespace

Result<EventRow> SqliteStore::event(std::int64_t trigger_id) {
  return guarded([&]() -> Result<EventRow> {
    auto select = prepare(kSelectEventSql, trigger_id);
    EventRow row;
    row.trigger_id = trigger_id;
    if (select->executeStep()) {
      ++rows_read_;
      row.exists = true;
      row.last_event_epoch = sqlite::optional_int(select->getColumn(0));
      row.next_event_epoch = sqlite::optional_int(select->getColumn(1));
      row.runs = select->getColumn(2).getInt64();
      row.runs_from_epoch = sqlite::optional_int(select->getColumn(3));
      row.error = sqlite::optional_text(select->getColumn(4));
      row.boot_id = sqlite::optional_text(select->getColumn(5));
    }
    return row;
  });
}

Status SqliteStore::write_event(const EventRow& row) {
  return guarded([&]() -> Status {
    prepare(kUpsertEventSql, row.trigger_id, row.last_event_epoch, row.next_event_epoch, row.runs,
            row.runs_from_epoch, row.error, row.boot_id)
        ->exec();
    return Ok{};
  });
}

Status SqliteStore::finish_trigger(std::int64_t id, Epoch now) {
  return guarded([&]() -> Status {
    prepare(kFinishTriggerSql, now, id)->exec();
    return Ok{};
  });
}

Result<bool> SqliteStore::has_command_actions() {
  return guarded([&]() -> Result<bool> { return count(kCommandActionsSql) != 0; });
}

Result<std::vector<std::int64_t>> SqliteStore::due_triggers(Epoch now, std::size_t limit) {
  return guarded([&]() -> Result<std::vector<std::int64_t>> {
    auto select = prepare(kDueTriggersSql, now, limit);
    std::vector<std::int64_t> ids;
    while (select->executeStep()) {
      ++rows_read_;
      ids.push_back(select->getColumn(0).getInt64());
    }
    return ids;
  });
}

Result<std::vector<std::int64_t>> SqliteStore::boot_triggers_to_schedule(const std::string& boot_id,
                                                                         std::size_t limit) {
  return guarded([&]() -> Result<std::vector<std::int64_t>> {
    auto select = prepare(kBootTriggersSql, boot_id, limit);
    std::vector<std::int64_t> ids;
    while (select->executeStep()) {
      ++rows_read_;
      ids.push_back(select->getColumn(0).getInt64());
    }
    return ids;
  });
}

Result<std::int64_t> SqliteStore::open_tasks(std::int64_t trigger_id) {
  return guarded([&]() -> Result<std::int64_t> {
    ++rows_read_;
    return count(kOpenTasksSql, trigger_id);
  });
}

Result<std::optional<Epoch>> SqliteStore::newest_queued_epoch(std::int64_t trigger_id) {
  return guarded([&]() -> Result<std::optional<Epoch>> {
    auto select = prepare(kNewestQueuedSql, trigger_id);
    if (!select->executeStep()) return std::optional<Epoch>();
    ++rows_read_;
    return std::optional<Epoch>(select->getColumn(0).getInt64());
  });
}

Result<bool> SqliteStore::insert_task(const Task& task) {
  return guarded([&]() -> Result<bool> {
    return prepare(kInsertTaskSql, task.trigger_id, task.scheduled_epoch, task.manual, task.serial,
                   task.last_epoch, task.due_epoch, task.created_epoch)
               ->exec() == 1;
  });
}

// Every row of a task select.
std::vector<Task> SqliteStore::read_tasks(sqlite::Prepared& select) {
  std::vector<Task> tasks;
  while (select->executeStep()) {
    ++rows_read_;
    tasks.push_back(read_task(*select));
  }
  return tasks;
}

// Whether `task`'s locks (its trigger's, as JSON) are free, a lease taken earlier in this
// transaction included: if so its wait, if any, is noted on it and its locks named as words;
// if not, it starts waiting now (unless it already was).
bool SqliteStore::take_locks(Task& task, Epoch now) {
  if (count(kLocksFreeSql, task.trigger_id) == 0) {
    prepare(kMarkLockWaitSql, task.id, now)->exec();
    return false;
  }
  std::string names;
  for (const auto& name : nlohmann::json::parse(task.locks)) {
    names += (names.empty() ? "" : ",") + name.get<std::string>();
  }
  task.locks = names;
  if (task.lock_wait_since)
    task.lock_waited_seconds = std::max<Epoch>(0, now - *task.lock_wait_since);
  return true;
}

Result<std::vector<Task>> SqliteStore::lease_tasks(const LeaseHolder& holder, Epoch now,
                                                   std::int64_t ttl_seconds, std::size_t limit) {
  return guarded([&]() -> Result<std::vector<Task>> {
    if (count(kAnyLockHeldSql) != 0) prepare(kMarkLockWaitersSql, now)->exec();
    auto select = prepare(kRunnableTasksSql, now, limit);
    std::vector<Task> candidates;
    while (select->executeStep()) {
      ++rows_read_;
      candidates.push_back(read_task(*select));
      candidates.back().locks = select->getColumn(kTaskColumnCount).getString();
    }
    auto lease = statement(kLeaseTaskSql);
    Epoch expires = now + ttl_seconds;
    std::vector<Task> tasks;
    for (auto& task : candidates) {
      if (task.locks != "[]" && !take_locks(task, now)) continue;
      lease.rebind(holder.owner, holder.host, holder.boot_id, holder.pid, holder.pid_start, expires,
                   task.id);
      if (lease->exec() != 1) return Error(ErrorKind::kInternal, "task vanished while leased");
      take_lease(task, holder, expires);
      tasks.push_back(std::move(task));
    }
    return tasks;
  });
}

Result<std::vector<Task>> SqliteStore::leased_tasks() {
  return guarded([&]() -> Result<std::vector<Task>> {
    auto select = statement(kLeasedTasksSql);
    return read_tasks(select);
  });
}

Result<std::int64_t> SqliteStore::renew_leases(const std::string& owner, Epoch expires) {
  return guarded([&]() -> Result<std::int64_t> {
    return static_cast<std::int64_t>(prepare(kRenewLeasesSql, expires, owner)->exec());
  });
}

Result<bool> SqliteStore::set_lease_group(const Task& task, std::int64_t pgid) {
  return guarded([&]() -> Result<bool> {
    return prepare(kSetLeaseGroupSql, pgid, task.id, task.lease_owner.value_or(""), task.attempt)
               ->exec() == 1;
  });
}

Result<std::vector<std::pair<Task, std::string>>> SqliteStore::runnable_log_tasks(
    Epoch now, std::size_t limit) {
  return guarded([&]() -> Result<std::vector<std::pair<Task, std::string>>> {
    auto select = prepare(kRunnableLogTasksSql, now, limit);
    std::vector<std::pair<Task, std::string>> tasks;
    while (select->executeStep()) {
      ++rows_read_;
      Task task = read_task(*select);
      auto argv = nlohmann::json::parse(select->getColumn(kTaskColumnCount).getString())
                      .get<std::vector<std::string>>();
      tasks.emplace_back(std::move(task), argv.empty() ? std::string() : argv.front());
    }
    return tasks;
  });
}

void SqliteStore::unblock_first_task(std::int64_t trigger_id) {
  prepare(kUnblockFirstTaskSql, trigger_id)->exec();
}

Status SqliteStore::remove_task(const Task& task) {
  return guarded([&]() -> Status {
    if (prepare(kDeleteTaskSql, task.id)->exec() != 1)
      return Error(ErrorKind::kInternal, "task vanished while run");
    unblock_first_task(task.trigger_id);
    return Ok{};
  });
}

Result<bool> SqliteStore::complete_task(const Task& task, const HistoryRecord& outcome) {
  return guarded([&]() -> Result<bool> {
    auto remove =
        prepare(kDeleteLeasedTaskSql, task.id, task.lease_owner.value_or(""), task.attempt);
    if (remove->exec() != 1) return false;
    unblock_first_task(task.trigger_id);
    auto appended = append_history(outcome);
    if (!appended) return appended.error();
    return true;
  });
}

Result<bool> SqliteStore::requeue_task(const Task& task, Epoch due, Requeue how) {
  return guarded([&]() -> Result<bool> {
    return prepare(kRequeueTaskSql, due, how == Requeue::kUnstarted, how == Requeue::kInterrupted,
                   task.id, task.lease_owner.value_or(""), task.attempt)
               ->exec() == 1;
  });
}

Result<bool> SqliteStore::requeue_recorded(const Task& task, Epoch due, Requeue how,
                                           const HistoryRecord& record) {
  return guarded([&]() -> Result<bool> {
    auto requeued = requeue_task(task, due, how);
    if (!requeued || !*requeued) return requeued;
    auto appended = append_history(record);
    if (!appended) return appended.error();
    return true;
  });
}

Result<bool> SqliteStore::retry_task(const Task& task, Epoch due, const HistoryRecord& attempt) {
  return requeue_recorded(task, due, Requeue::kRetry, attempt);
}

Result<bool> SqliteStore::release_task(const Task& task) {
  return requeue_task(task, task.due_epoch, Requeue::kUnstarted);
}

Result<bool> SqliteStore::interrupt_task(const Task& task, const HistoryRecord& record) {
  return requeue_recorded(task, task.due_epoch, Requeue::kInterrupted, record);
}

Result<std::int64_t> SqliteStore::cancel_tasks(std::int64_t trigger_id, Epoch now) {
  return cancel_idle_tasks(trigger_id, now, "the trigger was cancelled before this run started");
}

Result<std::int64_t> SqliteStore::cancel_idle_tasks(std::int64_t trigger_id, Epoch now,
                                                    const std::string& reason) {
  return guarded([&]() -> Result<std::int64_t> {
    auto select = prepare(kIdleTasksOfTriggerSql, trigger_id);
    std::vector<std::pair<std::int64_t, HistoryRecord>> cancelled;
    while (select->executeStep()) {
      ++rows_read_;
      Task task;
      task.trigger_id = trigger_id;
      task.scheduled_epoch = select->getColumn(1).getInt64();
      task.manual = select->getColumn(2).getInt() != 0;
      task.attempt = select->getColumn(3).getInt64();
      cancelled.emplace_back(
          select->getColumn(0).getInt64(),
          HistoryRecord::of_run(task, Outcome::kCancelled, reason, now));
    }
    auto remove = statement(kDeleteTaskSql);
    for (const auto& [id, record] : cancelled) {
      remove.rebind(id);
      remove->exec();
      auto appended = append_history(record);
      if (!appended) return appended.error();
    }
    if (!cancelled.empty()) unblock_first_task(trigger_id);  // a running task may be left
    return static_cast<std::int64_t>(cancelled.size());
  });
}

Result<DeletedTrigger> SqliteStore::delete_trigger(std::int64_t id, bool keep_history, Epoch now) {
  return guarded([&]() -> Result<DeletedTrigger> {
    if (count(kTriggerExistsSql, id) == 0)
      return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(id));
    auto leased = prepare(kLeasedTaskOfTriggerSql, id);
    if (leased->executeStep()) {
      return Error(ErrorKind::kBusy,
                   "trigger " + std::to_string(id) + " has a run in progress (event " +
                       event_id(id, leased->getColumn(0).getInt64(),
                                leased->getColumn(1).getInt() != 0) +
                       ")");
    }
    DeletedTrigger deleted;
    auto cancelled = cancel_idle_tasks(id, now, "the trigger was deleted before this run started");
    if (!cancelled) return cancelled.error();
    deleted.runs_cancelled = *cancelled;
    auto version = bump_version();
    if (!version) return version.error();
    prepare(kDeleteTriggerTasksSql, id)->exec();
    prepare(kDeleteTriggerLabelsSql, id)->exec();
    prepare(kDeleteTriggerEventSql, id)->exec();
    if (!keep_history) deleted.history_deleted = prepare(kDeleteTriggerHistorySql, id)->exec();
    prepare(kDeleteTriggerSql, id)->exec();
    prepare(kNoteDeletedIdSql, id)->exec();
    return deleted;
  });
}

}  // namespace trigger
