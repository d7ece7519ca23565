// Text files compiled into the binary by tools/embed.py (not public).
#pragma once

namespace trigger {

struct EmbeddedFile {
  const char* name;
  const char* text;
};

}  // namespace trigger
