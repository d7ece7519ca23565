// The commands of trigger and what they share.
//
// Adding a new command:
//  1. cmd/NAME.cc defining `Result<Step> cmd_NAME(Context&)` and `void options_NAME(Options&)`;
//     cmd_NAME parses and validates every operand and option, needing no database (a usage
//     error then creates nothing), and returns the step that, given the opened database,
//     calls the library and builds one Document of the result in ctx.output
//     (cmd/document.h: the JSON data, and columns, fields or lines for people and scripts). It
//     never prints a result itself nor looks at ctx.format: the dispatcher renders the document;
//  2. its entry in kCommands (cmd/main.cc): name, what database access it needs (DbAccess),
//     synopsis, one-line summary, in the order `trigger help` lists them, and the formats it
//     accepts when not all (format_bit());
//  3. the file in cmd/meson.build;
//  4. its man page man/trigger-NAME.1 (SYNOPSIS identical to the synopsis in kCommands, which
//     test/cli_test.py checks) and the entry in man/meson.build;
//  5. its cases in test/cli_test.py: normal use, every format, every error and exit status.
//
// Adding an output format: see the top of cmd/document.h.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "document.h"
#include "trigger/env.h"
#include "trigger/error.h"
#include "trigger/store.h"
#include "trigger/time.h"

namespace trigger::cmd {

namespace po = boost::program_options;

/// Formats as bits, for the command table's list of what each command can print.
constexpr unsigned format_bit(Format format) { return 1u << static_cast<unsigned>(format); }
constexpr unsigned kTable = format_bit(Format::kTable);
constexpr unsigned kJson = format_bit(Format::kJson);
constexpr unsigned kTsv = format_bit(Format::kTsv);
constexpr unsigned kOpenMetrics = format_bit(Format::kOpenMetrics);
constexpr unsigned kAnyFormat = kTable | kJson | kTsv;  ///< all but OpenMetrics (status only)

/// What the dispatcher gives a command.
struct Context {
  po::variables_map options;
  std::vector<std::string> positional;  ///< operands after the command name
  std::vector<std::string> program;     ///< words after "--"
  bool has_program = false;             ///< "--" was given
  Format format = Format::kTable;
  bool quiet = false;
  bool verbose = false;
  std::string db_path;
  std::unique_ptr<Store> store;  ///< open as the command's entry asks, else null
  /// Where the command reads the time and waits: Env::system(), or under --now (TRIGGER_NOW)
  /// fixed_env, a FixedEnv at that instant. Never null.
  Env* env = &Env::system();
  std::unique_ptr<FixedEnv> fixed_env;
  Epoch now = 0;  ///< env->now() when the command began
  /// What the command changed, set once committed ("fired 'x' (event 3-m1800000000)"): the
  /// message when its output then cannot be written says the change was made.
  std::string done;
  /// What the command prints: it builds this one document, and the dispatcher renders it in
  /// `format` once the command has returned (not after an error).
  Document output;
  /// Cleared by a command's first step when its second needs no database after all (import
  /// --crontab --dry-run): the dispatcher then opens none, so nothing is created.
  bool needs_store = true;

  /// The value of option `name` if given.
  std::optional<std::string> get(const std::string& name) const;
  /// Every value of a repeatable option, in order.
  std::vector<std::string> get_all(const std::string& name) const;
  bool flag(const std::string& name) const { return options.count(name) != 0; }
};

/// A command's own options and operands.
struct Options {
  po::options_description named{"options"};
  po::positional_options_description positional;
  bool takes_program = false;  ///< accepts "-- PROGRAM [ARG...]"
};

/// A command's second step: run with ctx.store open (as its entry asks), it does the work.
using Step = std::function<Result<int>(Context&)>;
/// A command's first step: parse and validate the operands and options, before any database
/// is opened, and return the step that does the work. Errors: kUsage naming the bad value.
using CommandFn = Result<Step> (*)(Context&);
using OptionsFn = void (*)(Options&);

/// What database a command needs the dispatcher to open.
enum class DbAccess {
  kNone,       ///< none, or it opens one itself
  kReadOnly,   ///< read it (a missing one reads as empty)
  kReadWrite,  ///< change it (an empty file is refused; a missing one is read, as empty)
  kCreate,     ///< create triggers in it: kReadWrite, and an empty file becomes a new database
};

struct Command {
  const char* name;
  CommandFn run;
  OptionsFn options;
  DbAccess access;
  const char* synopsis;  ///< identical to the man page's SYNOPSIS (after "trigger NAME")
  const char* summary;
  /// The --format values it accepts (format_bit()); any other given is a usage error. Without
  /// --format it prints a table, or its first format when it has no table (export: JSON Lines).
  unsigned formats = kAnyFormat;
};

/// Check the number of operands: kUsage naming the first extra one, or saying `what` is missing.
Status expect_operands(const Context& ctx, std::size_t min, std::size_t max, const char* what);

/// The database path: --db, else $TRIGGER_DB, else Store::default_path().
std::string database_path(const Context& ctx);

/// Open the database of ctx (--db, else $TRIGGER_DB, else Store::default_path()) into
/// ctx.store, and with -v say which it is on stderr ("trigger: database PATH"). The dispatcher
/// calls it for commands whose entry asks for a database, once they have validated their
/// arguments.
Status open_store(Context& ctx, Store::Mode mode);

/// The overview printed by `trigger help` and `trigger --help`.
std::string general_usage();

/// The command table (cmd/main.cc), and a lookup by exact name.
const std::vector<Command>& commands();
const Command* find_command(const std::string& name);
/// What to suggest for an unknown command `name`, quoted: another tool's habit ("rm",
/// "remove" -> "'delete'", "run" -> "'fire' or 'run-once'"), else the known command nearest by
/// edit distance (at most 2, and less than the command's length), if any.
std::optional<std::string> suggest_command(const std::string& name);
/// "; did you mean SUGGESTION?" for an unknown command, else "; see 'trigger help'".
std::string suggestion_note(const std::string& name);
/// "usage: trigger NAME ..." and the option list.
std::string command_help(const Command& command);

#define TRIGGER_COMMAND(name)           \
  Result<Step> cmd_##name(Context& ctx); \
  void options_##name(Options& options);
TRIGGER_COMMAND(cancel)
TRIGGER_COMMAND(create)
TRIGGER_COMMAND(delete)
TRIGGER_COMMAND(export)
TRIGGER_COMMAND(fire)
TRIGGER_COMMAND(gc)
TRIGGER_COMMAND(help)
TRIGGER_COMMAND(history)
TRIGGER_COMMAND(import)
TRIGGER_COMMAND(list)
TRIGGER_COMMAND(next)
TRIGGER_COMMAND(pause)
TRIGGER_COMMAND(reset_failed)
TRIGGER_COMMAND(resume)
TRIGGER_COMMAND(run_once)
TRIGGER_COMMAND(schedule)
TRIGGER_COMMAND(show)
TRIGGER_COMMAND(status)
#undef TRIGGER_COMMAND

}  // namespace trigger::cmd
