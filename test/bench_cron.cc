// next_local() speed: calls per second (median of 5 runs of about 0.2 s, each call chained from
// the last answer) and the slowest single call over 200,000 chained calls, for common and
// adversarial expressions.
// Run by `meson test -C build --benchmark`. Required: 2,000,000 calls/s for frequent
// expressions, 1,000,000/s for `0 0 29 2 *`, and no call over 20 us.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "cron.h"
#include "trigger/clock.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kStart = 1767225600;  // 2026-01-01T00:00 local
constexpr int kRuns = 5;
constexpr double kRunSeconds = 0.2;
constexpr int kTimedCalls = 200000;
constexpr int kTimingsPerInput = 3;
constexpr int kCallsPerClockCheck = 1000;

volatile std::int64_t g_sink;

const char* const kExpressions[] = {
    "*/5 * * * *",
    "0 9 * * 1-5",
    "15 3 1-7 * 1",
    "0 0 29 2 *",
    // Adversarial: rare days, month ends, the OR rule, extensions.
    "0 0 31 * *",
    "59 23 L * *",
    "0 0 29 2 1",
    "0 0 1W * *",
    "0 0 * * 5L",
    "0 0 * 2 1#5",
    "0 0 29 2 */7",
};

// One chained step; starts over at kStart when the calendar runs out (year 10000).
std::int64_t step(const trigger::CronExpression& expression, std::int64_t at) {
  auto next = expression.next_local(at);
  return next ? *next : kStart;
}

// The same for a whole clock in its zone: first_after, with the DST rule applied.
std::int64_t step(const trigger::Clock& clock, std::int64_t at) {
  auto next = clock.first_after(at);
  return next ? *next : kStart;
}

template <class Next>
double calls_per_second(const Next& expression) {
  std::int64_t at = kStart;
  long calls = 0;
  Clock::time_point begin = Clock::now();
  Clock::duration limit =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(kRunSeconds));
  Clock::duration elapsed{};
  while (elapsed < limit) {
    for (int i = 0; i < kCallsPerClockCheck; ++i) at = step(expression, at);
    calls += kCallsPerClockCheck;
    elapsed = Clock::now() - begin;
  }
  g_sink = at;  // the chain must not be optimized away
  return static_cast<double>(calls) / std::chrono::duration<double>(elapsed).count();
}

struct Slowest {
  double raw_us;   // the slowest single timing: includes preemption and interrupts
  double best_us;  // the slowest input, each timed 3 times and its fastest timing kept
};

template <class Next>
double call_us(const Next& expression, std::int64_t at, std::int64_t& next) {
  Clock::time_point before = Clock::now();
  next = step(expression, at);
  return std::chrono::duration<double, std::micro>(Clock::now() - before).count();
}

// A virtual machine's scheduler adds tens of microseconds to a call now and then; timing each
// input three times and keeping its fastest shows what the call itself costs.
template <class Next>
Slowest slowest_call(const Next& expression) {
  Slowest slowest{0, 0};
  std::int64_t at = kStart;
  for (int i = 0; i < kTimedCalls; ++i) {
    std::int64_t next = 0;
    double best = call_us(expression, at, next);
    slowest.raw_us = std::max(slowest.raw_us, best);
    for (int repeat = 1; repeat < kTimingsPerInput; ++repeat) {
      double again = call_us(expression, at, next);
      slowest.raw_us = std::max(slowest.raw_us, again);
      best = std::min(best, again);
    }
    slowest.best_us = std::max(slowest.best_us, best);
    at = next;
  }
  return slowest;
}

// The same timing around nothing: how slow the clock and the machine make a "call" by
// themselves, to read the raw column against.
double slowest_empty_timing_us() {
  double slowest = 0;
  for (int i = 0; i < kTimedCalls * kTimingsPerInput; ++i) {
    Clock::time_point before = Clock::now();
    slowest =
        std::max(slowest, std::chrono::duration<double, std::micro>(Clock::now() - before).count());
  }
  return slowest;
}

}  // namespace

int main() {
  std::printf("%-16s %12s %14s %12s\n", "expression", "calls/s", "slowest us", "raw max us");
  for (const char* text : kExpressions) {
    auto expression = trigger::CronExpression::parse(text);
    if (!expression) {
      std::fprintf(stderr, "bench_cron: %s\n", expression.error().message().c_str());
      return 1;
    }
    std::vector<double> rates;
    for (int run = 0; run < kRuns; ++run) rates.push_back(calls_per_second(*expression));
    std::sort(rates.begin(), rates.end());
    Slowest slowest = slowest_call(*expression);
    std::printf("%-16s %12.0f %14.2f %12.2f\n", text, rates[kRuns / 2], slowest.best_us,
                slowest.raw_us);
  }
  // Whole clocks: what a pass and `trigger next` call, in UTC and in a zone with DST.
  std::printf("\n%-16s %-14s %12s %14s %12s\n", "clock", "zone", "calls/s", "slowest us",
              "raw max us");
  const char* zones[] = {"UTC", "Europe/Berlin"};
  const char* clocks[] = {"*/5 * * * *", "0 9 * * 1-5", "15 3 1-7 * 1", "0 0 29 2 *", "30 2 * * *"};
  for (const char* zone_name : zones) {
    auto zone = trigger::Zone::locate(zone_name);
    for (const char* text : clocks) {
      auto clock = trigger::make_clock(
          {trigger::ClockKind::kCron, text, std::nullopt, trigger::DstRule::kAuto}, kStart, *zone);
      if (!zone || !clock) return 1;
      std::vector<double> rates;
      for (int run = 0; run < kRuns; ++run) rates.push_back(calls_per_second(**clock));
      std::sort(rates.begin(), rates.end());
      Slowest slowest = slowest_call(**clock);
      std::printf("%-16s %-14s %12.0f %14.2f %12.2f\n", text, zone_name, rates[kRuns / 2],
                  slowest.best_us, slowest.raw_us);
    }
  }
  std::printf("%-16s %12s %14s %12.2f\n", "(no call)", "-", "-", slowest_empty_timing_us());
  return 0;
}
