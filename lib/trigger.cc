#include "trigger/trigger.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "account.h"
#include "text.h"
#include "trigger/names.h"

namespace trigger {

Result<std::int64_t> parse_whole_number(std::string_view option, std::string_view text,
                                        std::int64_t min, std::int64_t max) {
  std::string_view digits = text.substr(std::min(text.find_first_not_of('0'), text.size()));
  bool whole = all_digits(text) && digits.size() <= 18;  // no overflow: max < 10^18
  std::int64_t value = 0;
  if (whole) {
    for (char c : digits) value = value * 10 + (c - '0');
  }
  if (!whole || value < min || value > max) {
    return usage_error("--" + std::string(option) + " " + in_quotes(text) +
                       ": expected a whole number from " + std::to_string(min) + " to " +
                       std::to_string(max));
  }
  return value;
}

std::string describe(const Trigger& trigger) {
  return trigger.name ? in_quotes(*trigger.name) : "trigger " + std::to_string(trigger.id);
}
namespace {

constexpr Named<State> kStates[] = {{State::kActive, "active"},
                                    {State::kPaused, "paused"},
                                    {State::kCancelled, "cancelled"},
                                    {State::kDone, "done"}};
constexpr Named<Misfire> kMisfires[] = {
    {Misfire::kAll, "all"}, {Misfire::kLatest, "latest"}, {Misfire::kSkip, "skip"}};
constexpr Named<Overlap> kOverlaps[] = {
    {Overlap::kSkip, "skip"}, {Overlap::kQueue, "queue"}, {Overlap::kAllow, "allow"}};
constexpr Named<DstRule> kDstRules[] = {
    {DstRule::kAuto, "auto"}, {DstRule::kOnce, "once"}, {DstRule::kLiteral, "literal"}};

Error option_error(std::string_view option, std::string_view value, std::string_view why) {
  return usage_error("--" + std::string(option) + " " + in_quotes(value) + ": " + std::string(why));
}

template <class Enum, std::size_t N>
Status set_enum(Enum& field, const Named<Enum> (&table)[N], std::string_view option,
                std::string_view value) {
  auto parsed = value_of(table, value);
  if (!parsed) return option_error(option, value, "expected one of " + choices(table));
  field = *parsed;
  return Ok{};
}

Status set_duration(std::int64_t& field, std::string_view option, std::string_view value,
                    bool zero_allowed) {
  if (zero_allowed && value == "0") {
    field = 0;
    return Ok{};
  }
  auto duration = parse_duration(value);
  if (!duration) return usage_error("--" + std::string(option) + ": " + duration.error().message());
  field = *duration;
  return Ok{};
}

Status set_count(std::int64_t& field, std::string_view option, std::string_view value,
                 std::int64_t min, std::int64_t max) {
  auto number = parse_whole_number(option, value, min, max);
  if (!number) return number.error();
  field = *number;
  return Ok{};
}

// --on-failure-sh TEXT: an empty TEXT removes the hook. A NUL could not reach the shell.
Status set_hook(std::optional<std::string>& field, std::string_view value) {
  if (value.find('\0') != std::string_view::npos)
    return usage_error("--on-failure-sh: contains a NUL character");
  if (value.empty()) {
    field.reset();
  } else {
    field = std::string(value);
  }
  return Ok{};
}

// --user NAME: an empty NAME removes it. A name as the password database could hold it: not
// empty, no ':' (its field separator), no blank or control character, not starting with '-'.
Status set_user(std::optional<std::string>& field, std::string_view value) {
  if (value.empty()) {
    field.reset();
    return Ok{};
  }
  bool bad =
      value.size() > 256 || value.front() == '-' || value.find(':') != std::string_view::npos;
  for (char c : value) bad = bad || static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
  if (bad) return option_error("user", value, "expected a user name ('' for none)");
  field = std::string(value);
  return Ok{};
}

const std::vector<std::string_view> kPolicyOptions = {
    "misfire",       "grace",        "overlap",      "timeout", "retries",
    "backoff",       "jitter",       "dst",          "until",   "max-runs",
    "on-failure-sh", "history-keep", "history-runs", "lock",    "user"};

// A retention as people count it: whole days as days ("30d", "400d", not "4w2d"), anything
// else as format_duration() spells it.
std::string format_keep(std::int64_t seconds) {
  constexpr std::int64_t kDay = 86400;
  if (seconds % kDay == 0) return std::to_string(seconds / kDay) + "d";
  return format_duration(seconds);
}

bool is_label_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// An active or paused trigger must have a fire time after now, before its --until.
Status check_fire_times(const Policy& policy, const Clock& clock, State state,
                        const ClockSpec& spec, Epoch now, const Zone& zone) {
  bool live = state == State::kActive || state == State::kPaused;
  if (live && policy.until_epoch && *policy.until_epoch <= now) {
    return usage_error("--until " + in_quotes(format_rfc3339(*policy.until_epoch, zone)) +
                       ": is not after now (the trigger would be done before it starts)");
  }
  // --never has no fire times, and --on-boot none known ahead: both may wait.
  if (live && clock.kind() != ClockKind::kNever && clock.kind() != ClockKind::kBoot) {
    auto first = clock.first_after(now);
    if (!first && spec.kind == ClockKind::kAt) {
      return usage_error("--at " + in_quotes(spec.value) +
                         ": is not after now (it could never fire)");
    }
    if (!first)
      return usage_error("clock " + in_quotes(clock.text()) + " has no fire time after now");
    if (policy.until_epoch && *first > *policy.until_epoch) {
      return usage_error("--until " + in_quotes(format_rfc3339(*policy.until_epoch, zone)) +
                         ": is before the first fire time " +
                         in_quotes(format_rfc3339(*first, zone)));
    }
  }
  return Ok{};
}

}  // namespace

std::string_view to_string(State state) { return name_of(kStates, state); }
std::string_view to_string(Misfire misfire) { return name_of(kMisfires, misfire); }
std::string_view to_string(Overlap overlap) { return name_of(kOverlaps, overlap); }
std::string_view to_string(DstRule rule) { return name_of(kDstRules, rule); }

Result<State> parse_state(std::string_view text) {
  auto state = value_of(kStates, text);
  if (!state)
    return usage_error("unknown state " + in_quotes(text) + " (expected " + choices(kStates) + ")");
  return *state;
}

const std::vector<std::string_view>& policy_option_names() { return kPolicyOptions; }

// --lock NAME[,NAME...]: each name added once, in order; "" clears them all.
Status add_locks(std::vector<std::string>& locks, std::string_view value) {
  if (value.empty()) {
    locks.clear();
    return Ok{};
  }
  std::vector<std::string> names = locks;
  for (std::size_t begin = 0; begin <= value.size();) {
    std::size_t end = std::min(value.find(',', begin), value.size());
    std::string name(value.substr(begin, end - begin));
    bool ok =
        !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (!ok) {
      return usage_error("--lock " + in_quotes(value) + ": invalid lock name " + in_quotes(name) +
                         ": expected 1-64 letters, digits, '.', '_' or '-'");
    }
    names.push_back(std::move(name));
    begin = end + 1;
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  locks = std::move(names);
  return Ok{};
}

Status set_policy_option(Policy& policy, std::string_view option, std::string_view value, Epoch now,
                         const Zone& zone) {
  if (option == "misfire") return set_enum(policy.misfire, kMisfires, option, value);
  if (option == "grace") return set_duration(policy.grace_seconds, option, value, false);
  if (option == "overlap") return set_enum(policy.overlap, kOverlaps, option, value);
  if (option == "timeout") {
    if (value == "none") {
      policy.timeout_seconds.reset();
      return Ok{};
    }
    std::int64_t seconds = 0;
    if (auto status = set_duration(seconds, option, value, false); !status) return status;
    policy.timeout_seconds = seconds;
    return Ok{};
  }
  if (option == "retries") return set_count(policy.retries, option, value, 0, 100);
  if (option == "backoff") return set_duration(policy.backoff_seconds, option, value, false);
  if (option == "jitter") return set_duration(policy.jitter_seconds, option, value, true);
  if (option == "dst") return set_enum(policy.dst, kDstRules, option, value);
  if (option == "until") {
    if (value == "none") {
      policy.until_epoch.reset();
      return Ok{};
    }
    auto until = parse_time(value, now, zone);
    if (!until) return usage_error("--until: " + until.error().message());
    policy.until_epoch = *until;
    return Ok{};
  }
  if (option == "max-runs") {
    if (value == "none") {
      policy.max_runs.reset();
      return Ok{};
    }
    std::int64_t runs = 0;
    if (auto status = set_count(runs, option, value, 1, 999999); !status) return status;
    policy.max_runs = runs;
    return Ok{};
  }
  if (option == "on-failure-sh") return set_hook(policy.on_failure_sh, value);
  if (option == "history-keep")
    return set_duration(policy.history_keep_seconds, option, value, false);
  if (option == "history-runs")
    return set_count(policy.history_runs, option, value, 1, kMaxHistoryRuns);
  if (option == "lock") return add_locks(policy.locks, value);
  if (option == "user") return set_user(policy.user, value);
  return usage_error("unknown policy option " + in_quotes(option));
}

std::optional<std::string> policy_option_text(const Policy& policy, std::string_view option,
                                              const Zone& zone) {
  if (option == "misfire") return std::string(to_string(policy.misfire));
  if (option == "grace") return format_duration(policy.grace_seconds);
  if (option == "overlap") return std::string(to_string(policy.overlap));
  if (option == "timeout") {
    return policy.timeout_seconds ? format_duration(*policy.timeout_seconds) : std::string("none");
  }
  if (option == "retries") return std::to_string(policy.retries);
  if (option == "backoff") return format_duration(policy.backoff_seconds);
  if (option == "jitter") {
    return policy.jitter_seconds == 0 ? std::string("0") : format_duration(policy.jitter_seconds);
  }
  if (option == "dst") return std::string(to_string(policy.dst));
  if (option == "until" && policy.until_epoch) return format_rfc3339(*policy.until_epoch, zone);
  if (option == "max-runs" && policy.max_runs) return std::to_string(*policy.max_runs);
  if (option == "on-failure-sh") return policy.on_failure_sh;
  if (option == "history-keep") return format_keep(policy.history_keep_seconds);
  if (option == "history-runs") return std::to_string(policy.history_runs);
  if (option == "lock" && !policy.locks.empty()) {
    std::string names;
    for (const auto& name : policy.locks) names += (names.empty() ? "" : ",") + name;
    return names;
  }
  if (option == "user") return policy.user;
  return std::nullopt;
}

Result<std::pair<std::string, std::string>> parse_label(std::string_view label) {
  auto equals = label.find('=');
  std::string_view key = label.substr(0, equals);
  if (equals == std::string_view::npos || !is_label_key(key) ||
      label.find('\0') != std::string_view::npos) {
    return usage_error("--label " + in_quotes(label) +
                       ": expected KEY=VALUE, KEY of letters, digits, '.', '_', '-', '/'");
  }
  return std::pair<std::string, std::string>(key, label.substr(equals + 1));
}

Status check_label_key(std::string_view key) {
  if (is_label_key(key)) return Ok{};
  return usage_error("label key " + in_quotes(key) +
                     ": expected letters, digits, '.', '_', '-', '/' (at most 64)");
}

Status check_name(std::string_view name) {
  auto bad = [&](std::string_view why) {
    return usage_error("invalid name " + in_quotes(name) + ": " + std::string(why));
  };
  if (name.empty()) return bad("empty");
  if (name.size() > 64) return bad("longer than 64 characters");
  if (all_digits(name)) return bad("all digits (it would read as an id)");
  char first = name[0];
  if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z') ||
        (first >= '0' && first <= '9'))) {
    return bad("must start with a letter or digit");
  }
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return bad("use only letters, digits, '.', '_' and '-'");
  }
  return Ok{};
}

