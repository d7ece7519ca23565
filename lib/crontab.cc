// Crontab conversion: Debian cron's crontab(5) read line by line as its cron(8) reads it
// (entry.c, env.c, do_command.c, cron.c of cron 3.0pl1), each job written as an import line.
#include "trigger/crontab.h"

#include <cctype>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "cron.h"
#include "shell_quote.h"
#include "text.h"
#include "trigger/action.h"

namespace trigger {
namespace {

constexpr const char* kBlanks = " \t";
/// How far ahead a fixed-time job's daylight-saving gaps are checked.
constexpr Epoch kGapHorizonSeconds = Epoch{30} * 366 * 86400;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view skip_blanks(std::string_view text) {
  auto start = text.find_first_not_of(kBlanks);
  return start == std::string_view::npos ? std::string_view() : text.substr(start);
}

// The first blank-separated word of `text`, and what follows it with its blanks skipped.
std::pair<std::string_view, std::string_view> take_word(std::string_view text) {
  text = skip_blanks(text);
  std::size_t end = 0;
  while (end < text.size() && !is_blank(text[end])) ++end;
  return {text.substr(0, end), skip_blanks(text.substr(end))};
}

// What the lines above a job have set, as cron's environment for it.
struct Settings {
  std::vector<std::pair<std::string, std::string>> env;  ///< in order, a name once
  std::optional<std::string> cron_tz;
  std::optional<std::string> tz;
  std::optional<std::string> mailto;

  std::optional<std::string> get(std::string_view name) const {
    for (const auto& [key, value] : env)
      if (key == name) return value;
    return std::nullopt;
  }
};

// A variable line, as env.c's load_env reads one: sscanf("%[^ =] = %[^\n#]") after leading
// blanks, trailing blanks cut, one pair of matching quotes removed. nullopt: not a variable
// line (the name is not followed by '=').
struct Variable {
  std::string name;
  std::string value;
};
Result<std::optional<Variable>> parse_variable(std::string_view line) {
  line = skip_blanks(line);
  std::size_t name_end = line.find_first_of(" =");
  if (name_end == 0 || name_end == std::string_view::npos) return std::optional<Variable>();
  std::size_t equals = line.find_first_not_of(" \t", name_end);
  if (equals == std::string_view::npos || line[equals] != '=') return std::optional<Variable>();
  Variable variable{std::string(line.substr(0, name_end)), ""};
  std::string_view value = skip_blanks(line.substr(equals + 1));
  if (value.find('#') != std::string_view::npos) {
    return data_error("a '#' in the value of " + variable.name +
                      ": cron ends the value there (comments are not allowed on the line)");
  }
  while (!value.empty() && is_blank(value.back())) value.remove_suffix(1);
  if (value.empty()) {
    return data_error(in_quotes(variable.name + "=") +
                      " gives no value, which cron refuses; write " + variable.name +
                      "=\"\" for an empty one");
  }
  if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
    value = value.substr(1, value.size() - 2);
  }
  variable.value = std::string(value);
  bool valid = !std::isdigit(static_cast<unsigned char>(variable.name[0]));
  for (char c : variable.name)
    valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!valid) return data_error("variable name " + in_quotes(variable.name) + " is not a name");
  return std::optional<Variable>(std::move(variable));
}

// The addresses of MAILTO (commas and blanks between them); kData for one a mail command
// could read as an option or that holds a control character.
Result<std::vector<std::string>> mail_addresses(const std::string& mailto) {
  std::vector<std::string> addresses;
  std::string current;
  auto flush = [&]() -> Status {
    if (current.empty()) return Ok{};
    if (current[0] == '-')
      return data_error("MAILTO address " + in_quotes(current) + " starts with '-'");
    addresses.push_back(current);
    current.clear();
    return Ok{};
  };
  for (char c : mailto) {
    if (c == ',' || is_blank(c)) {
      if (auto flushed = flush(); !flushed) return flushed.error();
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return data_error("MAILTO holds a control character");
    } else {
      current += c;
    }
  }
  if (auto flushed = flush(); !flushed) return flushed.error();
  return addresses;
}

