// The machine's clocks behind the Env seam.
#include "trigger/env.h"

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

}  // namespace trigger
