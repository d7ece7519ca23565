// Who a process is, beyond its pid: the host, the boot and the process's start time, so that a
// recorded pass or lease holder can be told alive or dead without trusting a pid that the
// kernel may have reused (not public).
#pragma once

#include <cstdint>
#include <string>

namespace trigger {

/// A process, as recorded with a pass or a lease.
struct ProcessIdentity {
  std::string host;           ///< gethostname()
  std::string boot_id;        ///< /proc/sys/kernel/random/boot_id ("" where unknown)
  std::int64_t pid = 0;
  std::int64_t start_ticks = 0;  ///< /proc/PID/stat field 22, clock ticks since boot (0 if unknown)
};

/// This process. Read once and cached: the identity does not change while it runs.
const ProcessIdentity& this_process();

/// The start time of process `pid` in clock ticks since boot, or -1 when there is no such
/// process (or it is a zombie: it has ended and only waits to be reaped).
std::int64_t process_start_ticks(std::int64_t pid);

enum class Liveness {
  kAlive,    ///< this host, this boot, and the pid is the same process (same start time)
  kDead,     ///< this host, and a new boot, or the pid is gone, or now another process
  kUnknown,  ///< another host: only its heartbeat can tell
};

/// Whether the process `holder` still runs, as far as this host can tell.
Liveness liveness(const ProcessIdentity& holder);

}  // namespace trigger
