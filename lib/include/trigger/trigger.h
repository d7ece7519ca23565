// A trigger: a clock (when), an action (what) and a policy (what to do when late, overlapping
// or failing), with a name, a zone, a state and labels (SPEC §1, §6).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trigger/action.h"
#include "trigger/clock.h"
#include "trigger/error.h"
#include "trigger/time.h"

namespace trigger {

enum class State { kActive, kPaused, kCancelled, kDone };
enum class Misfire { kAll, kLatest, kSkip };
enum class Overlap { kSkip, kQueue, kAllow };

/// The value of a whole-number option: digits only, from `min` to `max` (leading zeros
/// allowed). kUsage "--OPTION 'TEXT': expected a whole number from MIN to MAX" otherwise.
Result<std::int64_t> parse_whole_number(std::string_view option, std::string_view text,
                                        std::int64_t min, std::int64_t max);

struct Trigger;
/// A trigger as messages name it: its name in quotes ('backup'), else "trigger ID" (trigger 7).
std::string describe(const Trigger& trigger);

std::string_view to_string(State state);
std::string_view to_string(Misfire misfire);
std::string_view to_string(Overlap overlap);
std::string_view to_string(DstRule rule);
/// The state named `text`; kUsage naming it if none is.
Result<State> parse_state(std::string_view text);

/// What a trigger's history keeps by default, whatever its age: its creation record and its
/// newest kDefaultHistoryRuns run outcomes (succeeded, failed or timed_out); and everything
/// younger than kDefaultHistoryKeepSeconds. --history-runs takes 1 to kMaxHistoryRuns: the
/// newest run is always kept, so that pruning never clears a failure `status` reports.
inline constexpr std::int64_t kDefaultHistoryKeepSeconds = 30 * 86400;
inline constexpr std::int64_t kDefaultHistoryRuns = 10;
inline constexpr std::int64_t kMaxHistoryRuns = 10000;

/// What to do when late, overlapping or failing, and what history to keep. The defaults are
/// SPEC §6's.
struct Policy {
  Misfire misfire = Misfire::kLatest;
  std::int64_t grace_seconds = 300;
  Overlap overlap = Overlap::kSkip;
  std::optional<std::int64_t> timeout_seconds;  ///< none (the default): runs are never cut short
  std::int64_t retries = 0;
  std::int64_t backoff_seconds = 30;
  std::int64_t jitter_seconds = 0;
  DstRule dst = DstRule::kAuto;
  std::optional<Epoch> until_epoch;
  std::optional<std::int64_t> max_runs;
  /// Run by `/bin/sh -c` when an occurrence ends failed or timed out after its last retry
  /// (--on-failure-sh); none when unset.
  std::optional<std::string> on_failure_sh;
  std::int64_t history_keep_seconds = kDefaultHistoryKeepSeconds;  ///< --history-keep
  std::int64_t history_runs = kDefaultHistoryRuns;                 ///< --history-runs
  /// Lock groups (--lock): runs of triggers that share a name never run at the same time.
  /// Sorted, each once; empty: none.
  std::vector<std::string> locks;
  /// The user its command and hook run as (--user, from a database of root's run by root,
  /// trigger-create(1)); none: the user of the pass.
  std::optional<std::string> user;
};

/// The policy options by name, without dashes, in the order `trigger-create(1)` lists them:
/// misfire grace overlap timeout retries backoff jitter dst until max-runs on-failure-sh
/// history-keep history-runs lock user.
const std::vector<std::string_view>& policy_option_names();

/// Set one policy option from its command-line text ("misfire", "latest"). Times (--until)
/// are read against `now` in `zone`. "lock" adds its names (NAME[,NAME...]: 1-64 letters,
/// digits, '.', '_', '-', starting with a letter or digit) to the locks, and "" clears them.
/// kUsage naming the option and the bad value. Only the text is checked: whether --user may
/// be set, and names a user, build_trigger() and reschedule_trigger() check.
Status set_policy_option(Policy& policy, std::string_view option, std::string_view value, Epoch now,
                         const Zone& zone);

/// One policy option as text that set_policy_option() reads back, or nullopt when unset
/// ("lock": the names joined by ',', nullopt when there are none).
std::optional<std::string> policy_option_text(const Policy& policy, std::string_view option,
                                              const Zone& zone);

/// A trigger as stored. Fields from the event table (written only by run-once) are
/// last_event_epoch, next_event_epoch and `scheduled`: whether the event row reflects the
/// trigger's latest change (else the next time is predicted from the definition).
struct Trigger {
  std::int64_t id = 0;
  std::optional<std::string> name;
  State state = State::kActive;
  std::string clock;          ///< canonical clock text (Clock::text())
  Epoch clock_set_epoch = 0;  ///< when the clock was set: no fire time at or before it
  std::string tz;             ///< IANA zone name
  Action action;
  Policy policy;
  std::map<std::string, std::string> labels;
  std::int64_t version = 0;
  Epoch created_epoch = 0;
  Epoch updated_epoch = 0;
  bool scheduled = false;
  std::optional<Epoch> last_event_epoch;
  std::optional<Epoch> next_event_epoch;
  std::string last_outcome;  ///< the newest outcome in the history ("" if none), for display
};

/// What a user gives to define a trigger; build_trigger() validates it.
struct TriggerSpec {
  std::optional<std::string> name;
  ClockSpec clock;
  std::optional<std::string> tz;  ///< nullopt: Zone::system_default()
  Action action;
  std::vector<std::pair<std::string, std::string>> policy;  ///< (option, value), in order
  std::vector<std::string> labels;                          ///< "KEY=VALUE"
  State state = State::kActive;  ///< cancelled and done are for import; they may never fire
};

/// Check a trigger name: 1-64 characters of letters, digits, '.', '_', '-', starting with a
/// letter or digit, not all digits (so ID|NAME is never ambiguous). kUsage naming it.
Status check_name(std::string_view name);

/// A label "KEY=VALUE" as (key, value): KEY of 1-64 letters, digits, '.', '_', '-', '/', and
/// no NUL. kUsage naming it.
Result<std::pair<std::string, std::string>> parse_label(std::string_view label);
/// Check a label key as parse_label() does. kUsage naming it.
Status check_label_key(std::string_view key);

/// Validate `spec` at time `now` into a trigger ready to insert (id and version unset).
/// An active or paused trigger whose clock has no fire time after `now` is refused (it could
/// never fire). kUsage naming the first bad value; a --user by check_user_option() (kUnsafe
/// unless this process is root, kUsage for a user the password database does not know).
Result<Trigger> build_trigger(const TriggerSpec& spec, Epoch now);

/// What `trigger schedule` changes: any of the clock, the zone and policy options.
struct ScheduleChange {
  std::optional<ClockSpec> clock;
  std::optional<std::string> tz;
  std::vector<std::pair<std::string, std::string>> policy;  ///< (option, value), in order
};

/// `current` moved by `change` at `now`: a new clock is set at `now`; a new zone alone keeps
/// the clock's instants; policy options apply over the current policy. A done trigger is
/// active again, its clock counted as set at `now` (so --max-runs counts afresh). Validated as
/// build_trigger() validates. kUsage naming the bad value, or saying that nothing was given to
/// change; kData for a cancelled trigger. A change of --history-keep or --history-runs alone
/// leaves everything else as it is, whatever the state: a done or cancelled trigger stays so.
/// A --user NAME it sets is checked as build_trigger() checks it.
Result<Trigger> reschedule_trigger(const Trigger& current, const ScheduleChange& change, Epoch now);

/// Check `change` on its own, before any trigger is at hand (trigger schedule does, so that a
/// usage error opens no database): something to change, the zone, each policy value and the
/// clock's own syntax (in the new zone, else UTC). What depends on the trigger (its state, a
/// fire time left in its zone) reschedule_trigger() checks. kUsage naming the bad value; a
/// --user NAME as build_trigger() checks it.
Status check_schedule_change(const ScheduleChange& change, Epoch now);

/// What `trigger update` changes: anything `trigger create` sets. Every field left empty keeps
/// what the trigger has.
struct TriggerUpdate {
  ScheduleChange schedule;            ///< clock, zone, policy: moved as reschedule_trigger() does
  std::optional<std::string> rename;  ///< a new name (check_name())
  /// A new action kind and words (--log, --sh, -- PROGRAM); its env and cwd are not read.
  std::optional<Action> command;
  std::vector<std::string> set_env;       ///< "NAME=VALUE": replaces NAME's value, else added
  std::vector<std::string> unset_env;     ///< NAME: removed (not there: nothing to do)
  std::optional<std::string> cwd;         ///< a new directory; "" for none
  std::vector<std::string> set_labels;    ///< "KEY=VALUE": replaces KEY's value, else added
  std::vector<std::string> unset_labels;  ///< KEY: removed (not there: nothing to do)
};

/// Whether `update` asks for no change at all.
bool update_is_empty(const TriggerUpdate& update);

/// `current` changed by `update` at `now`. When `update.schedule` asks for anything, the
/// trigger is first moved by reschedule_trigger() (so a cancelled trigger refuses a clock, a
/// zone or a policy option other than the history retention: kData); then renamed, its action
/// words, environment, directory and labels changed; any state allows those. kUsage naming the
/// bad value, or saying nothing was given; the result may equal `current` (see edit_diff()).
Result<Trigger> apply_update(const Trigger& current, const TriggerUpdate& update, Epoch now);

/// Check `update` on its own, before any trigger is at hand (as check_schedule_change()): the
/// schedule part if any, the new name, the variables, the directory, the labels, and that no
/// variable or label is both set and removed. kUsage naming the bad value.
Status check_update(const TriggerUpdate& update, Epoch now);

/// Rebuild the clock of a stored trigger. kUsage if its text or zone no longer parse (a zone
/// removed from the system). Clocks come from a ClockCache shared by the process.
Result<std::shared_ptr<const Clock>> trigger_clock(const Trigger& trigger);

/// Clocks of stored triggers, made once per distinct clock: triggers with the same
/// clock text, zone, DST rule (and, for kinds whose ClockKindInfo::reads_set_epoch, the same
/// clock_set_epoch) share one.
/// The pass makes a clock for every trigger it schedules or fires; parsing a cron expression
/// and describing it cost more than the rest of firing it. Holds at most kLimit clocks.
class ClockCache {
 public:
  static constexpr std::size_t kLimit = 4096;
  Result<std::shared_ptr<const Clock>> get(const Trigger& trigger);

 private:
  std::unordered_map<std::string, std::shared_ptr<const Clock>> clocks_;
};

/// The next fire time of a stored trigger: from its event row when run-once has scheduled it,
/// else predicted from its clock (the seed's getNextEventPrediction). nullopt when it has none
/// or is not active.
Result<std::optional<Epoch>> next_fire_time(const Trigger& trigger);

/// The next `count` fire times of a stored trigger, starting with next_fire_time(); empty
/// when it has none.
Result<std::vector<Epoch>> trigger_fire_times(const Trigger& trigger, std::size_t count);

/// The next `count` fire times of `clock` after `after`, in order (fewer if it runs out).
std::vector<Epoch> upcoming_fire_times(const Clock& clock, Epoch after, std::size_t count,
                                       const Policy& policy);

}  // namespace trigger
