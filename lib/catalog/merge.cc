// The catalog's import: an export file read and validated, then merged in one transaction.
#include <istream>
#include <set>
#include <string_view>

#include "catalog/internal.h"
#include "import.h"
#include "trigger/catalog.h"

namespace trigger {

namespace {

// The entry of a line, validated at `now`. A line without a state whose clock has no fire time
// left may still describe a trigger that has finished: it is read as done, and merging it
// refuses it unless it names a done or cancelled trigger.
Result<ImportEntry> entry_of(const ImportLine& line, Epoch now) {
  auto trigger = build_trigger(line.spec, now);
  std::optional<std::string> unless_finished;
  if (!trigger && !line.has_state) {
    TriggerSpec finished = line.spec;
    finished.state = State::kDone;  // the state decides only whether a fire time must be left
    if (auto as_finished = build_trigger(finished, now)) {
      unless_finished = trigger.error().message();
      trigger = std::move(as_finished);
    }
  }
  if (!trigger) return trigger.error();
  return ImportEntry{0, std::move(*trigger), line.has_state, line.spec.clock, unless_finished};
}

// Read and check one import line into `entries`; `names` holds the names read so far.
Status read_one_line(std::size_t line_number, std::string_view line, Epoch now,
                     std::set<std::string>& names, std::vector<ImportEntry>& entries) {
  auto fail = [&](const Error& error) {  // a --user refused for safety stays so (exit 77)
    ErrorKind kind = error.kind() == ErrorKind::kUnsafe ? ErrorKind::kUnsafe : ErrorKind::kData;
    return Error(kind, "line " + std::to_string(line_number) + ": " + error.message());
  };
  auto parsed = parse_import_line(line);
  if (!parsed) return fail(parsed.error());
  auto entry = entry_of(*parsed, now);
  if (!entry) return fail(entry.error());
  const auto& name = entry->trigger.name;
  if (name && !names.insert(*name).second) {
    return fail(data_error("name '" + *name + "' appears twice in the file"));
  }
  entry->line_number = line_number;
  entries.push_back(std::move(*entry));
  return Ok{};
}

}  // namespace

Result<std::vector<ImportEntry>> read_import(std::istream& in, Epoch now) {
  std::vector<ImportEntry> entries;
  std::set<std::string> names;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (auto read = read_one_line(line_number, line, now, names, entries); !read)
      return read.error();
  }
  if (in.bad()) return Error(ErrorKind::kIO, "read error");
  return entries;
}

Result<std::vector<ImportEntry>> read_import_lines(const std::vector<NumberedLine>& lines,
                                                   Epoch now) {
  std::vector<ImportEntry> entries;
  std::set<std::string> names;
  for (const auto& line : lines) {
    if (auto read = read_one_line(line.number, line.text, now, names, entries); !read)
      return read.error();
  }
  return entries;
}

