// trigger: the dispatcher. One table says what each command needs; everything a command
// shares (global options, --now, the database, errors to exit statuses) happens here once.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "exit_codes.h"

namespace trigger::cmd {
namespace {

// clang-format off
const std::vector<Command> kCommands = {
  {"create", cmd_create, options_create, DbAccess::kCreate,
   "trigger create [--name NAME] CLOCK ACTION [POLICY] [--tz ZONE] [--paused] [--label KEY=VALUE ...]",
   "define a new trigger and print its id"},
  {"list", cmd_list, options_list, DbAccess::kReadOnly,
   "trigger list [--all] [--state STATE] [--label KEY=VALUE ...] [--name GLOB]"
   " [--utc | --local] [--wide]",
   "list triggers with their next and last times"},
  {"show", cmd_show, options_show, DbAccess::kReadOnly,
   "trigger show ID|NAME",
   "show everything about one trigger"},
  {"schedule", cmd_schedule, options_schedule, DbAccess::kReadWrite,
   "trigger schedule ID|NAME [CLOCK] [POLICY] [--tz ZONE]",
   "move a trigger: change its clock, zone or policy", kTable | kJson},
  {"update", cmd_update, options_update, DbAccess::kReadWrite,
   "trigger update ID|NAME [CLOCK] [ACTION] [POLICY] [--tz ZONE] [--env NAME=VALUE ...]"
   " [--unset-env NAME ...] [--cwd DIR] [--label KEY=VALUE ...] [--unlabel KEY ...]"
   " [--rename NEW]",
   "change anything create sets, in one command", kTable | kJson},
  {"cancel", cmd_cancel, options_cancel, DbAccess::kReadWrite,
   "trigger cancel ID|NAME ...",
   "stop triggers for good, keeping their history", kTable | kJson},
  {"delete", cmd_delete, options_delete, DbAccess::kReadWrite,
   "trigger delete [--keep-history] ID|NAME ...",
   "remove triggers for good, with their queued runs and history", kTable | kJson},
  {"pause", cmd_pause, options_pause, DbAccess::kReadWrite,
   "trigger pause ID|NAME ...",
   "stop triggers from firing until resumed", kTable | kJson},
  {"resume", cmd_resume, options_resume, DbAccess::kReadWrite,
   "trigger resume [--skip-missed] ID|NAME ...",
   "let paused triggers fire again", kTable | kJson},
  {"fire", cmd_fire, options_fire, DbAccess::kReadWrite,
   "trigger fire ID|NAME",
   "queue one manual run now"},
  {"next", cmd_next, options_next, DbAccess::kNone,  // opens the database only for ID|NAME
   "trigger next CLOCK [--tz ZONE] [--dst RULE] [--count N] [--explain]\n"
   "trigger next ID|NAME [--count N] [--explain]",
   "print the next fire times of a clock or a trigger"},
  {"run-once", cmd_run_once, options_run_once, DbAccess::kNone,  // opens it itself (--dry-run)
   "trigger run-once [--max-time DURATION] [--jobs N] [--linger] [--dry-run] [--no-syslog]",
   "one pass: schedule, fire and run what is due (from cron)", kTable | kJson},
  {"status", cmd_status, options_status, DbAccess::kReadOnly,
   "trigger status [--metrics-file PATH]",
   "the health of the queue (exit 1 when unhealthy)", kAnyFormat | kOpenMetrics},
  {"reset-failed", cmd_reset_failed, options_reset_failed, DbAccess::kReadWrite,
   "trigger reset-failed [ID|NAME ...]",
   "acknowledge failed runs: status is healthy again", kTable | kJson},
  {"history", cmd_history, options_history, DbAccess::kReadOnly,
   "trigger history [ID|NAME] [--event ID] [--failed] [--since TIME] [--limit N] [--output]",
   "outcomes and edits, newest first"},
  {"import", cmd_import, options_import, DbAccess::kNone,  // opens it itself (--dry-run)
   "trigger import [--crontab [--system]] [--prune[=delete]] [--label KEY=VALUE ...] [--dry-run] [FILE|-]",
   "create or update triggers from JSON Lines", kTable | kJson},
  {"export", cmd_export, options_export, DbAccess::kReadOnly,
   "trigger export [--state STATE] [--label KEY=VALUE ...] [--name GLOB]",
   "print triggers as JSON Lines", kJson},
  {"gc", cmd_gc, options_gc, DbAccess::kReadWrite,
   "trigger gc [--keep DURATION]",
   "prune old history"},
  {"help", cmd_help, options_help, DbAccess::kNone,
   "trigger help [COMMAND]",
   "show the manual page of a command", kTable},
};
// clang-format on

// Options every command accepts, before or after its name; --help names the `formats` (a
// command's) that --format accepts.
po::options_description global_options(unsigned formats = ~0u) {
  po::options_description global("global options");
  std::string format_help = "output as " + format_names(formats);
  global.add_options()("db", po::value<std::string>()->value_name("PATH"),
                       "the database (default: $TRIGGER_DB, else the per-user default)")(
      "now", po::value<std::string>()->value_name("TIME"),
      "take TIME as the current time (default: $TRIGGER_NOW, else the clock)")(
      "format", po::value<std::string>()->value_name("FORMAT"), format_help.c_str())(
      "quiet,q", "print nothing but results and errors")(
      "verbose,v", "say what is being done, on stderr")("help", "show this help")(
      "version", "show the version");
  return global;
}

// Global options that take a value, to step over while looking for the command name.
bool global_takes_value(const std::string& token) {
  return token == "--db" || token == "--now" || token == "--format";
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string general_usage() {
  std::ostringstream out;
  out << "usage: trigger [--db PATH] [--now TIME] [--format FORMAT] [-q] [-v] COMMAND [ARGS]\n\n"
      << "commands:\n";
  std::size_t width = 0;
  for (const auto& command : kCommands) width = std::max(width, std::string(command.name).size());
  for (const auto& command : kCommands) {
    out << "  " << command.name << std::string(width + 2 - std::string(command.name).size(), ' ')
        << command.summary << "\n";
  }
  out << "\n'trigger help COMMAND' shows a command's manual page; see also trigger(1).\n";
  return out.str();
}

namespace {

Error usage(const std::string& message) { return usage_error(message); }

Result<Format> parse_format(const std::string& text) {
  if (auto format = format_named(text)) return *format;
  return usage("--format '" + text + "': expected " + format_names());
}

// What a command prints without --format: a table, else the first format it has.
Format default_format(unsigned formats) {
  if ((formats & kTable) != 0) return Format::kTable;
  for (unsigned value = 0; formats >> value != 0; ++value) {
    if ((formats >> value & 1u) != 0) return static_cast<Format>(value);
  }
  return Format::kTable;
}

// How to open the database for `access`. A command that changes existing triggers finds none
// in a missing database: it reads it (as empty) rather than create it, so that it fails, or
// has nothing to do, without leaving a new file behind.
Store::Mode store_mode(DbAccess access, const std::string& path) {
  std::error_code error;
  switch (access) {
    case DbAccess::kReadWrite:
      if (!std::filesystem::exists(path, error) && !error) return Store::Mode::kReadOnly;
      return Store::Mode::kReadWrite;
    case DbAccess::kCreate:
      return Store::Mode::kCreate;
    case DbAccess::kNone:
    case DbAccess::kReadOnly:
      break;
  }
  return Store::Mode::kReadOnly;
}

// The instant --now (else TRIGGER_NOW) fixes, if either is given; kUsage naming it if invalid.
Result<std::optional<Epoch>> fixed_now(const Context& ctx) {
  std::optional<std::string> now_text = ctx.get("now");
  const char* now_env = std::getenv("TRIGGER_NOW");
  if (!now_text && now_env != nullptr && now_env[0] != '\0') now_text = now_env;
  if (!now_text) return std::optional<Epoch>();
  // The system zone (and with it the time zone database) is loaded only for a local time.
  const std::string& text = *now_text;
  std::size_t size = text.size();
  bool absolute =
      size > 0 &&
      (text.front() == '@' || text.back() == 'Z' || text.back() == 'z' ||
       (size > 6 && (text[size - 6] == '+' || text[size - 6] == '-') && text[size - 3] == ':'));
  auto zone = absolute ? Result<Zone>(Zone::utc()) : Zone::system_default();
  auto fixed = parse_time(text, Env::system().now(), zone ? *zone : Zone::utc());
  if (!fixed) {
    return usage(std::string(ctx.get("now") ? "--now" : "TRIGGER_NOW") + ": " +
                 fixed.error().message());
  }
  return std::optional<Epoch>(*fixed);
}

// The boot TRIGGER_BOOT gives, "ID,TIME" (for tests of the boot clock: the kernel's boot id
// and the boot's time, read as --now reads TIME), else nullopt; kUsage naming it if invalid.
Result<std::optional<BootInfo>> fixed_boot() {
  const char* text = std::getenv("TRIGGER_BOOT");
  if (text == nullptr || text[0] == '\0') return std::optional<BootInfo>();
  std::string value = text;
  auto comma = value.find(',');
  auto bad = [&](const std::string& why) { return usage("TRIGGER_BOOT '" + value + "': " + why); };
  if (comma == 0 || comma == std::string::npos) return bad("expected ID,TIME");
  auto epoch = parse_time(value.substr(comma + 1), Env::system().now(), Zone::utc());
  if (!epoch) return bad(epoch.error().message());
  return std::optional<BootInfo>(BootInfo{value.substr(0, comma), *epoch});
}

// Take the words after "--" (a program and its arguments) out of `tokens` into ctx.
void take_program(std::vector<std::string>& tokens, Context& ctx) {
  auto dashes = std::find(tokens.begin(), tokens.end(), "--");
  if (dashes == tokens.end()) return;
  ctx.has_program = true;
  ctx.program.assign(dashes + 1, tokens.end());
  tokens.erase(dashes, tokens.end());
}

// Find the command name among `tokens` (the first word that is no option or option value) and
// take it out; nullptr when there is none. kUsage, with a suggestion, for an unknown name.
Result<const Command*> take_command(std::vector<std::string>& tokens) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (global_takes_value(tokens[i])) {
      ++i;
      continue;
    }
    if (!tokens[i].empty() && tokens[i][0] == '-') continue;
    const Command* command = find_command(tokens[i]);
    if (command == nullptr) {
      return usage("'" + tokens[i] + "' is not a trigger command" + suggestion_note(tokens[i]));
    }
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i));
    return command;
  }
  return static_cast<const Command*>(nullptr);
}

