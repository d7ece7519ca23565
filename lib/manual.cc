#include "trigger/manual.h"

#include "embedded.h"

namespace trigger {

extern const EmbeddedFile kManPages[];
extern const unsigned long kManPages_count;

const char* manual_page(std::string_view file_name) {
  for (unsigned long i = 0; i < kManPages_count; ++i) {
    if (file_name == kManPages[i].name) return kManPages[i].text;
  }
  return nullptr;
}

}  // namespace trigger