namespace {

// Each --user NAME among `options` (set, not cleared): may this process give it?
Status check_users_given(const std::vector<std::pair<std::string, std::string>>& options) {
  for (const auto& [option, value] : options) {
    if (option != "user" || value.empty()) continue;
    if (auto allowed = check_user_option(value); !allowed) return allowed;
  }
  return Ok{};
}

}  // namespace

Result<Trigger> build_trigger(const TriggerSpec& spec, Epoch now) {
  Trigger trigger;
  if (spec.name) {
    if (auto status = check_name(*spec.name); !status) return status.error();
    trigger.name = spec.name;
  }
  auto zone = spec.tz ? Zone::locate(*spec.tz) : Zone::system_default();
  if (!zone) {
    return spec.tz ? usage_error("--tz: " + zone.error().message()) : zone.error();
  }
  trigger.tz = zone->name();
  for (const auto& [option, value] : spec.policy) {
    if (auto status = set_policy_option(trigger.policy, option, value, now, *zone); !status) {
      return status.error();
    }
  }
  if (auto users = check_users_given(spec.policy); !users) return users.error();
  ClockSpec clock_spec = spec.clock;
  clock_spec.dst = trigger.policy.dst;
  auto clock = make_clock(clock_spec, now, *zone);
  if (!clock) return clock.error();
  for (const auto& label : spec.labels) {
    auto parsed = parse_label(label);
    if (!parsed) return parsed.error();
    auto [key, value] = *parsed;
    if (trigger.labels.count(key) != 0) {
      return usage_error("--label " + in_quotes(label) + ": label " + in_quotes(key) +
                         " given twice");
    }
    trigger.labels[key] = value;
  }
  if (auto valid = check_fire_times(trigger.policy, **clock, spec.state, spec.clock, now, *zone);
      !valid) {
    return valid.error();
  }
  trigger.clock = (*clock)->text();
  trigger.clock_set_epoch = now;
  trigger.action = spec.action;
  trigger.state = spec.state;
  trigger.created_epoch = now;
  trigger.updated_epoch = now;
  return trigger;
}