// Parse the global options, the command's own and its operands into ctx.options.
Status parse_options(const std::vector<std::string>& tokens, const Command* command,
                     const Options& options, Context& ctx) {
  po::options_description operands;
  operands.add_options()("operand", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(global_options()).add(options.named).add(operands);
  try {
    auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(tokens)
                  .options(all)
                  .positional(options.positional)
                  .style(style)
                  .run(),
              ctx.options);
    po::notify(ctx.options);
  } catch (const po::error& e) {
    return usage(std::string(e.what()) +
                 (command ? " (see 'trigger " + std::string(command->name) + " --help')" : ""));
  }
  return Ok{};
}

// --version, --help and no command at all: what is answered without running a command.
std::optional<Result<int>> answer_without_command(const Context& ctx, const Command* command) {
  if (ctx.flag("version")) {
    std::cout << "trigger " << TRIGGER_VERSION << " (database schema " << Store::schema_version()
              << ")\n";
    return Result<int>(kExitOk);
  }
  if (command == nullptr) {
    if (ctx.flag("help")) {
      std::cout << general_usage();
      return Result<int>(kExitOk);
    }
    std::cerr << general_usage();
    return Result<int>(usage("no command given"));
  }
  if (ctx.flag("help")) {
    std::cout << command_help(*command);
    return Result<int>(kExitOk);
  }
  return std::nullopt;
}

