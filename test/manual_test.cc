#include "trigger/manual.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("every command's manual page is compiled in, by its file name", "[manual]") {
  for (const char* name : {"trigger.1", "trigger-clock.7", "trigger-list.1", "trigger-status.1"}) {
    const char* page = trigger::manual_page(name);
    REQUIRE(page != nullptr);
    CHECK(std::string(page).find(".Dt ") != std::string::npos);
  }
}

TEST_CASE("a page that was not compiled in is nullptr, not an empty text", "[manual]") {
  CHECK(trigger::manual_page("trigger-nothing.1") == nullptr);
  CHECK(trigger::manual_page("trigger-list") == nullptr);
  CHECK(trigger::manual_page("") == nullptr);
}