namespace {

// Whether `change` sets only what history the trigger keeps (--history-keep, --history-runs).
bool changes_retention_only(const ScheduleChange& change) {
  if (change.clock || change.tz || change.policy.empty()) return false;
  for (const auto& [option, value] : change.policy) {
    if (option != "history-keep" && option != "history-runs") return false;
  }
  return true;
}

// `current` with new retention options: its clock, zone and state stay as they are.
Result<Trigger> change_retention(const Trigger& current, const ScheduleChange& change, Epoch now) {
  auto zone = Zone::locate(current.tz);
  Trigger changed = current;
  for (const auto& [option, value] : change.policy) {
    if (auto status =
            set_policy_option(changed.policy, option, value, now, zone ? *zone : Zone::utc());
        !status) {
      return status.error();
    }
  }
  changed.updated_epoch = now;
  return changed;
}

}  // namespace

Result<Trigger> reschedule_trigger(const Trigger& current, const ScheduleChange& change,
                                   Epoch now) {
  if (!change.clock && !change.tz && change.policy.empty()) {
    return usage_error("nothing to change: give a clock, a policy option or --tz");
  }
  if (changes_retention_only(change)) return change_retention(current, change, now);
  std::string who = current.name ? in_quotes(*current.name) : std::to_string(current.id);
  if (current.state == State::kCancelled) {
    return data_error("trigger " + who + " is cancelled; create a new one instead");
  }
  auto zone = Zone::locate(change.tz.value_or(current.tz));
  if (!zone) return change.tz ? usage_error("--tz: " + zone.error().message()) : zone.error();
  Trigger moved = current;
  moved.tz = zone->name();
  for (const auto& [option, value] : change.policy) {
    if (auto status = set_policy_option(moved.policy, option, value, now, *zone); !status) {
      return status.error();
    }
  }
  if (auto users = check_users_given(change.policy); !users) return users.error();
  ClockSpec spec;
  std::unique_ptr<const Clock> clock;
  if (change.clock) {
    spec = *change.clock;
    spec.dst = moved.policy.dst;
    auto made = make_clock(spec, now, *zone);
    if (!made) return made.error();
    clock = std::move(*made);
    moved.clock_set_epoch = now;
  } else {
    auto parsed = parse_clock_text(current.clock);
    if (!parsed) return parsed.error();
    spec = *parsed;
    spec.dst = moved.policy.dst;
    if (change.tz && clock_kind(spec.kind)->keeps_wall_clock_in_new_zone) {
      // A calendar clock keeps its wall-clock time in the new zone: the anchor's local time.
      auto old_zone = Zone::locate(current.tz);
      if (!old_zone) return old_zone.error();
      auto anchor = parse_time(spec.value, now, *old_zone);
      if (!anchor) return anchor.error();
      spec.value = format_rfc3339(*anchor, *old_zone).substr(0, 19);
    }
    auto made = make_clock(spec, current.clock_set_epoch,
                           *zone);  // --at, --every: same instants; calendar clocks: same
                                    // wall-clock times in the new zone
    if (!made) return made.error();
    clock = std::move(*made);
  }
  moved.clock = clock->text();
  if (moved.state == State::kDone) {
    // Moved again: active from now, owing nothing for the time it was done (and --max-runs
    // counts afresh, from this setting of the clock).
    moved.state = State::kActive;
    moved.clock_set_epoch = now;
  }
  if (auto valid = check_fire_times(moved.policy, *clock, moved.state, spec, now, *zone); !valid) {
    return valid.error();
  }
  moved.updated_epoch = now;
  return moved;
}