// The global settings of ctx: operands, -q, -v, --format (one the command prints), and the
// time (--now or TRIGGER_NOW fix it).
Status settle_context(const Command& command, const Options& options, Context& ctx) {
  if (ctx.has_program && !options.takes_program) {
    return usage("'--' and a program are not accepted by '" + std::string(command.name) + "'");
  }
  ctx.positional = ctx.get_all("operand");
  ctx.quiet = ctx.flag("quiet");
  ctx.verbose = ctx.flag("verbose");
  ctx.format = default_format(command.formats);
  if (auto format = ctx.get("format")) {
    auto parsed = parse_format(*format);
    if (!parsed) return parsed.error();
    if ((command.formats & format_bit(*parsed)) == 0) {
      return usage("--format '" + *format + "' is not accepted by '" + command.name + "'");
    }
    ctx.format = *parsed;
  }
  auto fixed = fixed_now(ctx);
  if (!fixed) return fixed.error();
  if (*fixed) {
    ctx.fixed_env = std::make_unique<FixedEnv>(**fixed);
    ctx.env = ctx.fixed_env.get();
  }
  auto boot = fixed_boot();
  if (!boot) return boot.error();
  if (*boot) ctx.env->set_boot(**boot);
  ctx.now = ctx.env->now();
  return Ok{};
}

