// The store: one SQLite database holding triggers, their events and counters (SPEC §2). It is
// the only place in trigger that speaks SQL.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trigger/error.h"
#include "trigger/trigger.h"

namespace SQLite {
class Database;
}

namespace trigger {

/// Which triggers list_triggers() returns.
struct TriggerFilter {
  bool include_finished = false;  ///< add cancelled and done
  std::optional<State> state;     ///< only this state (overrides the above)
  std::vector<std::pair<std::string, std::string>> labels;  ///< all must match
  std::optional<std::string> name_glob;                     ///< SQLite GLOB on the name
};

class Store {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  /// The schema level this build writes (the highest numbered file in schema/).
  static int schema_version();

  /// The default database path: $XDG_STATE_HOME/trigger/trigger.db, else
  /// ~/.local/state/trigger/trigger.db, and /var/lib/trigger/trigger.db for root.
  static std::string default_path();

  /// Open the database at `path`. kReadWrite creates it (mode 0600, its missing directories
  /// 0700) and applies pending migrations in one transaction. kReadOnly never creates or
  /// writes: a missing file reads as an empty database, and one that needs migrating is
  /// migrated only if it can be opened for writing. Errors: kTooNew for a database from a newer
  /// trigger (left untouched), kCannotCreate, kIO (unreadable, not a database), kBusy.
  static Result<std::unique_ptr<Store>> open(const std::string& path, Mode mode);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Run `body` in one transaction (IMMEDIATE when writable); commit if it returns ok, roll
  /// back otherwise or if it throws. Returns the body's error, or the commit's.
  Status transaction(const std::function<Status()>& body);

  /// Insert a new trigger; assigns and returns its id, bumps the version. kData if the name is
  /// taken.
  Result<std::int64_t> insert_trigger(const Trigger& trigger);

  /// Replace the definition of trigger `trigger.id` (everything but id, created_epoch and the
  /// event row); bumps the version. kNotFound if it is gone, kData if the name is taken.
  Status update_trigger(const Trigger& trigger);

  /// Set the state of trigger `id`, bumping the version. kNotFound if it does not exist.
  Status set_state(std::int64_t id, State state, Epoch now);

  /// The trigger named by `ref`: an id when all digits, else a name. kNotFound naming `ref`.
  Result<Trigger> find_trigger(std::string_view ref);

  /// Triggers matching `filter`, by id.
  Result<std::vector<Trigger>> list_triggers(const TriggerFilter& filter);

  /// The global version counter (bumped on every change) and the run-once cursor.
  Result<std::int64_t> counter(std::string_view name);

  /// Rows read by queries since open, for cost assertions in tests and benchmarks.
  std::int64_t rows_visited() const { return rows_visited_; }

 private:
  explicit Store(std::unique_ptr<SQLite::Database> db, bool writable);
  Result<std::int64_t> bump_version();
  Status write_labels(const Trigger& trigger);
  Status load_labels(std::vector<Trigger>& triggers);

  std::unique_ptr<SQLite::Database> db_;
  bool writable_;
  std::int64_t rows_visited_ = 0;
};

}  // namespace trigger
