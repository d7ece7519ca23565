// The SQLite backend: the history, the pass records and the figures `trigger status` reads.
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "process.h"
#include "store/sqlite_store.h"
#include "trigger/names.h"

namespace trigger {
namespace {

// A run outcome: one of history_run_outcome (its WHERE is this OR chain), of count above 0
// (a clock set aside is recorded as failed with count 0: it is not a run).
#define RUN_OUTCOME(h)                                                                   \
  "(" h ".outcome = 'succeeded' OR " h ".outcome = 'failed' OR " h ".outcome = 'timed_out') " \
  "AND " h ".count > 0"
constexpr const char* kInsertHistorySql =
    "INSERT INTO history (trigger_id, event_id, scheduled_epoch, count, outcome, reason, manual, "
    "attempts, exit_status, started_epoch, finished_epoch, output, recorded_epoch, "
    "expires_epoch, editor_uid, editor_user, editor_sudo_user) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// What a trigger keeps: its keep (seconds) and how many run outcomes whatever their age.
constexpr const char* kRetentionSql =
    "SELECT history_keep_seconds, history_runs FROM trigger WHERE id = ?";
// After a run outcome of trigger ?1 is appended, with ?2 its history_runs and ?3 its keep: the
// run outcomes it pushed out of the trigger's newest history_runs, kept until then whatever
// their age, may be pruned from recorded_epoch plus the keep. Through history_kept_runs, which
// holds only the kept run outcomes of triggers that run less often than they keep: for any
// other trigger one lookup finds none, and the newest runs are not read (`+id`: the bound is
// no index constraint, so the subquery runs only for a kept run found).
constexpr const char* kPushOutRunsSql =
    "UPDATE history SET expires_epoch = recorded_epoch + ?3 WHERE trigger_id = ?1 AND "
    "expires_epoch IS NULL AND (outcome = 'succeeded' OR outcome = 'failed' OR "
    "outcome = 'timed_out') AND +id < COALESCE((SELECT r.id FROM history r WHERE "
    "r.trigger_id = ?1 AND " RUN_OUTCOME("r") " ORDER BY r.id DESC LIMIT 1 OFFSET ?2 - 1), 0)";
// The oldest of the newest ?2 + 1 run outcomes of trigger ?1 (none: it has no more than ?2).
constexpr const char* kOldestKeptRunSql = "SELECT r.id FROM history r WHERE r.trigger_id = ?1 "
    "AND " RUN_OUTCOME("r") " ORDER BY r.id DESC LIMIT 1 OFFSET ?2";
// What the pruner needs to know of a record: its id, whether it is its trigger's creation
// record, whether it is a run outcome of a trigger that keeps runs, the trigger and its
// history_runs (NULL when the trigger is gone: nothing of it is kept whatever its age).
#define SELECT_PRUNABLE                                                                     \
  "SELECT h.id, t.id IS NOT NULL AND h.outcome = 'edit' AND substr(h.reason, 1, 7) = "      \
  "'created', COALESCE(t.history_runs > 0 AND " RUN_OUTCOME("h") ", 0), h.trigger_id, "    \
  "t.history_runs FROM history h LEFT JOIN trigger t ON t.id = h.trigger_id "
// Records whose time has come by ?1, the soonest first, at most ?2 (history_expires).
constexpr const char* kExpiredHistorySql =
    SELECT_PRUNABLE "WHERE h.expires_epoch <= ?1 ORDER BY h.expires_epoch LIMIT ?2";
// Records with ids from ?1 to below ?2 recorded before ?3, but those already known to be kept.
constexpr const char* kOldHistorySql = SELECT_PRUNABLE
    "WHERE h.id >= ?1 AND h.id < ?2 AND h.recorded_epoch < ?3 AND h.expires_epoch IS NOT NULL "
    "ORDER BY h.id";
#undef SELECT_PRUNABLE
constexpr const char* kKeepRecordSql = "UPDATE history SET expires_epoch = NULL WHERE id = ?";
constexpr const char* kDeleteRecordSql = "DELETE FROM history WHERE id = ?";
constexpr const char* kLastHistoryIdSql = "SELECT COALESCE(MAX(id), 0) FROM history";
// ?1 the trigger (kHistoryOfTriggerSql only: its index), ?2 an event id or NULL, ?3 whether
// failures only, ?4 the earliest recorded time or NULL, ?5 the limit.
#define SELECT_HISTORY                                                                     \
  "SELECT h.id, h.trigger_id, t.name, h.event_id, h.scheduled_epoch, h.count, h.outcome, " \
  "h.reason, h.manual, h.attempts, h.exit_status, h.started_epoch, h.finished_epoch, "     \
  "h.output, h.recorded_epoch, t.tz, h.editor_uid, h.editor_user, h.editor_sudo_user "     \
  "FROM history h LEFT JOIN trigger t ON t.id = h.trigger_id "
#define HISTORY_FILTERS                                                                   \
  "(?2 IS NULL OR h.event_id = ?2) AND (NOT ?3 OR h.outcome IN ('failed', 'timed_out')) " \
  "AND (?4 IS NULL OR h.recorded_epoch >= ?4) ORDER BY h.id DESC LIMIT ?5"
constexpr const char* kHistoryOfTriggerSql =
    SELECT_HISTORY "WHERE h.trigger_id = ?1 AND " HISTORY_FILTERS;
constexpr const char* kHistorySql = SELECT_HISTORY "WHERE ?1 IS NULL AND " HISTORY_FILTERS;
#undef HISTORY_FILTERS
#undef SELECT_HISTORY
constexpr const char* kPrunePassesSql =  // the latest pass is kept: status reads it
    "DELETE FROM pass WHERE id IN (SELECT id FROM pass WHERE started_epoch < ? "
    "AND id < (SELECT MAX(id) FROM pass) ORDER BY id LIMIT ?)";
constexpr const char* kBeginPassSql =
    "INSERT INTO pass (owner, started_epoch, clock_jump_seconds, host, pid, pid_start, boot_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kEndPassSql =
    "UPDATE pass SET finished_epoch = ?, duration_ms = ?, scheduled = ?, fired = ?, ran = ?, "
    "failed = ?, outcome = ?, error = ? WHERE id = ?";
#define SELECT_PASSES                                                                     \
  "SELECT id, owner, started_epoch, finished_epoch, duration_ms, scheduled, fired, ran, " \
  "failed, clock_jump_seconds, host, pid, pid_start, boot_id, outcome, error FROM pass "
constexpr const char* kLastPassSql = SELECT_PASSES "ORDER BY id DESC LIMIT 1";
constexpr const char* kRecentPassesSql = SELECT_PASSES "ORDER BY id DESC LIMIT ?";
#undef SELECT_PASSES
constexpr const char* kPendingChangesSql =
    "SELECT (SELECT value FROM counter WHERE name = 'version') - "
    "(SELECT value FROM counter WHERE name = 'cursor')";
constexpr const char* kOldestPendingSql =
    "SELECT MIN(updated_epoch) FROM trigger WHERE version > (SELECT value FROM counter WHERE name "
    "= 'cursor')";
constexpr const char* kDueFiguresSql =  // of active triggers: a pause since the last pass counts
    "SELECT COUNT(*), MIN(e.next_event_epoch) FROM trigger_event e JOIN trigger t "
    "ON t.id = e.trigger_id WHERE e.next_event_epoch <= ? AND t.state = 'active'";
constexpr const char* kTaskFiguresSql =
    "SELECT COALESCE(SUM(lease_expires_epoch IS NULL), 0), "
    "COALESCE(SUM(lease_expires_epoch > ?1), 0), COALESCE(SUM(lease_expires_epoch <= ?1), 0) "
    "FROM task";
// Each trigger's newest run outcome (one lookup in history_run_outcome: the OR chain matches
// its WHERE), whether it is failing, and its labels as a JSON array of [key, value].
#define SELECT_RUN_STATES                                                                       \
  "SELECT t.id, t.name, t.state, e.next_event_epoch, h.id, h.event_id, h.outcome, "             \
  "h.started_epoch, h.finished_epoch, t.state = 'active' AND (h.outcome = 'failed' OR "         \
  "h.outcome = 'timed_out') AND h.id > COALESCE(e.failures_acknowledged_id, 0), "               \
  "(SELECT json_group_array(json_array(l.key, l.value)) FROM trigger_label l "                  \
  "WHERE l.trigger_id = t.id) FROM trigger t LEFT JOIN trigger_event e ON e.trigger_id = t.id " \
  "LEFT JOIN history h ON h.id = (SELECT r.id FROM history r WHERE r.trigger_id = t.id "        \
  "AND " RUN_OUTCOME("r") " ORDER BY r.id DESC LIMIT 1) "
constexpr const char* kRunStatesSql = SELECT_RUN_STATES "ORDER BY t.id";
constexpr const char* kRunStateSql = SELECT_RUN_STATES "WHERE t.id = ?1";
#undef SELECT_RUN_STATES
#undef RUN_OUTCOME
constexpr const char* kAcknowledgeSql =
    "UPDATE trigger_event SET failures_acknowledged_id = "
    "MAX(COALESCE(failures_acknowledged_id, 0), ?2) WHERE trigger_id = ?1";
constexpr const char* kSetAsideSql = "SELECT COUNT(*) FROM trigger_event WHERE error IS NOT NULL";
constexpr const char* kStatesSql =
    "SELECT state, COUNT(*) FROM trigger GROUP BY state ORDER BY state";

constexpr Named<Outcome> kOutcomes[] = {
    {Outcome::kSucceeded, "succeeded"}, {Outcome::kFailed, "failed"},
    {Outcome::kTimedOut, "timed_out"},  {Outcome::kSkipped, "skipped"},
    {Outcome::kCoalesced, "coalesced"}, {Outcome::kCancelled, "cancelled"},
    {Outcome::kEdit, "edit"},           {Outcome::kInterrupted, "interrupted"},
    {Outcome::kRetried, "retried"},     {Outcome::kHook, "hook"}};

constexpr Named<PassOutcome> kPassOutcomes[] = {
    {PassOutcome::kOk, "ok"}, {PassOutcome::kFailed, "failed"}, {PassOutcome::kRefused, "refused"}};

constexpr Named<PassEnd> kPassEnds[] = {{PassEnd::kRunning, "running"},
                                        {PassEnd::kOk, "ok"},
                                        {PassEnd::kFailed, "failed"},
                                        {PassEnd::kRefused, "refused"},
                                        {PassEnd::kDied, "died"}};

Outcome parse_outcome(const std::string& text) {
  if (auto outcome = value_of(kOutcomes, text)) return *outcome;
  throw sqlite::DamagedValue("unexpected stored outcome " + in_quotes(text));
}

std::optional<PassOutcome> parse_pass_outcome(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  std::string text = column.getString();
  if (auto outcome = value_of(kPassOutcomes, text)) return outcome;
  throw SQLite::Exception("unexpected stored pass outcome '" + text + "'", SQLITE_CORRUPT);
}

HistoryRecord read_history(SQLite::Statement& s) {
  HistoryRecord r;
  int i = 0;
  r.id = s.getColumn(i++).getInt64();
  r.trigger_id = s.getColumn(i++).getInt64();
  r.trigger_name = sqlite::optional_text(s.getColumn(i++));
  r.event_id = sqlite::optional_text(s.getColumn(i++));
  r.scheduled_epoch = sqlite::optional_int(s.getColumn(i++));
  r.count = s.getColumn(i++).getInt64();
  r.outcome = parse_outcome(s.getColumn(i++).getString());
  r.reason = s.getColumn(i++).getString();
  r.manual = s.getColumn(i++).getInt() != 0;
  r.attempts = s.getColumn(i++).getInt64();
  r.exit_status = sqlite::optional_int(s.getColumn(i++));
  r.started_epoch = sqlite::optional_int(s.getColumn(i++));
  r.finished_epoch = sqlite::optional_int(s.getColumn(i++));
  r.output = s.getColumn(i++).getString();
  r.recorded_epoch = s.getColumn(i++).getInt64();
  if (auto tz = s.getColumn(i++); !tz.isNull()) r.trigger_tz = tz.getString();
  if (auto uid = sqlite::optional_int(s.getColumn(i++))) {
    Identity editor;
    editor.uid = *uid;
    editor.user = sqlite::optional_text(s.getColumn(i++)).value_or("");
    editor.sudo_user = sqlite::optional_text(s.getColumn(i++));
    r.editor = std::move(editor);
  }
  return r;
}

PassRecord read_pass(SQLite::Statement& s) {
  PassRecord p;
  int i = 0;
  p.id = s.getColumn(i++).getInt64();
  p.owner = s.getColumn(i++).getString();
  p.started_epoch = s.getColumn(i++).getInt64();
  p.finished_epoch = sqlite::optional_int(s.getColumn(i++));
  p.duration_ms = sqlite::optional_int(s.getColumn(i++));
  p.scheduled = s.getColumn(i++).getInt64();
  p.fired = s.getColumn(i++).getInt64();
  p.ran = s.getColumn(i++).getInt64();
  p.failed = s.getColumn(i++).getInt64();
  p.clock_jump_seconds = s.getColumn(i++).getInt64();
  p.host = s.getColumn(i++).getString();
  p.pid = s.getColumn(i++).getInt64();
  p.pid_start = s.getColumn(i++).getInt64();
  p.boot_id = s.getColumn(i++).getString();
  p.outcome = parse_pass_outcome(s.getColumn(i++));
  p.error = sqlite::optional_text(s.getColumn(i++));
  return p;
}

TriggerRunState read_run_state(SQLite::Statement& s) {
  TriggerRunState r;
  int i = 0;
  r.trigger_id = s.getColumn(i++).getInt64();
  r.name = sqlite::optional_text(s.getColumn(i++));
  std::string state = s.getColumn(i++).getString();
  auto parsed = parse_state(state);
  if (!parsed) throw sqlite::DamagedValue("unexpected stored state " + in_quotes(state));
  r.state = *parsed;
  r.next_event_epoch = sqlite::optional_int(s.getColumn(i++));
  r.last_run_id = sqlite::optional_int(s.getColumn(i++));
  r.last_event_id = sqlite::optional_text(s.getColumn(i++));
  if (auto outcome = sqlite::optional_text(s.getColumn(i++)))
    r.last_outcome = parse_outcome(*outcome);
  r.last_started_epoch = sqlite::optional_int(s.getColumn(i++));
  r.last_finished_epoch = sqlite::optional_int(s.getColumn(i++));
  r.failing = s.getColumn(i++).getInt() != 0;
  for (const auto& pair : nlohmann::json::parse(s.getColumn(i++).getString())) {
    r.labels.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
  }
  return r;
}

// How the pass of `record` ended, as far as can be told at `now`.
PassEnd end_of(const PassRecord& record, Epoch now) {
  if (record.outcome) {
    switch (*record.outcome) {
      case PassOutcome::kOk:
        return PassEnd::kOk;
      case PassOutcome::kFailed:
        return PassEnd::kFailed;
      case PassOutcome::kRefused:
        return PassEnd::kRefused;
    }
  }
  if (record.finished_epoch) return PassEnd::kOk;  // finished before outcomes were recorded
  ProcessIdentity holder{record.host, record.boot_id, record.pid, record.pid_start};
  Liveness alive = liveness(holder);
  if (alive == Liveness::kDead) return PassEnd::kDied;
  if (alive == Liveness::kUnknown &&
      now - record.started_epoch > QueueFigures::kPassPresumedDeadSeconds) {
    return PassEnd::kDied;
  }
  return PassEnd::kRunning;
}

}  // namespace

std::string_view to_string(Outcome outcome) { return name_of(kOutcomes, outcome); }
std::string_view to_string(PassOutcome outcome) { return name_of(kPassOutcomes, outcome); }
std::string_view to_string(PassEnd end) { return name_of(kPassEnds, end); }

Result<std::int64_t> SqliteStore::append_history(const HistoryRecord& r) {
  return guarded([&]() -> Result<std::int64_t> {
    std::int64_t keep = kDefaultHistoryKeepSeconds;  // of a trigger that is gone
    std::optional<std::int64_t> runs;
    {
      auto retention = prepare(kRetentionSql, r.trigger_id);
      if (retention->executeStep()) {
        keep = retention->getColumn(0).getInt64();
        runs = retention->getColumn(1).getInt64();
      }
    }
    prepare(kInsertHistorySql, r.trigger_id, r.event_id, r.scheduled_epoch, r.count,
            to_string(r.outcome), r.reason, r.manual, r.attempts, r.exit_status, r.started_epoch,
            r.finished_epoch, r.output, r.recorded_epoch, r.recorded_epoch + keep,
            r.editor ? std::optional<std::int64_t>(r.editor->uid) : std::nullopt,
            r.editor && !r.editor->user.empty() ? std::optional<std::string>(r.editor->user)
                                                : std::nullopt,
            r.editor ? r.editor->sudo_user : std::nullopt)
        ->exec();
    auto id = static_cast<std::int64_t>(db_->getLastInsertRowid());
    bool run = r.outcome == Outcome::kSucceeded || r.outcome == Outcome::kFailed ||
               r.outcome == Outcome::kTimedOut;
    if (run && r.count > 0 && runs) prepare(kPushOutRunsSql, r.trigger_id, *runs, keep)->exec();
    return id;
  });
}

Result<std::vector<HistoryRecord>> SqliteStore::history(const HistoryFilter& filter) {
  return guarded([&]() -> Result<std::vector<HistoryRecord>> {
    auto select = prepare(filter.trigger_id ? kHistoryOfTriggerSql : kHistorySql, filter.trigger_id,
                          filter.event_id, filter.failed_only, filter.since, filter.limit);
    std::vector<HistoryRecord> records;
    while (select->executeStep()) {
      ++rows_read_;
      records.push_back(read_history(*select));
    }
    return records;
  });
}

Store::PruneSlice SqliteStore::prune_records(sqlite::Prepared& select) {
  struct Prunable {
    std::int64_t id;
    bool creation;
    bool run;
    std::int64_t trigger_id;
    std::int64_t runs_kept;
  };
  std::vector<Prunable> records;
  while (select->executeStep()) {
    ++rows_read_;
    records.push_back({select->getColumn(0).getInt64(), select->getColumn(1).getInt() != 0,
                       select->getColumn(2).getInt() != 0, select->getColumn(3).getInt64(),
                       select->getColumn(4).getInt64()});
  }
  select->reset();
  // Per trigger, the oldest run outcome id among its newest history_runs (0: it has no more).
  std::map<std::int64_t, std::int64_t> oldest_kept_run;
  auto oldest_kept = [&](const Prunable& record) {
    auto [found, added] = oldest_kept_run.try_emplace(record.trigger_id, 0);
    if (added) {
      auto oldest = prepare(kOldestKeptRunSql, record.trigger_id, record.runs_kept - 1);
      if (oldest->executeStep()) found->second = oldest->getColumn(0).getInt64();
    }
    return found->second;
  };
  PruneSlice slice;
  auto keep = statement(kKeepRecordSql);
  auto remove = statement(kDeleteRecordSql);
  for (const auto& record : records) {
    bool kept = record.creation || (record.run && record.id >= oldest_kept(record));
    auto& write = kept ? keep : remove;
    write.rebind(record.id);
    write->exec();
    ++(kept ? slice.kept : slice.deleted);
  }
  return slice;
}

Result<Store::PruneSlice> SqliteStore::prune_history(Epoch now, Epoch passes_before,
                                                     std::size_t limit) {
  return guarded([&]() -> Result<PruneSlice> {
    auto expired = prepare(kExpiredHistorySql, now, limit);
    PruneSlice slice = prune_records(expired);
    slice.passes_deleted = prepare(kPrunePassesSql, passes_before, limit)->exec();
    return slice;
  });
}

Result<Store::PruneSlice> SqliteStore::prune_history_before(Epoch before, std::int64_t from_id,
                                                            std::size_t span) {
  return guarded([&]() -> Result<PruneSlice> {
    std::int64_t last_id = count(kLastHistoryIdSql);
    std::int64_t to_id = from_id + static_cast<std::int64_t>(span);
    auto old = prepare(kOldHistorySql, from_id, to_id, before);
    PruneSlice slice = prune_records(old);
    slice.passes_deleted = prepare(kPrunePassesSql, before, span)->exec();
    if (to_id <= last_id) slice.next_id = to_id;
    return slice;
  });
}

Result<std::int64_t> SqliteStore::begin_pass(const PassRecord& pass) {
  return guarded([&]() -> Result<std::int64_t> {
    prepare(kBeginPassSql, pass.owner, pass.started_epoch, pass.clock_jump_seconds, pass.host,
            pass.pid, pass.pid_start, pass.boot_id)
        ->exec();
    return static_cast<std::int64_t>(db_->getLastInsertRowid());
  });
}

Status SqliteStore::end_pass(const PassRecord& pass, PassWork work) {
  return guarded([&]() -> Status {
    // An idle pass wrote only its record: its close leaves the WAL for the next command.
    if (work == PassWork::kIdle) keep_wal_on_close();
    std::optional<std::string_view> outcome;
    if (pass.outcome) outcome = to_string(*pass.outcome);
    prepare(kEndPassSql, pass.finished_epoch, pass.duration_ms, pass.scheduled, pass.fired,
            pass.ran, pass.failed, outcome, pass.error, pass.id)
        ->exec();
    return Ok{};
  });
}

Result<std::optional<PassRecord>> SqliteStore::last_pass() {
  return guarded([&]() -> Result<std::optional<PassRecord>> {
    auto select = statement(kLastPassSql);
    if (!select->executeStep()) return std::optional<PassRecord>();
    ++rows_read_;
    return std::optional<PassRecord>(read_pass(*select));
  });
}

// The latest pass, and the failures in a row among those that ended: the newest records,
// read one at a time until one that ended ok (kPassesCounted at most).
void SqliteStore::read_pass_figures(QueueFigures& figures, Epoch now) {
  auto recent = prepare(kRecentPassesSql, QueueFigures::kPassesCounted);
  while (recent->executeStep()) {
    ++rows_read_;
    PassRecord record = read_pass(*recent);
    PassEnd end = end_of(record, now);
    if (!figures.last_pass) {
      figures.last_pass = record;
      figures.last_pass_end = end;
    }
    if (end == PassEnd::kOk) break;
    if (end == PassEnd::kRunning) continue;
    if (figures.failed_passes_in_a_row++ == 0) {
      figures.last_failed_pass = std::move(record);
      figures.last_failed_pass_end = end;
    }
  }
}

// Queued, running and stuck tasks, and the triggers by state.
void SqliteStore::read_task_figures(QueueFigures& figures, Epoch now) {
  auto tasks = prepare(kTaskFiguresSql, now);
  tasks->executeStep();
  figures.queued = tasks->getColumn(0).getInt64();
  figures.running = tasks->getColumn(1).getInt64();
  figures.stuck = tasks->getColumn(2).getInt64();
  for (State state : {State::kActive, State::kPaused, State::kCancelled, State::kDone}) {
    figures.triggers_by_state[std::string(to_string(state))] = 0;
  }
  auto states = statement(kStatesSql);
  while (states->executeStep()) {
    figures.triggers_by_state[states->getColumn(0).getString()] = states->getColumn(1).getInt64();
  }
}

Result<QueueFigures> SqliteStore::queue_figures(Epoch now) {
  return guarded([&]() -> Result<QueueFigures> {
    QueueFigures figures;
    figures.pending_changes = count(kPendingChangesSql);
    {
      auto pending = statement(kOldestPendingSql);
      pending->executeStep();
      figures.oldest_pending_epoch = sqlite::optional_int(pending->getColumn(0));
    }
    {
      auto due = prepare(kDueFiguresSql, now);
      due->executeStep();
      figures.due = due->getColumn(0).getInt64();
      figures.oldest_due_epoch = sqlite::optional_int(due->getColumn(1));
    }
    read_task_figures(figures, now);
    figures.set_aside = count(kSetAsideSql);
    read_pass_figures(figures, now);
    auto runs = statement(kRunStatesSql);
    while (runs->executeStep()) {
      ++rows_read_;
      figures.runs.push_back(read_run_state(*runs));
    }
    return figures;
  });
}

Result<std::optional<TriggerRunState>> SqliteStore::run_state(std::int64_t trigger_id) {
  return guarded([&]() -> Result<std::optional<TriggerRunState>> {
    auto select = prepare(kRunStateSql, trigger_id);
    if (!select->executeStep()) return std::optional<TriggerRunState>();
    ++rows_read_;
    return std::optional<TriggerRunState>(read_run_state(*select));
  });
}

Result<bool> SqliteStore::acknowledge_failures(std::int64_t trigger_id, std::int64_t history_id) {
  return guarded([&]() -> Result<bool> {
    return prepare(kAcknowledgeSql, trigger_id, history_id)->exec() > 0;
  });
}

}  // namespace trigger