// Write the command's document in the chosen format (--quiet drops the notes for people).
void print(Context& ctx) {
  if (ctx.quiet) ctx.output.drop_notes();
  renderer_of(ctx.format)(ctx.output, std::cout);
}

Result<int> run(int argc, char** argv, Context& ctx) {
  std::vector<std::string> tokens(argv + 1, argv + argc);
  take_program(tokens, ctx);
  auto command = take_command(tokens);
  if (!command) return command.error();
  Options options;
  if (*command != nullptr) (*command)->options(options);
  options.positional.add("operand", -1);
  if (auto parsed = parse_options(tokens, *command, options, ctx); !parsed) return parsed.error();
  if (auto answered = answer_without_command(ctx, *command)) return *answered;
  if (auto settled = settle_context(**command, options, ctx); !settled) return settled.error();
  // Every argument is checked before the database is opened: a usage error creates nothing.
  auto step = (*command)->run(ctx);
  if (!step) return step.error();
  if ((*command)->access != DbAccess::kNone) {
    auto opened = open_store(ctx, store_mode((*command)->access, database_path(ctx)));
    if (!opened) return opened.error();
  }
  auto ran = (*step)(ctx);
  if (ran) print(ctx);
  return ran;
}

}  // namespace

std::optional<std::string> Context::get(const std::string& name) const {
  auto found = options.find(name);
  if (found == options.end()) return std::nullopt;
  if (const auto* text = boost::any_cast<std::string>(&found->second.value())) return *text;
  return std::nullopt;
}

std::vector<std::string> Context::get_all(const std::string& name) const {
  auto found = options.find(name);
  if (found == options.end()) return {};
  if (const auto* list = boost::any_cast<std::vector<std::string>>(&found->second.value()))
    return *list;
  return {};
}

std::string database_path(const Context& ctx) {
  const char* db_env = std::getenv("TRIGGER_DB");
  return ctx.get("db").value_or(db_env != nullptr && db_env[0] != '\0' ? db_env
                                                                       : Store::default_path());
}

