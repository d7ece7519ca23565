// Small string helpers shared inside lib/ (not public).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trigger {

inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

inline bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

inline std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

/// The directory of a file path: "." for a bare name, "/" for a file in the root.
inline std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace trigger
