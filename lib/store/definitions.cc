// The SQLite backend: triggers, their labels and the counters.
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "store/sqlite_store.h"
#include "trigger/names.h"

namespace trigger {
namespace {

// The statements share their column lists through these macros: string literals joined by
// the compiler, so that every statement is still one named constant. The definition columns
// come first, in the order decode_trigger() reads them.
#define TRIGGER_DEFINITION_COLUMNS                                                          \
  "t.id, t.name, t.state, t.clock, t.clock_set_epoch, t.tz, t.action_kind, t.action_argv, " \
  "t.action_env, t.action_cwd, t.misfire, t.grace_seconds, t.overlap, t.timeout_seconds, "  \
  "t.retries, t.backoff_seconds, t.jitter_seconds, t.dst, t.until_epoch, t.max_runs, "      \
  "t.on_failure_sh, t.history_keep_seconds, t.history_runs, t.locks, t.run_as_user, "       \
  "t.version, t.created_epoch, t.updated_epoch"
// Scheduled: the pass has an event row for the trigger's latest version.
#define TRIGGER_SCHEDULE_COLUMNS                                                          \
  "e.id IS NOT NULL AND t.version <= (SELECT value FROM counter WHERE name = 'cursor'), " \
  "e.last_event_epoch, e.next_event_epoch"
// For display: the newest outcome of an occurrence or attempt (not an edit, not what a hook
// did), as an extra last column.
#define TRIGGER_LAST_OUTCOME_COLUMN                                                   \
  "(SELECT h.outcome FROM history h WHERE h.trigger_id = t.id AND h.outcome != 'edit' " \
  "AND h.outcome != 'hook' ORDER BY h.id DESC LIMIT 1)"
#define SELECT_TRIGGERS_FOR_DISPLAY                                  \
  "SELECT " TRIGGER_DEFINITION_COLUMNS ", " TRIGGER_SCHEDULE_COLUMNS \
  ", " TRIGGER_LAST_OUTCOME_COLUMN                                   \
  " FROM trigger t LEFT JOIN trigger_event e ON e.trigger_id = t.id"

constexpr int kVersionColumn = 25;  // t.version in TRIGGER_DEFINITION_COLUMNS (0-based)

constexpr const char* kTriggerByIdSql = SELECT_TRIGGERS_FOR_DISPLAY " WHERE t.id = ?1";
constexpr const char* kTriggerByNameSql = SELECT_TRIGGERS_FOR_DISPLAY " WHERE t.name = ?1";
// ?1 a state, else ?2 whether to include cancelled and done; ?3 a GLOB pattern on the name;
// ?4 a JSON array of [key, value] pairs, each of which the trigger's labels must hold.
constexpr const char* kListTriggersSql = SELECT_TRIGGERS_FOR_DISPLAY
    " WHERE CASE WHEN ?1 IS NOT NULL THEN t.state = ?1 WHEN ?2 THEN 1"
    " ELSE t.state IN ('active', 'paused') END"
    " AND (?3 IS NULL OR t.name GLOB ?3)"
    " AND (?4 IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(?4) wanted WHERE NOT EXISTS ("
    "SELECT 1 FROM trigger_label l WHERE l.trigger_id = t.id"
    " AND l.key = json_extract(wanted.value, '$[0]')"
    " AND l.value = json_extract(wanted.value, '$[1]'))))"
    " ORDER BY t.id";
constexpr const char* kChangedSinceSql =
    "SELECT " TRIGGER_DEFINITION_COLUMNS ", " TRIGGER_SCHEDULE_COLUMNS
    " FROM trigger t LEFT JOIN trigger_event e ON e.trigger_id = t.id"
    " WHERE t.version > ?1 ORDER BY t.version LIMIT ?2";
// The definition alone: no join with the event row, no scheduled flag (read as false).
constexpr const char* kTriggerForPassSql =
    "SELECT " TRIGGER_DEFINITION_COLUMNS ", 0, NULL, NULL FROM trigger t WHERE t.id = ?1";
constexpr const char* kInsertTriggerSql =
    "INSERT INTO trigger (name, state, clock, clock_set_epoch, tz, action_kind, action_argv, "
    "action_env, action_cwd, misfire, grace_seconds, overlap, timeout_seconds, retries, "
    "backoff_seconds, jitter_seconds, dst, until_epoch, max_runs, on_failure_sh, "
    "history_keep_seconds, history_runs, locks, run_as_user, version, created_epoch, "
    "updated_epoch, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?, ?, "
    // above every id in use and every id deleted (delete_trigger): none is ever given twice
    "MAX(COALESCE((SELECT MAX(id) FROM trigger), 0), "
    "COALESCE((SELECT value FROM counter WHERE name = 'highest_deleted_id'), 0)) + 1)";
constexpr const char* kUpdateTriggerSql =
    "UPDATE trigger SET name = ?, state = ?, clock = ?, clock_set_epoch = ?, tz = ?, "
    "action_kind = ?, action_argv = ?, action_env = ?, action_cwd = ?, misfire = ?, "
    "grace_seconds = ?, overlap = ?, timeout_seconds = ?, retries = ?, backoff_seconds = ?, "
    "jitter_seconds = ?, dst = ?, until_epoch = ?, max_runs = ?, on_failure_sh = ?, "
    "history_keep_seconds = ?, history_runs = ?, locks = ?, run_as_user = ?, version = ?, "
    "created_epoch = ?, updated_epoch = ? WHERE id = ?28";
constexpr const char* kRetentionSql =
    "SELECT history_keep_seconds, history_runs FROM trigger WHERE id = ?";
// A trigger's retention changed: every record of it may be pruned again once recorded_epoch
// plus ?2 has passed (the pruner then keeps those still kept whatever their age).
constexpr const char* kRederiveExpiriesSql =
    "UPDATE history SET expires_epoch = recorded_epoch + ?2 WHERE trigger_id = ?1";
constexpr const char* kSetStateSql =
    "UPDATE trigger SET state = ?, version = ?, updated_epoch = ? WHERE id = ?";
constexpr const char* kFindNameSql = "SELECT id FROM trigger WHERE name = ? AND id != ?";
constexpr const char* kBumpVersionSql =
    "UPDATE counter SET value = value + 1 WHERE name = 'version'";
constexpr const char* kCounterSql = "SELECT value FROM counter WHERE name = ?";
constexpr const char* kSetCounterSql = "UPDATE counter SET value = ? WHERE name = ?";
constexpr const char* kDeleteLabelsSql = "DELETE FROM trigger_label WHERE trigger_id = ?";
constexpr const char* kInsertLabelSql =
    "INSERT INTO trigger_label (trigger_id, key, value) VALUES (?, ?, ?)";
constexpr const char* kSelectLabelsSql =
    "SELECT key, value FROM trigger_label WHERE trigger_id = ? ORDER BY key";

#undef SELECT_TRIGGERS_FOR_DISPLAY
#undef TRIGGER_LAST_OUTCOME_COLUMN
#undef TRIGGER_SCHEDULE_COLUMNS
#undef TRIGGER_DEFINITION_COLUMNS

constexpr Named<ActionKind> kActionKinds[] = {
    {ActionKind::kLog, "log"}, {ActionKind::kShell, "sh"}, {ActionKind::kProgram, "program"}};

// Bind every definition column of kInsertTriggerSql / kUpdateTriggerSql, from ?1.
void bind_definition(SQLite::Statement& s, const Trigger& t, std::int64_t version) {
  const Policy& p = t.policy;
  sqlite::bind_all(s, t.name, to_string(t.state), t.clock, t.clock_set_epoch, t.tz,
                   name_of(kActionKinds, t.action.kind), nlohmann::json(t.action.argv).dump(),
                   nlohmann::json(t.action.env).dump(), t.action.cwd, to_string(p.misfire),
                   p.grace_seconds, to_string(p.overlap), p.timeout_seconds, p.retries,
                   p.backoff_seconds, p.jitter_seconds, to_string(p.dst), p.until_epoch, p.max_runs,
                   p.on_failure_sh, p.history_keep_seconds, p.history_runs,
                   nlohmann::json(p.locks).dump(), p.user, version, t.created_epoch,
                   t.updated_epoch);
}

template <class Enum>
Enum parse_stored(std::optional<Enum> value, const std::string& text) {
  if (!value) throw sqlite::DamagedValue("unexpected stored value " + in_quotes(text));
  return *value;
}

// The columns of the action, from column `i` on.
void decode_action(SQLite::Statement& s, int& i, Action& action) {
  std::string kind = s.getColumn(i++).getString();
  action.kind = parse_stored(value_of(kActionKinds, kind), kind);
  action.argv = nlohmann::json::parse(s.getColumn(i++).getString()).get<std::vector<std::string>>();
  action.env = nlohmann::json::parse(s.getColumn(i++).getString()).get<std::vector<std::string>>();
  action.cwd = sqlite::optional_text(s.getColumn(i++));
}

// The columns of the policy, from column `i` on.
void decode_policy(SQLite::Statement& s, int& i, Policy& policy) {
  Zone utc = Zone::utc();
  auto set = [&](std::string_view option, const std::string& value) {
    if (!set_policy_option(policy, option, value, 0, utc)) {
      throw sqlite::DamagedValue("unexpected stored " + std::string(option) + " " +
                                 in_quotes(value));
    }
  };
  set("misfire", s.getColumn(i++).getString());
  policy.grace_seconds = s.getColumn(i++).getInt64();
  set("overlap", s.getColumn(i++).getString());
  policy.timeout_seconds = sqlite::optional_int(s.getColumn(i++));
  policy.retries = s.getColumn(i++).getInt64();
  policy.backoff_seconds = s.getColumn(i++).getInt64();
  policy.jitter_seconds = s.getColumn(i++).getInt64();
  set("dst", s.getColumn(i++).getString());
  policy.until_epoch = sqlite::optional_int(s.getColumn(i++));
  policy.max_runs = sqlite::optional_int(s.getColumn(i++));
  policy.on_failure_sh = sqlite::optional_text(s.getColumn(i++));
  policy.history_keep_seconds = s.getColumn(i++).getInt64();
  policy.history_runs = s.getColumn(i++).getInt64();
  policy.locks =
      nlohmann::json::parse(s.getColumn(i++).getString()).get<std::vector<std::string>>();
  policy.user = sqlite::optional_text(s.getColumn(i++));
}

// One row of the trigger selects: the definition, the schedule, and the last outcome if the
// select has that column.
Trigger decode_trigger(SQLite::Statement& s) {
  Trigger t;
  int i = 0;
  t.id = s.getColumn(i++).getInt64();
  t.name = sqlite::optional_text(s.getColumn(i++));
  std::string state = s.getColumn(i++).getString();
  auto parsed_state = parse_state(state);
  t.state = parse_stored(parsed_state ? std::optional<State>(*parsed_state) : std::nullopt, state);
  t.clock = s.getColumn(i++).getString();
  t.clock_set_epoch = s.getColumn(i++).getInt64();
  t.tz = s.getColumn(i++).getString();
  decode_action(s, i, t.action);
  decode_policy(s, i, t.policy);
  t.version = s.getColumn(i++).getInt64();
  t.created_epoch = s.getColumn(i++).getInt64();
  t.updated_epoch = s.getColumn(i++).getInt64();
  t.scheduled = s.getColumn(i++).getInt() != 0;
  t.last_event_epoch = sqlite::optional_int(s.getColumn(i++));
  t.next_event_epoch = sqlite::optional_int(s.getColumn(i++));
  if (i < s.getColumnCount() && !s.getColumn(i).isNull())
    t.last_outcome = s.getColumn(i).getString();
  return t;
}

// decode_trigger(), with a damaged value named by its trigger (DamagedValue).
Trigger read_trigger(SQLite::Statement& s) {
  auto damaged = [&](const char* what) {
    return sqlite::DamagedValue("trigger " + std::to_string(s.getColumn(0).getInt64()) +
                                " holds a damaged value: " + what);
  };
  try {
    return decode_trigger(s);
  } catch (const sqlite::DamagedValue& e) {
    throw damaged(e.what());
  } catch (const nlohmann::json::exception& e) {
    throw damaged(e.what());
  }
}

// The label filter as kListTriggersSql reads it: a JSON array of pairs, or none.
std::optional<std::string> labels_wanted(const TriggerFilter& filter) {
  if (filter.labels.empty()) return std::nullopt;
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [key, value] : filter.labels) pairs.push_back({key, value});
  return pairs.dump();
}

}  // namespace

