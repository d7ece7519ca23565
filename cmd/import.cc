// trigger import: create or update triggers from JSON Lines (the output of trigger export).
// The whole file is read and validated before anything is written; then one transaction.
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "common.h"
#include "import.h"

namespace trigger::cmd {
namespace {

struct Incoming {
  std::size_t line_number;
  Trigger trigger;
  bool has_state;  ///< the line gave a state; without one an update keeps the trigger's
};

// Read and validate every line; nothing is written here.
Result<std::vector<Incoming>> read_file(std::istream& in, Epoch now) {
  std::vector<Incoming> incoming;
  std::set<std::string> names;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const Error& error) {
      return data_error("line " + std::to_string(line_number) + ": " + error.message());
    };
    auto parsed = parse_import_line(line);
    if (!parsed) return fail(parsed.error());
    auto trigger = build_trigger(parsed->spec, now);
    if (!trigger) return fail(trigger.error());
    if (trigger->name && !names.insert(*trigger->name).second) {
      return fail(data_error("name '" + *trigger->name + "' appears twice in the file"));
    }
    incoming.push_back({line_number, std::move(*trigger), parsed->has_state});
  }
  if (in.bad()) return Error(ErrorKind::kIO, "read error");
  return incoming;
}

}  // namespace

void options_import(Options&) {}

Result<int> cmd_import(Context& ctx) {
  if (auto status = expect_operands(ctx, 1, 1, "FILE|-"); !status) return status.error();
  const std::string& path = ctx.positional[0];
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file)
      return Error(ErrorKind::kNotFound, "cannot open '" + path + "': " + std::strerror(errno));
    // An ifstream opens a directory and then fails at the first read: say why instead.
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
      return Error(ErrorKind::kNotFound, "cannot open '" + path + "': it is a directory");
    }
  }
  std::istream& in = path == "-" ? std::cin : file;
  auto incoming = read_file(in, ctx.now);
  if (!incoming) {
    return Error(incoming.error().kind(), (path == "-" ? "standard input" : "'" + path + "'") +
                                              ", " + incoming.error().message());
  }
  std::size_t created = 0;
  std::size_t updated = 0;
  auto status = ctx.store->transaction([&]() -> Status {
    for (auto& [line_number, trigger, has_state] : *incoming) {
      // Most lines of a large import are new triggers: a name is looked up by index first, and
      // the whole trigger read only when it exists.
      auto id = trigger.name ? ctx.store->id_of(*trigger.name)
                             : Result<std::optional<std::int64_t>>(std::nullopt);
      if (!id) return id.error();
      auto existing = *id ? ctx.store->find_trigger(std::to_string(**id))
                          : Result<Trigger>(Error(ErrorKind::kNotFound, ""));
      Status written = Ok{};
      if (existing) {
        trigger.id = existing->id;
        trigger.created_epoch = existing->created_epoch;
        if (!has_state) trigger.state = existing->state;
        // An edit that leaves the clock alone leaves the next time alone.
        if (existing->clock == trigger.clock && existing->tz == trigger.tz) {
          trigger.clock_set_epoch = existing->clock_set_epoch;
        }
        written = ctx.store->update_trigger(trigger);
        if (written) {
          auto after = ctx.store->find_trigger(std::to_string(trigger.id));
          written = after ? record_edit(ctx, &*existing, *after, "updated by import")
                          : Status(after.error());
        }
        ++updated;
      } else if (existing.error().kind() == ErrorKind::kNotFound) {
        auto inserted = ctx.store->insert_trigger(trigger);
        written = inserted ? Status(Ok{}) : Status(inserted.error());
        if (written) {
          trigger.id = *inserted;  // as stored: a new trigger is exactly its definition
          written = record_edit(ctx, nullptr, trigger, "created by import");
        }
        ++created;
      } else {
        written = existing.error();
      }
      if (!written) {
        ErrorKind kind = written.error().kind();
        // A database error (read-only, full, damaged, busy) is not the line's fault.
        if (kind != ErrorKind::kData && kind != ErrorKind::kUsage) return written;
        return Error(kind,
                     "line " + std::to_string(line_number) + ": " + written.error().message());
      }
    }
    return Ok{};
  });
  if (!status) return status.error();
  if (ctx.verbose) {
    std::size_t total = created + updated;
    std::cerr << "trigger: imported " << total << (total == 1 ? " trigger (" : " triggers (")
              << created << " created, " << updated << " updated)\n";
  }
  return 0;
}

}  // namespace trigger::cmd
