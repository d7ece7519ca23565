// trigger status: the health of the queue, for people and for monitoring (exit 1 when
// unhealthy).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "commands.h"
#include "exit_codes.h"
#include "output.h"
#include "trigger/catalog.h"

namespace trigger::cmd {
namespace {

constexpr std::int64_t kCronSilenceSeconds = 5 * 60;
// How many failing triggers the problem and the table name (JSON names them all).
constexpr std::size_t kFailingNamed = 10;
// Due events are far overdue when due this long while passes run: three times as long as the
// longest wait for a pass that status accepts, so that one slow pass is not a problem.
constexpr std::int64_t kOverdueSeconds = 3 * kCronSilenceSeconds;

std::string plural(std::int64_t count, const char* one, const char* many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

// "a", "a and b", "a, b and c".
std::string listed(const std::vector<std::string>& items) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  }
  return text;
}

// The first of `total` items listed, and how many more ("a, b and 3 more").
std::string listed_of(std::vector<std::string> first, std::size_t total) {
  if (total > first.size()) first.push_back(std::to_string(total - first.size()) + " more");
  return listed(first);
}

// The work that waits for a pass, as a phrase ("1 event is due and 2 runs are queued"); ""
// when none waits.
std::string waiting_work(const QueueFigures& figures) {
  std::vector<std::string> waiting;
  if (figures.due > 0) waiting.push_back(plural(figures.due, "event is", "events are") + " due");
  if (figures.pending_changes > 0) {
    waiting.push_back(plural(figures.pending_changes, "change waits", "changes wait") +
                      " to be scheduled");
  }
  if (figures.queued > 0)
    waiting.push_back(plural(figures.queued, "run is", "runs are") + " queued");
  return listed(waiting);
}

// Work waits and no pass has come for it: cron is probably not running run-once.
std::optional<std::string> silence_problem(const QueueFigures& figures, Epoch now) {
  std::string what = waiting_work(figures);
  if (what.empty()) return std::nullopt;
  const auto& pass = figures.last_pass;
  if (pass && now - pass->started_epoch > kCronSilenceSeconds) {
    return "no pass for " + format_duration(now - pass->started_epoch) + " while " + what +
           " (is cron running 'trigger run-once'?)";
  }
  if (!pass && figures.oldest_pending_epoch &&
      now - *figures.oldest_pending_epoch > kCronSilenceSeconds) {
    return "no pass has ever run, and the oldest change was made " +
           format_duration(now - *figures.oldest_pending_epoch) + " ago: " + what +
           " (is cron running 'trigger run-once'?)";
  }
  return std::nullopt;
}

// The latest passes that ended did not end ok: how many, and how the latest of them ended.
std::optional<std::string> failed_pass_problem(const QueueFigures& figures) {
  if (figures.failed_passes_in_a_row == 0 || !figures.last_failed_pass) return std::nullopt;
  const PassRecord& pass = *figures.last_failed_pass;
  std::int64_t count = figures.failed_passes_in_a_row;
  std::string counted = count >= QueueFigures::kPassesCounted ? std::to_string(count) + " or more"
                                                              : std::to_string(count);
  std::string text =
      count == 1 ? "the last pass" : "the last " + counted + " passes failed; the latest";
  std::string error = pass.error.value_or("no reason recorded");
  switch (figures.last_failed_pass_end.value_or(PassEnd::kFailed)) {
    case PassEnd::kRefused:
      return text + " was refused for safety: " + error;
    case PassEnd::kDied:
      return text + " (pid " + std::to_string(pass.pid) +
             (pass.host.empty() ? "" : " on '" + pass.host + "'") + ", started " +
             time_text(pass.started_epoch, "UTC") +
             ") died before it finished: it was killed, or could not record how it ended";
    default:
      return text + " failed: " + error;
  }
}

// Events stay due although passes run: the passes do not fire them (they fail, or fall behind).
std::optional<std::string> overdue_problem(const QueueFigures& figures, Epoch now) {
  const auto& pass = figures.last_pass;
  if (!pass || now - pass->started_epoch > kCronSilenceSeconds) return std::nullopt;
  if (figures.due == 0 || !figures.oldest_due_epoch) return std::nullopt;
  std::int64_t lag = now - *figures.oldest_due_epoch;
  if (lag <= kOverdueSeconds) return std::nullopt;
  if (figures.due == 1) {
    return "1 event has been due for " + format_duration(lag) +
           " although passes run: they do not fire it";
  }
  return std::to_string(figures.due) + " events are due, the oldest for " + format_duration(lag) +
         ", although passes run: they do not fire them";
}

// How a trigger is named in messages and metrics: its name, else its id.
std::string trigger_word(const TriggerRunState& run) {
  return run.name ? "'" + *run.name + "'" : "#" + std::to_string(run.trigger_id);
}

// The triggers whose latest run failed or timed out, not acknowledged: named, up to kNamed.
std::optional<std::string> failing_problem(const QueueFigures& figures) {
  std::vector<std::string> named;
  std::size_t failing = 0;
  for (const auto& run : figures.runs) {
    if (!run.failing) continue;
    if (++failing > kFailingNamed) continue;
    named.push_back(trigger_word(run) + " (event " + run.last_event_id.value_or("-") + " " +
                    (run.last_outcome == Outcome::kTimedOut ? "timed out" : "failed") + ")");
  }
  if (failing == 0) return std::nullopt;
  return plural(static_cast<std::int64_t>(failing), "trigger is", "triggers are") +
         " failing: " + listed_of(named, failing) +
         " (see 'trigger history --failed'; 'trigger reset-failed' acknowledges)";
}

// Each problem as a sentence; none means healthy. A database that is not there is the first.
std::vector<std::string> problems_of(const Store& store, const QueueFigures& figures, Epoch now) {
  std::vector<std::string> problems;
  if (!store.exists()) {
    problems.push_back("the database " + store.location() + " does not exist");
  }
  for (auto problem : {silence_problem(figures, now), failed_pass_problem(figures),
                       overdue_problem(figures, now)}) {
    if (problem) problems.push_back(std::move(*problem));
  }
  if (figures.stuck > 0) {
    problems.push_back(plural(figures.stuck,
                              "run is stuck past its lease: the pass running it died (the next "
                              "pass runs it again)",
                              "runs are stuck past their leases: the passes running them died "
                              "(the next pass runs them again)"));
  }
  if (auto failing = failing_problem(figures)) problems.push_back(std::move(*failing));
  if (figures.set_aside > 0) {
    // Its clock failed or its row cannot be read: the history record says which.
    problems.push_back(plural(figures.set_aside, "trigger is", "triggers are") +
                       " set aside by the pass (see 'trigger history --failed' for why)");
  }
  return problems;
}

template <class Value>
nlohmann::ordered_json maybe(const std::optional<Value>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

// Each trigger's newest run, by id: what the metrics print per trigger.
nlohmann::ordered_json runs_json(const QueueFigures& figures) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const auto& run : figures.runs) {
    nlohmann::ordered_json labels = nlohmann::ordered_json::object();
    for (const auto& [key, value] : run.labels) labels[key] = value;
    std::optional<std::string> outcome;
    if (run.last_outcome) outcome = std::string(to_string(*run.last_outcome));
    runs.push_back({{"id", run.trigger_id},
                    {"name", maybe(run.name)},
                    {"state", to_string(run.state)},
                    {"labels", labels},
                    {"next_epoch", maybe(run.next_event_epoch)},
                    {"last_event_id", maybe(run.last_event_id)},
                    {"last_outcome", maybe(outcome)},
                    {"last_started_epoch", maybe(run.last_started_epoch)},
                    {"last_finished_epoch", maybe(run.last_finished_epoch)},
                    {"failing", run.failing}});
  }
  return runs;
}

