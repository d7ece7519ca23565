// The renderers of cmd/document.h from a table: each row a document, and the text each format
// makes of it. Documents are built here the way the commands build them.
#include "../cmd/document.h"

#include <catch2/catch.hpp>
#include <sstream>

namespace {

using trigger::cmd::Audience;
using trigger::cmd::Cell;
using trigger::cmd::Document;
using trigger::cmd::Format;

constexpr trigger::Epoch kNoon = 1800000000 + 4 * 3600;  // 2027-01-15T12:00:00Z

// Two triggers as columns, one with no name and no time; a note for people.
Document columns() {
  Document document;
  document.data = nlohmann::ordered_json::array({{{"id", 1}}, {{"id", 22}}});
  document.set_columns({{"ID"}, {"NAME"}, {"NEXT"}, {"WHY", Audience::kPeople}});
  document.row({1, "a\tb", Cell::time(kNoon, "UTC", "*"), "because"});
  document.row({22, "", Cell::time(std::nullopt, "UTC", "*"), ""});
  document.note("* predicted");
  return document;
}

// Fields, one only for people and one only for scripts.
Document fields() {
  Document document;
  document.data = {{"id", 7}, {"description", nullptr}};
  document.field("id", 7);
  document.field("description", Cell());
  document.field("when", Cell::time(kNoon, "Europe/Berlin"), Audience::kPeople);
  document.field("when_epoch", kNoon, Audience::kScripts);
  return document;
}

// Lines: an empty cell is left out for people and kept for scripts.
Document lines() {
  Document document;
  document.data = {{"deleted", 3}, {"what", "x\"y"}};
  document.json_style = Document::JsonStyle::kOneLine;
  document.line({Cell::time(kNoon, "UTC"), ""});
  document.line({Cell::time(kNoon, "UTC"), "dst\\gap"});
  document.line({"for scripts"}, Audience::kScripts);
  return document;
}

// JSON Lines, and nothing at all in the text formats.
Document json_lines() {
  Document document;
  document.data = nlohmann::ordered_json::array({{{"id", 1}, {"env", {"A=1"}}}, {{"id", 2}}});
  document.json_style = Document::JsonStyle::kLines;
  return document;
}

struct Row {
  const char* name;
  Document (*build)();
  Format format;
  const char* text;
};

const Row kRows[] = {
    {"columns, table", columns, Format::kTable,
     "ID  NAME  NEXT                   WHY\n"
     "1   a\tb   2027-01-15T12:00:00Z*  because\n"
     "22  -     -                      -\n"
     "* predicted\n"},
    {"columns, tsv", columns, Format::kTsv,
     "1\ta\\tb\t1800014400\t2027-01-15T12:00:00Z\n"
     "22\t\t\t\n"},
    {"columns, json", columns, Format::kJson,
     "[\n  {\n    \"id\": 1\n  },\n  {\n    \"id\": 22\n  }\n]\n"},
    {"fields, table", fields, Format::kTable,
     "id:           7\n"
     "description:  -\n"
     "when:         2027-01-15T13:00:00+01:00\n"},
    {"fields, tsv", fields, Format::kTsv,
     "id\t7\n"
     "description\t\n"
     "when_epoch\t1800014400\n"},
    {"fields, json", fields, Format::kJson, "{\n  \"id\": 7,\n  \"description\": null\n}\n"},
    {"lines, table", lines, Format::kTable,
     "2027-01-15T12:00:00Z\n"
     "2027-01-15T12:00:00Z  dst\\gap\n"},
    {"lines, tsv", lines, Format::kTsv,
     "1800014400\t2027-01-15T12:00:00Z\t\n"
     "1800014400\t2027-01-15T12:00:00Z\tdst\\\\gap\n"
     "for scripts\n"},
    {"one line, json", lines, Format::kJson, "{\"deleted\": 3, \"what\": \"x\\\"y\"}\n"},
    {"json lines, json", json_lines, Format::kJson, "{\"id\":1,\"env\":[\"A=1\"]}\n{\"id\":2}\n"},
    {"json lines, table", json_lines, Format::kTable, ""},
    {"json lines, tsv", json_lines, Format::kTsv, ""},
};

}  // namespace

