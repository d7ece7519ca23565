"""Helpers shared by torture_test.py and soak_test.py (no tests of its own).

The size of both suites comes from $TRIGGER_TORTURE_SCALE (default 1, the CI size; 10 is ten
times the work, for a local run); their random choices from a seed, printed, that
$TRIGGER_TORTURE_SEED replays.
"""
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections import defaultdict

BIN = os.environ.get('TRIGGER_BIN', 'build/cmd/trigger')
SOURCE_ROOT = os.environ.get('TRIGGER_SOURCE_ROOT',
                             os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Outcomes that end a fired occurrence (a run, or a queued run cancelled with its trigger).
FINAL = ('succeeded', 'failed', 'timed_out', 'cancelled')
# Records that stand for occurrences that were not run, each with its count.
NOT_RUN = ('skipped', 'coalesced')


def scale():
    text = os.environ.get('TRIGGER_TORTURE_SCALE', '1')
    try:
        value = float(text)
    except ValueError:
        raise SystemExit(f"TRIGGER_TORTURE_SCALE '{text}': expected a positive number")
    if value <= 0:
        raise SystemExit(f"TRIGGER_TORTURE_SCALE '{text}': expected a positive number")
    return value


def scaled(count, factor):
    """`count` at scale 1, linear in the scale, at least 1."""
    return max(1, round(count * factor))


def seeded_random(name):
    """A random generator whose seed is printed and can be replayed with TRIGGER_TORTURE_SEED."""
    text = os.environ.get('TRIGGER_TORTURE_SEED')
    seed = int(text) if text else random.SystemRandom().randrange(1 << 32)
    print(f'{name}: seed {seed} (replay with TRIGGER_TORTURE_SEED={seed})', flush=True)
    return random.Random(seed)


def documented_exit_codes():
    """The exit statuses listed under EXIT STATUS in man/trigger.1."""
    with open(os.path.join(SOURCE_ROOT, 'man', 'trigger.1')) as f:
        page = f.read()
    section = page.split('.Sh EXIT STATUS', 1)[1].split('.Sh ', 1)[0]
    codes = {int(code) for code in re.findall(r'^\.It (\d+)$', section, re.MULTILINE)}
    assert {0, 64, 75}.issubset(codes), f'EXIT STATUS of man/trigger.1 not understood: {codes}'
    return codes


def rfc3339_epoch(text):
    """Seconds since the epoch of an RFC 3339 time as trigger prints it in UTC ('...Z')."""
    match = re.fullmatch(r'(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z', text)
    if not match:
        raise ValueError(f'unexpected time {text!r} (the tests run with TZ=UTC)')
    import calendar
    return calendar.timegm(tuple(int(part) for part in match.groups()))


def iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


# --- clocks, computed here without trigger's code ------------------------------------------

def every_times(start, period, after, until):
    """Fire times start + k*period (k any integer) in (after, until]."""
    k = -((start - after) // period)  # the first k with start + k*period > after
    first = start + k * period
    if first <= after:
        first += period
    return list(range(first, until + 1, period))


def cron_field_matches(field, value, low, high):
    for item in field.split(','):
        step = 1
        if '/' in item:
            item, step_text = item.split('/')
            step = int(step_text)
        if item == '*':
            start, end = low, high
        elif '-' in item:
            start, end = (int(part) for part in item.split('-'))
        else:
            start = int(item)
            end = start if step == 1 else high
        if start <= value <= end and (value - start) % step == 0:
            return True
    return False


def cron_times(expression, after, until):
    """Fire times in (after, until] of a cron expression 'MINUTE HOUR * * *' in UTC."""
    minute_field, hour_field, *rest = expression.split()
    assert rest == ['*', '*', '*'], expression
    times = []
    epoch = (after // 60 + 1) * 60
    while epoch <= until:
        if (cron_field_matches(minute_field, epoch // 60 % 60, 0, 59)
                and cron_field_matches(hour_field, epoch // 3600 % 24, 0, 23)):
            times.append(epoch)
        epoch += 60
    return times


# --- running trigger ------------------------------------------------------------------------

class Trigger:
    """The built trigger against one database; every call is logged for the checks."""

    def __init__(self, directory, env=None):
        self.dir = directory
        self.db = os.path.join(directory, 'trigger.db')
        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': directory,
            'TZ': 'UTC',
            'TRIGGER_DB': self.db,
        }
        self.env.update(env or {})

    def environment(self, now=None, extra=None):
        env = dict(self.env)
        if now is not None:
            env['TRIGGER_NOW'] = f'@{now}'
        env.update(extra or {})
        return env

    def run(self, *args, now=None, stdin=None, timeout=120):
        """(exit status, stdout, stderr) of one command."""
        process = subprocess.run([BIN, *args], env=self.environment(now), input=stdin,
                                 capture_output=True, text=True, timeout=timeout)
        return process.returncode, process.stdout, process.stderr

    def ok(self, *args, now=None, stdin=None, timeout=120):
        code, out, err = self.run(*args, now=now, stdin=stdin, timeout=timeout)
        if (code, err) != (0, ''):
            raise AssertionError(f'trigger {" ".join(args)}: exit {code}: {err.strip()}')
        return out

    def history(self, now=None):
        """Every history record, oldest first."""
        return list(reversed(json.loads(
            self.ok('history', '--format', 'json', '--limit', '9999999', now=now))))

    def status(self, now=None):
        code, out, err = self.run('status', '--format', 'json', now=now)
        return code, json.loads(out) if out else None, err


def healthy_end(test, trigger, end):
    """After the last pass at `end`: the database is intact, status healthy with nothing left to
    do; returns ({name: id} of every trigger, every history record)."""
    test.assertEqual(integrity_check(trigger.db), [('ok',)])
    code, status, err = trigger.status(now=end)
    test.assertEqual((code, err), (0, ''), status and status['problems'])
    test.assertTrue(status['healthy'])
    test.assertEqual((status['queued'], status['running'], status['due'], status['pending_changes']),
                     (0, 0, 0, 0))
    listed = json.loads(trigger.ok('list', '--all', '--format', 'json', now=end))
    return {t['name']: t['id'] for t in listed}, trigger.history(now=end)


@contextlib.contextmanager
def workspace(prefix, tag):
    """A temporary directory; on the way out, every process still carrying STRESS_TAG=tag in
    its environment is killed (commands orphaned by a failing test included)."""
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as directory:
            yield directory
    finally:
        kill_processes_with('STRESS_TAG', tag)


def write_marker_script(directory):
    """A program that records a run's start and end: `mark.sh LOG SECONDS`."""
    path = os.path.join(directory, 'mark.sh')
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + marker_commands('"$1"', '"$2"') + '\n')
    os.chmod(path, 0o700)
    return path


def marker_commands(log, sleep):
    """Shell commands appending 'start|end EVENT ATTEMPT PASS' lines to `log` around a sleep.

    PASS is $STRESS_PASS, set by the test in the environment of each run-once it starts (and so
    of every command that pass runs). Each line is one write(2) to a file opened O_APPEND.
    """
    line = '$TRIGGER_EVENT_ID $TRIGGER_ATTEMPT ${STRESS_PASS:-none}'
    sleep_part = f'sleep {sleep}; ' if sleep != '0' else ''
    return f'echo "start {line}" >> {log}; {sleep_part}echo "end {line}" >> {log}'


def exclusive_marker_commands(log, lock_dir, sleep):
    """Shell commands appending 'start|end EVENT ATTEMPT PID' lines to `log` around a sleep run
    in the background and waited for, while an exclusive flock(1) on LOCK_DIR/EVENT.lock is
    held, by the shell and the sleep both: a second copy of the occurrence starting while any
    part of the first still runs appends 'overlap EVENT ATTEMPT PID' instead, and fails.
    `sleep` is shell text (it may expand $TRIGGER_ATTEMPT)."""
    line = '$TRIGGER_EVENT_ID $TRIGGER_ATTEMPT $$'
    return (f'exec 9>> {lock_dir}/$TRIGGER_EVENT_ID.lock; '
            f'if ! flock -n 9; then echo "overlap {line}" >> {log}; exit 1; fi; '
            f'echo "start {line}" >> {log}; sleep {sleep} & wait; echo "end {line}" >> {log}')


def read_lines(path):
    """The lines of `path` split in words, [] if it does not exist."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split() for line in f]


def wait_until(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f'{what}: not after {seconds}s')
        time.sleep(0.02)


def process_gone(pid):
    """Whether process `pid` has ended (gone, or a zombie waiting to be reaped)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
    except OSError:
        return True


class Run:
    """One attempt of one occurrence as its command recorded it."""

    def __init__(self, event, attempt, pass_id):
        self.event = event
        self.attempt = attempt
        self.pass_id = pass_id
        self.starts = 0
        self.ends = 0


def read_markers(path):
    """{event id: {attempt: Run}} from the marker log; a repeated (event, attempt) start is
    counted in Run.starts."""
    runs = defaultdict(dict)
    if not os.path.exists(path):
        return runs
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) != 4 or words[0] not in ('start', 'end'):
                raise AssertionError(f'{path}: torn or unexpected line {line!r}')
            kind, event, attempt, pass_id = words[0], words[1], int(words[2]), words[3]
            run = runs[event].setdefault(attempt, Run(event, attempt, pass_id))
            if kind == 'start':
                run.starts += 1
            else:
                run.ends += 1
    return runs


def integrity_check(db):
    connection = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
    try:
        return connection.execute('PRAGMA integrity_check').fetchall()
    finally:
        connection.close()


def query(db, sql, *parameters):
    connection = sqlite3.connect(f'file:{db}?mode=ro', uri=True, timeout=30)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


# --- processes ------------------------------------------------------------------------------

def processes_with(variable, value):
    """Pids of this user's processes whose environment holds variable=value (a forked child
    that has not yet run exec included: it still has its parent's environment)."""
    wanted = f'{variable}={value}'.encode()
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/environ', 'rb') as f:
                if wanted in f.read().split(b'\0'):
                    pids.append(int(entry))
        except OSError:
            pass  # gone, or not ours
    return pids


def kill_processes_with(variable, value):
    """SIGKILL every process (and its process group) holding variable=value until none is left;
    returns how many were killed."""
    killed = set()
    while True:
        pids = [pid for pid in processes_with(variable, value) if pid != os.getpid()]
        if not pids:
            return len(killed)
        for pid in pids:
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except OSError:
                    pass
            killed.add(pid)
        time.sleep(0.01)  # let them die, and their zombies be reaped by init


def wait_for_processes_with(variable, value, seconds):
    deadline = time.monotonic() + seconds
    while processes_with(variable, value):
        if time.monotonic() > deadline:
            raise AssertionError(f'processes with {variable}={value} still running after {seconds}s')
        time.sleep(0.05)


# --- the accounting of occurrences ----------------------------------------------------------

TIME = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'
SPAN = re.compile(rf'(\d+) occurrences? (?:at ({TIME})|from ({TIME}) to ({TIME}))')


def record_span(record):
    """(count, first epoch, last epoch) of a skipped or coalesced record, read from its reason."""
    match = SPAN.search(record['reason'])
    if not match:
        raise AssertionError(f'cannot read the occurrences of record {record}')
    count = int(match.group(1))
    if match.group(2):
        first = last = rfc3339_epoch(match.group(2))
    else:
        first, last = rfc3339_epoch(match.group(3)), rfc3339_epoch(match.group(4))
    if count != record['count'] or last != record['scheduled_epoch']:
        raise AssertionError(f'record {record} disagrees with its reason')
    return count, first, last


class Accounting:
    """The history of one trigger, checked against the occurrences it should have had."""

    def __init__(self, trigger_id, records):
        self.trigger_id = trigger_id
        self.fired = defaultdict(list)  # scheduled epoch -> its final outcome records
        self.manual = defaultdict(list)  # event id -> its final outcome records
        self.not_run = []  # skipped and coalesced records
        self.set_aside = []
        for record in records:
            outcome = record['outcome']
            if outcome in FINAL and record['count'] == 0:
                self.set_aside.append(record)
            elif outcome in FINAL and record['manual']:
                self.manual[record['event_id']].append(record)
            elif outcome in FINAL:
                if record['event_id'] != f'{trigger_id}-{record["scheduled_epoch"]}':
                    raise AssertionError(f'record with a wrong event id: {record}')
                self.fired[record['scheduled_epoch']].append(record)
            elif outcome in NOT_RUN:
                self.not_run.append(record)

    def problems(self, expected):
        """Differences from the expected occurrences: each must be accounted for exactly once,
        by its own final outcome or inside the span of one skipped or coalesced record."""
        expected = sorted(expected)
        expected_set = set(expected)
        accounted = defaultdict(list)
        problems = []
        for epoch, records in self.fired.items():
            accounted[epoch] += ['fired'] * len(records)
        for record in self.not_run:
            count, first, last = record_span(record)
            inside = [epoch for epoch in expected if first <= epoch <= last]
            if len(inside) != count or first not in expected_set or last not in expected_set:
                problems.append(f'{record["outcome"]} record of {count} from {iso(first)} to {iso(last)} '
                                f'does not match the expected occurrences there ({len(inside)})')
            for epoch in inside:
                accounted[epoch].append(record['outcome'])
        for epoch in expected:
            if not accounted[epoch]:
                problems.append(f'occurrence {iso(epoch)} lost: no outcome, not skipped, not coalesced')
            elif len(accounted[epoch]) > 1:
                problems.append(f'occurrence {iso(epoch)} accounted for {len(accounted[epoch])} times: '
                                f'{accounted[epoch]}')
        for epoch in accounted:
            if epoch not in expected_set:
                problems.append(f'occurrence {iso(epoch)} is not a fire time of the clock, or not due')
        for event, records in self.manual.items():
            if len(records) > 1:
                problems.append(f'manual run {event} has {len(records)} final outcomes')
        if self.set_aside:
            problems.append(self.set_aside[0]["reason"])
        return [f'trigger {self.trigger_id}: {problem}' for problem in problems]


def accounts(history):
    """{trigger id: Accounting} from `trigger history --format json` records."""
    by_trigger = defaultdict(list)
    for record in history:
        by_trigger[record['trigger_id']].append(record)
    return {trigger_id: Accounting(trigger_id, records) for trigger_id, records in by_trigger.items()}


def final_records(history):
    """{event id: [final outcome records]} of every run, manual or scheduled."""
    finals = defaultdict(list)
    for record in history:
        if record['outcome'] in FINAL and record['count'] == 1:
            finals[record['event_id']].append(record)
    return finals
