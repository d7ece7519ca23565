// The machine's clocks behind the Env seam.
#include "trigger/env.h"

#include <poll.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

namespace trigger {
namespace {

class SystemEnv final : public Env {
 public:
  Epoch now() override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  SteadyTime steady_now() override { return std::chrono::steady_clock::now(); }
  void sleep_for(std::chrono::milliseconds duration) override {
    std::this_thread::sleep_for(duration);
  }
};

}  // namespace

Env& Env::system() {
  static SystemEnv env;
  return env;
}

// The kernel's boot id and /proc/stat's btime (the boot on the wall clock, in seconds).
BootInfo Env::read_boot() {
  BootInfo boot;
  std::ifstream id_file("/proc/sys/kernel/random/boot_id");
  std::getline(id_file, boot.id);
  std::ifstream stat_file("/proc/stat");
  for (std::string line; std::getline(stat_file, line);) {
    if (line.rfind("btime ", 0) != 0) continue;
    std::istringstream(line.substr(6)) >> boot.epoch;
    break;
  }
  return boot;
}

int Env::poll(pollfd* fds, std::size_t count, std::chrono::milliseconds timeout) {
  auto wait = std::clamp<long long>(timeout.count(), 0, std::numeric_limits<int>::max());
  return ::poll(fds, static_cast<nfds_t>(count), static_cast<int>(wait));
}

void FixedEnv::sleep_for(std::chrono::milliseconds duration) {
  base_.sleep_for(duration);
  wall_ms_ += duration.count();
}

int FakeEnv::poll(pollfd* fds, std::size_t count, std::chrono::milliseconds timeout) {
  int ready = Env::poll(fds, count, std::min(timeout, real_wait_));
  if (ready == 0 && timeout.count() > 0) advance(timeout);
  return ready;
}

}  // namespace trigger
