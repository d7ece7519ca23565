// Presenting triggers and history records: their stable JSON (SPEC §7), the text for people,
// and the document list prints.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "trigger/store.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

/// The clock of a trigger in plain words ("at 09:00 on Monday through Friday, Europe/Berlin"),
/// or why it cannot be read.
std::string description_of(const Trigger& trigger);

/// The stable JSON object of a trigger (trigger(1), "JSON FIELDS").
nlohmann::ordered_json trigger_json(const Trigger& trigger);

/// An array of trigger_json(), in the order given.
nlohmann::ordered_json triggers_json(const std::vector<Trigger>& triggers);

/// How list shows times to people: LEFT and PASSED are relative to `now`, and NEXT and LAST
/// are in the zone named `tz` when it is set, else in each trigger's own zone.
struct PeopleTimes {
  Epoch now = 0;
  std::optional<std::string> tz;
};

/// Triggers as list prints them: JSON, and columns for people (LEFT after NEXT, PASSED after
/// LAST, the description, and "*" on a next time no pass has scheduled yet; ACTION and
/// DESCRIPTION may be cut to fit a width) and for scripts (trigger-list(1), TSV: id name
/// state clock next_epoch next last_epoch last last_outcome action). `times` changes only
/// what people see: JSON and TSV always give times in each trigger's zone.
Document triggers_document(const std::vector<Trigger>& triggers, const PeopleTimes& times);

/// The stable JSON object of a history record (trigger-history(1)).
nlohmann::ordered_json history_json(const HistoryRecord& record);

/// A history record on one line for people: "TIME OUTCOME [EVENT] [xCOUNT][: REASON]".
std::string history_line(const HistoryRecord& record, const std::string& tz);

}  // namespace trigger::cmd
