// The catalog's import: an export file read and validated, then merged in one transaction.
#include <istream>
#include <set>

#include "catalog/internal.h"
#include "import.h"
#include "trigger/catalog.h"

namespace trigger {

Result<std::vector<ImportEntry>> read_import(std::istream& in, Epoch now) {
  std::vector<ImportEntry> entries;
  std::set<std::string> names;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const Error& error) {  // a --user refused for safety stays so (exit 77)
      ErrorKind kind = error.kind() == ErrorKind::kUnsafe ? ErrorKind::kUnsafe : ErrorKind::kData;
      return Error(kind, "line " + std::to_string(line_number) + ": " + error.message());
    };
    auto parsed = parse_import_line(line);
    if (!parsed) return fail(parsed.error());
    auto trigger = build_trigger(parsed->spec, now);
    if (!trigger) return fail(trigger.error());
    if (trigger->name && !names.insert(*trigger->name).second) {
      return fail(data_error("name '" + *trigger->name + "' appears twice in the file"));
    }
    entries.push_back({line_number, std::move(*trigger), parsed->has_state});
  }
  if (in.bad()) return Error(ErrorKind::kIO, "read error");
  return entries;
}

namespace {

// Replace `existing` by the entry's definition, keeping its id, creation time and (when the
// line gives none) its state; an unchanged clock and zone keep its next time.
Status update_existing(Store& store, const Trigger& existing, const ImportEntry& entry, Epoch now) {
  Trigger trigger = entry.trigger;
  trigger.id = existing.id;
  trigger.created_epoch = existing.created_epoch;
  if (!entry.has_state) trigger.state = existing.state;
  if (existing.clock == trigger.clock && existing.tz == trigger.tz) {
    trigger.clock_set_epoch = existing.clock_set_epoch;
  }
  if (auto written = store.update_trigger(trigger); !written) return written;
  auto after = store.find_trigger(std::to_string(trigger.id));
  if (!after) return after.error();
  return catalog::record_edit(store, &existing, *after, "updated by import", now);
}

Status create_new(Store& store, const ImportEntry& entry, Epoch now) {
  auto inserted = store.insert_trigger(entry.trigger);
  if (!inserted) return inserted.error();
  Trigger trigger = entry.trigger;
  trigger.id = *inserted;  // as stored: a new trigger is exactly its definition
  return catalog::record_edit(store, nullptr, trigger, "created by import", now);
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

// Merge one entry, counting it.
Status merge_entry(Store& store, const ImportEntry& entry, Epoch now, ImportCounts& counts) {
  auto existing = existing_of(store, entry);
  if (!existing) return existing.error();
  Status written =
      *existing ? update_existing(store, **existing, entry, now) : create_new(store, entry, now);
  ++(*existing ? counts.updated : counts.created);
  if (written) return written;
  ErrorKind kind = written.error().kind();
  // A database error (read-only, full, damaged, busy) is not the line's fault.
  if (kind != ErrorKind::kData && kind != ErrorKind::kUsage) return written;
  return Error(kind,
               "line " + std::to_string(entry.line_number) + ": " + written.error().message());
}

}  // namespace

Result<ImportCounts> import_triggers(Store& store, const std::vector<ImportEntry>& entries,
                                     Epoch now) {
  return catalog::in_transaction<ImportCounts>(store, [&]() -> Result<ImportCounts> {
    ImportCounts counts;
    for (const auto& entry : entries) {
      if (auto allowed = catalog::check_user_store(store, entry.trigger.policy.user); !allowed)
        return Error(ErrorKind::kUnsafe, "line " + std::to_string(entry.line_number) + ": " +
                                             allowed.error().message());
      if (auto merged = merge_entry(store, entry, now, counts); !merged) return merged.error();
    }
    return counts;
  });
}

}  // namespace trigger