namespace {

bool finished(const Trigger& trigger) {
  return trigger.state == State::kDone || trigger.state == State::kCancelled;
}

// Whether the entry's clock is `existing`'s: the same zone and text, or, for a line that gives
// no --from (an --every written by hand), the same text but for the stored --from.
bool same_clock(const Trigger& existing, const ImportEntry& entry) {
  const Trigger& wanted = entry.trigger;
  if (existing.tz != wanted.tz) return false;
  if (existing.clock == wanted.clock) return true;
  if (!entry.clock || entry.clock->from) return false;
  constexpr std::string_view kFrom = " --from ";
  auto stored = existing.clock.rfind(kFrom);
  auto given = wanted.clock.rfind(kFrom);
  return stored != std::string::npos && given != std::string::npos &&
         existing.clock.compare(0, stored, wanted.clock, 0, given) == 0;
}

// What `existing` becomes by the entry: its definition, keeping the trigger's id, creation
// time and (when the line gives none) its state; the same clock keeps its text and next time.
Trigger updated_by(const Trigger& existing, const ImportEntry& entry) {
  Trigger trigger = entry.trigger;
  trigger.id = existing.id;
  trigger.created_epoch = existing.created_epoch;
  if (!entry.has_state) trigger.state = existing.state;
  if (same_clock(existing, entry)) {
    trigger.clock = existing.clock;
    trigger.clock_set_epoch = existing.clock_set_epoch;
  }
  return trigger;
}

// The fields in which `after` differs from `before` (ImportChange::fields).
std::vector<std::string> changed_fields(const Trigger& before, const Trigger& after) {
  std::vector<std::string> fields;
  auto check = [&](bool differs, std::string field) {
    if (differs) fields.push_back(std::move(field));
  };
  check(before.state != after.state, "state");
  check(before.clock != after.clock, "clock");
  check(before.tz != after.tz, "tz");
  check(before.action.kind != after.action.kind || before.action.argv != after.action.argv,
        "action");
  check(before.action.env != after.action.env, "env");
  check(before.action.cwd != after.action.cwd, "cwd");
  for (auto option : policy_option_names()) {
    check(policy_option_text(before.policy, option, Zone::utc()) !=
              policy_option_text(after.policy, option, Zone::utc()),
          "policy." + std::string(option));
  }
  check(before.labels != after.labels, "labels");
  return fields;
}

// Update `existing` to the entry when they differ, recording it; else leave it alone.
Result<ImportChange> update_existing(Store& store, const Trigger& existing,
                                     const ImportEntry& entry, Epoch now) {
  ImportChange change{ImportOutcome::kUnchanged, existing.id, existing.name, entry.line_number, {}};
  Trigger trigger = updated_by(existing, entry);
  change.fields = changed_fields(existing, trigger);
  if (change.fields.empty()) return change;
  change.outcome = ImportOutcome::kUpdated;
  if (auto written = store.update_trigger(trigger); !written) return written.error();
  auto after = store.find_trigger(std::to_string(trigger.id));
  if (!after) return after.error();
  auto recorded = catalog::record_edit(store, &existing, *after, "updated by import", now);
  if (!recorded) return recorded.error();
  return change;
}

Result<ImportChange> create_new(Store& store, const ImportEntry& entry, Epoch now) {
  auto inserted = store.insert_trigger(entry.trigger);
  if (!inserted) return inserted.error();
  Trigger trigger = entry.trigger;
  trigger.id = *inserted;  // as stored: a new trigger is exactly its definition
  auto recorded = catalog::record_edit(store, nullptr, trigger, "created by import", now);
  if (!recorded) return recorded.error();
  return ImportChange{ImportOutcome::kCreated, trigger.id, trigger.name, entry.line_number, {}};
}

// The trigger an entry updates: most entries of a large import are new triggers, so a name is
// looked up by index first and the whole trigger read only when it exists. nullopt when none.
Result<std::optional<Trigger>> existing_of(Store& store, const ImportEntry& entry) {
  if (!entry.trigger.name) return std::optional<Trigger>();
  auto id = store.id_of(*entry.trigger.name);
  if (!id) return id.error();
  if (!*id) return std::optional<Trigger>();
  auto existing = store.find_trigger(std::to_string(**id));
  if (existing) return std::optional<Trigger>(std::move(*existing));
  if (existing.error().kind() == ErrorKind::kNotFound) return std::optional<Trigger>();
  return existing.error();
}

void count(ImportReport& report, ImportChange change) {
  switch (change.outcome) {
    case ImportOutcome::kCreated:
      ++report.created;
      break;
    case ImportOutcome::kUpdated:
      ++report.updated;
      break;
    case ImportOutcome::kUnchanged:
      ++report.unchanged;
      break;
    case ImportOutcome::kCancelled:
    case ImportOutcome::kDeleted:
      ++report.pruned;
      break;
  }
  report.changes.push_back(std::move(change));
}

// Merge one entry into the report.
Status merge_entry(Store& store, const ImportEntry& entry, Epoch now, ImportReport& report) {
  auto existing = existing_of(store, entry);
  if (!existing) return existing.error();
  if (entry.unless_finished && !(*existing && finished(**existing))) {
    return data_error("line " + std::to_string(entry.line_number) + ": " + *entry.unless_finished);
  }
  auto change =
      *existing ? update_existing(store, **existing, entry, now) : create_new(store, entry, now);
  if (change) {
    count(report, std::move(*change));
    return Ok{};
  }
  ErrorKind kind = change.error().kind();
  // A database error (read-only, full, damaged, busy) is not the line's fault.
  if (kind != ErrorKind::kData && kind != ErrorKind::kUsage) return change.error();
  return Error(kind, "line " + std::to_string(entry.line_number) + ": " + change.error().message());
}

// The triggers `prune` takes: in its scope, named by no entry (unnamed ones too); when
// cancelling, not those already cancelled or done.
Result<std::vector<Trigger>> triggers_to_prune(Store& store,
                                               const std::vector<ImportEntry>& entries,
                                               const ImportPrune& prune) {
  std::set<std::string> named;
  for (const auto& entry : entries) {
    if (entry.trigger.name) named.insert(*entry.trigger.name);
  }
  TriggerFilter scope;
  scope.include_finished = true;
  scope.labels = prune.labels;
  auto in_scope = store.list_triggers(scope);
  if (!in_scope) return in_scope.error();
  std::vector<Trigger> missing;
  for (auto& trigger : *in_scope) {
    if (trigger.name && named.count(*trigger.name) != 0) continue;
    if (prune.mode == ImportPrune::Mode::kCancel && finished(trigger)) continue;
    missing.push_back(std::move(trigger));
  }
  return missing;
}

// Cancel or delete what `prune` takes, into the report.
Status prune_missing(Store& store, const std::vector<ImportEntry>& entries,
                     const ImportPrune& prune, Epoch now, ImportReport& report) {
  auto missing = triggers_to_prune(store, entries, prune);
  if (!missing) return missing.error();
  if (prune.mode == ImportPrune::Mode::kCancel) {
    for (const auto& trigger : *missing) {
      auto cancelled =
          catalog::cancel_one(store, trigger, ": pruned, not in the imported file", now);
      if (!cancelled) return cancelled.error();
      count(report, {ImportOutcome::kCancelled, trigger.id, trigger.name, 0, {}});
    }
    return Ok{};
  }
  std::vector<std::string> ids;
  for (const auto& trigger : *missing) ids.push_back(std::to_string(trigger.id));
  if (ids.empty()) return Ok{};
  auto deleted = delete_triggers(store, ids, false, now);
  if (!deleted) return deleted.error();
  for (const auto& one : *deleted) {
    count(report, {ImportOutcome::kDeleted, one.trigger.id, one.trigger.name, 0, {}});
  }
  return Ok{};
}

}  // namespace