TEST_CASE("each renderer turns each layout into its text", "[document]") {
  for (const auto& row : kRows) {
    INFO(row.name);
    std::ostringstream out;
    trigger::cmd::renderer_of(row.format)(row.build(), out);
    CHECK(out.str() == row.text);
  }
}

TEST_CASE("an empty document prints nothing in any format", "[document]") {
  for (auto format : {Format::kTable, Format::kJson, Format::kTsv}) {
    std::ostringstream out;
    trigger::cmd::renderer_of(format)(Document(), out);
    CHECK(out.str().empty());
  }
}

TEST_CASE("columns with no rows print their header for people, nothing for scripts", "[document]") {
  Document document;
  document.set_columns({{"ID"}, {"NAME"}, {"only_scripts", Audience::kScripts}});
  std::ostringstream table;
  std::ostringstream tsv;
  trigger::cmd::render_table(document, table);
  trigger::cmd::render_tsv(document, tsv);
  CHECK(table.str() == "ID  NAME\n");
  CHECK(tsv.str().empty());
}

TEST_CASE("formats are found by their names, which messages list", "[document]") {
  CHECK(trigger::cmd::format_named("table") == Format::kTable);
  CHECK(trigger::cmd::format_named("json") == Format::kJson);
  CHECK(trigger::cmd::format_named("tsv") == Format::kTsv);
  CHECK(trigger::cmd::format_named("openmetrics") == Format::kOpenMetrics);
  CHECK_FALSE(trigger::cmd::format_named("TSV"));
  CHECK_FALSE(trigger::cmd::format_named(""));
  CHECK(trigger::cmd::format_names() == "table, json, tsv or openmetrics");
}

TEST_CASE("openmetrics prints the status data as gauges, labels escaped", "[document]") {
  Document document;
  document.data = {{"healthy", false},
                   {"oldest_due_lag_seconds", nullptr},
                   {"last_pass_outcome", "died"},
                   {"per_trigger",
                    {{{"id", 7},
                      {"name", "a\"b\\c\nd"},
                      {"labels", {{"team-x", "o\"ps"}, {"team_x", "dropped"}}},
                      {"last_started_epoch", 10},
                      {"last_finished_epoch", nullptr},
                      {"next_epoch", 70},
                      {"last_outcome", "timed_out"},
                      {"failing", true}}}}};
  std::ostringstream out;
  trigger::cmd::renderer_of(Format::kOpenMetrics)(document, out);
  const std::string labels = R"({id="7",name="a\"b\\c\nd",label_team_x="o\"ps")";
  CHECK(out.str() ==
        "# HELP trigger_status_healthy Whether trigger status found no problem.\n"
        "# TYPE trigger_status_healthy gauge\n"
        "trigger_status_healthy 0\n"
        "# HELP trigger_last_pass_outcome How the latest pass ended (1 for its outcome).\n"
        "# TYPE trigger_last_pass_outcome gauge\n"
        "trigger_last_pass_outcome{outcome=\"running\"} 0\n"
        "trigger_last_pass_outcome{outcome=\"ok\"} 0\n"
        "trigger_last_pass_outcome{outcome=\"failed\"} 0\n"
        "trigger_last_pass_outcome{outcome=\"refused\"} 0\n"
        "trigger_last_pass_outcome{outcome=\"died\"} 1\n"
        "# HELP trigger_last_run_start_timestamp_seconds When the trigger's latest run started.\n"
        "# TYPE trigger_last_run_start_timestamp_seconds gauge\n"
        "trigger_last_run_start_timestamp_seconds" +
            labels +
            "} 10\n"
            "# HELP trigger_last_run_end_timestamp_seconds When the trigger's latest run ended.\n"
            "# TYPE trigger_last_run_end_timestamp_seconds gauge\n"
            "# HELP trigger_next_run_timestamp_seconds The trigger's next fire time.\n"
            "# TYPE trigger_next_run_timestamp_seconds gauge\n"
            "trigger_next_run_timestamp_seconds" +
            labels +
            "} 70\n"
            "# HELP trigger_failing Whether the trigger's latest run failed, unacknowledged.\n"
            "# TYPE trigger_failing gauge\n"
            "trigger_failing" +
            labels +
            "} 1\n"
            "# HELP trigger_last_run_outcome How the trigger's latest run ended (1 for its "
            "outcome).\n"
            "# TYPE trigger_last_run_outcome gauge\n"
            "trigger_last_run_outcome" +
            labels +
            ",outcome=\"succeeded\"} 0\n"
            "trigger_last_run_outcome" +
            labels +
            ",outcome=\"failed\"} 0\n"
            "trigger_last_run_outcome" +
            labels +
            ",outcome=\"timed_out\"} 1\n"
            "# EOF\n");
  std::ostringstream other;
  trigger::cmd::render_openmetrics(Document(), other);
  CHECK(other.str() == "# EOF\n");
}

