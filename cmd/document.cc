#include "document.h"

#include <algorithm>

namespace trigger::cmd {
namespace {

struct FormatRow {
  Format format;
  std::string_view name;
  Renderer render;
};

// One row per --format value, in the order messages list them.
const FormatRow kFormats[] = {
    {Format::kTable, "table", render_table},
    {Format::kJson, "json", render_json},
    {Format::kTsv, "tsv", render_tsv},
    {Format::kOpenMetrics, "openmetrics", render_openmetrics},
};

bool reads(Audience audience, Audience reader) {
  return (static_cast<unsigned>(audience) & static_cast<unsigned>(reader)) != 0;
}

// The indexes of the columns `reader` reads.
std::vector<std::size_t> columns_for(const Document& document, Audience reader) {
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < document.columns().size(); ++i) {
    if (reads(document.columns()[i].audience, reader)) shown.push_back(i);
  }
  return shown;
}

// One step of span_text(): spans of at least `from` seconds show their count of `unit` and of
// `subunit` in what remains (none when 0). A name with a leading space is a word, plural
// unless its count is 1 ("1 day", "3 days"); the others are symbols ("2h", "5min").
struct SpanStep {
  std::int64_t from;
  std::int64_t unit;
  const char* name;
  std::int64_t subunit;
  const char* subname;
};

constexpr std::int64_t kMinute = 60, kHour = 3600, kDay = 86400, kWeek = 7 * kDay;
constexpr std::int64_t kMonth = 2629800, kYear = 31557600;  // 30.44 and 365.25 days

// systemd's format_timestamp_relative(), largest first; unlike it, a second figure of 0 is
// left out ("1 week", not "1 week 0 days").
const SpanStep kSpanSteps[] = {
    {kYear, kYear, " year", kMonth, " month"},
    {kMonth, kMonth, " month", kDay, " day"},
    {kWeek, kWeek, " week", kDay, " day"},
    {2 * kDay, kDay, " day", 0, ""},
    {25 * kHour, kDay, " day", kHour, "h"},
    {6 * kHour, kHour, "h", 0, ""},
    {kHour, kHour, "h", kMinute, "min"},
    {5 * kMinute, kMinute, "min", 0, ""},
    {kMinute, kMinute, "min", 1, "s"},
    {1, 1, "s", 0, ""},
};

std::string counted(std::int64_t count, const char* name) {
  bool word = name[0] == ' ';
  return std::to_string(count) + name + (word && count != 1 ? "s" : "");
}

// The characters of UTF-8 text: its bytes that do not continue a code point.
std::size_t text_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string joined(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i == 0 ? "" : separator) + parts[i];
  return text;
}

using Rows = std::vector<std::vector<std::string>>;

// The width of each column of rows, in characters.
std::vector<std::size_t> widths_of(const Rows& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], text_width(row[i]));
  }
  return widths;
}

// Cut the cells of the columns whose cut_order[i] is not 0, in that order, until the lines of
// rows (columns two apart) are no wider than `width`; none is cut narrower than its header
// (row 0) or kMinCutWidth.
void fit(Rows& rows, const std::vector<int>& cut_order, std::size_t width) {
  auto widths = widths_of(rows);
  std::size_t total = 0;
  for (auto w : widths) total += w + 2;
  total = widths.empty() ? 0 : total - 2;
  int last = cut_order.empty() ? 0 : *std::max_element(cut_order.begin(), cut_order.end());
  for (int order = 1; order <= last && total > width; ++order) {
    for (std::size_t i = 0; i < widths.size() && total > width; ++i) {
      if (cut_order[i] != order) continue;
      std::size_t floor = std::max(kMinCutWidth, text_width(rows[0][i]));
      std::size_t cut = std::max(floor, widths[i] - std::min(widths[i], total - width));
      if (cut >= widths[i]) continue;
      for (std::size_t r = 1; r < rows.size(); ++r) rows[r][i] = cut_text(rows[r][i], cut);
      total -= widths[i] - cut;
      widths[i] = cut;
    }
  }
}

// Rows as aligned columns under a header, two spaces apart; the last column is not padded.
// Row i + 1 (the header is row 0) is followed by the lines below[i], if any.
void print_aligned(std::ostream& out, const Rows& rows,
                   const std::vector<const std::vector<std::string>*>& below) {
  auto widths = widths_of(rows);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - text_width(row[i]) + 2, ' ');
    }
    out << line << "\n";
    if (r > 0 && r - 1 < below.size()) {
      for (const auto& text : *below[r - 1]) out << "    " << text << "\n";
    }
  }
}

void table_columns(const Document& document, std::ostream& out) {
  auto shown = columns_for(document, Audience::kPeople);
  Rows rows(1);
  std::vector<const std::vector<std::string>*> below;
  std::vector<int> cut_order;
  for (std::size_t i : shown) {
    rows[0].push_back(document.columns()[i].header);
    cut_order.push_back(document.columns()[i].cut_order);
  }
  for (const auto& row : document.rows()) {
    rows.emplace_back();
    for (std::size_t i : shown) rows.back().push_back(row.cells[i].for_people());
    below.push_back(&row.below);
  }
  if (document.width()) fit(rows, cut_order, *document.width());
  print_aligned(out, rows, below);
}

// "key:" padded to two spaces past the longest key.
void table_fields(const Document& document, std::ostream& out) {
  std::size_t width = 0;
  for (const auto& field : document.rows()) {
    if (reads(field.audience, Audience::kPeople)) width = std::max(width, field.key.size());
  }
  for (const auto& field : document.rows()) {
    if (!reads(field.audience, Audience::kPeople)) continue;
    out << field.key << ":" << std::string(width - field.key.size() + 2, ' ')
        << field.cells[0].for_people() << "\n";
  }
}

