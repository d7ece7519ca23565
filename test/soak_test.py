#!/usr/bin/env python3
"""Concurrency soak: writers and passes against one database, in real time.

For about 20 seconds ($TRIGGER_TORTURE_SCALE times that), writer threads each run one trigger
command after another — create, schedule (a new clock), pause, resume, fire, cancel, and the
readers list, show, status and history — while run-once passes run beside them, some with
--linger. Then the writers stop, every paused trigger is resumed, and a pass at a fixed time
after the end fires and runs what is left. The checks:

- every command exited with a status that man/trigger.1 documents and that its operation can
  give (65 only for the documented conflicts, such as pausing a done trigger), and no standard
  error ever mentioned a locked or busy database; exit 75 is reported with its circumstances;
- the steady triggers (never rescheduled: only paused, resumed and fired) have every occurrence,
  computed here from their clocks, fired exactly once;
- the churned triggers fired no occurrence twice, and each occurrence they fired is a fire time
  of a clock they had, after that clock was set and not after the next one replaced it;
- every fired occurrence and every manual run has exactly one final outcome, and its command
  ran exactly once, as attempt 1 (nothing is killed here, so nothing may run again);
- the database passes PRAGMA integrity_check, and `trigger status` is healthy.
"""
import json
import math
import os
import random
import re
import threading
import time
import unittest
from collections import Counter

import stress

LOCKED = re.compile(r'locked|busy', re.IGNORECASE)
DONE = re.compile(r"trigger: trigger '[^']+' is done; it cannot be (paused|resumed|fired)\n")
SAME_SECOND = re.compile(r"trigger: a manual run of '[^']+' was already queued this second\n")


class Call:
    """One command run by the soak, for the checks at the end."""

    def __init__(self, who, args, started, seconds, code, out, err):
        self.who, self.args, self.started, self.seconds = who, args, started, seconds
        self.code, self.out, self.err = code, out, err

    def __str__(self):
        return (f'{self.who}: trigger {" ".join(self.args)} at {self.started:.3f}s took {self.seconds:.2f}s: '
                f'exit {self.code}: {self.err.strip()!r}')


class Recorder:
    """Runs trigger commands from several threads and keeps each as a Call (self.trigger,
    self.lock, self.calls and self.started are set by the subclass)."""

    def call(self, who, *args):
        begun = time.monotonic()
        code, out, err = self.trigger.run(*args, timeout=300)
        record = Call(who, args, begun - self.started, time.monotonic() - begun, code, out, err)
        with self.lock:
            self.calls.append(record)
        return record


class Churned:
    """A trigger one writer owns: its clocks, each with the interval in which it was set."""

    def __init__(self, name):
        self.name = name
        self.clocks = []  # (set no earlier than, set no later than, ('every', from, period) | ('at', t))
        self.state = 'active'


