#include "policy.h"

#include <algorithm>

#include "trigger/pass.h"

namespace trigger {
namespace {

// The occurrences a walk kept, and those it dropped (coalesced or late, by the policy).
struct Walk {
  std::vector<Epoch> fire;
  Miss dropped;
  Epoch last_handled = 0;
  std::optional<Epoch> after;
};

// Classify one due occurrence by --misfire.
void classify(Walk& walk, const FiringInput& input, Epoch occurrence) {
  const Policy& policy = *input.policy;
  switch (policy.misfire) {
    case Misfire::kAll:
      walk.fire.push_back(occurrence);
      break;
    case Misfire::kLatest:
      if (!walk.fire.empty()) walk.dropped.add(walk.fire.back());
      walk.fire = {occurrence};
      break;
    case Misfire::kSkip:
      if (input.now - occurrence > policy.grace_seconds) {
        walk.dropped.add(occurrence);
      } else {
        walk.fire.push_back(occurrence);
      }
      break;
  }
}

// Walk the occurrences due by `now` from `first_due`. Those that may fire are kept (at most
// max_catch_up: a later firing queues the rest); under --misfire latest and skip the others
// are only counted (up to max_scan per firing).
Result<Walk> walk_due(const FiringInput& input) {
  const Policy& policy = *input.policy;
  Walk walk;
  Epoch occurrence = input.first_due;
  bool cut = false;  // stopped before the end of what is due
  for (std::size_t scanned = 1;; ++scanned) {
    classify(walk, input, occurrence);
    auto next = next_event(*input.clock, occurrence, input.clock_set_epoch, true);
    if (!next) return next.error();
    walk.after = *next;
    if (!*next || **next > input.now || (policy.until_epoch && **next > *policy.until_epoch)) break;
    if (walk.fire.size() >= input.max_catch_up || scanned >= input.max_scan) {
      cut = true;
      break;
    }
    occurrence = **next;
  }
  walk.last_handled = occurrence;
  // Under --misfire latest a walk cut short has not reached the latest: what it kept is
  // coalesced too, and the firing that reaches the end fires the latest (once).
  if (cut && policy.misfire == Misfire::kLatest) {
    walk.dropped.add(walk.fire.back());
    walk.fire.clear();
  }
  return walk;
}

// --max-runs: what would pass it is missed.
Miss cap_runs(std::vector<Epoch>& fire, const FiringInput& input) {
  Miss capped{MissReason::kMaxRuns};
  const Policy& policy = *input.policy;
  if (!policy.max_runs) return capped;
  auto remaining =
      static_cast<std::size_t>(std::max<std::int64_t>(0, *policy.max_runs - input.runs));
  while (fire.size() > remaining) {
    capped.add(fire.back());
    fire.pop_back();
  }
  return capped;
}

// The occurrences to queue, each with its jitter and the occurrence before it: the first
// follows the last dropped one if that came before it, else the trigger's last occurrence.
std::vector<Occurrence> occurrences(const std::vector<Epoch>& fire, const Miss& dropped,
                                    const FiringInput& input) {
  std::optional<Epoch> previous = dropped.count > 0 && (fire.empty() || dropped.last < fire.front())
                                      ? std::optional<Epoch>(dropped.last)
                                      : input.last_event;
  std::vector<Occurrence> queue;
  queue.reserve(fire.size());
  for (Epoch epoch : fire) {
    queue.push_back({epoch,
                     epoch + jitter_offset(input.trigger_id, epoch, input.policy->jitter_seconds),
                     previous});
    previous = epoch;
  }
  return queue;
}

void add_miss(std::vector<Miss>& misses, Miss miss, MissReason reason) {
  miss.reason = reason;
  if (miss.count > 0) misses.push_back(miss);
}

}  // namespace

void Miss::add(Epoch epoch) {
  if (count++ == 0) first = epoch;
  first = std::min(first, epoch);
  last = std::max(last, epoch);
}

Finish finished_because(ClockKind kind, const Policy& policy, std::int64_t runs,
                        std::optional<Epoch> next) {
  if (policy.max_runs && runs >= *policy.max_runs) return Finish::kMaxRuns;
  // A boot clock's next time is given at the next boot: none until then is no end.
  if (!next) {
    bool waits = kind == ClockKind::kNever || kind == ClockKind::kBoot;
    return waits ? Finish::kNotFinished : Finish::kNoMoreTimes;
  }
  if (policy.until_epoch && *next > *policy.until_epoch) return Finish::kPastUntil;
  return Finish::kNotFinished;
}

std::optional<Epoch> next_after_edit(std::optional<Epoch> pending, std::optional<Epoch> last_event,
                                     Epoch updated, std::optional<Epoch> computed, Epoch now) {
  bool owed =
      pending && *pending <= std::min(now, updated) && (!last_event || *pending > *last_event);
  if (owed && (!computed || *pending < *computed)) return pending;
  return computed;
}

Result<FiringPlan> plan_firing(const FiringInput& input) {
  const Policy& policy = *input.policy;
  auto walked = walk_due(input);
  if (!walked) return walked.error();
  Walk& walk = *walked;
  Miss capped = cap_runs(walk.fire, input);
  // A firing that continues a catch-up was due together with the run queued last.
  bool catching_up = input.run_open && !walk.fire.empty() && input.newest_queued &&
                     walk.fire.front() <= *input.newest_queued;
  Miss overlap{MissReason::kOverlap};
  if (policy.overlap == Overlap::kSkip && input.run_open && !catching_up) {
    for (Epoch epoch : walk.fire) overlap.add(epoch);
    walk.fire.clear();
  }
  FiringPlan plan;
  // Catch-up occurrences fired together always queue behind each other, in order.
  plan.serial = policy.overlap != Overlap::kAllow || walk.fire.size() > 1 || catching_up;
  plan.queue = occurrences(walk.fire, walk.dropped, input);
  if (policy.misfire == Misfire::kLatest)
    add_miss(plan.misses, walk.dropped, MissReason::kCoalesced);
  if (policy.misfire == Misfire::kSkip) add_miss(plan.misses, walk.dropped, MissReason::kLate);
  add_miss(plan.misses, overlap, MissReason::kOverlap);
  add_miss(plan.misses, capped, MissReason::kMaxRuns);
  plan.last_handled = walk.last_handled;
  plan.next = walk.after;
  plan.finish =
      finished_because(input.clock->kind(), policy,
                       input.runs + static_cast<std::int64_t>(plan.queue.size()), plan.next);
  return plan;
}

void cut_plan(FiringPlan& plan, std::size_t kept, const FiringInput& input) {
  plan.next = plan.queue[kept].scheduled;
  plan.last_handled = plan.queue[kept - 1].scheduled;
  plan.queue.resize(kept);
  plan.misses.erase(
      std::remove_if(plan.misses.begin(), plan.misses.end(),
                     [](const Miss& miss) { return miss.reason == MissReason::kMaxRuns; }),
      plan.misses.end());
  plan.finish = finished_because(input.clock->kind(), *input.policy,
                                 input.runs + static_cast<std::int64_t>(kept), plan.next);
}

}  // namespace trigger
