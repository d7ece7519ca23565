// One table of names per enum: write the {value, name} pairs once, read them both ways.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace trigger {

/// One row of an enum's name table.
template <class Enum>
struct Named {
  Enum value;
  std::string_view name;
};

/// The name of `value` in `table`, "?" when the table lacks it.
template <class Enum, std::size_t N>
constexpr std::string_view name_of(const Named<Enum> (&table)[N], Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

/// The value named `name` in `table`, nullopt when no row has that name.
template <class Enum, std::size_t N>
constexpr std::optional<Enum> value_of(const Named<Enum> (&table)[N], std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

/// The names of `table` in order, joined by ", ": "all, latest, skip".
template <class Enum, std::size_t N>
std::string choices(const Named<Enum> (&table)[N]) {
  std::string out;
  for (const auto& entry : table) out += (out.empty() ? "" : ", ") + std::string(entry.name);
  return out;
}

}  // namespace trigger