class Soak(Recorder):
    def __init__(self, test, directory, rng, factor, tag):
        self.test = test
        self.rng = rng
        self.seconds = 20 * factor
        self.trigger = stress.Trigger(directory)
        self.log = os.path.join(directory, 'runs.log')
        self.tag = tag
        self.trigger.env.update({'STRESS_TAG': tag})
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.calls = []
        self.started = time.monotonic()
        self.steady = {}  # name -> (clock set epoch, from, period)
        self.churned = []
        self.manual = []  # event ids that `trigger fire` printed

    def action(self, sleep):
        return ['--sh', stress.marker_commands(self.log, sleep)]

    # --- the actors -------------------------------------------------------------------------

    def runner(self, number, args, pause):
        while not self.stop.is_set():
            self.call(f'runner {number}', 'run-once', *args)
            time.sleep(pause)

    def writer(self, number, rng):
        mine = []
        created = 0
        while not self.stop.is_set():
            live = [c for c in mine if c.state != 'cancelled']
            operation = rng.choices(
                ['create', 'schedule', 'pause', 'resume', 'fire', 'cancel', 'steady', 'read'],
                [3 if len(live) < 6 else 0.5, 3, 1, 1, 1, 0.6, 2, 1.5])[0]
            if operation == 'create' or not live:
                created += 1
                churned = Churned(f'w{number}-{created}')
                self.set_clock(f'writer {number}', churned, rng, 'create', '--name', churned.name,
                               '--misfire', rng.choice(['all', 'latest']),
                               '--overlap', rng.choice(['skip', 'queue', 'allow']), '--timeout', '1m',
                               *self.action(rng.choice(['0', '0', '0.2'])))
                if churned.clocks:  # created
                    mine.append(churned)
                    with self.lock:
                        self.churned.append(churned)
            elif operation == 'schedule':
                churned = rng.choice(live)
                self.set_clock(f'writer {number}', churned, rng, 'schedule', churned.name)
            elif operation in ('pause', 'resume'):
                churned = rng.choice(live)
                self.call(f'writer {number}', operation, churned.name)
            elif operation == 'fire':
                self.fire(f'writer {number}', rng.choice(live).name)
            elif operation == 'cancel':
                churned = rng.choice(live)
                before = math.floor(time.time())
                call = self.call(f'writer {number}', 'cancel', churned.name)
                if call.code == 0:
                    churned.clocks.append((before, math.ceil(time.time()), None))
                    churned.state = 'cancelled'
            elif operation == 'steady':
                name = rng.choice(sorted(self.steady))
                what = rng.choice(['pause', 'resume', 'resume', 'fire'])
                if what == 'fire':
                    self.fire(f'writer {number}', name)
                else:
                    self.call(f'writer {number}', what, name)
            else:
                target = rng.choice([c.name for c in mine] + sorted(self.steady))
                self.call(f'writer {number}', *rng.choice(
                    [['list', '--all'], ['status'], ['show', target], ['history', target],
                     ['history', '--limit', '50'], ['next', target]]))

    def set_clock(self, who, churned, rng, *args):
        if rng.random() < 0.75:
            period = rng.choice([2, 3, 4, 5])
            start = math.floor(time.time()) + rng.randrange(-10, 10)
            kind, clock = ('every', start, period), ['--every', f'{period}s', '--from', f'@{start}']
        else:
            at = math.floor(time.time()) + rng.randrange(3, 15)
            kind, clock = ('at', at), ['--at', f'@{at}']
        before = math.floor(time.time())
        call = self.call(who, *args, *clock)
        if call.code == 0:
            churned.clocks.append((before, math.ceil(time.time()), kind))

    def fire(self, who, name):
        call = self.call(who, 'fire', name)
        if call.code == 0:
            with self.lock:
                self.manual.append(call.out.strip())

    # --- the whole ---------------------------------------------------------------------------

    def run(self):
        created = math.floor(time.time())
        for number in range(4):
            name, period = f'steady-{number}', [2, 3, 5, 7][number]
            self.trigger.ok('create', '--name', name, '--every', f'{period}s', '--from', f'@{created}',
                            '--misfire', 'all', '--overlap', ['queue', 'allow'][number % 2], '--timeout', '1m',
                            *self.action(['0', '0.1'][number % 2]), now=created)
            self.steady[name] = (created, created, period)
        threads = [
            threading.Thread(target=self.runner, args=(1, ['--linger', '--max-time', '4s', '--jobs', '2'], 0)),
            threading.Thread(target=self.runner, args=(2, ['--linger', '--max-time', '3s'], 0.1)),
            threading.Thread(target=self.runner, args=(3, ['--jobs', '3'], 0.2)),
        ]
        for number in range(3):
            threads.append(threading.Thread(target=self.writer,
                                            args=(number + 1, random.Random(self.rng.random()))))
        try:
            for thread in threads:
                thread.start()
            time.sleep(self.seconds)
        finally:
            self.stop.set()
            for thread in threads:
                if thread.is_alive():
                    thread.join()
        soak_seconds = time.monotonic() - self.started
        stress.wait_for_processes_with('STRESS_TAG', self.tag, 60)

        # Resume what is paused, then a pass at a fixed time after everything fires what is left.
        paused = [t['name'] for t in json.loads(self.trigger.ok('list', '--state', 'paused', '--format', 'json'))]
        if paused:
            self.trigger.ok('resume', *paused)
        end = math.ceil(time.time()) + 1
        self.trigger.ok('run-once', now=end)
        report = json.loads(self.trigger.ok('run-once', '--format', 'json', now=end))
        self.test.assertEqual((report['fired'], report['ran']), (0, 0), 'a second pass found work left')
        return end, soak_seconds

    # --- the checks --------------------------------------------------------------------------

    def check_calls(self):
        documented = stress.documented_exit_codes()
        problems = []
        busy = [call for call in self.calls if call.code == 75]
        for call in self.calls:
            command = call.args[0]
            if call.code not in documented:
                problems.append(f'undocumented exit status: {call}')
            if LOCKED.search(call.err):
                problems.append(f'a locked database reached the user: {call}')
            allowed = {0}
            if command == 'status':
                allowed = {0, 1}  # unhealthy is an answer, printed on standard output
            if call.code == 65 and command in ('pause', 'resume', 'fire') and (
                    DONE.fullmatch(call.err) or (command == 'fire' and SAME_SECOND.fullmatch(call.err))):
                continue  # an --at trigger that has fired is done; one manual run a second
            if call.code not in allowed or call.err:
                problems.append(f'unexpected: {call}')
        return problems, busy

    def check(self, end):
        problems, busy = self.check_calls()
        ids, history = stress.healthy_end(self.test, self.trigger, end)
        accounts = stress.accounts(history)
        occurrences = 0
        for name, (clock_set, start, period) in self.steady.items():
            expected = stress.every_times(start, period, clock_set, end)
            occurrences += len(expected)
            problems += accounts[ids[name]].problems(expected)
        for churned in self.churned:
            account = accounts.get(ids[churned.name]) or stress.Accounting(ids[churned.name], [])
            problems += [f'{churned.name}: {problem}' for problem in self.check_churned(churned, account)]

        finals = stress.final_records(history)
        runs = stress.read_markers(self.log)
        for event in self.manual:
            if len(finals.get(event, [])) != 1:
                problems.append(f'manual run {event} has {len(finals.get(event, []))} final outcomes')
        for event, records in finals.items():
            attempts = runs.get(event, {})
            if len(records) != 1:
                problems.append(f'{event} has {len(records)} final outcomes')
            [record, *_] = records
            if record['outcome'] == 'cancelled':
                if attempts:
                    problems.append(f'{event} was cancelled before it ran, but it ran')
                continue
            if record['outcome'] != 'succeeded' or record['attempts'] != 1:
                problems.append(f'{event}: {record["outcome"]} after {record["attempts"]} attempts')
            if sorted(attempts) != [1] or (attempts[1].starts, attempts[1].ends) != (1, 1):
                problems.append(f'{event} ran as {[(a, r.starts, r.ends) for a, r in attempts.items()]}, '
                                f'not once as attempt 1')
        for event in runs:
            if event not in finals:
                problems.append(f'{event} ran but has no final outcome')
        self.test.assertEqual(problems[:20], [], f'{len(problems)} problems')
        outcomes = Counter(r['outcome'] for r in history if r['outcome'] in stress.FINAL)
        return occurrences, outcomes, sum(1 for _ in runs), busy

    def check_churned(self, churned, account):
        """Each occurrence fired once, and by a clock the trigger had when it fell due."""
        problems = []
        for epoch, records in sorted(account.fired.items()):
            if len(records) > 1:
                problems.append(f'occurrence {stress.iso(epoch)} has {len(records)} final outcomes')
            for index, (set_after, _, kind) in enumerate(churned.clocks):
                replaced_by = churned.clocks[index + 1][1] if index + 1 < len(churned.clocks) else math.inf
                if kind is None or not set_after < epoch <= replaced_by:
                    continue
                if (kind[0] == 'at' and epoch == kind[1]) or (
                        kind[0] == 'every' and (epoch - kind[1]) % kind[2] == 0):
                    break
            else:
                problems.append(f'occurrence {stress.iso(epoch)} is no fire time of its clocks at the time: '
                                f'{churned.clocks}')
        return problems


