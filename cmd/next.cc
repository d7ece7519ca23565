// trigger next: the next fire times of a clock, or of an existing trigger.
#include "commands.h"
#include "options.h"
#include "output.h"
#include "trigger/catalog.h"
#include "trigger/pass.h"

namespace trigger::cmd {
namespace {

constexpr int kDefaultCount = 5;
constexpr int kMaxCount = 100000;

Result<std::size_t> count_from(const Context& ctx) {
  auto text = ctx.get("count");
  if (!text) return static_cast<std::size_t>(kDefaultCount);
  auto count = parse_whole_number("count", *text, 1, kMaxCount);
  if (!count) return count.error();
  return static_cast<std::size_t>(*count);
}

// Why each time is where it is (--explain): what the clock says moved it, and the trigger's
// jitter when it is known (an existing trigger: jitter depends on its id).
std::vector<std::string> explanations(const Clock& clock, const std::vector<Epoch>& times,
                                      const Trigger* trigger) {
  std::vector<std::string> reasons;
  for (Epoch epoch : times) {
    std::string reason = clock.explain(epoch);
    if (trigger != nullptr && trigger->policy.jitter_seconds > 0) {
      auto offset = jitter_offset(trigger->id, epoch, trigger->policy.jitter_seconds);
      reason += (reason.empty() ? "" : "; ") + std::string("jitter: runs ") +
                (offset > 0 ? format_duration(offset) : std::string("0s")) + " later, at " +
                time_text(epoch + offset, trigger->tz);
    }
    reasons.push_back(reason);
  }
  return reasons;
}

// The times as JSON objects and as lines (with --explain, each with its reason).
Document times_document(const std::vector<Epoch>& times, const std::string& tz,
                        const std::vector<std::string>& reasons, bool explain) {
  Document document;
  document.data = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < times.size(); ++i) {
    nlohmann::ordered_json entry = {{"epoch", times[i]}, {"time", time_text(times[i], tz)}};
    if (explain) entry["explain"] = reasons[i];
    document.data.push_back(entry);
    std::vector<Cell> cells = {Cell::time(times[i], tz)};
    if (explain) cells.push_back(reasons[i]);
    document.line(std::move(cells));
  }
  return document;
}

// A boot clock's times after this boot are not known ahead: a note says so (trigger-next(1)).
void note_boot_clock(Context& ctx, const std::string& clock_text) {
  const ClockKindInfo* kind = clock_kind_of_text(clock_text);
  if (kind == nullptr || kind->kind != ClockKind::kBoot) return;
  ctx.output.note("fires once at each boot of the machine (" + clock_text +
                  "): a later boot's time is not known ahead");
}

// The times of an existing trigger, in its own zone and policy.
Result<int> next_of_trigger(Context& ctx, std::size_t count) {
  if (auto opened = open_store(ctx, Store::Mode::kReadOnly); !opened) return opened.error();
  auto trigger = load_trigger(*ctx.store, ctx.positional[0]);
  if (!trigger) return trigger.error();
  auto times = trigger_fire_times(*trigger, count);
  if (!times) return times.error();
  std::vector<std::string> reasons(times->size());
  if (ctx.flag("explain")) {
    auto clock = trigger_clock(*trigger);
    if (!clock) return clock.error();
    reasons = explanations(**clock, *times, &*trigger);
  }
  ctx.output = times_document(*times, trigger->tz, reasons, ctx.flag("explain"));
  note_boot_clock(ctx, trigger->clock);
  return 0;
}

}  // namespace

void options_next(Options& options) {
  add_clock_options(options);
  add_policy_options(options);
  options.named.add_options()("count", po::value<std::string>()->value_name("N"),
                              "how many times to print (default 5)")(
      "explain", "say why each time is where it is (DST, month ends, jitter)");
}

namespace {

Result<int> next_times(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 1, ""); !status) return status.error();
  auto count = count_from(ctx);
  if (!count) return count.error();
  if (ctx.positional.size() == 1) {
    if (clock_given(ctx)) return usage_error("give either a clock or ID|NAME, not both");
    if (ctx.get("tz") || !policy_from(ctx).empty()) {
      return usage_error(
          "--tz and policy options apply to a clock, not to ID|NAME (it has its own)");
    }
    return next_of_trigger(ctx, *count);
  }
  // Preview the clock exactly as `create` would make it at --now: same validation, same zone.
  TriggerSpec spec;
  auto clock = clock_from(ctx);
  if (!clock) return clock.error();
  spec.clock = *clock;
  spec.tz = ctx.get("tz");
  spec.policy = policy_from(ctx);
  auto preview_action = make_action(ActionKind::kLog, {"preview"});
  spec.action = *preview_action;
  auto trigger = build_trigger(spec, ctx.now);
  if (!trigger) return trigger.error();
  auto made = trigger_clock(*trigger);
  if (!made) return made.error();
  auto times = upcoming_fire_times(**made, ctx.now, *count, trigger->policy);
  std::vector<std::string> reasons = explanations(**made, times, nullptr);
  ctx.output = times_document(times, trigger->tz, reasons, ctx.flag("explain"));
  note_boot_clock(ctx, trigger->clock);
  return 0;
}

}  // namespace

// It opens the database itself, and only for ID|NAME, once the options are valid.
Result<Step> cmd_next(Context&) { return Step(next_times); }

}  // namespace trigger::cmd
