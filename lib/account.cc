#include "account.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "text.h"

namespace trigger {
namespace {

// Every group of the user whose primary group is `gid`, as initgroups(3) would set them.
std::vector<gid_t> groups_of(const char* name, gid_t gid) {
  std::vector<gid_t> groups(16);
  while (true) {
    int count = static_cast<int>(groups.size());
    if (getgrouplist(name, gid, groups.data(), &count) >= 0) {
      groups.resize(static_cast<std::size_t>(count));
      return groups;
    }
    // Too small: count now holds the size needed (more than before, or it would have fitted).
    groups.resize(std::max<std::size_t>(static_cast<std::size_t>(count), groups.size() * 2));
  }
}

// The account of a password database entry; its groups only when `with_groups`.
Account account_from(const passwd& entry, bool with_groups) {
  Account account;
  account.name = entry.pw_name != nullptr ? entry.pw_name : "";
  account.uid = entry.pw_uid;
  account.gid = entry.pw_gid;
  if (with_groups) account.groups = groups_of(entry.pw_name, entry.pw_gid);
  account.home = entry.pw_dir != nullptr ? entry.pw_dir : "";
  account.shell = entry.pw_shell != nullptr && *entry.pw_shell != '\0' ? entry.pw_shell : "/bin/sh";
  return account;
}

}  // namespace

std::optional<Account> account_by_uid(uid_t uid) {
  long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 4096);
  passwd entry{};
  passwd* found = nullptr;
  while (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (found == nullptr) return std::nullopt;
  return account_from(entry, false);
}

Result<Account> look_up_account(const std::string& name) {
  long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 4096);
  passwd entry{};
  passwd* found = nullptr;
  int error = 0;
  while ((error = getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found)) ==
             ERANGE &&
         buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  // ENOENT, ESRCH, EBADF and EPERM also say "no such user" for some NSS modules.
  bool missing =
      error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM;
  if (found == nullptr && missing)
    return Error(ErrorKind::kNotFound, "no user " + in_quotes(name) + " in the password database");
  if (found == nullptr)
    return Error(ErrorKind::kInternal,
                 "cannot look up user " + in_quotes(name) + ": " + std::strerror(error));
  return account_from(entry, true);
}

Status check_run_by_root(const std::string& name) {
  if (getuid() == 0 && geteuid() == 0) return Ok{};
  return Error(ErrorKind::kUnsafe,
               "--user " + in_quotes(name) + ": only root can run commands as another user");
}

Status check_user_option(const std::string& name) {
  if (auto root = check_run_by_root(name); !root) return root;
  auto account = look_up_account(name);
  if (account) return Ok{};
  if (account.error().kind() == ErrorKind::kNotFound)
    return usage_error("--user " + in_quotes(name) + ": " + account.error().message());
  return account.error();
}

std::vector<std::string> account_environment(const Account& account) {
  return {"HOME=" + account.home, "LOGNAME=" + account.name, "SHELL=" + account.shell,
          "USER=" + account.name};
}

}  // namespace trigger
