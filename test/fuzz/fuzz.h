// Shared by the libFuzzer targets: the input as text, its lines, and property checks that
// abort (so libFuzzer keeps the input) with a message saying what failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace trigger::fuzz {

/// 2026-12-01T08:00:00Z: the "now" every target reads relative times against.
constexpr std::int64_t kNow = 1796112000;

/// Abort with `what` and `detail` unless `ok`.
inline void require(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "property failed: %s: '%.*s'\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

/// The input split at '\n' into at most `count` parts; the last part keeps any further '\n'.
inline std::vector<std::string> input_lines(const std::uint8_t* data, std::size_t size,
                                            std::size_t count) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  while (lines.size() + 1 < count) {
    auto newline = text.find('\n');
    if (newline == std::string_view::npos) break;
    lines.emplace_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  lines.emplace_back(text);
  return lines;
}

}  // namespace trigger::fuzz
