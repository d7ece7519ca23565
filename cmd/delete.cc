// trigger delete: remove triggers for good, in any state.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <vector>

#include "commands.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
namespace {

// Who deletes: "alice (uid 1000)", with "SUDO_USER bob" when run through sudo.
std::string invoking_user() {
  uid_t uid = getuid();
  std::string name = "uid " + std::to_string(uid);
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr)
    name = std::string(found->pw_name) + " (uid " + std::to_string(uid);
  else
    name = "(" + name;
  const char* sudo_user = std::getenv("SUDO_USER");
  if (sudo_user != nullptr && sudo_user[0] != '\0') name += ", SUDO_USER " + std::string(sudo_user);
  return name + ")";
}

// Delete the triggers the operands name, all or none, and say which went.
Result<int> delete_named(Context& ctx) {
  auto deleted = delete_triggers(*ctx.store, ctx.positional, ctx.flag("keep-history"),
                                 invoking_user(), ctx.now);
  if (!deleted) return deleted.error();
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const auto& one : *deleted) {
    const Trigger& trigger = one.trigger;
    ctx.done += (ctx.done.empty() ? "deleted " : ", ") + describe(trigger);
    data.push_back({{"id", trigger.id},
                    {"name", trigger.name ? nlohmann::ordered_json(*trigger.name) : nullptr},
                    {"runs_cancelled", one.removed.runs_cancelled},
                    {"history_deleted", one.removed.history_deleted}});
    if (ctx.verbose) {
      std::cerr << "trigger: deleted " << trigger.id
                << (trigger.name ? " '" + *trigger.name + "'" : "") << "\n";
    }
  }
  ctx.output.data = std::move(data);  // the table prints nothing
  return 0;
}


}  // namespace

void options_delete(Options& options) {
  options.named.add_options()("keep-history",
                              "keep the triggers' history, ending with a record of the deletion");
}

Result<Step> cmd_delete(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, SIZE_MAX, "ID|NAME"); !status) return status.error();
  return Step(delete_named);
}

}  // namespace trigger::cmd
