#include "output.h"

#include <iostream>

namespace trigger::cmd {
namespace {

nlohmann::ordered_json epoch_or_null(std::optional<Epoch> epoch) {
  return epoch ? nlohmann::ordered_json(*epoch) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json time_or_null(std::optional<Epoch> epoch, const std::string& tz) {
  return epoch ? nlohmann::ordered_json(time_text(epoch, tz)) : nlohmann::ordered_json(nullptr);
}

Zone zone_named(const std::string& tz) {
  auto zone = Zone::locate(tz);
  return zone ? *zone : Zone::utc();
}

// A cell that is never empty, so columns stay readable.
std::string cell(std::string text) { return text.empty() ? "-" : text; }

// The next time to show: none when the clock cannot be computed (its zone vanished from the
// system, say), so the trigger can still be listed; its description says why.
std::optional<Epoch> shown_next(const Trigger& trigger) {
  auto next = next_fire_time(trigger);
  return next ? *next : std::nullopt;
}

}  // namespace

std::string description_of(const Trigger& trigger) {
  auto clock = trigger_clock(trigger);
  return clock ? (*clock)->describe() : clock.error().message();
}

std::string time_text(std::optional<Epoch> epoch, const std::string& tz) {
  if (!epoch) return "-";
  return format_rfc3339(*epoch, zone_named(tz));
}

Result<nlohmann::ordered_json> trigger_json(const Trigger& trigger) {
  auto next = shown_next(trigger);
  Zone zone = zone_named(trigger.tz);
  nlohmann::ordered_json policy = nlohmann::ordered_json::object();
  for (auto option : policy_option_names()) {
    auto text = policy_option_text(trigger.policy, option, zone);
    policy[std::string(option)] =
        text ? nlohmann::ordered_json(*text) : nlohmann::ordered_json(nullptr);
  }
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (const auto& [key, value] : trigger.labels) labels[key] = value;
  return nlohmann::ordered_json{
      {"id", trigger.id},
      {"name",
       trigger.name ? nlohmann::ordered_json(*trigger.name) : nlohmann::ordered_json(nullptr)},
      {"state", to_string(trigger.state)},
      {"clock", trigger.clock},
      {"description", description_of(trigger)},
      {"tz", trigger.tz},
      {"action", trigger.action.text()},
      {"env", trigger.action.env},
      {"cwd", trigger.action.cwd ? nlohmann::ordered_json(*trigger.action.cwd)
                                 : nlohmann::ordered_json(nullptr)},
      {"policy", policy},
      {"labels", labels},
      {"next_epoch", epoch_or_null(next)},
      {"next", time_or_null(next, trigger.tz)},
      {"next_scheduled", trigger.scheduled},
      {"last_epoch", epoch_or_null(trigger.last_event_epoch)},
      {"last", time_or_null(trigger.last_event_epoch, trigger.tz)},
      {"last_outcome", trigger.last_outcome.empty() ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json(trigger.last_outcome)},
      {"version", trigger.version},
      {"created_epoch", trigger.created_epoch},
      {"created", time_text(trigger.created_epoch, trigger.tz)},
      {"updated_epoch", trigger.updated_epoch},
  };
}

std::string tsv_field(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Result<std::string> trigger_tsv(const Trigger& trigger) {
  auto next = shown_next(trigger);
  auto epoch = [](std::optional<Epoch> value) {
    return value ? std::to_string(*value) : std::string();
  };
  auto time = [&](std::optional<Epoch> value) {
    return value ? time_text(value, trigger.tz) : std::string();
  };
  std::vector<std::string> fields = {std::to_string(trigger.id),
                                     trigger.name.value_or(""),
                                     std::string(to_string(trigger.state)),
                                     trigger.clock,
                                     epoch(next),
                                     time(next),
                                     epoch(trigger.last_event_epoch),
                                     time(trigger.last_event_epoch),
                                     trigger.last_outcome,
                                     trigger.action.text()};
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "\t" : "") + tsv_field(fields[i]);
  return line;
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

Status print_triggers(const Context& ctx, const std::vector<Trigger>& triggers) {
  if (ctx.format == Format::kJson) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& trigger : triggers) {
      auto json = trigger_json(trigger);
      if (!json) return json.error();
      array.push_back(std::move(*json));
    }
    std::cout << array.dump(2) << "\n";
    return Ok{};
  }
  if (ctx.format == Format::kTsv) {
    for (const auto& trigger : triggers) {
      auto line = trigger_tsv(trigger);
      if (!line) return line.error();
      std::cout << *line << "\n";
    }
    return Ok{};
  }
  std::vector<std::vector<std::string>> rows;
  bool any_predicted = false;
  for (const auto& trigger : triggers) {
    auto next = shown_next(trigger);
    std::string next_text = time_text(next, trigger.tz);
    if (next && !trigger.scheduled) {
      next_text += "*";
      any_predicted = true;
    }
    rows.push_back({std::to_string(trigger.id), cell(trigger.name.value_or("")),
                    std::string(to_string(trigger.state)), trigger.clock, next_text,
                    time_text(trigger.last_event_epoch, trigger.tz), cell(trigger.last_outcome),
                    trigger.action.text(), description_of(trigger)});
  }
  print_table(std::cout,
              {"ID", "NAME", "STATE", "CLOCK", "NEXT", "LAST", "OUTCOME", "ACTION", "DESCRIPTION"},
              rows);
  if (any_predicted && !ctx.quiet) {
    std::cout << "* predicted: not yet scheduled by 'trigger run-once'\n";
  }
  return Ok{};
}

nlohmann::ordered_json history_json(const HistoryRecord& r) {
  auto maybe = [](std::optional<std::int64_t> value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  return {
      {"id", r.id},
      {"trigger_id", r.trigger_id},
      {"trigger_name",
       r.trigger_name ? nlohmann::ordered_json(*r.trigger_name) : nlohmann::ordered_json(nullptr)},
      {"event_id",
       r.event_id ? nlohmann::ordered_json(*r.event_id) : nlohmann::ordered_json(nullptr)},
      {"scheduled_epoch", maybe(r.scheduled_epoch)},
      {"count", r.count},
      {"outcome", to_string(r.outcome)},
      {"reason", r.reason},
      {"manual", r.manual},
      {"attempts", r.attempts},
      {"exit_status", maybe(r.exit_status)},
      {"started_epoch", maybe(r.started_epoch)},
      {"finished_epoch", maybe(r.finished_epoch)},
      {"recorded_epoch", r.recorded_epoch},
      {"output", r.output},
  };
}

std::string history_line(const HistoryRecord& r, const std::string& tz) {
  std::string line = time_text(r.recorded_epoch, tz) + " " + std::string(to_string(r.outcome));
  if (r.manual) line += " (manual)";
  if (r.event_id) line += " " + *r.event_id;
  // An edit or an interrupted attempt stands for no occurrence: no count is shown for it.
  if (r.count != 1 && r.outcome != Outcome::kEdit && r.outcome != Outcome::kInterrupted)
    line += " x" + std::to_string(r.count);
  if (!r.reason.empty()) line += ": " + r.reason;
  return line;
}

}  // namespace trigger::cmd
