// What a command prints, as one document, and one renderer per --format that turns any
// document into text. A command builds its document from what the library returned and leaves
// it in Context::output; the dispatcher renders it in the chosen format. Commands never look at
// the format.
//
// A document has two parts:
//  - `data`, the JSON value of the result (trigger(1), "JSON FIELDS"): what the json renderer
//    prints, and what a renderer for another machine format would read;
//  - the text part, in one of three layouts: columns under a header (list, history), one
//    "key: value" field per line (show, status), or plain lines (next, create, fire). Each
//    column, field or line says whether it is for people (the table), for scripts (TSV) or
//    for both; cells are typed (text, number, time, nothing) so that each renderer shows them
//    its own way. Notes are for people only (the table renderer prints them, --quiet drops
//    them).
//
// Adding a format (OpenMetrics for status, say): its value in `Format`, its row in kFormats
// (document.cc) with its renderer, a function of the Document (a machine format reads `data`),
// its bit in the kCommands rows of the commands that offer it (cmd/main.cc), its rows in
// test/document_test.cc, and a word in those commands' man pages.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trigger/time.h"

namespace trigger::cmd {

/// The values of --format.
enum class Format { kTable, kJson, kTsv, kOpenMetrics };

/// A time in the zone named `tz` (UTC if it is unknown), or "-" for none.
std::string time_text(std::optional<Epoch> epoch, const std::string& tz);

/// A span of time in the style of systemctl list-timers, to the accuracy it shows: "now",
/// "45s", "4min 10s" (under 5 min), "12min", "2h 5min" (under 6 h), "7h", "1 day 3h" (under
/// 2 days), "3 days", "2 weeks 1 day", "3 months 2 days", "1 year 2 months" (a month 30.44
/// days, a year 365.25); a second figure of 0 is left out ("2h", "1 week"). `seconds` < 0 is
/// taken as its size.
std::string span_text(std::int64_t seconds);

/// `text` cut to `width` characters (UTF-8 code points), its end replaced by "..." when cut;
/// unchanged if it fits.
std::string cut_text(std::string_view text, std::size_t width);

/// Escape a TSV field: backslash, tab, newline and carriage return as \\ \t \n \r.
std::string tsv_field(std::string_view text);

/// One value of the text part. People see nothing and empty text as "-", a time in its zone
/// followed by its note; scripts see nothing as an empty field, text escaped, and a time as two
/// fields, its epoch and its RFC 3339 text (both empty for none).
class Cell {
 public:
  Cell() = default;  ///< nothing
  // Text and numbers convert implicitly, so that a row reads as the list of its values.
  Cell(std::string text) : kind_(Kind::kText), text_(std::move(text)) {}
  Cell(const char* text) : Cell(std::string(text)) {}
  template <class Number,
            std::enable_if_t<std::is_integral_v<Number> && !std::is_same_v<Number, bool>, int> = 0>
  Cell(Number number) : Cell(std::to_string(number)) {}
  /// Nothing when `value` is empty, else the value.
  template <class Value>
  static Cell maybe(const std::optional<Value>& value) {
    return value ? Cell(*value) : Cell();
  }
  /// A time in the zone named `tz`; `note` follows it for people ("*"), when there is a time.
  static Cell time(std::optional<Epoch> epoch, const std::string& tz, std::string note = "");

  /// Nothing, empty text or no time.
  bool empty() const { return text_.empty(); }
  std::string for_people() const;
  std::string for_scripts() const;

