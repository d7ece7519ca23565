// trigger import: create or update triggers from JSON Lines (the output of trigger export).
// The whole file is read and validated before anything is written; then one transaction.
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include <fstream>
#include <iostream>

#include "commands.h"
#include "common.h"
#include "trigger/catalog.h"

namespace trigger::cmd {

void options_import(Options&) {}

namespace {

// Write the triggers read (the file was read and validated before the database was opened).
Result<int> import(Context& ctx, const std::vector<ImportEntry>& entries) {
  auto counts = import_triggers(*ctx.store, entries, ctx.now);
  if (!counts) return counts.error();
  std::size_t created = counts->created;
  std::size_t updated = counts->updated;
  if (ctx.verbose) {
    std::size_t total = created + updated;
    std::cerr << "trigger: imported " << total << (total == 1 ? " trigger (" : " triggers (")
              << created << " created, " << updated << " updated)\n";
  }
  return 0;
}

}  // namespace

Result<Step> cmd_import(Context& ctx) {
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
  auto incoming = read_import(in, ctx.now);
  if (!incoming) {
    return Error(incoming.error().kind(), (path == "-" ? "standard input" : "'" + path + "'") +
                                              ", " + incoming.error().message());
  }
  for (const auto& entry : *incoming) {
    if (auto allowed = check_user_database(ctx, entry.trigger.policy.user); !allowed) {
      return Error(allowed.error().kind(), (path == "-" ? "standard input" : "'" + path + "'") +
                                               ", line " + std::to_string(entry.line_number) +
                                               ": " + allowed.error().message());
    }
  }
  return Step([entries = std::move(*incoming)](Context& ctx) { return import(ctx, entries); });
}

}  // namespace trigger::cmd