Result<std::int64_t> SqliteStore::bump_version() {
  // Not UPDATE ... RETURNING: SQLite builds a temporary table for RETURNING on every run.
  run(kBumpVersionSql);
  auto select = prepare(kCounterSql, "version");
  if (!select->executeStep()) return Error(ErrorKind::kInternal, "version counter missing");
  return select->getColumn(0).getInt64();
}

Result<std::int64_t> SqliteStore::counter(std::string_view name) {
  return guarded([&]() -> Result<std::int64_t> {
    auto select = prepare(kCounterSql, name);
    if (!select->executeStep()) return Error(ErrorKind::kInternal, "no counter " + in_quotes(name));
    ++rows_read_;
    return select->getColumn(0).getInt64();
  });
}

Status SqliteStore::set_counter(std::string_view name, std::int64_t value) {
  return guarded([&]() -> Status {
    if (prepare(kSetCounterSql, value, name)->exec() != 1)
      return Error(ErrorKind::kInternal, "no counter " + in_quotes(name));
    return Ok{};
  });
}

void SqliteStore::write_labels(const Trigger& trigger, bool replace) {
  if (replace) prepare(kDeleteLabelsSql, trigger.id)->exec();
  if (trigger.labels.empty()) return;
  auto insert = statement(kInsertLabelSql);
  for (const auto& [key, value] : trigger.labels) {
    insert.rebind(trigger.id, key, value);
    insert->exec();
  }
}

