// Who runs trigger, from the password database: the one place that reads it. Edit records name
// the user who made each edit (current_identity()); the default database lives under the
// user's home directory (account_of()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace trigger {

/// An account of the password database.
struct Account {
  std::string name;  ///< the login name
  std::string home;  ///< the home directory, as given (may be empty)
};

/// The account of user id `uid` (getpwuid_r), or nullopt when the database has none.
std::optional<Account> account_of(std::int64_t uid);

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

/// Who runs this process now: getuid(), its name from account_of(), and $SUDO_USER.
Identity current_identity();

}  // namespace trigger