std::string_view to_string(ImportOutcome outcome) {
  switch (outcome) {
    case ImportOutcome::kCreated:
      return "created";
    case ImportOutcome::kUpdated:
      return "updated";
    case ImportOutcome::kUnchanged:
      return "unchanged";
    case ImportOutcome::kCancelled:
      return "cancelled";
    case ImportOutcome::kDeleted:
      break;
  }
  return "deleted";
}

Result<ImportReport> import_triggers(Store& store, const std::vector<ImportEntry>& entries,
                                     Epoch now, const ImportPrune& prune) {
  if (prune.mode != ImportPrune::Mode::kNone) {
    for (const auto& entry : entries) {
      if (entry.trigger.name) continue;
      return data_error("line " + std::to_string(entry.line_number) +
                        ": a line without a name cannot be kept in sync (--prune)");
    }
  }
  return catalog::in_transaction<ImportReport>(store, [&]() -> Result<ImportReport> {
    ImportReport report;
    for (const auto& entry : entries) {
      if (auto allowed = catalog::check_user_store(store, entry.trigger.policy.user); !allowed)
        return Error(ErrorKind::kUnsafe, "line " + std::to_string(entry.line_number) + ": " +
                                             allowed.error().message());
      if (auto merged = merge_entry(store, entry, now, report); !merged) return merged.error();
    }
    if (prune.mode == ImportPrune::Mode::kNone) return report;
    if (auto pruned = prune_missing(store, entries, prune, now, report); !pruned)
      return pruned.error();
    return report;
  });
}

}  // namespace trigger
