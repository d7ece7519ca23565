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

/// Triggers as list prints them: JSON, and columns for people (with the description, and "*"
/// on a next time no pass has scheduled yet) and for scripts (trigger-list(1), TSV: id name
/// state clock next_epoch next last_epoch last last_outcome action).
Document triggers_document(const std::vector<Trigger>& triggers);

/// The stable JSON object of a history record (trigger-history(1)).
nlohmann::ordered_json history_json(const HistoryRecord& record);

/// A history record on one line for people: "TIME OUTCOME [EVENT] [xCOUNT][: REASON]".
std::string history_line(const HistoryRecord& record, const std::string& tz);

}  // namespace trigger::cmd