// A variable line's effect on the settings; `warnings` gets what it says without refusing.
Status apply_variable(Variable variable, Settings& settings, const CrontabOptions& options,
                      std::vector<std::string>& warnings, const std::string& where) {
  const std::string& name = variable.name;
  if (name == "CRON_TZ" || name == "TZ") {
    if (auto zone = Zone::locate(variable.value); !zone) {
      return data_error(name + " " + in_quotes(variable.value) +
                        " is no IANA zone name, which a trigger's zone must be");
    }
    (name == "TZ" ? settings.tz : settings.cron_tz) = variable.value;
    if (name == "TZ" && !settings.cron_tz) {
      warnings.push_back(where + "TZ=" + variable.value +
                         " is the zone of the jobs below, as CRON_TZ would be: Debian's cron "
                         "ran them in the system zone (give CRON_TZ to say so plainly)");
    }
  }
  if (name == "MAILTO") {
    auto addresses = mail_addresses(variable.value);
    if (!addresses) return addresses.error();
    settings.mailto = variable.value;
    if (!addresses->empty() && options.mailer.empty()) {
      warnings.push_back(where + "MAILTO=" + variable.value +
                         " sends no mail: neither /usr/bin/mail nor /usr/sbin/sendmail is "
                         "installed; run-once still reports each failed run on standard "
                         "error, which cron mails to you");
    }
  }
  // cron sets LOGNAME and USER to the job's user whatever the crontab says.
  if (name == "LOGNAME" || name == "USER") return Ok{};
  for (auto& [key, value] : settings.env) {
    if (key == name) {
      value = variable.value;
      return Ok{};
    }
  }
  settings.env.emplace_back(name, variable.value);
  return Ok{};
}

// One field of the five as entry.c's get_list accepts it:
//   list = range {"," range}
//   range = ("*" | number ["-" number]) ["/" number]     (a step after a range or "*" only)
//   number = digits | a three-letter name (month and day-of-week only, any case)
struct FieldRule {
  const char* name;
  int low;
  int high;
  const char* const* names;  ///< names for low, low+1...; nullptr: numbers only
};
constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",  "jul",
                                       "aug", "sep", "oct", "nov", "dec", nullptr};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};
constexpr FieldRule kFieldRules[5] = {{"minute", 0, 59, nullptr},
                                      {"hour", 0, 23, nullptr},
                                      {"day-of-month", 1, 31, nullptr},
                                      {"month", 1, 12, kMonthNames},
                                      {"day-of-week", 0, 7, kDayNames}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

std::optional<int> field_number(std::string_view text, const FieldRule& rule) {
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    int value = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || value > 1000) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    return value >= rule.low && value <= rule.high ? std::optional<int>(value) : std::nullopt;
  }
  for (int i = 0; rule.names && rule.names[i]; ++i) {
    if (text.size() == 3 && equal_ignoring_case(text, rule.names[i])) return rule.low + i;
  }
  return std::nullopt;
}

bool valid_range(std::string_view item, const FieldRule& rule) {
  std::string_view step;
  if (auto slash = item.find('/'); slash != std::string_view::npos) {
    step = item.substr(slash + 1);
    item = item.substr(0, slash);
    FieldRule steps{"step", 1, 1000, nullptr};
    if (!field_number(step, steps)) return false;
  }
  if (item == "*") return true;
  auto dash = item.find('-');
  if (dash == std::string_view::npos) return step.empty() && field_number(item, rule).has_value();
  auto first = field_number(item.substr(0, dash), rule);
  auto last = field_number(item.substr(dash + 1), rule);
  return first && last && *first <= *last;
}

Status check_field(std::string_view field, const FieldRule& rule) {
  std::size_t start = 0;
  while (true) {
    std::size_t comma = field.find(',', start);
    std::string_view item =
        field.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (!valid_range(item, rule)) {
      return data_error(std::string("bad ") + rule.name + " " + in_quotes(field) +
                        " (Debian cron takes numbers " + std::to_string(rule.low) + "-" +
                        std::to_string(rule.high) + (rule.names ? ", three-letter names" : "") +
                        ", '*', ranges a-b, steps /n and lists)");
    }
    if (comma == std::string_view::npos) return Ok{};
    start = comma + 1;
  }
}

// A job line's schedule: the clock text and whether Debian cron treats it as a wildcard job
// (minute or hour field starting with '*', or @hourly: run at the new time after a clock
// change) or a fixed-time one (run after a skipped hour, not again in a repeated one).
struct Schedule {
  bool reboot = false;
  std::string expression;  ///< the five fields, one space apart, or the macro
  bool wildcard = false;
};

constexpr const char* kMacros[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                   "@daily",  "@midnight", "@hourly"};