namespace {

struct SpanRow {
  std::int64_t seconds;
  const char* text;
};

// Each step of systemctl list-timers' relative times, at and just below its bounds.
const SpanRow kSpans[] = {
    {0, "now"},
    {1, "1s"},
    {59, "59s"},
    {60, "1min"},
    {250, "4min 10s"},
    {299, "4min 59s"},
    {300, "5min"},
    {3599, "59min"},
    {3600, "1h"},
    {7500, "2h 5min"},
    {21599, "5h 59min"},
    {21600, "6h"},
    {86400, "24h"},
    {90000, "1 day 1h"},
    {97200, "1 day 3h"},
    {172800, "2 days"},
    {259200 + 3600, "3 days"},
    {604800, "1 week"},
    {604800 * 2 + 86400, "2 weeks 1 day"},
    {2629800, "1 month"},
    {2629800 * 3 + 2 * 86400, "3 months 2 days"},
    {31557600, "1 year"},
    {31557600 + 2 * 2629800, "1 year 2 months"},
    {2 * 31557600, "2 years"},
    {-250, "4min 10s"},
};

// A row whose ACTION and DESCRIPTION are long, to be fitted to a width.
Document wide_row() {
  Document document;
  document.set_columns({{"ID"}, {"ACTION", Audience::kBoth, 2},
                        {"DESCRIPTION", Audience::kPeople, 1}});
  document.row({1, "--sh 'backup --all --to /srv'", "every 1d from 2026-12-01T08:00:00Z"});
  return document;
}

std::string table_of(const Document& document) {
  std::ostringstream out;
  trigger::cmd::render_table(document, out);
  return out.str();
}

}  // namespace

TEST_CASE("spans read as in systemctl list-timers", "[document]") {
  for (const auto& row : kSpans) {
    INFO(row.seconds);
    CHECK(trigger::cmd::span_text(row.seconds) == row.text);
  }
}

TEST_CASE("text is cut to a width of characters, ending in ...", "[document]") {
  using trigger::cmd::cut_text;
  CHECK(cut_text("abcdef", 6) == "abcdef");
  CHECK(cut_text("abcdefg", 6) == "abc...");
  CHECK(cut_text("\xc3\xa9t\xc3\xa9 long", 6) == "\xc3\xa9t\xc3\xa9...");  // never inside a code point
  CHECK(cut_text("abcdef", 2) == "..");
}

TEST_CASE("a table fitted to a width cuts DESCRIPTION, then ACTION, no narrower than 12",
          "[document]") {
  auto document = wide_row();
  const std::string whole =
      "ID  ACTION                         DESCRIPTION\n"
      "1   --sh 'backup --all --to /srv'  every 1d from 2026-12-01T08:00:00Z\n";
  CHECK(table_of(document) == whole);
  document.fit_width(200);
  CHECK(table_of(document) == whole);
  document.fit_width(60);  // 69 wide: DESCRIPTION loses 9
  CHECK(table_of(document) ==
        "ID  ACTION                         DESCRIPTION\n"
        "1   --sh 'backup --all --to /srv'  every 1d from 2026-12-...\n");
  document.fit_width(40);  // DESCRIPTION down to 12, then ACTION loses 7
  CHECK(table_of(document) ==
        "ID  ACTION                  DESCRIPTION\n"
        "1   --sh 'backup --all ...  every 1d ...\n");
  document.fit_width(10);  // cannot fit: both at their narrowest
  CHECK(table_of(document) ==
        "ID  ACTION        DESCRIPTION\n"
        "1   --sh 'bac...  every 1d ...\n");
  std::ostringstream tsv;
  trigger::cmd::render_tsv(document, tsv);
  CHECK(tsv.str() == "1\t--sh 'backup --all --to /srv'\n");
}
