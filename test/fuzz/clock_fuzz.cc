// libFuzzer target: clock text as stored and imported (parse_clock_text), the clock built from
// it (make_clock), a trigger built on it, and its next fire times. Input
// "CLOCK-TEXT[\nZONE[\nDST-RULE]]", the zone Europe/Berlin and the rule auto unless given.
#include "fuzz.h"
#include "trigger/clock.h"
#include "trigger/trigger.h"

using trigger::Epoch;
using trigger::fuzz::kNow;
using trigger::fuzz::require;

namespace {

constexpr std::size_t kFireTimes = 6;

// The first `kFireTimes` fire times after kNow, each checked to be found again from just
// before it.
std::vector<Epoch> fire_times(const trigger::Clock& clock) {
  std::vector<Epoch> times;
  Epoch after = kNow;
  while (times.size() < kFireTimes) {
    auto next = trigger::next_event(clock, after, kNow, true);
    require(next.ok(), "next_event moves forward", clock.text());
    if (!*next) break;
    require(**next > after, "fire times strictly increase", clock.text());
    require(clock.first_after(**next - 1) == **next, "a fire time is found from just before it",
            clock.text());
    (void)clock.explain(**next);
    times.push_back(**next);
    after = **next;
  }
  return times;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto lines = trigger::fuzz::input_lines(data, size, 3);
  auto spec = trigger::parse_clock_text(lines[0]);
  if (!spec) return 0;
  auto zone = trigger::Zone::locate(lines.size() > 1 ? lines[1] : "Europe/Berlin");
  if (!zone) return 0;
  if (lines.size() > 2) {
    trigger::Policy policy;
    if (!trigger::set_policy_option(policy, "dst", lines[2], kNow, *zone)) return 0;
    spec->dst = policy.dst;
  }
  auto clock = trigger::make_clock(*spec, kNow, *zone);
  if (!clock) {
    require(!clock.error().message().empty(), "a refusal says why", lines[0]);
    return 0;
  }
  require(!(*clock)->describe().empty(), "a clock describes itself", lines[0]);
  auto times = fire_times(**clock);

  // The canonical text reads back to the same clock: same text, same fire times.
  std::string text = (*clock)->text();
  auto spec_again = trigger::parse_clock_text(text);
  require(spec_again.ok(), "canonical clock text is a clock", text);
  spec_again->dst = spec->dst;
  auto again = trigger::make_clock(*spec_again, kNow, *zone);
  require(again.ok(), "canonical clock text builds", text);
  require((*again)->text() == text, "canonical clock text is stable", text);
  require(fire_times(**again) == times, "canonical clock text keeps the fire times", text);

  // A trigger on the clock fires at the clock's times (policy dst as given, no --until).
  trigger::TriggerSpec trigger_spec;
  trigger_spec.clock = *spec;
  trigger_spec.tz = zone->name();
  trigger_spec.action.argv = {"fuzz"};
  if (lines.size() > 2) trigger_spec.policy.emplace_back("dst", lines[2]);
  auto built = trigger::build_trigger(trigger_spec, kNow);
  // --never and the boot clock have no instants to list, and are triggers all the same.
  auto kind = (*clock)->kind();
  require(built.ok() == !times.empty() || kind == trigger::ClockKind::kNever ||
              kind == trigger::ClockKind::kBoot,
          "a trigger is refused exactly when its clock never fires", text);
  if (built) {
    require(built->clock == text, "the trigger stores the canonical text", text);
    auto trigger_times = trigger::trigger_fire_times(*built, kFireTimes);
    require(trigger_times.ok() && *trigger_times == times,
            "the trigger fires at the clock's times", text);
  }
  return 0;
}