void table_lines(const Document& document, std::ostream& out) {
  for (const auto& line : document.rows()) {
    if (!reads(line.audience, Audience::kPeople)) continue;
    std::vector<std::string> shown;
    for (const auto& cell : line.cells) {
      if (!cell.empty()) shown.push_back(cell.for_people());
    }
    out << joined(shown, "  ") << "\n";
  }
}

}  // namespace

std::string time_text(std::optional<Epoch> epoch, const std::string& tz) {
  if (!epoch) return "-";
  auto zone = Zone::locate(tz);
  return format_rfc3339(*epoch, zone ? *zone : Zone::utc());
}

std::string span_text(std::int64_t seconds) {
  std::int64_t span = seconds < 0 ? -seconds : seconds;
  for (const auto& step : kSpanSteps) {
    if (span < step.from) continue;
    std::string text = counted(span / step.unit, step.name);
    std::int64_t rest = step.subunit == 0 ? 0 : span % step.unit / step.subunit;
    if (rest != 0) text += " " + counted(rest, step.subname);
    return text;
  }
  return "now";
}

std::string cut_text(std::string_view text, std::size_t width) {
  if (text_width(text) <= width) return std::string(text);
  std::size_t keep = width > 3 ? width - 3 : 0;
  std::size_t end = 0;
  for (std::size_t kept = 0; end < text.size(); ++end) {
    if ((text[end] & 0xC0) != 0x80 && kept++ == keep) break;
  }
  return std::string(text.substr(0, end)) + std::string("...").substr(0, width - keep);
}

std::string tsv_field(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Cell Cell::time(std::optional<Epoch> epoch, const std::string& tz, std::string note) {
  Cell cell;
  cell.kind_ = Kind::kTime;
  if (epoch) cell.text_ = time_text(epoch, tz);
  cell.epoch_ = epoch;
  cell.note_ = std::move(note);
  return cell;
}

std::string Cell::for_people() const {
  if (text_.empty()) return "-";
  return kind_ == Kind::kTime ? text_ + note_ : text_;
}

std::string Cell::for_scripts() const {
  if (kind_ == Kind::kTime) return (epoch_ ? std::to_string(*epoch_) : "") + "\t" + text_;
  return tsv_field(text_);
}

void Document::set_columns(std::vector<Column> columns) {
  layout_ = Layout::kColumns;
  columns_ = std::move(columns);
}

void Document::below_last_row(std::string_view text) {
  auto& below = rows_.back().below;
  while (!text.empty()) {
    auto end = text.find('\n');
    below.emplace_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
}

void Document::field(std::string key, Cell value, Audience audience) {
  layout_ = Layout::kFields;
  rows_.push_back({std::move(key), {std::move(value)}, audience, {}});
}

void render_table(const Document& document, std::ostream& out) {
  switch (document.layout()) {
    case Document::Layout::kColumns:
      table_columns(document, out);
      break;
    case Document::Layout::kFields:
      table_fields(document, out);
      break;
    case Document::Layout::kLines:
      table_lines(document, out);
      break;
  }
  for (const auto& note : document.notes()) out << note << "\n";
}

void render_json(const Document& document, std::ostream& out) {
  const auto& data = document.data;
  if (data.is_null()) return;
  switch (document.json_style) {
    case Document::JsonStyle::kPretty:
      out << data.dump(2) << "\n";
      break;
    case Document::JsonStyle::kOneLine: {
      if (!data.is_object()) {
        out << data.dump() << "\n";
        break;
      }
      std::vector<std::string> members;
      for (const auto& [key, value] : data.items()) {
        members.push_back(nlohmann::ordered_json(key).dump() + ": " + value.dump());
      }
      out << "{" << joined(members, ", ") << "}\n";
      break;
    }
    case Document::JsonStyle::kLines:
      for (const auto& element : data) out << element.dump() << "\n";
      break;
  }
}

void render_tsv(const Document& document, std::ostream& out) {
  auto shown = columns_for(document, Audience::kScripts);
  for (const auto& row : document.rows()) {
    if (!reads(row.audience, Audience::kScripts)) continue;
    std::vector<std::string> fields;
    if (document.layout() == Document::Layout::kFields) fields.push_back(tsv_field(row.key));
    if (document.layout() == Document::Layout::kColumns) {
      for (std::size_t i : shown) fields.push_back(row.cells[i].for_scripts());
    } else {
      for (const auto& cell : row.cells) fields.push_back(cell.for_scripts());
    }
    out << joined(fields, "\t") << "\n";
  }
}

std::optional<Format> format_named(std::string_view name) {
  for (const auto& row : kFormats) {
    if (row.name == name) return row.format;
  }
  return std::nullopt;
}

std::string format_names(unsigned formats) {
  std::vector<std::string_view> chosen;
  for (const auto& row : kFormats) {
    if ((formats >> static_cast<unsigned>(row.format) & 1u) != 0) chosen.push_back(row.name);
  }
  std::string names;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    names += (i == 0 ? "" : i + 1 == chosen.size() ? " or " : ", ") + std::string(chosen[i]);
  }
  return names;
}

Renderer renderer_of(Format format) {
  for (const auto& row : kFormats) {
    if (row.format == format) return row.render;
  }
  return render_table;
}

}  // namespace trigger::cmd
