// Store: opening a store from a location, picking the backend; and what every backend shares.
#include "trigger/store.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "account.h"
#include "store/file_safety.h"
#include "store/sqlite_store.h"
#include "text.h"

namespace trigger {
namespace {

// HOME, else the user's home directory in the password database (cron and sudo -i may start
// commands without HOME), else the current directory.
std::string home_directory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') return home;
  auto account = account_by_uid(geteuid());
  if (account && !account->home.empty() && account->home[0] == '/') return account->home;
  return ".";
}

// The scheme of a location that names a server ("postgresql" in "postgresql://host/db"), or
// "" for a file path. A scheme is a letter, then letters, digits, '+', '-' or '.'.
std::string_view scheme_of(std::string_view location) {
  auto colon = location.find("://");
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string_view scheme = location.substr(0, colon);
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(scheme[0])) return {};
  for (char c : scheme) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return {};
  }
  return scheme;
}

}  // namespace

std::string Store::default_path() {
  if (geteuid() == 0) return "/var/lib/trigger/trigger.db";
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && state[0] == '/') {
    return std::string(state) + "/trigger/trigger.db";
  }
  return home_directory() + "/.local/state/trigger/trigger.db";
}

Status Store::check_root_only_at(const std::string& location) {
  if (location.empty() || !scheme_of(location).empty()) return Ok{};
  return check_root_database_location(location);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& location, Mode mode) {
  if (location.empty()) return usage_error("empty database path");
  if (auto scheme = scheme_of(location); !scheme.empty()) {
    return usage_error("database " + in_quotes(location) + ": no " + in_quotes(scheme) +
                       " backend in this build (a database is a file path)");
  }
  return SqliteStore::open_file(location, mode);
}

std::string event_id(std::int64_t trigger_id, Epoch scheduled_epoch, bool manual) {
  return std::to_string(trigger_id) + (manual ? "-m" : "-") + std::to_string(scheduled_epoch);
}

HistoryRecord HistoryRecord::of_run(const Task& task, Outcome outcome, std::string reason,
                                   Epoch at) {
  HistoryRecord record;
  record.trigger_id = task.trigger_id;
  record.event_id = trigger::event_id(task.trigger_id, task.scheduled_epoch, task.manual);
  record.scheduled_epoch = task.scheduled_epoch;
  record.outcome = outcome;
  if (outcome != Outcome::kSucceeded) record.reason = std::move(reason);
  if (task.lock_waited_seconds) {
    record.reason += std::string(record.reason.empty() ? "" : "; ") + "waited " +
                     format_duration(*task.lock_waited_seconds) + " for --lock " + task.locks;
  }
  record.manual = task.manual;
  record.attempts = task.attempt;
  record.finished_epoch = at;
  record.recorded_epoch = at;
  return record;
}

HistoryRecord HistoryRecord::of_trigger(std::int64_t trigger_id, Outcome outcome,
                                       std::string reason, Epoch at) {
  HistoryRecord record;
  record.trigger_id = trigger_id;
  record.count = outcome == Outcome::kEdit ? 1 : 0;
  record.outcome = outcome;
  record.reason = std::move(reason);
  record.recorded_epoch = at;
  return record;
}

HistoryRecord HistoryRecord::of_misses(std::int64_t trigger_id, Epoch last, std::int64_t count,
                                       Outcome outcome, std::string reason, Epoch at) {
  HistoryRecord record;
  record.trigger_id = trigger_id;
  if (count == 1) record.event_id = trigger::event_id(trigger_id, last, false);
  record.scheduled_epoch = last;
  record.count = count;
  record.outcome = outcome;
  record.reason = std::move(reason);
  record.recorded_epoch = at;
  return record;
}

}  // namespace trigger
