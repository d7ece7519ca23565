#include "trigger/identity.h"

#include <unistd.h>

#include <cstdlib>

#include "account.h"

namespace trigger {

std::string Identity::text() const {
  std::string text = (user.empty() ? "" : user + " ") + "(uid " + std::to_string(uid);
  if (sudo_user) text += ", SUDO_USER " + *sudo_user;
  return text + ")";
}

Identity current_identity() {
  Identity identity;
  identity.uid = static_cast<std::int64_t>(getuid());
  if (auto account = account_by_uid(getuid())) identity.user = account->name;
  const char* sudo_user = std::getenv("SUDO_USER");
  if (sudo_user != nullptr && sudo_user[0] != '\0') identity.sudo_user = sudo_user;
  return identity;
}

std::optional<std::string> home_of_user(const std::string& name) {
  auto account = look_up_account(name);
  if (!account) return std::nullopt;
  return account->home;
}

}  // namespace trigger
