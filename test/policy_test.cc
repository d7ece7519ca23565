// The firing policy from a table, with no database: each row a clock, a policy, a state and
// now, and what one firing queues, misses and where it goes next.
#include "policy.h"

#include <catch2/catch.hpp>

#include "trigger/pass.h"

namespace {

using trigger::Epoch;
using trigger::Finish;
using trigger::Misfire;
using trigger::MissReason;
using trigger::Overlap;

constexpr Epoch kStart = 1796112000;  // 2026-12-01T08:00:00Z
constexpr Epoch kMinute = 60;

struct MissRow {
  MissReason reason;
  std::int64_t count;
  Epoch first;
  Epoch last;
};

struct Row {
  const char* name;
  Misfire misfire;
  Overlap overlap;
  std::int64_t grace;
  std::optional<std::int64_t> max_runs;
  std::optional<Epoch> until;
  std::int64_t runs;
  bool run_open;
  std::optional<Epoch> newest_queued;
  Epoch now;
  std::size_t max_catch_up;
  std::vector<Epoch> queued;
  std::vector<MissRow> misses;
  std::optional<Epoch> next;
  Finish finish;
};

// Every minute from kStart; the first due occurrence is kStart + 1 min.
const Row kRows[] = {
    {"all fires every missed minute", Misfire::kAll, Overlap::kSkip, 300, {}, {}, 0, false, {},
     kStart + 3 * kMinute, 100000,
     {kStart + kMinute, kStart + 2 * kMinute, kStart + 3 * kMinute}, {}, kStart + 4 * kMinute,
     Finish::kNotFinished},
    {"latest coalesces the older ones", Misfire::kLatest, Overlap::kSkip, 300, {}, {}, 0, false,
     {}, kStart + 3 * kMinute, 100000, {kStart + 3 * kMinute},
     {{MissReason::kCoalesced, 2, kStart + kMinute, kStart + 2 * kMinute}}, kStart + 4 * kMinute,
     Finish::kNotFinished},
    {"skip drops what is later than grace", Misfire::kSkip, Overlap::kSkip, 90, {}, {}, 0, false,
     {}, kStart + 3 * kMinute, 100000, {kStart + 2 * kMinute, kStart + 3 * kMinute},
     {{MissReason::kLate, 1, kStart + kMinute, kStart + kMinute}}, kStart + 4 * kMinute,
     Finish::kNotFinished},
    {"overlap skip while a run is open", Misfire::kLatest, Overlap::kSkip, 300, {}, {}, 0, true,
     kStart, kStart + kMinute, 100000, {},
     {{MissReason::kOverlap, 1, kStart + kMinute, kStart + kMinute}}, kStart + 2 * kMinute,
     Finish::kNotFinished},
    {"overlap queue while a run is open", Misfire::kLatest, Overlap::kQueue, 300, {}, {}, 0, true,
     kStart, kStart + kMinute, 100000, {kStart + kMinute}, {}, kStart + 2 * kMinute,
     Finish::kNotFinished},
    {"a catch-up continues behind its queued run whatever overlap says", Misfire::kAll,
     Overlap::kSkip, 300, {}, {}, 0, true, kStart + 2 * kMinute, kStart + 2 * kMinute, 100000,
     {kStart + kMinute, kStart + 2 * kMinute}, {}, kStart + 3 * kMinute, Finish::kNotFinished},
    {"max-runs skips what would pass it and finishes", Misfire::kAll, Overlap::kSkip, 300, 3, {},
     1, false, {}, kStart + 3 * kMinute, 100000, {kStart + kMinute, kStart + 2 * kMinute},
     {{MissReason::kMaxRuns, 1, kStart + 3 * kMinute, kStart + 3 * kMinute}},
     kStart + 4 * kMinute, Finish::kMaxRuns},
    {"until ends the walk and finishes", Misfire::kAll, Overlap::kSkip, 300, {},
     kStart + 2 * kMinute, 0, false, {}, kStart + 5 * kMinute, 100000,
     {kStart + kMinute, kStart + 2 * kMinute}, {}, kStart + 3 * kMinute, Finish::kPastUntil},
    {"max_catch_up cuts the walk; the next firing goes on", Misfire::kAll, Overlap::kSkip, 300,
     {}, {}, 0, false, {}, kStart + 5 * kMinute, 2, {kStart + kMinute, kStart + 2 * kMinute}, {},
     kStart + 3 * kMinute, Finish::kNotFinished},
    {"latest cut short fires nothing yet", Misfire::kLatest, Overlap::kSkip, 300, {}, {}, 0,
     false, {}, kStart + 5 * kMinute, 1, {},
     {{MissReason::kCoalesced, 1, kStart + kMinute, kStart + kMinute}}, kStart + 2 * kMinute,
     Finish::kNotFinished},
};

}  // namespace