Status check_schedule_change(const ScheduleChange& change, Epoch now) {
  if (!change.clock && !change.tz && change.policy.empty()) {
    return usage_error("nothing to change: give a clock, a policy option or --tz");
  }
  auto zone = change.tz ? Zone::locate(*change.tz) : Result<Zone>(Zone::utc());
  if (!zone) return usage_error("--tz: " + zone.error().message());
  Policy policy;
  for (const auto& [option, value] : change.policy) {
    if (auto status = set_policy_option(policy, option, value, now, *zone); !status) {
      return status.error();
    }
  }
  if (auto users = check_users_given(change.policy); !users) return users.error();
  if (!change.clock) return Ok{};
  ClockSpec spec = *change.clock;
  spec.dst = policy.dst;
  auto made = make_clock(spec, now, *zone);
  if (!made) return made.error();
  return Ok{};
}

namespace {

Result<std::unique_ptr<const Clock>> make_trigger_clock(const Trigger& trigger) {
  auto zone = Zone::locate(trigger.tz);
  if (!zone) {
    return usage_error("trigger " + std::to_string(trigger.id) + ": its time zone " +
                       in_quotes(trigger.tz) + " is no longer known to this system");
  }
  auto spec = parse_clock_text(trigger.clock);
  if (!spec) return spec.error();
  spec->dst = trigger.policy.dst;
  return make_clock(*spec, trigger.clock_set_epoch, *zone);
}

}  // namespace