// The schedule at the start of `line`; `rest` gets what follows it.
Result<Schedule> parse_schedule(std::string_view line, std::string_view& rest) {
  Schedule schedule;
  auto [first, after] = take_word(line);
  if (first[0] == '@') {
    rest = after;
    if (first == "@reboot") {
      schedule.reboot = true;
      return schedule;
    }
    for (const char* macro : kMacros) {
      if (first == macro) {
        schedule.expression = std::string(first);
        schedule.wildcard = first == "@hourly";
        return schedule;
      }
    }
    return data_error("unknown macro " + in_quotes(first) +
                      " (Debian cron's are lowercase: @reboot @yearly @annually @monthly "
                      "@weekly @daily @midnight @hourly)");
  }
  std::string_view word = first;
  for (int i = 0; i < 5; ++i) {
    if (i > 0) std::tie(word, after) = take_word(after);
    if (word.empty()) return data_error("fewer than five time fields and a command");
    if (auto checked = check_field(word, kFieldRules[i]); !checked) return checked.error();
    if (i < 2 && word[0] == '*') schedule.wildcard = true;
    schedule.expression += (i ? " " : "") + std::string(word);
  }
  rest = after;
  return schedule;
}

// do_command.c's split: the command is the text up to the first '%' not after a backslash
// ("\%" becomes "%", any other backslash stays); what follows is standard input, where "%"
// becomes a newline, "\%" a '%', and a newline ends it when it does not end with one. No
// input when nothing follows the '%'.
struct CommandText {
  std::string command;
  std::optional<std::string> input;
};
CommandText split_percent(std::string_view text) {
  CommandText result;
  std::size_t i = 0;
  bool escaped = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (escaped) {
      if (c == '%')
        result.command.back() = '%';
      else
        result.command += c;
      escaped = false;
      continue;
    }
    if (c == '%') break;
    result.command += c;
    escaped = c == '\\';
  }
  if (i + 1 >= text.size()) return result;
  std::string input;
  bool need_newline = false;
  escaped = false;
  for (char c : text.substr(i + 1)) {
    if (escaped) {
      if (c != '%') input += '\\';
    } else if (c == '%') {
      c = '\n';
    }
    escaped = c == '\\';
    if (!escaped) {
      input += c;
      need_newline = c != '\n';
    }
  }
  if (escaped) input += '\\';
  if (need_newline) input += '\n';
  result.input = std::move(input);
  return result;
}

// The program a command runs, for its name: the first word in a command position (the start,
// or after ; & | ( )) that is no variable assignment, redirection, builtin or wrapper, outside
// command substitutions; else the first word with a '/', else the first word.
std::string program_word(std::string_view command) {
  static const std::set<std::string> kNotPrograms = {
      "cd",    "[",       "[[",    "test",    "exec", "nice",  "ionice", "env",   "sudo", "timeout",
      "flock", "chronic", "nohup", "command", "time", "!",     "{",      "}",     "if",   "then",
      "do",    "while",   "sh",    "bash",    "true", "false", "set",    "umask", "."};
  bool at_command = true;
  std::string word, chosen, first_path, first_word;
  auto end_word = [&] {
    if (word.empty()) return;
    bool redirection = word.find_first_of("<>") != std::string::npos;
    bool assignment = !redirection && word.find('=') != std::string::npos;
    if (!redirection && first_word.empty()) first_word = word;
    if (!redirection && first_path.empty() && word.find('/') != std::string::npos)
      first_path = word;
    if (at_command && chosen.empty() && !redirection && !assignment && !kNotPrograms.count(word))
      chosen = word;
    if (!redirection && !assignment) at_command = false;
    word.clear();
  };
  int substitution = 0;  // inside $( ... ) or ` ... `: another command's words
  bool backquoted = false;
  char quote = 0;  // inside '...' or "...": blanks are part of the word
  for (std::size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote != 0 || c == '"' || c == '\'') {
      if (quote == 0)
        quote = c;
      else if (c == quote)
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '`') backquoted = !backquoted;
    if (c == '$' && i + 1 < command.size() && command[i + 1] == '(') {
      ++substitution;
      ++i;
      continue;
    }
    if (substitution > 0 || backquoted || c == '`') {
      substitution += c == '(' ? 1 : c == ')' ? -1 : 0;
      continue;
    }
    bool after_redirect = !word.empty() && (word.back() == '>' || word.back() == '<');
    if (is_blank(c)) {
      end_word();
    } else if ((c == '&' && !after_redirect) || c == ';' || c == '|' || c == '(' || c == ')') {
      end_word();
      at_command = true;
    } else {
      word += c;
    }
  }
  end_word();
  return !chosen.empty() ? chosen : !first_path.empty() ? first_path : first_word;
}

