// Accounts in the password database: for `--user NAME` (trigger-create(1); like the user field
// of /etc/cron.d) who a command runs as, and whether this process may make it so; who makes an
// edit (trigger/identity.h) and the home of the default database. The one place that reads
// the password and group databases (not public).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "trigger/error.h"

namespace trigger {

/// A user as a command runs as it: the password database's entry and the groups it belongs to.
struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;              ///< the primary group
  std::vector<gid_t> groups;  ///< every group, the primary one included (getgrouplist)
  std::string home;           ///< pw_dir
  std::string shell;          ///< pw_shell, "/bin/sh" when empty (as login(1) reads it)
};

/// The account of user id `uid` (getpwuid_r), without its groups; nullopt when the password
/// database has none (or cannot be read).
std::optional<Account> account_by_uid(uid_t uid);

/// The account named `name` (getpwnam_r, getgrouplist). kNotFound "no user 'NAME' in the
/// password database"; kInternal when the lookup itself fails (the reason named).
Result<Account> look_up_account(const std::string& name);

/// Whether this process may run commands as user `name`: its real and effective user ids are
/// root's. kUnsafe "--user 'NAME': only root can run commands as another user" otherwise.
Status check_run_by_root(const std::string& name);

/// Whether `--user NAME` may be set by this process: check_run_by_root(), then the user
/// exists (kUsage "--user 'NAME': no user 'NAME' in the password database").
Status check_user_option(const std::string& name);

/// The variables a command run as `account` gets from its account, "K=V" each, as cron and
/// login(1) set them: HOME, LOGNAME, SHELL and USER.
std::vector<std::string> account_environment(const Account& account);

}  // namespace trigger
