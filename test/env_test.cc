#include "trigger/env.h"

#include <catch2/catch.hpp>

using std::chrono::milliseconds;
using trigger::Epoch;
using trigger::FakeEnv;
using trigger::FixedEnv;

namespace {

constexpr Epoch kStart = 1796112000;  // 2026-12-01T08:00:00Z

}  // namespace

TEST_CASE("a fixed time moves on only by sleep_for, never by a pause", "[env]") {
  FakeEnv base(kStart);  // the waiting, on fake clocks
  FixedEnv env(kStart + 60, base);
  env.pause(milliseconds(1500));
  CHECK(env.now() == kStart + 60);
  env.sleep_for(milliseconds(1500));
  CHECK(env.now() == kStart + 61);  // wall time moves in milliseconds, reads in seconds
  env.sleep_for(milliseconds(500));
  CHECK(env.now() == kStart + 62);
  // Both waited on the base: its clocks moved by the 3.5 s asked.
  CHECK(base.slept() == milliseconds(3500));
  CHECK(env.steady_now() == base.steady_now());
  env.set(kStart);
  CHECK(env.now() == kStart);
}

TEST_CASE("fake clocks move together when slept or advanced, and the wall alone when stepped",
          "[env]") {
  FakeEnv env(kStart, milliseconds(10));
  auto steady = env.steady_now();
  CHECK(env.steady_now() - steady == milliseconds(10));  // each look ticks
  env.pause(milliseconds(990));
  env.sleep_for(milliseconds(1000));
  CHECK(env.now() == kStart + 2);
  CHECK(env.slept() == milliseconds(1990));
  env.step_wall(-3600);
  CHECK(env.now() == kStart + 2 - 3600);
  CHECK(env.steady_now() - steady == milliseconds(2010));  // the step left it alone
  // Nothing to wait for: poll returns at once and the clocks move on by the whole timeout.
  CHECK(env.poll(nullptr, 0, milliseconds(5000)) == 0);
  CHECK(env.now() == kStart + 7 - 3600);
}
