// trigger import: create or update triggers from JSON Lines (the output of trigger export).
// The whole file is read and validated before anything is written; then one transaction.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "common.h"
#include "output.h"

namespace trigger::cmd {
namespace {

// A field's value as text; nullopt for null or absent. Whole numbers are accepted where
// `numbers_too` (policy values such as "retries": 3) and written out.
Result<std::optional<std::string>> text_field(const nlohmann::json& object, const char* key,
                                              bool numbers_too = false) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::optional<std::string>();
  if (found->is_string()) return std::optional<std::string>(found->get<std::string>());
  if (numbers_too && found->is_number_integer()) {
    return std::optional<std::string>(std::to_string(found->get<std::int64_t>()));
  }
  return usage_error(std::string("field '") + key + "' must be a string");
}

// One line of the file as a trigger spec.
// `has_state` tells whether the line gave a state (an update without one keeps the trigger's).
Result<TriggerSpec> spec_from_line(const std::string& line, bool& has_state) {
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    return usage_error("not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  if (!object.is_object()) return usage_error("expected a JSON object");
  TriggerSpec spec;
  auto name = text_field(object, "name");
  if (!name) return name.error();
  spec.name = *name;
  auto clock = text_field(object, "clock");
  if (!clock) return clock.error();
  if (!*clock) return usage_error("field 'clock' is missing");
  auto clock_spec = parse_clock_text(**clock);
  if (!clock_spec) return clock_spec.error();
  spec.clock = *clock_spec;
  auto tz = text_field(object, "tz");
  if (!tz) return tz.error();
  spec.tz = *tz;
  auto state = text_field(object, "state");
  if (!state) return state.error();
  has_state = state->has_value();
  if (*state) {
    auto parsed = parse_state(**state);
    if (!parsed) return parsed.error();
    spec.state = *parsed;
  }
  auto action_text = text_field(object, "action");
  if (!action_text) return action_text.error();
  if (!*action_text) return usage_error("field 'action' is missing");
  auto action = parse_action_text(**action_text);
  if (!action) return action.error();
  std::vector<std::string> env;
  if (auto found = object.find("env"); found != object.end() && !found->is_null()) {
    if (!found->is_array()) return usage_error("field 'env' must be an array of \"KEY=VALUE\"");
    for (const auto& item : *found) {
      if (!item.is_string()) return usage_error("field 'env' must be an array of \"KEY=VALUE\"");
      env.push_back(item.get<std::string>());
    }
  }
  auto cwd = text_field(object, "cwd");
  if (!cwd) return cwd.error();
  auto full_action = make_action(action->kind, action->argv, env, *cwd);
  if (!full_action) return full_action.error();
  spec.action = *full_action;
  if (auto found = object.find("policy"); found != object.end() && !found->is_null()) {
    if (!found->is_object()) return usage_error("field 'policy' must be an object");
    for (const auto& [option, value] : found->items()) {
      bool known = false;
      for (auto name : policy_option_names()) known = known || name == option;
      if (!known) return usage_error("unknown policy option '" + option + "'");
      auto text = text_field(*found, option.c_str(), true);
      if (!text) return text.error();
      if (*text) spec.policy.emplace_back(option, **text);
    }
  }
  if (auto found = object.find("labels"); found != object.end() && !found->is_null()) {
    if (!found->is_object()) return usage_error("field 'labels' must be an object");
    for (const auto& [key, value] : found->items()) {
      if (!value.is_string()) return usage_error("label '" + key + "' must be a string");
      spec.labels.push_back(key + "=" + value.get<std::string>());
    }
  }
  return spec;
}

struct Incoming {
  std::size_t line_number;
  Trigger trigger;
  bool has_state;  ///< the line gave a state; without one an update keeps the trigger's
};

// Read and validate every line; nothing is written here.
Result<std::vector<Incoming>> read_file(std::istream& in, Epoch now) {
  std::vector<Incoming> incoming;
  std::set<std::string> names;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const Error& error) {
      return data_error("line " + std::to_string(line_number) + ": " + error.message());
    };
    bool has_state = false;
    auto spec = spec_from_line(line, has_state);
    if (!spec) return fail(spec.error());
    auto trigger = build_trigger(*spec, now);
    if (!trigger) return fail(trigger.error());
    if (trigger->name && !names.insert(*trigger->name).second) {
      return fail(data_error("name '" + *trigger->name + "' appears twice in the file"));
    }
    incoming.push_back({line_number, std::move(*trigger), has_state});
  }
  if (in.bad()) return Error(ErrorKind::kIO, "read error");
  return incoming;
}

}  // namespace

void options_import(Options&) {}

Result<int> cmd_import(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "FILE|-"); !status) return status.error();
  const std::string& path = ctx.positional[0];
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file)
      return Error(ErrorKind::kNotFound, "cannot open '" + path + "': " + std::strerror(errno));
  }
  std::istream& in = path == "-" ? std::cin : file;
  auto incoming = read_file(in, ctx.now);
  if (!incoming) {
    return Error(incoming.error().kind(), (path == "-" ? "standard input" : "'" + path + "'") +
                                              ", " + incoming.error().message());
  }
  std::size_t created = 0;
  std::size_t updated = 0;
  auto status = ctx.store->transaction([&]() -> Status {
    for (auto& [line_number, trigger, has_state] : *incoming) {
      // Most lines of a large import are new triggers: a name is looked up by index first, and
      // the whole trigger read only when it exists.
      auto id = trigger.name ? ctx.store->id_of(*trigger.name)
                             : Result<std::optional<std::int64_t>>(std::nullopt);
      if (!id) return id.error();
      auto existing = *id ? ctx.store->find_trigger(std::to_string(**id))
                          : Result<Trigger>(Error(ErrorKind::kNotFound, ""));
      Status written = Ok{};
      if (existing) {
        trigger.id = existing->id;
        trigger.created_epoch = existing->created_epoch;
        if (!has_state) trigger.state = existing->state;
        // An edit that leaves the clock alone leaves the next time alone.
        if (existing->clock == trigger.clock && existing->tz == trigger.tz) {
          trigger.clock_set_epoch = existing->clock_set_epoch;
        }
        written = ctx.store->update_trigger(trigger);
        if (written) {
          auto after = ctx.store->find_trigger(std::to_string(trigger.id));
          written = after ? record_edit(ctx, &*existing, *after, "updated by import")
                          : Status(after.error());
        }
        ++updated;
      } else if (existing.error().kind() == ErrorKind::kNotFound) {
        auto inserted = ctx.store->insert_trigger(trigger);
        written = inserted ? Status(Ok{}) : Status(inserted.error());
        if (written) {
          trigger.id = *inserted;  // as stored: a new trigger is exactly its definition
          written = record_edit(ctx, nullptr, trigger, "created by import");
        }
        ++created;
      } else {
        written = existing.error();
      }
      if (!written) {
        ErrorKind kind = written.error().kind();
        // A database error (read-only, full, damaged, busy) is not the line's fault.
        if (kind != ErrorKind::kData && kind != ErrorKind::kUsage) return written;
        return Error(kind,
                     "line " + std::to_string(line_number) + ": " + written.error().message());
      }
    }
    return Ok{};
  });
  if (!status) return status.error();
  if (ctx.verbose) {
    std::size_t total = created + updated;
    std::cerr << "trigger: imported " << total << (total == 1 ? " trigger (" : " triggers (")
              << created << " created, " << updated << " updated)\n";
  }
  return 0;
}

}  // namespace trigger::cmd