Status open_store(Context& ctx, Store::Mode mode) {
  ctx.db_path = database_path(ctx);
  if (ctx.verbose) std::cerr << "trigger: database " << ctx.db_path << "\n";
  auto store = Store::open(ctx.db_path, mode);
  if (!store) return store.error();
  ctx.store = std::move(*store);
  if (auto upgrade = ctx.store->upgrade()) {
    std::cerr << "trigger: database " << ctx.db_path << " upgraded from schema "
              << upgrade->from_level << " to " << upgrade->to_level << "; the old one is kept as "
              << upgrade->copy << "\n";
  }
  return Ok{};
}

Status expect_operands(const Context& ctx, std::size_t min, std::size_t max, const char* what) {
  if (ctx.positional.size() < min) return usage_error(std::string(what) + " missing");
  if (ctx.positional.size() > max) {
    return usage_error("unexpected argument '" + ctx.positional[max] + "'");
  }
  return Ok{};
}

const std::vector<Command>& commands() { return kCommands; }

const Command* find_command(const std::string& name) {
  for (const auto& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

std::optional<std::string> suggest_command(const std::string& name) {
  // Other tools' words, typed by habit (crontab, systemctl, at, rm).
  static const std::pair<const char*, const char*> kHabits[] = {
      {"rm", "'delete'"},  {"remove", "'delete'"}, {"del", "'delete'"},
      {"ls", "'list'"},    {"run", "'fire' or 'run-once'"},
      {"add", "'create'"}, {"new", "'create'"},
  };
  for (const auto& [habit, suggestion] : kHabits) {
    if (name == habit) return std::string(suggestion);
  }
  std::optional<std::string> best;
  std::size_t best_distance = 3;  // suggest only near misses
  for (const auto& command : kCommands) {
    std::size_t distance = edit_distance(name, command.name);
    if (distance < best_distance && distance < std::string(command.name).size()) {
      best_distance = distance;
      best = "'" + std::string(command.name) + "'";
    }
  }
  return best;
}

std::string suggestion_note(const std::string& name) {
  auto suggestion = suggest_command(name);
  return suggestion ? "; did you mean " + *suggestion + "?" : "; see 'trigger help'";
}

std::string command_help(const Command& command) {
  Options options;
  command.options(options);
  std::ostringstream out;
  std::string synopsis = command.synopsis;
  for (std::size_t at = synopsis.find('\n'); at != std::string::npos;
       at = synopsis.find('\n', at + 1)) {
    synopsis.insert(at + 1, "       ");
  }
  out << "usage: " << synopsis << "\n\n" << command.summary << "\n\n";
  if (!options.named.options().empty()) out << options.named << "\n";
  out << global_options(command.formats) << "\nSee 'trigger help " << command.name
      << "' for the manual page.\n";
  return out.str();
}

}  // namespace trigger::cmd

namespace trigger::cmd {
namespace {

// Standard output could not be written: exit 74, and say whether the command had already made
// its change (then it stands, and running the command again would make it twice).
int output_failed(const Context& ctx, int error) {
  std::string why = error != 0 ? std::string(": ") + std::strerror(error) : "";
  if (ctx.store && ctx.store->stats().changes_committed > 0) {
    std::cerr << "trigger: " << (ctx.done.empty() ? "the change was made" : ctx.done)
              << ", but cannot write to standard output" << why << "\n";
  } else {
    std::cerr << "trigger: cannot write to standard output" << why << "\n";
  }
  return kExitIO;
}

}  // namespace
}  // namespace trigger::cmd

int main(int argc, char** argv) {
  using namespace trigger::cmd;
  try {
    Context ctx;
    auto result = run(argc, argv, ctx);
    errno = 0;
    std::cout.flush();
    int error = errno;
    if (!result) {
      std::cerr << "trigger: " << result.error().message() << "\n";
      return exit_code(result.error().kind());
    }
    if (!std::cout) return output_failed(ctx, error);
    return *result;
  } catch (const std::exception& e) {
    std::cerr << "trigger: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
