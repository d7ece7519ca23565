// libFuzzer target: a crontab (convert_crontab). A conversion either refuses with "line N: ..."
// naming a line of the input, or gives import lines that `trigger import` accepts as they are
// (parse_import_line, then build_trigger), each naming a line of the input in order, with
// names unique; converting the same text again gives the same lines.
#include <algorithm>
#include <set>

#include "fuzz.h"
#include "import.h"
#include "trigger/crontab.h"
#include "trigger/trigger.h"

using trigger::fuzz::kNow;
using trigger::fuzz::require;

namespace {

trigger::CrontabOptions machine(bool system) {
  trigger::CrontabOptions options;
  options.system = system;
  options.importing_user = "alice";
  options.home_of = [](const std::string& user) -> std::optional<std::string> {
    if (user == "alice" || user == "bob") return "/home/" + user;
    return std::nullopt;
  };
  options.mailer = "/usr/bin/mail";
  options.now = kNow;
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("TZ", "UTC", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  for (bool system : {false, true}) {
    auto options = machine(system);
    auto converted = trigger::convert_crontab(text, options);
    if (!converted) {
      const std::string& message = converted.error().message();
      require(message.rfind("line ", 0) == 0, "a refusal names its line", message);
      require(std::stoul(message.substr(5)) <= lines, "the line is in the input", message);
      continue;
    }
    std::size_t previous = 0;
    std::set<std::string> names;
    for (const auto& record : converted->records) {
      require(record.line_number > previous && record.line_number <= lines,
              "records name input lines in order", record.json);
      previous = record.line_number;
      auto parsed = trigger::parse_import_line(record.json);
      require(parsed.ok(), "a converted line is an import line", record.json);
      // A job of another user (--system) runs as it: whether that user exists here and this
      // process is root are facts of the machine that build_trigger() checks, not of the text.
      auto& policy = parsed->spec.policy;
      policy.erase(std::remove_if(policy.begin(), policy.end(),
                                  [](const auto& option) { return option.first == "user"; }),
                   policy.end());
      auto built = trigger::build_trigger(parsed->spec, kNow);
      require(built.ok(), "a converted line builds", record.json);
      require(built->name && names.insert(*built->name).second, "names are unique", record.json);
    }
    auto again = trigger::convert_crontab(text, options);
    require(again.ok() && again->records.size() == converted->records.size(),
            "the conversion is stable", text);
    for (std::size_t i = 0; i < again->records.size(); ++i) {
      require(again->records[i].json == converted->records[i].json, "the conversion is stable",
              text);
    }
  }
  return 0;
}
