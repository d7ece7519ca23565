// libFuzzer target: zone names (Zone::locate, the --tz and TZ lookup) and local-time
// resolution in the zone found. Input "ZONE[\nLOCAL-TIME]"; the local time is read as a wall
// clock (YYYY-MM-DD HH:MM[:SS], or any time parse_time reads in UTC).
#include "fuzz.h"
#include "trigger/time.h"

using trigger::Epoch;
using trigger::Zone;
using trigger::fuzz::require;

namespace {

constexpr Epoch kMaxEpoch = 253402300799;

// An instant prints in the zone and reads back to itself.
void check_printed(const Zone& zone, Epoch epoch) {
  std::string printed = trigger::format_rfc3339(epoch, zone);
  auto again = trigger::parse_time(printed, 0, zone);
  require(again && *again == epoch, "RFC 3339 reads back", zone.name() + " " + printed);
}

// How `local` maps to instants agrees with the offsets at those instants.
void check_local(const Zone& zone, std::int64_t local) {
  auto instants = zone.resolve_local(local);
  auto local_of = [&](Epoch epoch) { return epoch + zone.offset_at(epoch); };
  std::string where = zone.name() + " " + std::to_string(local);
  switch (instants.kind) {
    case Zone::LocalInstants::kUnique:
      require(local_of(instants.first) == local, "unique local time maps back", where);
      require(zone.from_local(local) == instants.first, "from_local agrees", where);
      break;
    case Zone::LocalInstants::kRepeated:
      require(instants.first < instants.second, "repeated: first before second", where);
      require(local_of(instants.first) == local && local_of(instants.second) == local,
              "repeated local time maps back twice", where);
      require(zone.from_local(local) == instants.first, "from_local takes the first", where);
      break;
    case Zone::LocalInstants::kGap:
      require(!zone.from_local(local), "a gap has no instant", where);
      require(local_of(instants.first) > local && local_of(instants.first - 1) < local,
              "a gap ends at the first instant after it", where);
      break;
  }
  if (instants.first >= 0 && instants.first <= kMaxEpoch) check_printed(zone, instants.first);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto lines = trigger::fuzz::input_lines(data, size, 2);
  const std::string& name = lines[0];
  auto zone = Zone::locate(name);
  if (!zone) {
    require(zone.error().message().find(trigger::one_line("'" + name + "'")) != std::string::npos,
            "refusal names the zone", name);
    return 0;
  }
  // "localtime" is resolved to the zone /etc/localtime points to; every other name is kept.
  require(zone->name() == name || (name == "localtime" && zone->name() != name),
          "a zone keeps its name", name);
  if (lines.size() > 1) {
    auto wall = trigger::parse_time(lines[1], 0, Zone::utc());
    if (wall) {
      check_local(*zone, *wall);
      auto epoch = trigger::parse_time(lines[1], 0, *zone);
      auto instants = zone->resolve_local(*wall);
      bool wall_clock = !lines[1].empty() && lines[1][0] >= '0' && lines[1][0] <= '9' &&
                        lines[1].find_first_of("Zz+-", 10) == std::string::npos;
      if (wall_clock && instants.kind == Zone::LocalInstants::kGap) {
        require(!epoch, "a wall-clock time in a gap is refused", lines[1]);
      } else if (wall_clock && instants.first >= 0 && instants.first <= kMaxEpoch) {
        require(epoch && *epoch == instants.first, "a wall-clock time reads as its first instant",
                lines[1]);
      }
    }
  }
  // Walk the zone's first offset changes from 1970: each span holds its instants and its
  // edges print and read back.
  Epoch at = 0;
  for (int i = 0; i < 16 && at <= kMaxEpoch; ++i) {
    auto span = zone->span_at(at);
    require(span.begin <= at && at < span.end, "a span holds its instant", zone->name());
    require(span.offset == zone->offset_at(at), "a span has the offset of its instants",
            zone->name());
    check_printed(*zone, at);
    check_local(*zone, at + span.offset);
    if (span.end > kMaxEpoch) break;
    if (span.end - 1 >= 0) check_printed(*zone, span.end - 1);
    at = span.end;
  }
  return 0;
}