void SqliteStore::load_labels(std::vector<Trigger>& triggers) {
  auto select = statement(kSelectLabelsSql);
  for (auto& trigger : triggers) {
    select.rebind(trigger.id);
    while (select->executeStep()) {
      ++rows_read_;
      trigger.labels[select->getColumn(0).getString()] = select->getColumn(1).getString();
    }
  }
}

// Every row of a trigger select, with its labels.
std::vector<Trigger> SqliteStore::read_triggers(sqlite::Prepared& select) {
  std::vector<Trigger> triggers;
  while (select->executeStep()) {
    ++rows_read_;
    triggers.push_back(read_trigger(*select));
  }
  load_labels(triggers);
  return triggers;
}

Result<std::optional<std::int64_t>> SqliteStore::id_of(std::string_view name) {
  return guarded([&]() -> Result<std::optional<std::int64_t>> {
    auto find = prepare(kFindNameSql, name, 0);  // no trigger has id 0
    if (!find->executeStep()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(find->getColumn(0).getInt64());
  });
}

Status SqliteStore::check_name_free(const Trigger& trigger) {
  if (!trigger.name) return Ok{};
  auto find = prepare(kFindNameSql, *trigger.name, trigger.id);
  if (find->executeStep()) {
    return data_error("name " + in_quotes(*trigger.name) + " is already taken by trigger " +
                      std::to_string(find->getColumn(0).getInt64()));
  }
  return Ok{};
}

Result<std::int64_t> SqliteStore::insert_trigger(const Trigger& trigger) {
  return guarded([&]() -> Result<std::int64_t> {
    if (auto status = check_name_free(trigger); !status) return status.error();
    auto version = bump_version();
    if (!version) return version.error();
    auto insert = statement(kInsertTriggerSql);
    bind_definition(*insert, trigger, *version);
    insert->exec();
    Trigger stored = trigger;
    stored.id = db_->getLastInsertRowid();
    write_labels(stored, false);
    return stored.id;
  });
}

Status SqliteStore::update_trigger(const Trigger& trigger) {
  return guarded([&]() -> Status {
    if (auto status = check_name_free(trigger); !status) return status;
    auto version = bump_version();
    if (!version) return version.error();
    bool retention_changed = false;
    {
      auto retention = prepare(kRetentionSql, trigger.id);
      if (!retention->executeStep())
        return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(trigger.id));
      retention_changed =
          retention->getColumn(0).getInt64() != trigger.policy.history_keep_seconds ||
          retention->getColumn(1).getInt64() != trigger.policy.history_runs;
    }
    auto update = statement(kUpdateTriggerSql);
    bind_definition(*update, trigger, *version);
    sqlite::bind_one(*update, 28, trigger.id);  // ?28 in kUpdateTriggerSql
    update->exec();
    write_labels(trigger, true);
    if (retention_changed)
      prepare(kRederiveExpiriesSql, trigger.id, trigger.policy.history_keep_seconds)->exec();
    return Ok{};
  });
}

