// Crontab conversion (`trigger import --crontab`, trigger-cron(7)): the text of a crontab(5)
// file turned into the JSON Lines definitions that `trigger import` reads, one per job line.
// A pure function of the text and the facts of the machine given in CrontabOptions: it reads
// no file, no clock and no environment of its own.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trigger/error.h"
#include "trigger/time.h"

namespace trigger {

/// What the conversion needs to know about the machine and the importer.
struct CrontabOptions {
  /// The /etc/crontab and /etc/cron.d format: a user name after the five time fields.
  bool system = false;
  /// The user importing (whose database runs the commands).
  std::string importing_user;
  /// The home directory of a user, nullopt when there is no such user (cron refuses a line
  /// naming one). Cron runs each command in the HOME of its user.
  std::function<std::optional<std::string>(const std::string& user)> home_of;
  /// The mail command that mails MAILTO, as cron would: "/usr/bin/mail" (mail -s SUBJECT
  /// ADDRESS...), "/usr/sbin/sendmail" (headers written first), or "" when neither exists.
  std::string mailer;
  /// The zone of a crontab without CRON_TZ or TZ (the trigger's default zone).
  Zone default_zone = Zone::utc();
  /// The time of the import: a fixed-time job's daylight-saving gaps are checked from here.
  Epoch now = 0;
};

/// One import line and the crontab line it comes from.
struct CrontabRecord {
  std::size_t line_number = 0;
  std::string json;  ///< one JSON object, as `trigger import` reads it
};

struct CrontabConversion {
  std::vector<CrontabRecord> records;  ///< one per job line, in file order
  /// Things said but not refused, one sentence each: "line 3: MAILTO=... sends no mail: ...".
  std::vector<std::string> warnings;
};

/// Convert crontab `text` (Debian cron's crontab(5); with options.system the user field).
/// Every job becomes a trigger named from its command (a slug of the program and a hash of the
/// command, and of the user with options.system, so that re-importing the file updates the same
/// triggers), labelled source=crontab, with the variables set above it as its environment, SHELL as
/// its interpreter, HOME (else its user's home) as its directory, CRON_TZ (else TZ) as its zone,
/// MAILTO as an on-failure hook that mails, and the --dst rule that gives Debian cron's fire
/// times. kData "line N: WHY" for the first line that cannot be expressed exactly; then
/// nothing is returned.
Result<CrontabConversion> convert_crontab(std::string_view text, const CrontabOptions& options);

}  // namespace trigger
