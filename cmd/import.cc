// trigger import: create or update triggers from JSON Lines (the output of trigger export),
// or from a crontab converted to them (--crontab, trigger-cron(7)). The whole file is read and
// validated before anything is written; then one transaction.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "trigger/catalog.h"
#include "trigger/clock.h"
#include "trigger/crontab.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

void options_import(Options& options) {
  options.named.add_options()("crontab", "read a crontab(5) file and convert it (trigger-cron(7))")(
      "system", "with --crontab: the /etc/crontab and /etc/cron.d format, with a user field")(
      "dry-run", "with --crontab: print the JSON Lines it would import and write nothing");
}

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

// Open `path` for reading into `file`: kNotFound naming it when it cannot be opened or is a
// directory (an ifstream opens a directory and then fails at the first read: say why instead).
Status open_input(const std::string& path, std::ifstream& file) {
  file.open(path);
  if (!file)
    return Error(ErrorKind::kNotFound, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    return Error(ErrorKind::kNotFound, "cannot open '" + path + "': it is a directory");
  }
  return Ok{};
}

// What the user's crontab says: FILE, standard input for "-", else `crontab -l` (or
// /etc/crontab with --system). `where` names it for messages.
Result<std::string> read_crontab_text(const Context& ctx, std::string& where) {
  std::string path = ctx.positional.empty() ? "" : ctx.positional[0];
  if (path.empty() && ctx.flag("system")) path = "/etc/crontab";
  std::ostringstream text;
  if (path == "-") {
    where = "standard input";
    text << std::cin.rdbuf();
    if (std::cin.bad()) return Error(ErrorKind::kIO, "standard input: read error");
    return text.str();
  }
  if (path.empty()) {
    where = "'crontab -l'";
    FILE* pipe = ::popen("crontab -l 2>/dev/null", "r");
    if (pipe == nullptr) return Error(ErrorKind::kIO, "cannot run 'crontab -l'");
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) text.write(buffer, got);
    if (::pclose(pipe) != 0) {
      return Error(ErrorKind::kNotFound,
                   "'crontab -l' failed: no crontab of yours to read (give FILE)");
    }
    return text.str();
  }
  where = "'" + path + "'";
  std::ifstream file;
  if (auto opened = open_input(path, file); !opened) return opened.error();
  text << file.rdbuf();
  if (file.bad()) return Error(ErrorKind::kIO, where + ": read error");
  return text.str();
}

// The facts of this machine the conversion needs (trigger/crontab.h).
Result<CrontabOptions> crontab_options(const Context& ctx) {
  CrontabOptions options;
  options.system = ctx.flag("system");
  const passwd* me = ::getpwuid(::geteuid());
  options.importing_user = me != nullptr ? me->pw_name : std::to_string(::geteuid());
  options.home_of = [](const std::string& user) -> std::optional<std::string> {
    const passwd* entry = ::getpwnam(user.c_str());
    if (entry == nullptr) return std::nullopt;
    return std::string(entry->pw_dir);
  };
  for (const char* mailer : {"/usr/bin/mail", "/usr/sbin/sendmail"}) {
    if (options.mailer.empty() && ::access(mailer, X_OK) == 0) options.mailer = mailer;
  }
  auto zone = Zone::system_default();
  if (!zone) return zone.error();
  options.default_zone = *zone;
  for (const auto& kind : clock_kinds()) {
    options.has_boot_clock = options.has_boot_clock || std::string(kind.name) == "on-boot";
  }
  for (auto name : policy_option_names()) {
    options.has_user_option = options.has_user_option || name == "user";
  }
  options.now = ctx.now;
  return options;
}

// The crontab converted and checked as an import file, its warnings said on stderr.
Result<std::vector<ImportEntry>> read_crontab(Context& ctx, std::vector<std::string>& json) {
  std::string where;
  auto text = read_crontab_text(ctx, where);
  if (!text) return text.error();
  auto options = crontab_options(ctx);
  if (!options) return options.error();
  auto converted = convert_crontab(*text, *options);
  if (!converted)
    return Error(converted.error().kind(), where + ", " + converted.error().message());
  if (!ctx.quiet) {
    for (const auto& warning : converted->warnings)
      std::cerr << "trigger: " << where << ", " << warning << "\n";
  }
  std::vector<NumberedLine> lines;
  for (const auto& record : converted->records) {
    lines.push_back({record.line_number, record.json});
    json.push_back(record.json);
  }
  auto entries = read_import_lines(lines, ctx.now);
  if (!entries) return Error(entries.error().kind(), where + ", " + entries.error().message());
  return entries;
}

Result<Step> cmd_import_crontab(Context& ctx) {
  if (auto status = expect_operands(ctx, 0, 1, "FILE|-"); !status) return status.error();
  std::vector<std::string> json;
  auto entries = read_crontab(ctx, json);
  if (!entries) return entries.error();
  if (ctx.flag("dry-run")) {
    ctx.needs_store = false;
    return Step([json = std::move(json)](Context& ctx) -> Result<int> {
      for (const auto& line : json) ctx.output.line({line});
      return 0;
    });
  }
  return Step([entries = std::move(*entries)](Context& ctx) { return import(ctx, entries); });
}

}  // namespace

Result<Step> cmd_import(Context& ctx) {
  if (ctx.flag("crontab")) return cmd_import_crontab(ctx);
  for (const char* option : {"system", "dry-run"}) {
    if (ctx.flag(option)) return usage_error(std::string("--") + option + " needs --crontab");
  }
  if (auto status = expect_operands(ctx, 1, 1, "FILE|-"); !status) return status.error();
  const std::string& path = ctx.positional[0];
  std::ifstream file;
  if (path != "-") {
    if (auto opened = open_input(path, file); !opened) return opened.error();
  }
  std::istream& in = path == "-" ? std::cin : file;
  auto incoming = read_import(in, ctx.now);
  if (!incoming) {
    return Error(incoming.error().kind(), (path == "-" ? "standard input" : "'" + path + "'") +
                                              ", " + incoming.error().message());
  }
  return Step([entries = std::move(*incoming)](Context& ctx) { return import(ctx, entries); });
}

}  // namespace trigger::cmd
