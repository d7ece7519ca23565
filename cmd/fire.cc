// trigger fire: queue one manual run now, outside the schedule (which is left unchanged).
#include <iostream>

#include "commands.h"
#include "common.h"

namespace trigger::cmd {

void options_fire(Options&) {}

Result<int> cmd_fire(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "ID|NAME"); !status) return status.error();
  std::string id;
  std::string fired;
  auto status = ctx.store->transaction([&]() -> Status {
    auto trigger = ctx.store->find_trigger(ctx.positional[0]);
    if (!trigger) return trigger.error();
    if (trigger->state == State::kCancelled || trigger->state == State::kDone) {
      return data_error("trigger '" + trigger->name.value_or(std::to_string(trigger->id)) +
                        "' is " + std::string(to_string(trigger->state)) + "; it cannot be fired");
    }
    Task task;
    task.trigger_id = trigger->id;
    task.scheduled_epoch = ctx.now;
    task.manual = true;
    task.serial = trigger->policy.overlap != Overlap::kAllow;
    task.last_epoch = trigger->last_event_epoch;
    task.due_epoch = ctx.now;
    task.created_epoch = ctx.now;
    id = event_id(trigger->id, ctx.now, true);
    fired = label_of(*trigger);
    // One manual run a second: its event id must stay unique in the history too.
    HistoryFilter done;
    done.trigger_id = trigger->id;
    done.event_id = id;
    done.limit = 1;
    auto earlier = ctx.store->history(done);
    if (!earlier) return earlier.error();
    auto inserted = ctx.store->insert_task(task);
    if (!inserted) return inserted.error();
    if (!*inserted || !earlier->empty()) {
      return data_error("a manual run of '" + ctx.positional[0] +
                        "' was already queued this second");
    }
    return Ok{};
  });
  if (!status) return status.error();
  ctx.done = "fired " + fired + " (event " + id + ")";
  if (ctx.format == Format::kJson) {
    std::cout << "{\"event_id\": \"" << id << "\"}\n";
  } else {
    std::cout << id << "\n";
  }
  return 0;
}

}  // namespace trigger::cmd
