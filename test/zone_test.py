#!/usr/bin/env python3
"""Zones past their files' last transition (2038-2100), checked against an independent reference:
Python's zoneinfo, which reads the same zone files and their POSIX TZ footers itself.

`trigger next --cron` over the hours where zones change (dst auto: a time in a gap fires at the
end of the gap, a repeated time at its first occurrence) must print exactly the instants and
offsets zoneinfo gives. Run by `meson test` with TRIGGER_BIN set to the binary.
"""
import datetime
import os
import subprocess
import unittest
import zoneinfo

BIN = os.environ.get('TRIGGER_BIN', 'build/cmd/trigger')
UTC = datetime.timezone.utc

# Northern and southern DST, 30-minute DST (Lord_Howe), negative DST (Dublin), changes at 24:00
# (Santiago), at 26:00 (Jerusalem), at -1:00 (Nuuk), at 2:45 with +12:45 (Chatham), at midnight
# (Havana), no DST past the last transition (Tehran, Casablanca after 2087, Kolkata).
ZONES = ['America/New_York', 'Australia/Sydney', 'Europe/Berlin', 'Europe/London',
         'America/Santiago', 'Pacific/Auckland', 'Asia/Tehran', 'Australia/Lord_Howe',
         'Africa/Casablanca', 'Europe/Dublin', 'Asia/Jerusalem', 'America/Nuuk',
         'Pacific/Chatham', 'America/Havana', 'America/Los_Angeles', 'Asia/Kolkata']
# The local times tried: a quarter past and to each hour around midnight and the early morning,
# where every zone above changes (inside each of their gaps and repeated hours), in the months
# where they change, on the days they change (Casablanca's Ramadan changes move through the
# year: only those in these months are tried).
MINUTES = (15, 45)
HOURS = (0, 1, 2, 3, 23)
MONTHS = (3, 4, 9, 10, 11)
WEEKDAYS = (4, 5, 6)  # Friday, Saturday, Sunday (Python's numbering)
CRON = '15,45 0-3,23 * 3,4,9,10,11 5,6,0'
START = datetime.datetime(2038, 1, 1, tzinfo=UTC)
END_YEAR = 2100


def format_at(instant, offset):
    """An instant as trigger prints it at `offset`: Z when the offset is zero."""
    seconds = int(offset.total_seconds())
    text = (instant + offset).replace(tzinfo=None).isoformat()
    if seconds == 0:
        return text + 'Z'
    sign = '-' if seconds < 0 else '+'
    seconds = abs(seconds)
    return f'{text}{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}'


def rfc3339(instant, zone):
    return format_at(instant, instant.astimezone(zone).utcoffset())


def first_instant(naive, zone):
    """The instant trigger fires a local time at under dst auto: its first occurrence, or the end
    of the gap it falls in."""
    candidates = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == naive:
            candidates.append(instant)
    if candidates:
        return min(candidates)
    # A gap: the change lies between the two readings; find it to the second.
    low, high = sorted(naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    before = low.astimezone(zone).utcoffset()
    while high - low > datetime.timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def steady_offset(day, zone):
    """The offset in force on all of `day`'s local times, or None near a change. (Offsets stay
    within 14 h of UTC, and zones change at most once in three days.)"""
    midnight = datetime.datetime(day.year, day.month, day.day, tzinfo=UTC)
    before = (midnight - datetime.timedelta(days=1)).astimezone(zone).utcoffset()
    after = (midnight + datetime.timedelta(days=2)).astimezone(zone).utcoffset()
    return before if before == after else None


def expected(zone_name):
    zone = zoneinfo.ZoneInfo(zone_name)
    times, last = [], START
    day = datetime.date(START.year - 1, 12, 31)
    while day.year <= END_YEAR:
        if day.month in MONTHS and day.weekday() in WEEKDAYS:
            offset = steady_offset(day, zone)
            for hour in HOURS:
                for minute in MINUTES:
                    naive = datetime.datetime(day.year, day.month, day.day, hour, minute)
                    if offset is None:
                        instant = first_instant(naive, zone)
                    else:
                        instant = (naive - offset).replace(tzinfo=UTC)
                    if instant > last:
                        times.append(rfc3339(instant, zone) if offset is None else
                                     format_at(instant, offset))
                        last = instant
        day += datetime.timedelta(days=1)
    return times


class ZonesPastTheirLastTransition(unittest.TestCase):
    def next_times(self, zone, count):
        process = subprocess.run(
            [BIN, '--now', '2038-01-01T00:00:00Z', 'next', '--cron', CRON, '--tz', zone,
             '--count', str(count)],
            env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'TZ': 'UTC'},
            capture_output=True, text=True, timeout=120)
        self.assertEqual((process.returncode, process.stderr), (0, ''), zone)
        return process.stdout.splitlines()

    def test_every_zone_agrees_with_zoneinfo_to_2100(self):
        for zone in ZONES:
            with self.subTest(zone=zone):
                want = expected(zone)
                got = self.next_times(zone, len(want))
                # The first difference, rather than thousands of lines.
                for line, (g, w) in enumerate(zip(got, want)):
                    self.assertEqual(g, w, f'{zone}: time {line + 1}')
                self.assertEqual(len(got), len(want), zone)

    def test_the_issues_example(self):
        process = subprocess.run(
            [BIN, '--now', '2040-07-01T00:00:00Z', 'next', '--daily', '12:00', '--tz',
             'America/New_York', '--count', '1'],
            env={'PATH': os.environ.get('PATH', '/usr/bin:/bin')},
            capture_output=True, text=True, timeout=60)
        self.assertEqual(process.stdout, '2040-07-01T12:00:00-04:00\n')


if __name__ == '__main__':
    unittest.main(verbosity=1)