class ConcurrencySoakTest(unittest.TestCase):
    def test_writers_and_passes_together_lose_nothing_and_never_report_a_locked_database(self):
        factor = stress.scale()
        rng = stress.seeded_random('soak')
        started = time.monotonic()
        tag = f'{os.getpid()}-{time.monotonic_ns()}'
        with stress.workspace('trigger-soak-', tag) as directory:
            soak = Soak(self, directory, rng, factor, tag)
            end, soak_seconds = soak.run()
            occurrences, outcomes, events_run, busy = soak.check(end)
        commands = Counter(call.args[0] for call in soak.calls)
        codes = Counter(call.code for call in soak.calls)
        print(f'soak: scale {factor:g}, {soak_seconds:.0f}s of 3 writers and 3 passes: {len(soak.calls)} commands '
              f'({dict(sorted(commands.items()))}), exit statuses {dict(sorted(codes.items()))}; '
              f'{len(soak.churned)} churned and {len(soak.steady)} steady triggers ({occurrences} steady '
              f'occurrences, each fired once); {len(soak.manual)} manual runs; final outcomes '
              f'{dict(sorted(outcomes.items()))}; {events_run} events ran, each once; '
              f'{len(busy)} busy (exit 75); {time.monotonic() - started:.1f}s', flush=True)
        for call in busy:
            print(f'soak: exit 75: {call}', flush=True)
        self.assertEqual(busy, [], 'exit 75 (busy) at this load')


