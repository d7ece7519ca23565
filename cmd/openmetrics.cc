// The OpenMetrics (Prometheus text) renderer: the figures of a `trigger status` document, read
// from its data, as gauges for a scraper or node_exporter's textfile collector.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "document.h"

namespace trigger::cmd {
namespace {

using Json = nlohmann::ordered_json;

// A label value: backslash, double quote and newline escaped.
std::string label_value(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '\\' || c == '"') escaped += '\\';
    escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return escaped;
}

// A trigger's own label as a metric label name: "label_" and the key, every character that
// a label name cannot hold as '_'.
std::string label_name(std::string_view key) {
  std::string name = "label_";
  for (char c : key) {
    bool fits = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    name += fits ? c : '_';
  }
  return name;
}

// The labels of one trigger's samples: "{id="1",name="x",label_team="ops"" (left open for
// more). Two keys that become one label name keep the first.
std::string trigger_labels(const Json& run) {
  std::string labels = "{id=\"" + run["id"].dump() + "\",name=\"" +
                       label_value(run["name"].is_string() ? run["name"].get<std::string>() : "") +
                       "\"";
  std::vector<std::string> used;
  for (const auto& [key, value] : run["labels"].items()) {
    std::string name = label_name(key);
    if (std::find(used.begin(), used.end(), name) != used.end()) continue;
    used.push_back(name);
    labels += "," + name + "=\"" + label_value(value.get<std::string>()) + "\"";
  }
  return labels;
}

void family(std::ostream& out, const char* name, const char* help) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n";
}

// A number of the data, or nothing when it is null or absent.
void sample(std::ostream& out, const std::string& name, const Json& value) {
  if (value.is_number()) out << name << " " << value.dump() << "\n";
  if (value.is_boolean()) out << name << " " << (value.get<bool>() ? 1 : 0) << "\n";
}

struct Figure {
  const char* key;  ///< in the status data
  const char* name;
  const char* help;
  double scale = 1;  ///< the data's unit in the metric's (milliseconds: 0.001 s)
};

constexpr Figure kFigures[] = {
    {"healthy", "trigger_status_healthy", "Whether trigger status found no problem."},
    {"database_exists", "trigger_database_exists", "Whether the database read exists."},
    {"pending_changes", "trigger_pending_changes", "Changes not yet scheduled by a pass."},
    {"due", "trigger_due_events", "Events due and not yet fired."},
    {"oldest_due_lag_seconds", "trigger_oldest_due_lag_seconds",
     "How long the oldest due event has been due."},
    {"queued", "trigger_queued_runs", "Runs queued, waiting for a pass."},
    {"running", "trigger_running_runs", "Runs leased by a live pass."},
    {"stuck", "trigger_stuck_runs", "Runs whose lease expired: their pass died."},
    {"set_aside", "trigger_set_aside_triggers", "Triggers set aside by the pass."},
    {"failed_passes_in_a_row", "trigger_failed_passes_in_a_row",
     "The latest passes that ended without ending ok."},
    {"last_pass_epoch", "trigger_last_pass_start_timestamp_seconds",
     "When the latest pass started."},
    {"last_pass_finished_epoch", "trigger_last_pass_end_timestamp_seconds",
     "When the latest pass ended."},
    {"last_pass_duration_ms", "trigger_last_pass_duration_seconds",
     "How long the latest pass took.", 0.001},
    {"last_pass_clock_jump_seconds", "trigger_last_pass_clock_jump_seconds",
     "How far the clock had moved back when the latest pass started (0 or negative)."},
};

constexpr const char* kPassEnds[] = {"running", "ok", "failed", "refused", "died"};
constexpr const char* kRunOutcomes[] = {"succeeded", "failed", "timed_out"};

void queue_metrics(const Json& data, std::ostream& out) {
  for (const auto& figure : kFigures) {
    if (!data.contains(figure.key) || data[figure.key].is_null()) continue;
    family(out, figure.name, figure.help);
    const Json& value = data[figure.key];
    sample(
        out, figure.name,
        figure.scale == 1 || !value.is_number() ? value : Json(value.get<double>() * figure.scale));
  }
  if (data.contains("failing")) {
    family(out, "trigger_failing_triggers", "Active triggers whose latest run failed.");
    out << "trigger_failing_triggers " << data["failing"].size() << "\n";
  }
  if (data.contains("triggers")) {
    family(out, "trigger_triggers", "Triggers by state.");
    for (const auto& [state, count] : data["triggers"].items()) {
      out << "trigger_triggers{state=\"" << label_value(state) << "\"} " << count.dump() << "\n";
    }
  }
  if (data.contains("last_pass_outcome") && data["last_pass_outcome"].is_string()) {
    family(out, "trigger_last_pass_outcome", "How the latest pass ended (1 for its outcome).");
    for (const char* end : kPassEnds) {
      out << "trigger_last_pass_outcome{outcome=\"" << end << "\"} "
          << (data["last_pass_outcome"] == end ? 1 : 0) << "\n";
    }
  }
}

struct RunFigure {
  const char* key;  ///< in each element of per_trigger
  const char* name;
  const char* help;
};

constexpr RunFigure kRunFigures[] = {
    {"last_started_epoch", "trigger_last_run_start_timestamp_seconds",
     "When the trigger's latest run started."},
    {"last_finished_epoch", "trigger_last_run_end_timestamp_seconds",
     "When the trigger's latest run ended."},
    {"next_epoch", "trigger_next_run_timestamp_seconds", "The trigger's next fire time."},
    {"failing", "trigger_failing", "Whether the trigger's latest run failed, unacknowledged."},
};

void trigger_metrics(const Json& runs, std::ostream& out) {
  for (const auto& figure : kRunFigures) {
    family(out, figure.name, figure.help);
    for (const auto& run : runs)
      sample(out, figure.name + trigger_labels(run) + "}", run[figure.key]);
  }
  family(out, "trigger_last_run_outcome",
         "How the trigger's latest run ended (1 for its outcome).");
  for (const auto& run : runs) {
    if (!run["last_outcome"].is_string()) continue;
    std::string labels = trigger_labels(run);
    for (const char* outcome : kRunOutcomes) {
      out << "trigger_last_run_outcome" << labels << ",outcome=\"" << outcome << "\"} "
          << (run["last_outcome"] == outcome ? 1 : 0) << "\n";
    }
  }
}

}  // namespace

void render_openmetrics(const Document& document, std::ostream& out) {
  const Json& data = document.data;
  if (data.is_object()) {
    queue_metrics(data, out);
    if (data.contains("per_trigger")) trigger_metrics(data["per_trigger"], out);
  }
  out << "# EOF\n";
}

}  // namespace trigger::cmd
