// The firing policy as pure functions (SPEC §6, trigger-create(1)): which due occurrences of a
// trigger one firing queues, which it misses and why, and where the trigger goes next. No store,
// no clock of the machine: the pass loads the inputs, plans with these, and applies the plan.
// Private to lib/: its inputs are the pass's (runs counted in the event row, the catch-up caps
// of PassOptions), and an application asks `trigger next` or the store what it needs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "trigger/clock.h"
#include "trigger/error.h"
#include "trigger/time.h"
#include "trigger/trigger.h"

namespace trigger {

/// Why an occurrence due by now was not queued.
enum class MissReason {
  kCoalesced,  ///< --misfire latest: an older one, the latest fires instead
  kLate,       ///< --misfire skip: more than --grace late
  kOverlap,    ///< --overlap skip: the previous run was still queued or running
  kMaxRuns,    ///< --max-runs reached
};

/// A run of missed occurrences sharing a reason: how many, the first and the last.
struct Miss {
  MissReason reason = MissReason::kCoalesced;
  std::int64_t count = 0;
  Epoch first = 0;
  Epoch last = 0;
  void add(Epoch epoch);
};

/// One occurrence to queue: its fire time, when it may run (the fire time plus its jitter)
/// and the occurrence before it (TRIGGER_LAST_EPOCH).
struct Occurrence {
  Epoch scheduled = 0;
  Epoch due = 0;
  std::optional<Epoch> previous;
};

/// Why a trigger has finished: it gets no next time and is marked done.
enum class Finish {
  kNotFinished,
  kMaxRuns,      ///< --max-runs runs made since its clock was set
  kNoMoreTimes,  ///< its clock has no next time (and is not --never or --on-boot)
  kPastUntil,    ///< its next time is past --until
};

/// Whether a trigger with this clock kind and policy, `runs` runs made since its clock was set
/// and this next time has finished, and why. A --never clock has no next time without being
/// finished, nor has a --on-boot clock between boots. The one rule the schedule and the fire
/// phase share.
Finish finished_because(ClockKind kind, const Policy& policy, std::int64_t runs,
                        std::optional<Epoch> next);

/// The next time of an active trigger after an edit at `updated` (its clock may have changed):
/// `computed` from the clock in force, unless the previous next time `pending` was due by the
/// edit (and by now), had not fired (it is after `last_event`) and comes first: nothing due is
/// dropped because the clock changed; the fire phase handles it by the misfire policy.
std::optional<Epoch> next_after_edit(std::optional<Epoch> pending, std::optional<Epoch> last_event,
                                     Epoch updated, std::optional<Epoch> computed, Epoch now);

/// What one firing of a due trigger is given. The clock and policy are borrowed for the call.
struct FiringInput {
  std::int64_t trigger_id = 0;  ///< seeds the jitter (jitter_offset())
  const Clock* clock = nullptr;
  const Policy* policy = nullptr;
  Epoch clock_set_epoch = 0;        ///< no fire time at or before it
  Epoch first_due = 0;              ///< the event's next time, due by `now`
  std::optional<Epoch> last_event;  ///< the last occurrence handled before this firing
  std::int64_t runs = 0;            ///< runs made since the clock was set (--max-runs)
  bool run_open = false;            ///< a run of the trigger is queued or running
  /// The newest occurrence queued for the trigger, while a run is open: a firing whose first
  /// occurrence is not after it continues a catch-up a cap cut short, and queues behind it
  /// whatever --overlap says.
  std::optional<Epoch> newest_queued;
  Epoch now = 0;
  std::size_t max_catch_up = 100000;  ///< occurrences one firing queues at most
  std::size_t max_scan = 100000000;   ///< occurrences one firing walks at most
};

/// What one firing does.
struct FiringPlan {
  std::vector<Occurrence> queue;  ///< in order
  bool serial = true;             ///< the queued runs wait for the trigger's earlier ones
  /// At most one per reason, in the order their records are written: coalesced, late,
  /// overlap, max-runs.
  std::vector<Miss> misses;
  Epoch last_handled = 0;     ///< the event's new last occurrence
  std::optional<Epoch> next;  ///< the first occurrence not handled (due, if the walk was cut)
  Finish finish = Finish::kNotFinished;  ///< assuming every occurrence in `queue` is queued
};

/// Plan one firing: walk the occurrences due by `now` from `first_due` by the misfire policy,
/// up to max_catch_up kept and max_scan walked (a later firing goes on, and under --misfire
/// latest only the firing that reaches the end fires, once); cap them by --max-runs; skip them
/// under --overlap skip while a run is open (unless they continue a catch-up); jitter each.
/// Catch-up occurrences fired together are serial. kInternal when the clock does not move
/// forward.
Result<FiringPlan> plan_firing(const FiringInput& input);

/// Cut a plan whose queueing stopped after `kept` (at least 1) of its occurrences: the next
/// firing begins at the first not queued, and what --max-runs would have skipped is not
/// reached yet. `finish` is recomputed for the kept ones from `input`.
void cut_plan(FiringPlan& plan, std::size_t kept, const FiringInput& input);

}  // namespace trigger