class Backlog(Recorder):
    """A large queued backlog (100,000 runs at scale 1) drained by short passes while writers
    work: ten --log catch-up triggers (cheap) and two --sh ones (real commands), each with a
    clock that ends when the test starts, so that everything to run is known."""

    LOG_TRIGGERS, SH_TRIGGERS = 10, 2

    def __init__(self, test, directory, factor, tag):
        self.test = test
        self.trigger = stress.Trigger(directory, {'STRESS_TAG': tag})
        self.log = os.path.join(directory, 'runs.log')
        self.log_runs = max(1000, round(100000 * factor)) // self.LOG_TRIGGERS
        self.sh_runs = max(50, round(300 * factor))
        self.now = math.floor(time.time())
        self.expected = {}  # name -> (first, last) occurrence, one a second
        self.sh_names = []
        self.lock = threading.Lock()
        self.calls = []
        self.stop = threading.Event()
        self.started = time.monotonic()

    def create_backlog(self):
        for number in range(self.LOG_TRIGGERS + self.SH_TRIGGERS):
            is_log = number < self.LOG_TRIGGERS
            runs = self.log_runs if is_log else self.sh_runs
            name, since = f'backlog-{number}', self.now - runs
            action = ['--log', 'x'] if is_log else ['--sh', stress.marker_commands(self.log, '0')]
            # The default --overlap skip: the whole catch-up must queue all the same.
            self.trigger.ok('create', '--name', name, '--every', '1s', '--from', f'@{since}',
                            '--misfire', 'all', '--until', f'@{self.now}', *action, now=since)
            self.expected[name] = (since + 1, self.now)
            if not is_log:
                self.sh_names.append(name)

    def runner(self, number):
        while not self.stop.is_set():
            self.call(f'runner {number}', 'run-once', '--max-time', '2s', '--jobs', '4')

    def writer(self, number, rng):
        mine = []
        while not self.stop.is_set():
            operation = rng.choices(['create', 'fire', 'cancel'], [3 if len(mine) < 5 else 1, 2, 1])[0]
            if operation == 'create' or not mine:
                name = f'w{number}-{len(self.calls)}'
                if self.call(f'writer {number}', 'create', '--name', name, '--at', '+1h', '--log', 'w').code == 0:
                    mine.append(name)
            elif operation == 'fire':
                self.call(f'writer {number}', 'fire', rng.choice(mine))
            else:
                self.call(f'writer {number}', 'cancel', mine.pop(rng.randrange(len(mine))))
            time.sleep(0.02)

    def drained(self):
        [(queued, due)] = stress.query(
            self.trigger.db, "SELECT (SELECT COUNT(*) FROM task JOIN trigger ON trigger.id = task.trigger_id "
            "WHERE name LIKE 'backlog-%'), (SELECT COUNT(*) FROM trigger WHERE name LIKE 'backlog-%' "
            "AND state != 'done')")
        return queued == 0 and due == 0

    def run(self, limit):
        self.create_backlog()
        threads = [threading.Thread(target=self.runner, args=(n,)) for n in (1, 2)]
        threads += [threading.Thread(target=self.writer, args=(n, random.Random(n))) for n in (1, 2)]
        try:
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + limit
            while not self.drained() and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()
        seconds = time.monotonic() - self.started
        self.trigger.ok('run-once')  # the writers' last manual runs
        return seconds

    def check(self):
        problems = []
        for call in self.calls:
            if call.code == 75 or LOCKED.search(call.err):
                problems.append(f'busy reached a user: {call}')
            elif call.code != 0 and not (call.code == 65 and SAME_SECOND.fullmatch(call.err)):
                problems.append(f'unexpected: {call}')
        self.test.assertTrue(self.drained(), 'the backlog was not drained in time')
        ids = dict(stress.query(self.trigger.db, "SELECT name, id FROM trigger WHERE name LIKE 'backlog-%'"))
        for name, (first, last) in sorted(self.expected.items()):
            [row] = stress.query(
                self.trigger.db, "SELECT COUNT(*), COUNT(DISTINCT scheduled_epoch), MIN(scheduled_epoch), "
                "MAX(scheduled_epoch) FROM history WHERE trigger_id = ? AND outcome = 'succeeded' "
                "AND manual = 0", ids[name])
            want = (last - first + 1, last - first + 1, first, last)
            if row != want:
                problems.append(f'{name}: (runs, distinct, first, last) {row}, expected {want}')
        not_run = stress.query(self.trigger.db, "SELECT outcome, count, reason FROM history WHERE outcome "
                               "NOT IN ('succeeded', 'edit', 'cancelled') ORDER BY id")
        problems += [f'recorded {outcome} x{count}: {reason}' for outcome, count, reason in not_run]
        runs = stress.read_markers(self.log)
        sh_events = {f'{ids[name]}-{epoch}' for name in self.sh_names
                     for epoch in range(self.expected[name][0], self.expected[name][1] + 1)}
        for event in sh_events | set(runs):
            attempts = runs.get(event, {})
            if sorted(attempts) != [1] or (attempts[1].starts, attempts[1].ends) != (1, 1):
                problems.append(f'{event} ran as {[(a, r.starts, r.ends) for a, r in attempts.items()]}, '
                                f'not once as attempt 1')
        self.test.assertEqual(stress.integrity_check(self.trigger.db), [('ok',)])
        self.test.assertEqual(problems[:20], [], f'{len(problems)} problems')
        return len(sh_events)


class BacklogSoakTest(unittest.TestCase):
    def test_a_100000_run_backlog_drains_under_short_passes_and_writers_never_wait_long(self):
        factor = stress.scale()
        tag = f'{os.getpid()}-{time.monotonic_ns()}'
        with stress.workspace('trigger-backlog-', tag) as directory:
            backlog = Backlog(self, directory, factor, tag)
            seconds = backlog.run(limit=240 * factor)
            sh_runs = backlog.check()
        passes = [c for c in backlog.calls if c.args[0] == 'run-once']
        writes = [c for c in backlog.calls if c.args[0] != 'run-once']
        print(f'backlog: scale {factor:g}, {backlog.log_runs * Backlog.LOG_TRIGGERS} --log and {sh_runs} --sh runs '
              f'drained in {seconds:.1f}s by {len(passes)} passes (--max-time 2s, longest '
              f'{max(c.seconds for c in passes):.1f}s) beside {len(writes)} writer commands (slowest '
              f'{max(c.seconds for c in writes):.2f}s); each ran once, none skipped, no exit 75', flush=True)
        for call in sorted(writes, key=lambda c: c.seconds)[-3:]:
            print(f'backlog: slow writer: {call}', flush=True)


if __name__ == '__main__':
    unittest.main()
