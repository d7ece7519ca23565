// Presenting triggers: the stable JSON and TSV fields (SPEC §7) and the tables for people.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "commands.h"
#include "trigger/store.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

/// A time in the zone named `tz` (UTC if it is unknown), or "-" for none.
std::string time_text(std::optional<Epoch> epoch, const std::string& tz);

/// The clock of a trigger in plain words ("at 09:00 on Monday through Friday, Europe/Berlin"),
/// or why it cannot be read.
std::string description_of(const Trigger& trigger);

/// The stable JSON object of a trigger (trigger(1), "JSON FIELDS").
Result<nlohmann::ordered_json> trigger_json(const Trigger& trigger);

/// The TSV columns of list: id name state clock next_epoch next last_epoch last last_outcome
/// action, with tab, newline and backslash escaped.
Result<std::string> trigger_tsv(const Trigger& trigger);

/// Escape a TSV field: backslash, tab, newline and carriage return as \\ \t \n \r.
std::string tsv_field(std::string_view text);

/// The stable JSON object of a history record (trigger-history(1)).
nlohmann::ordered_json history_json(const HistoryRecord& record);

/// A history record on one line for people: "TIME OUTCOME [EVENT] [xCOUNT][: REASON]".
std::string history_line(const HistoryRecord& record, const std::string& tz);

/// Print rows as aligned columns under a header.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// Print triggers in the chosen format (list, and the commands that echo what they changed).
Status print_triggers(const Context& ctx, const std::vector<Trigger>& triggers);

}  // namespace trigger::cmd