TEST_CASE("the firing policy, from a table", "[policy]") {
  auto clock = trigger::make_clock({trigger::ClockKind::kEvery, "1m", "2026-12-01T08:00:00Z"},
                                   kStart, trigger::Zone::utc());
  REQUIRE(clock.ok());
  for (const Row& row : kRows) {
    INFO(row.name);
    trigger::Policy policy;
    policy.misfire = row.misfire;
    policy.overlap = row.overlap;
    policy.grace_seconds = row.grace;
    policy.max_runs = row.max_runs;
    policy.until_epoch = row.until;
    trigger::FiringInput input;
    input.trigger_id = 7;
    input.clock = clock->get();
    input.policy = &policy;
    input.clock_set_epoch = kStart;
    input.first_due = kStart + kMinute;
    input.last_event = kStart;
    input.runs = row.runs;
    input.run_open = row.run_open;
    input.newest_queued = row.newest_queued;
    input.now = row.now;
    input.max_catch_up = row.max_catch_up;
    auto plan = trigger::plan_firing(input);
    REQUIRE(plan.ok());
    std::vector<Epoch> queued;
    for (const auto& occurrence : plan->queue) {
      queued.push_back(occurrence.scheduled);
      CHECK(occurrence.due == occurrence.scheduled);  // no jitter
    }
    CHECK(queued == row.queued);
    REQUIRE(plan->misses.size() == row.misses.size());
    for (std::size_t i = 0; i < row.misses.size(); ++i) {
      CHECK(plan->misses[i].reason == row.misses[i].reason);
      CHECK(plan->misses[i].count == row.misses[i].count);
      CHECK(plan->misses[i].first == row.misses[i].first);
      CHECK(plan->misses[i].last == row.misses[i].last);
    }
    CHECK(plan->next == row.next);
    CHECK(plan->finish == row.finish);
  }
}

TEST_CASE("jitter moves when an occurrence runs, the same every time", "[policy]") {
  auto clock = trigger::make_clock({trigger::ClockKind::kEvery, "1h", "2026-12-01T08:00:00Z"},
                                   kStart, trigger::Zone::utc());
  REQUIRE(clock.ok());
  trigger::Policy policy;
  policy.jitter_seconds = 1200;
  trigger::FiringInput input;
  input.trigger_id = 7;
  input.clock = clock->get();
  input.policy = &policy;
  input.clock_set_epoch = kStart;
  input.first_due = kStart + 3600;
  input.now = kStart + 3600;
  auto plan = trigger::plan_firing(input);
  REQUIRE(plan.ok());
  REQUIRE(plan->queue.size() == 1);
  CHECK(plan->queue[0].due == kStart + 3600 + trigger::jitter_offset(7, kStart + 3600, 1200));
  CHECK(plan->queue[0].due < kStart + 3600 + 1200);
}

TEST_CASE("a never clock has no next time without being finished", "[policy]") {
  trigger::Policy policy;
  CHECK(trigger::finished_because(trigger::ClockKind::kNever, policy, 0, std::nullopt) ==
        Finish::kNotFinished);
  CHECK(trigger::finished_because(trigger::ClockKind::kAt, policy, 0, std::nullopt) ==
        Finish::kNoMoreTimes);
}
