// The one seam through which trigger reads the time and waits (LevelDB's Env, ninja's Tick()):
// wall time, monotonic time and sleeping. The pass, the store's sync window and the process
// runner take one; tests hand them a FakeEnv that ticks, `--now` a FixedEnv.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "trigger/time.h"

struct pollfd;

namespace trigger {

/// The boot of the machine a process runs in (the boot clock, --on-boot, reads it): the
/// kernel's boot id (/proc/sys/kernel/random/boot_id), new at every boot, and when the boot
/// began on the wall clock (/proc/stat btime). An id "" and epoch 0 when they cannot be read.
struct BootInfo {
  std::string id;
  Epoch epoch = 0;
};

class Env {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Env() = default;

  /// Wall-clock time: seconds since the epoch (may step back or forward with the system clock).
  virtual Epoch now() = 0;
  /// Monotonic time, for deadlines, budgets, heartbeats and the sync window: never goes back.
  virtual SteadyTime steady_now() = 0;
  /// Wait `duration` for time to pass (--linger waiting for its next second): a fixed wall
  /// clock moves on by it, a fake moves its clocks on instead of waiting.
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
  /// Wait `duration` that is not the caller waiting for time to pass: a pause for others'
  /// sake (the gap a pass leaves writers between its transactions, a retry after a busy
  /// database, a killed process group's exit). A fixed wall clock stays where it is. Unless
  /// overridden: sleep_for().
  virtual void pause(std::chrono::milliseconds duration) { sleep_for(duration); }
  /// Wait until one of `fds` is ready or `timeout` has passed, as poll(2) does, and return
  /// what it returns (how many are ready, 0 when none is, -1 with errno). The process runner
  /// waits for its commands here. Unless overridden: poll(2) itself.
  virtual int poll(pollfd* fds, std::size_t count, std::chrono::milliseconds timeout);

  /// The boot this process runs in: what set_boot() gave, else read_boot(). Nothing else in
  /// trigger reads the boot id or the boot time for the boot clock.
  BootInfo boot() { return boot_ ? *boot_ : read_boot(); }
  /// Take `boot` as the boot from now on (tests; TRIGGER_BOOT).
  void set_boot(BootInfo boot) { boot_ = std::move(boot); }

  /// The machine's clocks: std::chrono's system and steady clocks and a real sleep. Shared;
  /// lives for the whole program.
  static Env& system();

 protected:
  /// The boot as the machine tells it. Unless overridden: the system's, read from /proc.
  virtual BootInfo read_boot();

 private:
  std::optional<BootInfo> boot_;
};

/// The wall clock of `--now` (and TRIGGER_NOW): fixed at an instant, and moved on only by
/// sleep_for(). The monotonic clock, the waiting (sleep_for(), pause(), poll()) are `base`'s
/// (the system's unless given; `base` must outlive this), so that commands' run time, the work
/// of a pass and its pauses leave the wall clock where it is (a pass at a fixed time records
/// that time), while a lingering pass sees the seconds it sleeps pass. Wall time moves in
/// milliseconds and reads in whole seconds.
class FixedEnv final : public Env {
 public:
  explicit FixedEnv(Epoch instant, Env& base = Env::system())
      : wall_ms_(instant * 1000), base_(base) {}

  Epoch now() override { return wall_ms_ / 1000; }
  SteadyTime steady_now() override { return base_.steady_now(); }
  void sleep_for(std::chrono::milliseconds duration) override;
  void pause(std::chrono::milliseconds duration) override { base_.pause(duration); }
  int poll(pollfd* fds, std::size_t count, std::chrono::milliseconds timeout) override {
    return base_.poll(fds, count, timeout);
  }

  /// Fix the wall clock at `instant` again (tests stepping from one pass's time to the next).
  void set(Epoch instant) { wall_ms_ = instant * 1000; }

 protected:
  BootInfo read_boot() override { return base_.boot(); }  ///< `base`'s boot

 private:
  std::int64_t wall_ms_;
  Env& base_;
};

/// Clocks that move only when told, for tests: both start where given; sleep_for(), pause()
/// and advance() move both on at once, and each steady_now() call moves them on by `tick` (so
/// that a loop waiting for time to pass ends). Wall time moves in milliseconds and reads in
/// whole seconds. poll() waits for real, `real_wait` at most (real commands run meanwhile);
/// when nothing is ready by then the clocks move on by the whole timeout, as if waited.
/// Its boot is {"fake-boot", 0} until set_boot() gives another.
class FakeEnv final : public Env {
 public:
  explicit FakeEnv(Epoch wall, std::chrono::milliseconds tick = std::chrono::milliseconds(0),
                   std::chrono::milliseconds real_wait = std::chrono::milliseconds(1000))
      : wall_ms_(wall * 1000), tick_(tick), real_wait_(real_wait) {}

  Epoch now() override { return wall_ms_ / 1000; }
  SteadyTime steady_now() override {
    advance(tick_);
    return SteadyTime(std::chrono::milliseconds(steady_ms_));
  }
  void sleep_for(std::chrono::milliseconds duration) override {
    slept_ += duration;
    advance(duration);
  }
  int poll(pollfd* fds, std::size_t count, std::chrono::milliseconds timeout) override;

  /// Move both clocks on by `duration`.
  void advance(std::chrono::milliseconds duration) {
    wall_ms_ += duration.count();
    steady_ms_ += duration.count();
  }
  /// Step the wall clock alone (a clock step: NTP, a VM resumed); `seconds` may be negative.
  void step_wall(std::int64_t seconds) { wall_ms_ += seconds * 1000; }
  /// The total asked of sleep_for() and pause().
  std::chrono::milliseconds slept() const { return slept_; }

 protected:
  BootInfo read_boot() override { return BootInfo{"fake-boot", 0}; }

 private:
  std::int64_t wall_ms_;
  std::int64_t steady_ms_ = 1'000'000;  ///< arbitrary, well above zero
  std::chrono::milliseconds tick_;
  std::chrono::milliseconds real_wait_;
  std::chrono::milliseconds slept_{0};
};

}  // namespace trigger
