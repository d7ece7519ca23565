// Who runs trigger, from the password database (read in lib/account.cc alone): edit records
// name the user who made each edit (current_identity()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace trigger {

/// Who made an edit: the real user of the process and, through sudo, who ran sudo.
struct Identity {
  std::string user;                      ///< the real uid's login name; "" when it has none
  std::int64_t uid = 0;                  ///< getuid()
  std::optional<std::string> sudo_user;  ///< SUDO_USER when set and not empty

  /// "alice (uid 1000)", "root (uid 0, SUDO_USER bob)", "(uid 1234)" without a name.
  std::string text() const;
  bool operator==(const Identity& other) const {
    return user == other.user && uid == other.uid && sudo_user == other.sudo_user;
  }
};

/// Who runs this process now: getuid(), its name in the password database, and $SUDO_USER.
Identity current_identity();

/// The home directory of user `name` in the password database; nullopt when it has no such
/// user (or cannot be read).
std::optional<std::string> home_of_user(const std::string& name);

}  // namespace trigger