// The slug of a program path: its last part, letters, digits, '.', '_' and '-' kept, other
// runs become '-'; "job" when nothing is left.
std::string slug(std::string_view program) {
  if (auto slash = program.find_last_of('/'); slash != std::string_view::npos)
    program = program.substr(slash + 1);
  std::string out;
  for (char c : program) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (keep)
      out += c;
    else if (!out.empty() && out.back() != '-')
      out += '-';
    if (out.size() >= 40) break;
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(0, 1);
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  return out.empty() ? "job" : out;
}

// 24 bits of FNV-1a, as six hex digits: the same text gives the same name on every machine.
std::string short_hash(std::string_view text) {
  std::uint32_t hash = 2166136261u;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int shift = 20; shift >= 0; shift -= 4) out += kHex[(hash >> shift) & 0xf];
  return out;
}

// A fixed-time job runs once for every minute of a skipped hour it matches (cron.c's "DST
// begins" case), where --dst once runs one: the first gap of `zone` within kGapHorizonSeconds
// of `now` in which `expression` matches more than once (its end included), as text.
std::optional<std::string> gap_conflict(const CronExpression& expression, const Zone& zone,
                                        Epoch now) {
  if (zone.is_utc()) return std::nullopt;
  Zone::OffsetSpan span = zone.span_at(now);
  for (int transitions = 0; transitions < 200 && span.end < now + kGapHorizonSeconds;
       ++transitions) {
    Zone::OffsetSpan next = zone.span_at(span.end);
    if (next.begin <= span.begin) break;
    if (next.offset > span.offset) {
      std::int64_t from = span.end + span.offset;
      std::int64_t to = span.end + next.offset;
      int matches = 0;
      for (std::int64_t local = from - from % 60; local <= to; local += 60)
        matches += expression.matches(local) ? 1 : 0;
      if (matches > 1) {
        return std::to_string(matches) + " times in the hour skipped on " +
               format_rfc3339(span.end, zone).substr(0, 10);
      }
    }
    span = next;
  }
  return std::nullopt;
}

// The --dst rule that gives Debian cron's fire times, or "" when trigger's default (auto)
// does: wildcard jobs are literal, fixed-time ones once. kData for a fixed-time job that
// matches more than once inside one gap.
Result<std::string> dst_rule(const Schedule& schedule, const Zone& zone, Epoch now) {
  auto expression = CronExpression::parse(schedule.expression);
  if (!expression) return data_error(expression.error().message());
  bool auto_literal = expression->hour_allows_every_hour();
  if (schedule.wildcard) return std::string(auto_literal ? "" : "literal");
  if (auto conflict = gap_conflict(*expression, zone, now)) {
    return data_error("a fixed-time job that matches " + *conflict + " in " + zone.name() +
                      ": Debian cron runs it that often after the change, trigger once");
  }
  return std::string(auto_literal ? "once" : "");
}

std::string mail_hook(const std::vector<std::string>& addresses, const std::string& mailer,
                      const std::string& name) {
  std::string subject = "trigger: " + name + " failed";
  std::string list;
  for (const auto& address : addresses) list += " " + shell_quote(address);
  if (mailer.substr(mailer.find_last_of('/') + 1) == "mail") {
    return shell_quote(mailer) + " -s " + shell_quote(subject) + list;
  }
  std::string to;
  for (const auto& address : addresses) to += (to.empty() ? "" : ", ") + address;
  return "{ printf 'To: %s\\nSubject: %s\\n\\n' " + shell_quote(to) + " " + shell_quote(subject) +
         "; cat; } | " + shell_quote(mailer) + " -i" + list;
}

// A single-quoted shell word, whatever it holds.
std::string always_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A printf(1) format that prints `data` exactly, on one line: '\' as "\\", '%' as "%%",
// a newline as "\n".
std::string printf_format(std::string_view data) {
  std::string format;
  for (char c : data) {
    if (c == '\\')
      format += "\\\\";
    else if (c == '%')
      format += "%%";
    else if (c == '\n')
      format += "\\n";
    else
      format += c;
  }
  return format;
}

// The action cron runs: SHELL -c COMMAND, with the standard input of '%' piped in.
Result<Action> job_action(const CommandText& text, const Settings& settings,
                          const std::string& cwd) {
  std::string shell = settings.get("SHELL").value_or("/bin/sh");
  std::vector<std::string> env;
  for (const auto& [key, value] : settings.env) env.push_back(key + "=" + value);
  if (text.input) {
    std::string format = printf_format(*text.input);
    std::string script = std::string(format[0] == '-' ? "printf -- " : "printf ") +
                         always_quoted(format) + " | " + shell_quote(shell) + " -c " +
                         always_quoted(text.command);
    return make_action(ActionKind::kShell, {script}, env, cwd);
  }
  if (shell == "/bin/sh") return make_action(ActionKind::kShell, {text.command}, env, cwd);
  return make_action(ActionKind::kProgram, {shell, "-c", text.command}, env, cwd);
}