 private:
  enum class Kind { kNothing, kText, kTime };
  Kind kind_ = Kind::kNothing;
  std::string text_;  ///< the text, or the time's RFC 3339 text ("" for none)
  std::optional<Epoch> epoch_;
  std::string note_;
};

/// Who reads a column, field or line: the table is for people, TSV for scripts.
enum class Audience { kPeople = 1, kScripts = 2, kBoth = 3 };

/// One column of the columns layout: its header, for people.
struct Column {
  std::string header;
  Audience audience = Audience::kBoth;
  /// When a table must fit a width (Document::fit_width()): 0, never cut; else the columns
  /// are cut in this order (1 first), each no narrower than its header or kMinCutWidth.
  int cut_order = 0;
};

/// The narrowest a column is cut to fit a width.
constexpr std::size_t kMinCutWidth = 12;

class Document {
 public:
  enum class Layout { kLines, kColumns, kFields };
  /// How JSON prints `data`: indented by two, on one line with a space after each ':' and ','
  /// (a single figure: gc, fire), or each element of an array compact on its own line (JSON
  /// Lines: export).
  enum class JsonStyle { kPretty, kOneLine, kLines };

  /// A row is a line's cells, a field (its key and one cell) or a row of the columns.
  struct Row {
    std::string key;
    std::vector<Cell> cells;
    Audience audience = Audience::kBoth;
    std::vector<std::string> below;  ///< lines for people under a row of the columns
  };

  /// The JSON of the result; null prints nothing.
  nlohmann::ordered_json data;
  JsonStyle json_style = JsonStyle::kPretty;

  /// Start the columns layout with these columns; then add rows with row().
  void set_columns(std::vector<Column> columns);
  /// A row of the columns layout: a cell per column.
  void row(std::vector<Cell> cells) {
    rows_.push_back({"", std::move(cells), Audience::kBoth, {}});
  }
  /// Text for people under the last row of the columns (a run's output): each of its lines
  /// indented by four, outside the columns' alignment. Scripts do not see it.
  void below_last_row(std::string_view text);
  /// A field "key: value" (the fields layout).
  void field(std::string key, Cell value, Audience audience = Audience::kBoth);
  /// A line of cells (the lines layout): people see the cells that are not empty, two spaces
  /// apart; scripts see every cell, a tab apart.
  void line(std::vector<Cell> cells, Audience audience = Audience::kBoth) {
    rows_.push_back({"", std::move(cells), audience, {}});
  }
  /// A line for people after the text part ("* predicted: ...").
  void note(std::string text) { notes_.push_back(std::move(text)); }
  void drop_notes() { notes_.clear(); }
  /// Ask the table renderer to fit the columns layout to `width` characters a line, cutting
  /// the cells of the columns that may be cut (Column::cut_order); a table that cannot fit
  /// when they are cut as far as allowed is wider. Other renderers ignore it.
  void fit_width(std::size_t width) { width_ = width; }
  std::optional<std::size_t> width() const { return width_; }

  Layout layout() const { return layout_; }
  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<Row>& rows() const { return rows_; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  Layout layout_ = Layout::kLines;
  std::vector<Column> columns_;
  std::vector<Row> rows_;
  std::vector<std::string> notes_;
  std::optional<std::size_t> width_;
};

/// Writes a document in one format.
using Renderer = void (*)(const Document& document, std::ostream& out);

/// People: the text part (columns aligned under their header, fitted to the document's width
/// if it has one, fields as "key:" padded to the
/// longest key), then the notes.
void render_table(const Document& document, std::ostream& out);
/// `data` in its JSON style.
void render_json(const Document& document, std::ostream& out);
/// Scripts: the text part, fields and cells a tab apart, no header, no notes.
void render_tsv(const Document& document, std::ostream& out);

/// The OpenMetrics text format (cmd/openmetrics.cc): the figures of a `trigger status`
/// document's data as gauges, queue first, then per trigger; "# EOF" alone for other data.
void render_openmetrics(const Document& document, std::ostream& out);

/// The format named `name` ("table", "json", "tsv", "openmetrics"), if any.
std::optional<Format> format_named(std::string_view name);
/// The names of the formats in `formats` (bit 1 << Format, as format_bit() in cmd/commands.h
/// sets them; all by default) for messages and --help: "table, json or tsv".
std::string format_names(unsigned formats = ~0u);
/// The renderer of `format`.
Renderer renderer_of(Format format);

}  // namespace trigger::cmd