Result<std::shared_ptr<const Clock>> trigger_clock(const Trigger& trigger) {
  static ClockCache cache;
  return cache.get(trigger);
}

Result<std::shared_ptr<const Clock>> ClockCache::get(const Trigger& trigger) {
  const ClockKindInfo* kind = clock_kind_of_text(trigger.clock);
  bool epoch_matters = kind != nullptr && kind->reads_set_epoch;
  std::string key = trigger.tz + '\n' + std::to_string(static_cast<int>(trigger.policy.dst)) +
                    '\n' + trigger.clock;
  if (epoch_matters) key += '\n' + std::to_string(trigger.clock_set_epoch);
  if (auto found = clocks_.find(key); found != clocks_.end()) return found->second;
  auto made = make_trigger_clock(trigger);
  if (!made) return made.error();
  if (clocks_.size() >= kLimit) clocks_.clear();
  std::shared_ptr<const Clock> clock(std::move(*made));
  clocks_.emplace(std::move(key), clock);
  return clock;
}

Result<std::optional<Epoch>> next_fire_time(const Trigger& trigger) {
  if (trigger.state != State::kActive) return std::optional<Epoch>();
  if (trigger.scheduled) return trigger.next_event_epoch;
  auto clock = trigger_clock(trigger);
  if (!clock) return clock.error();
  auto next = next_event(**clock, trigger.last_event_epoch, trigger.clock_set_epoch, false);
  if (!next) return next.error();
  if (*next && trigger.policy.until_epoch && **next > *trigger.policy.until_epoch) {
    return std::optional<Epoch>();
  }
  return *next;
}

Result<std::vector<Epoch>> trigger_fire_times(const Trigger& trigger, std::size_t count) {
  auto next = next_fire_time(trigger);
  if (!next) return next.error();
  if (!*next || count == 0) return std::vector<Epoch>();
  auto clock = trigger_clock(trigger);
  if (!clock) return clock.error();
  std::vector<Epoch> times{**next};
  auto more = upcoming_fire_times(**clock, **next, count - 1, trigger.policy);
  times.insert(times.end(), more.begin(), more.end());
  return times;
}

std::vector<Epoch> upcoming_fire_times(const Clock& clock, Epoch after, std::size_t count,
                                       const Policy& policy) {
  std::vector<Epoch> times;
  while (times.size() < count) {
    auto next = clock.first_after(after);
    if (!next || *next <= after) break;
    if (policy.until_epoch && *next > *policy.until_epoch) break;
    times.push_back(*next);
    after = *next;
  }
  return times;
}

}  // namespace trigger