Status SqliteStore::set_state(std::int64_t id, State state, Epoch now) {
  return guarded([&]() -> Status {
    auto version = bump_version();
    if (!version) return version.error();
    if (prepare(kSetStateSql, to_string(state), *version, now, id)->exec() == 0)
      return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(id));
    return Ok{};
  });
}

Result<Trigger> SqliteStore::find_trigger(std::string_view ref) {
  return guarded([&]() -> Result<Trigger> {
    bool by_id = all_digits(ref) && ref.size() < 19;
    auto select = by_id ? prepare(kTriggerByIdSql, std::stoll(std::string(ref)))
                        : prepare(kTriggerByNameSql, ref);
    auto found = read_triggers(select);
    if (found.empty()) return Error(ErrorKind::kNotFound, "no trigger " + in_quotes(ref));
    return std::move(found.front());
  });
}

Result<std::vector<Trigger>> SqliteStore::list_triggers(const TriggerFilter& filter) {
  return guarded([&]() -> Result<std::vector<Trigger>> {
    std::optional<std::string_view> state;
    if (filter.state) state = to_string(*filter.state);
    auto select = prepare(kListTriggersSql, state, filter.include_finished, filter.name_pattern,
                          labels_wanted(filter));
    return read_triggers(select);
  });
}

Result<std::vector<ChangedTrigger>> SqliteStore::triggers_changed_since(std::int64_t version,
                                                                        std::size_t limit) {
  return guarded([&]() -> Result<std::vector<ChangedTrigger>> {
    auto select = prepare(kChangedSinceSql, version, limit);
    std::vector<ChangedTrigger> changed;
    while (select->executeStep()) {
      ++rows_read_;
      std::int64_t id = select->getColumn(0).getInt64();
      std::int64_t row_version = select->getColumn(kVersionColumn).getInt64();
      // A damaged row is that trigger's trouble alone: the others are read on.
      Result<Trigger> trigger = guarded([&]() -> Result<Trigger> { return read_trigger(*select); });
      changed.push_back({id, row_version, std::move(trigger)});
    }
    return changed;
  });
}

Result<Trigger> SqliteStore::trigger_for_pass(std::int64_t id) {
  return guarded([&]() -> Result<Trigger> {
    auto select = prepare(kTriggerForPassSql, id);
    if (!select->executeStep())
      return Error(ErrorKind::kNotFound, "no trigger " + std::to_string(id));
    ++rows_read_;
    return read_trigger(*select);
  });
}

}  // namespace trigger
