// trigger import: create or update triggers from JSON Lines (the output of trigger export), or
// from a crontab converted to them (--crontab, trigger-cron(7)), and with --prune cancel or
// delete those of a scope that the file no longer names. The whole file is read and validated
// before the database is opened; then one transaction, or with --dry-run the same import
// rehearsed on a private copy and reported (--crontab --dry-run: the JSON Lines it would import).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "common.h"
#include "trigger/catalog.h"
#include "trigger/clock.h"
#include "trigger/crontab.h"
#include "trigger/identity.h"
#include "trigger/trigger.h"

namespace trigger::cmd {

void options_import(Options& options) {
  options.named.add_options()("crontab", "read a crontab(5) file and convert it (trigger-cron(7))")(
      "system", "with --crontab: the /etc/crontab and /etc/cron.d format, with a user field")(
      "prune", po::value<std::string>()->implicit_value("cancel")->value_name("cancel|delete"),
      "cancel (--prune=delete: delete) the triggers in scope that the file does not name")(
      "label", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "with --prune, the scope: triggers with this label (repeatable: all must match)")(
      "dry-run",
      "print what would be created, updated, left alone and pruned (with --crontab: the JSON "
      "Lines it would import); write nothing");
}

namespace {
/// What `trigger import` was asked, checked and read before any database is opened.
struct ImportRequest {
  std::string source;  ///< the file as messages name it: "'PATH'", or "standard input"
  std::vector<ImportEntry> entries;
  ImportPrune prune;
  bool dry_run = false;
};

// --prune and its scope (--label, only with --prune). kUsage naming the bad value.
// The options parser reads `--prune FILE` as FILE the value of --prune: a value that is no
// mode, with no operand after it, is taken back as the operand.
Result<ImportPrune> prune_from(Context& ctx) {
  ImportPrune prune;
  auto labels = ctx.get_all("label");
  auto mode = ctx.get("prune");
  if (!mode) {
    if (!labels.empty()) return usage_error("--label '" + labels[0] + "': only with --prune");
    return prune;
  }
  if (*mode == "cancel") {
    prune.mode = ImportPrune::Mode::kCancel;
  } else if (*mode == "delete") {
    prune.mode = ImportPrune::Mode::kDelete;
  } else if (ctx.positional.empty()) {
    prune.mode = ImportPrune::Mode::kCancel;
    ctx.positional.push_back(*mode);
  } else {
    return usage_error("--prune '" + *mode + "': expected cancel or delete");
  }
  for (const auto& label : labels) {
    auto parsed = parse_label(label);
    if (!parsed) return parsed.error();
    prune.labels.push_back(std::move(*parsed));
  }
  return prune;
}

std::string source_of(const std::string& path) {
  return path == "-" ? "standard input" : "'" + path + "'";
}

// An error about a line of the file ("line N: ..."), naming the file first.
Error in_source(const Error& error, const std::string& source) {
  if (error.message().rfind("line ", 0) != 0) return error;
  return Error(error.kind(), source + ", " + error.message());
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

// The lines of `path` ("-": standard input), read and validated at `now`.
Result<std::vector<ImportEntry>> read_entries(const std::string& path, Epoch now) {
  std::ifstream file;
  if (path != "-") {
    if (auto opened = open_input(path, file); !opened) return opened.error();
  }
  std::istream& in = path == "-" ? std::cin : file;
  auto entries = read_import(in, now);
  if (!entries)
    return Error(entries.error().kind(), source_of(path) + ", " + entries.error().message());
  return entries;
}

// The report as the command's document: JSON always; the table (a dry run only) one row per
// trigger. A dry run's new triggers have no id yet.
void report_document(Context& ctx, const ImportReport& report, bool dry_run) {
  nlohmann::ordered_json triggers = nlohmann::ordered_json::array();
  if (dry_run) ctx.output.set_columns({{"OUTCOME"}, {"ID"}, {"NAME"}, {"LINE"}, {"FIELDS"}});
  for (const auto& change : report.changes) {
    bool has_id = !(dry_run && change.outcome == ImportOutcome::kCreated);
    std::string fields;
    for (const auto& field : change.fields) fields += (fields.empty() ? "" : ",") + field;
    triggers.push_back(
        {{"outcome", to_string(change.outcome)},
         {"id", has_id ? nlohmann::ordered_json(change.id) : nullptr},
         {"name", change.name ? nlohmann::ordered_json(*change.name) : nullptr},
         {"line", change.line_number > 0 ? nlohmann::ordered_json(change.line_number) : nullptr},
         {"fields", change.fields}});
    if (dry_run) {
      ctx.output.row({std::string(to_string(change.outcome)), has_id ? Cell(change.id) : Cell(),
                      Cell::maybe(change.name),
                      change.line_number > 0 ? Cell(change.line_number) : Cell(), fields});
    }
  }
  ctx.output.data = {{"dry_run", dry_run},        {"created", report.created},
                     {"updated", report.updated}, {"unchanged", report.unchanged},
                     {"pruned", report.pruned},   {"triggers", std::move(triggers)}};
  if (dry_run) ctx.output.note("dry run: nothing was written");
}

// The second step: open the database (a dry run: a private copy in memory, so that nothing is
// written and a missing file is not created), import, and report.
Result<int> import_step(Context& ctx, const ImportRequest& request) {
  std::error_code error;
  if (!request.dry_run && !std::filesystem::exists(database_path(ctx), error) && !error) {
    // A missing database holds no finished trigger: refuse before creating it.
    for (const auto& entry : request.entries) {
      if (!entry.unless_finished) continue;
      return data_error(request.source + ", line " + std::to_string(entry.line_number) + ": " +
                        *entry.unless_finished);
    }
  }
  auto mode = request.dry_run ? Store::Mode::kPrivateCopy : Store::Mode::kCreate;
  if (auto opened = open_store(ctx, mode); !opened) return opened.error();
  auto report = import_triggers(*ctx.store, request.entries, ctx.now, request.prune);
  if (!report) return in_source(report.error(), request.source);
  report_document(ctx, *report, request.dry_run);
  if (request.dry_run) return 0;
  std::size_t total = request.entries.size();
  ctx.done = "imported " + std::to_string(total) + (total == 1 ? " trigger (" : " triggers (") +
             std::to_string(report->created) + " created, " + std::to_string(report->updated) +
             " updated, " + std::to_string(report->unchanged) + " unchanged)";
  if (request.prune.mode != ImportPrune::Mode::kNone)
    ctx.done += ", " + std::to_string(report->pruned) + " pruned";
  if (ctx.verbose) std::cerr << "trigger: " << ctx.done << "\n";
  return 0;
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
  Identity me = current_identity();
  options.importing_user = !me.user.empty() ? me.user : std::to_string(me.uid);
  options.home_of = [](const std::string& user) { return home_of_user(user); };
  for (const char* mailer : {"/usr/bin/mail", "/usr/sbin/sendmail"}) {
    if (options.mailer.empty() && ::access(mailer, X_OK) == 0) options.mailer = mailer;
  }
  auto zone = Zone::system_default();
  if (!zone) return zone.error();
  options.default_zone = *zone;
  options.now = ctx.now;
  return options;
}

// The crontab converted and checked as an import file, its warnings said on stderr.
Result<std::vector<ImportEntry>> read_crontab(Context& ctx, std::vector<std::string>& json,
                                              std::string& where) {
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

// Whether the lines that run as another user (--user) may be imported into this database, by
// this user, before it is opened. kUnsafe (exit 77) naming the line.
Status check_users(const Context& ctx, const ImportRequest& request) {
  for (const auto& entry : request.entries) {
    if (auto allowed = check_user_database(ctx, entry.trigger.policy.user); !allowed) {
      return Error(allowed.error().kind(), request.source + ", line " +
                                               std::to_string(entry.line_number) + ": " +
                                               allowed.error().message());
    }
  }
  return Ok{};
}

// import --crontab: the crontab converted, then imported as a file of those lines would be
// (--prune too); --dry-run prints the lines and opens no database, but with --prune it reports
// what the import would do, as for a file (the lines alone cannot say what would be pruned).
Result<Step> cmd_import_crontab(Context& ctx, ImportRequest request) {
  if (auto status = expect_operands(ctx, 0, 1, "FILE|-"); !status) return status.error();
  std::vector<std::string> json;
  auto entries = read_crontab(ctx, json, request.source);
  if (!entries) return entries.error();
  if (request.dry_run && request.prune.mode == ImportPrune::Mode::kNone) {
    return Step([json = std::move(json)](Context& ctx) -> Result<int> {
      for (const auto& line : json) ctx.output.line({line});
      return 0;
    });
  }
  request.entries = std::move(*entries);
  if (auto allowed = check_users(ctx, request); !allowed) return allowed.error();
  return Step([request = std::move(request)](Context& ctx) { return import_step(ctx, request); });
}

}  // namespace

Result<Step> cmd_import(Context& ctx) {
  ImportRequest request;
  auto prune = prune_from(ctx);
  if (!prune) return prune.error();
  request.prune = std::move(*prune);
  request.dry_run = ctx.flag("dry-run");
  if (ctx.flag("crontab")) return cmd_import_crontab(ctx, std::move(request));
  if (ctx.flag("system")) return usage_error("--system needs --crontab");
  if (auto status = expect_operands(ctx, 1, 1, "FILE|-"); !status) return status.error();
  request.source = source_of(ctx.positional[0]);
  auto entries = read_entries(ctx.positional[0], ctx.now);
  if (!entries) return entries.error();
  request.entries = std::move(*entries);
  if (auto allowed = check_users(ctx, request); !allowed) return allowed.error();
  return Step([request = std::move(request)](Context& ctx) { return import_step(ctx, request); });
}

}  // namespace trigger::cmd
