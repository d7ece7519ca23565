#include "trigger/identity.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace trigger {

std::optional<Account> account_of(std::int64_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(static_cast<uid_t>(uid), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return Account{found->pw_name != nullptr ? found->pw_name : "",
                 found->pw_dir != nullptr ? found->pw_dir : ""};
}

std::string Identity::text() const {
  std::string text = (user.empty() ? "" : user + " ") + "(uid " + std::to_string(uid);
  if (sudo_user) text += ", SUDO_USER " + *sudo_user;
  return text + ")";
}

Identity current_identity() {
  Identity identity;
  identity.uid = static_cast<std::int64_t>(getuid());
  if (auto account = account_of(identity.uid)) identity.user = account->name;
  const char* sudo_user = std::getenv("SUDO_USER");
  if (sudo_user != nullptr && sudo_user[0] != '\0') identity.sudo_user = sudo_user;
  return identity;
}

}  // namespace trigger
