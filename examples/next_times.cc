// next_times: the next three fire times of a clock, through the installed library.
//   next_times CLOCK ZONE NOW
// CLOCK is clock text as `trigger export` writes it ("--cron '0 9 * * 1-5'"), ZONE an IANA zone and
// NOW the time to count from. Build it against an installed trigger:
//   c++ -std=c++17 next_times.cc $(pkg-config --cflags --libs trigger) -o next_times
#include <trigger/clock.h>
#include <trigger/time.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: next_times CLOCK ZONE NOW\n";
    return 64;
  }
  auto zone = trigger::Zone::locate(argv[2]);
  if (!zone) return std::cerr << "next_times: " << zone.error().message() << "\n", 64;
  auto now = trigger::parse_time(argv[3], 0, *zone);
  if (!now) return std::cerr << "next_times: " << now.error().message() << "\n", 64;
  auto spec = trigger::parse_clock_text(argv[1]);
  if (!spec) return std::cerr << "next_times: " << spec.error().message() << "\n", 64;
  auto clock = trigger::make_clock(*spec, *now, *zone);
  if (!clock) return std::cerr << "next_times: " << clock.error().message() << "\n", 64;
  std::optional<trigger::Epoch> next = *now;
  for (int i = 0; i < 3 && (next = (*clock)->first_after(*next)); ++i) {
    std::cout << trigger::format_rfc3339(*next, *zone) << "\n";
  }
  return 0;
}