// The names (else ids) of the failing triggers.
nlohmann::ordered_json failing_json(const QueueFigures& figures) {
  nlohmann::ordered_json failing = nlohmann::ordered_json::array();
  for (const auto& run : figures.runs) {
    if (run.failing) failing.push_back(run.name ? *run.name : std::to_string(run.trigger_id));
  }
  return failing;
}

// The figures as one object, in the documented order (fields are added, never renamed).
nlohmann::ordered_json status_json(const Store& store, const QueueFigures& figures,
                                   const std::vector<std::string>& problems, Epoch now) {
  std::optional<std::int64_t> lag;
  if (figures.oldest_due_epoch) lag = now - *figures.oldest_due_epoch;
  const auto& pass = figures.last_pass;
  std::optional<std::string> outcome;
  if (figures.last_pass_end) outcome = std::string(to_string(*figures.last_pass_end));
  nlohmann::ordered_json triggers = nlohmann::ordered_json::object();
  for (const auto& [state, count] : figures.triggers_by_state) triggers[state] = count;
  return {
      {"database", store.location()},
      {"database_exists", store.exists()},
      {"healthy", problems.empty()},
      {"problems", problems},
      {"pending_changes", figures.pending_changes},
      {"due", figures.due},
      {"oldest_due_lag_seconds", maybe(lag)},
      {"queued", figures.queued},
      {"running", figures.running},
      {"stuck", figures.stuck},
      {"failing", failing_json(figures)},
      {"set_aside", figures.set_aside},
      {"last_pass_epoch",
       maybe(pass ? std::optional<std::int64_t>(pass->started_epoch) : std::nullopt)},
      {"last_pass_finished_epoch", maybe(pass ? pass->finished_epoch : std::nullopt)},
      {"last_pass_duration_ms", maybe(pass ? pass->duration_ms : std::nullopt)},
      {"last_pass_clock_jump_seconds",
       maybe(pass ? std::optional<std::int64_t>(pass->clock_jump_seconds) : std::nullopt)},
      {"last_pass_outcome", maybe(outcome)},
      {"last_pass_error", maybe(pass ? pass->error : std::nullopt)},
      {"failed_passes_in_a_row", figures.failed_passes_in_a_row},
      {"triggers", triggers},
      {"per_trigger", runs_json(figures)},
  };
}