// Everything a job line becomes, as its import line's JSON.
struct Job {
  Schedule schedule;
  std::string user;
  std::string command;  ///< as written, after the time fields (and user)
};

Result<nlohmann::ordered_json> job_json(const Job& job, const std::string& name,
                                        const Settings& settings, const CrontabOptions& options) {
  nlohmann::ordered_json line;
  line["name"] = name;
  std::optional<std::string> zone_name = settings.cron_tz ? settings.cron_tz : settings.tz;
  auto zone = zone_name ? Zone::locate(*zone_name) : Result<Zone>(options.default_zone);
  if (!zone) return data_error(zone.error().message());
  nlohmann::ordered_json policy = nlohmann::ordered_json::object();
  if (job.schedule.reboot) {
    line["clock"] = "--on-boot";
  } else {
    line["clock"] = "--cron " + shell_quote(job.schedule.expression);
    auto dst = dst_rule(job.schedule, *zone, options.now);
    if (!dst) return dst.error();
    if (!dst->empty()) policy["dst"] = *dst;
  }
  if (zone_name) line["tz"] = *zone_name;
  std::optional<std::string> home = settings.get("HOME");
  if (!home) home = options.home_of ? options.home_of(job.user) : std::nullopt;
  if (!home) return data_error("no such user " + in_quotes(job.user));
  auto action = job_action(split_percent(job.command), settings, *home);
  if (!action) return data_error(action.error().message());
  line["action"] = action->text();
  line["env"] = action->env;
  line["cwd"] = *action->cwd;
  auto addresses = mail_addresses(settings.mailto.value_or(""));
  if (addresses && !addresses->empty() && !options.mailer.empty())
    policy["on-failure-sh"] = mail_hook(*addresses, options.mailer, name);
  if (job.user != options.importing_user) policy["user"] = job.user;
  line["policy"] = policy;
  line["labels"] = {{"source", "crontab"}};
  return line;
}

// The job at `line` (not a comment, blank or variable line).
Result<Job> parse_job(std::string_view line, const CrontabOptions& options) {
  Job job;
  std::string_view rest;
  auto schedule = parse_schedule(line, rest);
  if (!schedule) return schedule.error();
  job.schedule = *schedule;
  job.user = options.importing_user;
  if (options.system) {
    auto [user, after] = take_word(rest);
    if (user.empty()) return data_error("no user name after the time fields");
    job.user = std::string(user);
    rest = after;
  }
  if (rest.empty()) return data_error("no command");
  if (rest[0] == '*') return data_error("the command starts with '*' (a sixth time field?)");
  job.command = std::string(rest);
  return job;
}

// The job's name: the slug of its program and the hash of its command (and, in the system
// format, its user), with "-2", "-3"... for the second and later lines that would share it. A
// user crontab's names do not depend on who imports it.
std::string job_name(const Job& job, bool system, std::map<std::string, int>& taken) {
  std::string name = slug(program_word(split_percent(job.command).command)) + "-" +
                     short_hash(system ? job.user + '\n' + job.command : job.command);
  int count = ++taken[name];
  return count == 1 ? name : name + "-" + std::to_string(count);
}

}  // namespace

Result<CrontabConversion> convert_crontab(std::string_view text, const CrontabOptions& options) {
  CrontabConversion conversion;
  Settings settings;
  std::map<std::string, int> taken;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    std::string where = "line " + std::to_string(line_number) + ": ";
    auto fail = [&](const Error& error) { return data_error(where + error.message()); };
    std::string_view content = skip_blanks(line);
    if (content.empty() || content[0] == '#') continue;
    auto variable = parse_variable(content);
    if (!variable) return fail(variable.error());
    if (*variable) {
      auto applied = apply_variable(**variable, settings, options, conversion.warnings, where);
      if (!applied) return fail(applied.error());
      continue;
    }
    auto job = parse_job(content, options);
    if (!job) return fail(job.error());
    auto json = job_json(*job, job_name(*job, options.system, taken), settings, options);
    if (!json) return fail(json.error());
    std::string dumped;
    try {
      dumped = json->dump();
    } catch (const nlohmann::json::type_error&) {  // import lines are UTF-8, as JSON is
      return fail(data_error("not valid UTF-8"));
    }
    conversion.records.push_back({line_number, std::move(dumped)});
  }
  return conversion;
}

}  // namespace trigger
