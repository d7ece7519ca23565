#include "process.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>

namespace trigger {
namespace {

std::string read_boot_id() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}

std::string read_host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

}  // namespace

std::int64_t process_start_ticks(std::int64_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(file, line)) return -1;
  // "PID (COMM) STATE PPID ..." where COMM may hold spaces and parentheses: fields are counted
  // from the last ')'. Field 3 is the state, field 22 the start time.
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int number = 3; number <= 22 && fields >> field; ++number) {
    if (number == 3 && (field == "Z" || field == "X")) return -1;
    if (number == 22) return std::stoll(field);
  }
  return -1;
}

const ProcessIdentity& this_process() {
  static const ProcessIdentity self = [] {
    ProcessIdentity identity;
    identity.host = read_host_name();
    identity.boot_id = read_boot_id();
    identity.pid = getpid();
    identity.start_ticks = std::max<std::int64_t>(process_start_ticks(identity.pid), 0);
    return identity;
  }();
  return self;
}

Liveness liveness(const ProcessIdentity& holder) {
  const ProcessIdentity& self = this_process();
  if (holder.host != self.host) return Liveness::kUnknown;
  if (!holder.boot_id.empty() && !self.boot_id.empty() && holder.boot_id != self.boot_id)
    return Liveness::kDead;  // the machine restarted: every process of the old boot is gone
  if (holder.pid <= 0) return Liveness::kUnknown;
  std::int64_t start = process_start_ticks(holder.pid);
  if (start < 0) {
    // No /proc entry: gone, unless /proc is not there at all (then ask the kernel).
    if (process_start_ticks(self.pid) >= 0) return Liveness::kDead;
    return kill(static_cast<pid_t>(holder.pid), 0) == 0 || errno == EPERM ? Liveness::kAlive
                                                                          : Liveness::kDead;
  }
  if (holder.start_ticks > 0 && start != holder.start_ticks) return Liveness::kDead;  // reused
  return Liveness::kAlive;
}

}  // namespace trigger