// The failing triggers for the fields: the first kFailingNamed names, and how many more.
std::string failing_names(const nlohmann::ordered_json& names) {
  std::vector<std::string> shown;
  for (const auto& name : names) {
    if (shown.size() == kFailingNamed) break;
    shown.push_back(name.get<std::string>());
  }
  return listed_of(shown, names.size());
}

// The figures as fields: one per figure, one per trigger state, one per problem. People read
// the time of the last pass, scripts its epoch.
void add_fields(Document& document, const nlohmann::ordered_json& json) {
  for (const auto& [key, value] : json.items()) {
    if (key == "problems" || key == "triggers" || key == "per_trigger") continue;
    if (key == "failing") {
      document.field(key, Cell(failing_names(value)));
      continue;
    }
    Cell cell = value.is_null()     ? Cell()
                : value.is_string() ? Cell(value.get<std::string>())
                                    : Cell(value.dump());
    if (key == "last_pass_epoch" || key == "last_pass_finished_epoch") {
      auto epoch = value.is_null() ? std::nullopt : std::optional<Epoch>(value.get<Epoch>());
      std::string people = key.substr(0, key.size() - std::string_view("_epoch").size());
      document.field(people, Cell::time(epoch, "UTC"), Audience::kPeople);
      document.field(key, cell, Audience::kScripts);
    } else {
      document.field(key, cell);
    }
  }
  for (const auto& [state, count] : json["triggers"].items()) {
    document.field("triggers_" + state, count.dump());
  }
  for (const auto& problem : json["problems"]) {
    document.field("problem", problem.get<std::string>());
  }
}

// Write `text` to `path` atomically, readable by all (node_exporter's textfile collector runs
// as another user): a temporary file in the same directory, synced, then renamed over it.
Status write_atomically(const std::string& path, const std::string& text) {
  auto failed = [&](const char* what) {
    return Error(ErrorKind::kIO,
                 "--metrics-file " + path + ": cannot " + what + ": " + std::strerror(errno));
  };
  std::string temporary = path + ".XXXXXX";
  int fd = ::mkstemp(temporary.data());
  if (fd < 0) return failed("create a file beside it");
  bool written = ::fchmod(fd, 0644) == 0;
  for (std::size_t done = 0; written && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    written = n > 0;
    if (written) done += static_cast<std::size_t>(n);
  }
  written = written && ::fsync(fd) == 0;
  written = ::close(fd) == 0 && written;
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    Error error = failed(written ? "rename onto it" : "write it");
    ::unlink(temporary.c_str());
    return error;
  }
  return Ok{};
}

}  // namespace

void options_status(Options& options) {
  options.named.add_options()("metrics-file", po::value<std::string>()->value_name("PATH"),
                              "also write the OpenMetrics text to PATH, atomically");
}

namespace {

Result<int> status(Context& ctx) {
  auto read = load_queue_figures(*ctx.store, ctx.now);
  if (!read) return read.error();
  const QueueFigures& figures = *read;
  auto problems = problems_of(*ctx.store, figures, ctx.now);
  ctx.output.data = status_json(*ctx.store, figures, problems, ctx.now);
  add_fields(ctx.output, ctx.output.data);
  if (auto path = ctx.get("metrics-file")) {
    std::ostringstream metrics;
    render_openmetrics(ctx.output, metrics);
    if (auto written = write_atomically(*path, metrics.str()); !written) return written.error();
  }
  return problems.empty() ? kExitOk : kExitTrouble;
}

}  // namespace

Result<Step> cmd_status(Context& ctx) {
  if (auto checked = expect_operands(ctx, 0, 0, ""); !checked) return checked.error();
  return Step(status);
}

}  // namespace trigger::cmd
