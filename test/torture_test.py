#!/usr/bin/env python3
"""Crash torture: `trigger run-once` killed with SIGKILL at random moments loses nothing and
runs again only what a kill cut short.

Time is driven with TRIGGER_NOW, a few minutes per round, so that many occurrences fall due.
Each round changes many triggers (import, re-import, pause, resume) and fires two by hand, then
starts passes with -v and kills them: on the k-th trigger it schedules, the k-th occurrence it fires, the k-th command it
starts, or after a random delay. A killed pass is either a crash of the machine (its commands,
each in its own process group, are killed with it) or of run-once alone (its commands are
killed by their parent-death signal, what they left in their group by the pass that reclaims
the run). Commands append 'start|end EVENT ATTEMPT PASS' to a log. At the end the
passes run to completion past every lease, and:

- every occurrence of every trigger, computed here from its clock, is accounted for exactly once
  in `trigger history`: by its own final outcome, or inside one skipped or coalesced record;
- every fired occurrence's (and manual run's) command ran: its final attempt (the one history
  records) started and ended in a pass that was not killed; every earlier attempt was leased by a
  killed pass (it started there, or was leased and never started); no attempt ran twice or after
  the final one; and nothing ran that was not fired;
- the database passes PRAGMA integrity_check, and `trigger status` is healthy.

$TRIGGER_TORTURE_SCALE multiplies the rounds (1 for CI; 10 for a local run); the random choices
come from a printed seed that $TRIGGER_TORTURE_SEED replays (the moments of the kills still vary
with the machine's speed).
"""
import json
import os
import re
import signal
import subprocess
import threading
import time
import unittest
from collections import Counter

import stress

T0 = 1796083200  # 2026-12-01T00:00:00Z
STEP = 300  # seconds of TRIGGER_NOW per round: more than a lease's 2 minutes
CRON_CLOCKS = ['*/2 * * * *', '*/5 * * * *', '7,29,53 * * * *', '*/3 0-12 * * *', '1-59/4 * * * *']
NARRATION = re.compile(r"^trigger: '[^']*': (scheduled|fired|run)[, ]")
LOCKED = re.compile(r'locked|busy', re.IGNORECASE)


class Spec:
    """A trigger as this test created it, and the fire times it should have."""

    def __init__(self, name, line, created, kind, command):
        self.name = name
        self.line = line  # its import line
        self.created = created
        self.kind = kind  # ('every', start, period) | ('cron', expression) | ('at', epoch)
        self.command = command
        self.until = None

    def fires_after(self, now):
        """Whether a fire time is left after `now` (a trigger without one may be done)."""
        return any(epoch > now for epoch in self.expected(self.until or now + 86400))

    def expected(self, end):
        end = min(end, self.until) if self.until is not None else end
        if self.kind[0] == 'every':
            return stress.every_times(self.kind[1], self.kind[2], self.created, end)
        if self.kind[0] == 'cron':
            return stress.cron_times(self.kind[1], self.created, end)
        return [self.kind[1]] if self.created < self.kind[1] <= end else []


class Torture:
    def __init__(self, test, directory, rng, factor, tag):
        self.test = test
        self.rng = rng
        self.rounds = stress.scaled(8, factor)
        self.trigger = stress.Trigger(directory)
        self.log = os.path.join(directory, 'runs.log')
        self.script = stress.write_marker_script(directory)
        self.tag = tag  # in the environment of every pass and command: STRESS_TAG
        self.specs = {}
        self.paused = set()
        self.manual = []  # the event ids that `trigger fire` printed
        self.pass_ids = 0
        self.killed = {}  # pass id -> 'crash' (its commands killed too) or 'orphan'
        self.kills_by_mode = Counter()
        self.kills_by_phase = Counter()
        self.killed_jobs = 0  # the most runs that killed passes can have leased and not started
        self.completed = 0
        self.full_pass_seconds = 0.5

    # --- triggers ---------------------------------------------------------------------------

    def command_trigger(self, now):
        rng = self.rng
        name = f'cmd-{len(self.specs)}'
        choice = rng.random()
        if choice < 0.5:
            period = rng.choice([60, 120, 180, 300, 420])
            start = now + rng.randrange(-3600, 600)
            kind, clock = ('every', start, period), f'--every {period}s --from @{start}'
        elif choice < 0.85:
            expression = rng.choice(CRON_CLOCKS)
            kind, clock = ('cron', expression), f"--cron '{expression}'"
        else:
            at = now + rng.randrange(30, 1800)
            kind, clock = ('at', at), f'--at @{at}'
        sleep = rng.choice(['0', '0', '0', '0.05', '0.3'])
        if rng.random() < 0.5:
            action = f"--sh '{stress.marker_commands(self.log, sleep)}'"
        else:
            action = f'-- {self.script} {self.log} {sleep}'
        policy = {'misfire': rng.choice(['all', 'all', 'latest', 'skip']),
                  'overlap': rng.choice(['queue', 'allow', 'skip']), 'timeout': '1m'}
        spec = Spec(name, {'name': name, 'clock': clock, 'action': action, 'policy': policy}, now, kind,
                    True)
        if kind[0] != 'at':  # a life of a few rounds, so that the work grows linearly with them
            spec.until = spec.expected(now + 86400)[0] + rng.randrange(0, 2400)
            policy['until'] = f'@{spec.until}'
        return spec

    def log_trigger(self, now):
        rng = self.rng
        name = f'log-{len(self.specs)}'
        period = rng.choice([1800, 21600, 86400])  # mostly for the schedule phase: few runs
        start = now + rng.randrange(-period, period)
        spec = Spec(name, None, now, ('every', start, period), False)
        spec.until = spec.expected(now + 2 * period)[0] + rng.randrange(0, 2 * period)
        spec.line = {'name': name, 'clock': f'--every {period}s --from @{start}', 'action': '--log tick',
                     'policy': {'misfire': rng.choice(['all', 'latest', 'skip']), 'timeout': '1m',
                                'until': f'@{spec.until}'}}
        return spec

    def change(self, now, new_commands, new_logs, reimports):
        """One import that creates and re-imports (unchanged) triggers; a pause; a resume."""
        # Re-imported unchanged, a trigger keeps its next time (one without a fire time left
        # would be refused).
        live = sorted(name for name, spec in self.specs.items() if spec.kind[0] != 'at' and spec.fires_after(now))
        lines = [self.specs[name].line for name in self.rng.sample(live, min(reimports, len(live)))]
        for _ in range(new_commands):
            spec = self.command_trigger(now)
            self.specs[spec.name] = spec
            lines.append(spec.line)
        for _ in range(new_logs):
            spec = self.log_trigger(now)
            self.specs[spec.name] = spec
            lines.append(spec.line)
        self.trigger.ok('import', '-', now=now, stdin=''.join(json.dumps(line) + '\n' for line in lines))
        if self.paused:
            self.trigger.ok('resume', *sorted(self.paused), now=now)
            self.paused.clear()
        live = sorted(name for name, spec in self.specs.items() if spec.kind[0] != 'at' and spec.fires_after(now))
        pause = self.rng.sample(live, min(len(live), max(1, len(lines) // 4)))
        # A trigger done by --until cannot be paused (exit 65, and nothing is paused): leave it out.
        while True:
            code, _, err = self.trigger.run('pause', *pause, now=now)
            done = re.fullmatch(r"trigger: trigger '([^']+)' is done; it cannot be paused\n", err)
            if code != 65 or not done:
                break
            pause.remove(done.group(1))
        self.test.assertEqual((code, err), (0, ''), 'pause')
        self.paused.update(pause)
        # Manual runs, outside the schedule, of two command triggers.
        commands = [name for name in live if self.specs[name].command]
        for name in self.rng.sample(commands, min(2, len(commands))):
            self.manual.append(self.trigger.ok('fire', name, now=now).strip())

    # --- passes -----------------------------------------------------------------------------

    def figures(self, now):
        """(pending changes, due triggers, command tasks) as the database stands."""
        [(pending,)] = stress.query(self.trigger.db, "SELECT (SELECT value FROM counter WHERE name = 'version') "
                                    "- (SELECT value FROM counter WHERE name = 'cursor')")
        [(due,)] = stress.query(self.trigger.db,
                                'SELECT COUNT(*) FROM trigger_event WHERE next_event_epoch <= ?', now)
        [(tasks,)] = stress.query(self.trigger.db,
                                  "SELECT COUNT(*) FROM task JOIN trigger ON trigger.id = task.trigger_id "
                                  "WHERE trigger.action_kind != 'log'")
        return pending, due, tasks

    def phase_after_kill(self, now):
        """Where the killed pass stopped, judged from what it left."""
        pending, due, _ = self.figures(now)
        [(leased,)] = stress.query(self.trigger.db,
                                   'SELECT COUNT(*) FROM task WHERE lease_expires_epoch > ?', now)
        [(runnable,)] = stress.query(self.trigger.db, 'SELECT COUNT(*) FROM task WHERE due_epoch <= ? '
                                     'AND lease_expires_epoch IS NULL', now)
        if pending:
            return 'scheduling'
        if due:
            return 'firing'
        if leased or runnable:
            return 'running'
        return 'closing'

    def run_pass(self, now, mode):
        """Start one pass at `now` and kill it as `mode` says: ('count', KIND, K) on the K-th
        narrated line of KIND, ('delay', SECONDS), or None for no kill. True if it was killed."""
        self.pass_ids += 1
        pass_id = f'{self.tag}:{self.pass_ids}'  # unique to this test run, for kill_processes_with
        jobs = str(self.rng.randint(1, 4))
        env = self.trigger.environment(now, {'STRESS_PASS': pass_id, 'STRESS_TAG': self.tag})
        started = time.monotonic()
        process = subprocess.Popen([stress.BIN, 'run-once', '-v', '--jobs', jobs], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lock = threading.Lock()
        killed = []

        def kill():
            with lock:
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    killed.append(True)

        timer = None
        if mode and mode[0] == 'delay':
            timer = threading.Timer(mode[1], kill)
            timer.start()
        seen = Counter()
        other = []
        for line in process.stderr:
            self.test.assertNotRegex(line, LOCKED, 'a busy database reached the user')
            match = NARRATION.match(line)
            if match:
                seen[match.group(1)] += 1
                if mode and mode[0] == 'count' and match.group(1) == mode[1] and seen[mode[1]] == mode[2]:
                    kill()
            elif not line.startswith(("trigger: '", 'trigger: database ')):  # -v narrates
                other.append(line)
        process.stderr.close()
        code = process.wait()
        if timer:
            timer.cancel()
        if not killed:
            self.test.assertEqual((code, ''.join(other)), (0, ''), f'pass {pass_id} at {stress.iso(now)}')
            self.completed += 1
            self.full_pass_seconds = max(0.2, time.monotonic() - started)
            return False
        crash = self.rng.random() < 0.5
        if crash:
            stress.kill_processes_with('STRESS_PASS', pass_id)
        self.killed[pass_id] = 'crash' if crash else 'orphan'
        self.killed_jobs += int(jobs)
        self.kills_by_mode[mode[1] if mode[0] == 'count' else 'delay'] += 1
        self.kills_by_phase[self.phase_after_kill(now)] += 1
        return True

    def choose_kill(self, now):
        """A kill for the next pass, weighted towards passes running commands."""
        pending, due, tasks = self.figures(now)
        choices = [(('delay', self.rng.uniform(0, self.full_pass_seconds)), 1)]
        if pending:
            choices.append((('count', 'scheduled', self.rng.randint(1, pending)), 1))
        if due:
            choices.append((('count', 'fired', self.rng.randint(1, due)), 1))
        if tasks or due:
            choices.append((('count', 'run', self.rng.randint(1, max(1, min(tasks + due, 8)))), 2))
        [choice] = self.rng.choices([c for c, _ in choices], [w for _, w in choices])
        return choice

    # --- the whole ---------------------------------------------------------------------------

    def run(self):
        now = T0
        self.trigger.ok('run-once', now=now)  # creates the database
        for round_number in range(self.rounds):
            now = T0 + round_number * STEP + self.rng.randrange(0, 60)
            self.change(now, new_commands=4, new_logs=60, reimports=60)
            for _ in range(self.rng.randint(1, 3)):
                self.run_pass(now, self.choose_kill(now))
            if self.rng.random() < 0.3:
                self.run_pass(now, None)
        # Orphaned commands finish; then every paused trigger is resumed and the passes, past
        # every lease, take over and run what is left.
        stress.wait_for_processes_with('STRESS_TAG', self.tag, 60)
        if self.paused:
            self.trigger.ok('resume', *sorted(self.paused), now=now)
        end = now + 2 * STEP
        self.test.assertFalse(self.run_pass(end, None))
        report = json.loads(self.trigger.ok('run-once', '--format', 'json', now=end))
        self.test.assertEqual((report['fired'], report['ran']), (0, 0), 'a second pass found work left')
        return end

    def check(self, end):
        test = self.test
        ids, history = stress.healthy_end(test, self.trigger, end)
        accounts = stress.accounts(history)
        problems = []
        occurrences = fired = not_run = 0
        command_events = {}
        for name, spec in sorted(self.specs.items()):
            expected = spec.expected(end)
            account = accounts.get(ids[name]) or stress.Accounting(ids[name], [])
            problems += account.problems(expected)
            occurrences += len(expected)
            fired += len(account.fired)
            not_run += sum(r['count'] for r in account.not_run)
            if spec.command:
                for records in [*account.fired.values(), *account.manual.values()]:
                    command_events[records[0]['event_id']] = records[0]
        for event in self.manual:
            if event not in command_events:
                problems.append(f'manual run {event} has no final outcome')
        problems += self.check_runs(command_events)
        if self.never_started > self.killed_jobs:
            problems.append(f'{self.never_started} attempts were leased and never started, more than the '
                            f'{self.killed_jobs} that the killed passes could have left')
        test.assertEqual(problems[:20], [], f'{len(problems)} problems')
        return occurrences, fired, not_run

    def check_runs(self, finals):
        """The commands' own log against the history's final outcomes."""
        runs = stress.read_markers(self.log)
        problems = []
        self.reruns = self.cut_short = self.ran_twice = self.never_started = 0
        self.runs = 0
        for event, attempts in runs.items():
            if event not in finals:
                problems.append(f'{event} ran ({sorted(attempts)}) but has no final outcome')
        for event, record in finals.items():
            attempts = runs.get(event, {})
            final = record['attempts']
            if record['outcome'] != 'succeeded':
                problems.append(f'{event}: {record["outcome"]} ({record["reason"]})')
            self.runs += sum(run.starts for run in attempts.values())
            for attempt, run in sorted(attempts.items()):
                if run.starts > 1:
                    problems.append(f'{event}: attempt {attempt} started {run.starts} times')
                if attempt > final:
                    problems.append(f'{event}: attempt {attempt} ran after the final attempt {final}')
                elif attempt < final and run.pass_id not in self.killed:
                    problems.append(f'{event}: attempt {attempt} of {final} ran in pass {run.pass_id}, '
                                    f'which was not killed')
                elif run.starts and not run.ends and run.pass_id not in self.killed:
                    problems.append(f'{event}: attempt {attempt} in pass {run.pass_id} never ended')
            last = attempts.get(final)
            if not last or not last.starts or not last.ends:
                problems.append(f'{event}: its final attempt {final} did not run to its end')
            if final > 1:
                self.reruns += 1
                self.cut_short += any(run.starts and not run.ends for a, run in attempts.items() if a < final)
                self.ran_twice += any(run.ends for a, run in attempts.items() if a < final)
                self.never_started += sum(1 for a in range(1, final) if a not in attempts)
        return problems


class CrashTortureTest(unittest.TestCase):
    def test_killed_passes_lose_nothing_and_repeat_only_what_they_cut_short(self):
        factor = stress.scale()
        rng = stress.seeded_random('torture')
        started = time.monotonic()
        tag = f'{os.getpid()}-{time.monotonic_ns()}'
        with stress.workspace('trigger-torture-', tag) as directory:
            torture = Torture(self, directory, rng, factor, tag)
            end = torture.run()
            occurrences, fired, not_run = torture.check(end)
        kills = len(torture.killed)
        self.assertGreater(kills, 0)
        print(f'torture: scale {factor:g}, {torture.rounds} rounds, {len(torture.specs)} triggers, '
              f'{torture.pass_ids} passes: {kills} killed '
              f'({sum(1 for k in torture.killed.values() if k == "crash")} with their commands; '
              f'by trigger: {dict(sorted(torture.kills_by_mode.items()))}; '
              f'stopped while {dict(sorted(torture.kills_by_phase.items()))}), '
              f'{torture.completed} completed; {occurrences} occurrences: {fired} fired, '
              f'{not_run} skipped or coalesced; {len(torture.manual)} manual runs; '
              f'{torture.runs} command runs; '
              f'{torture.reruns} occurrences run again, all explained by kills '
              f'({torture.cut_short} cut short, {torture.ran_twice} ran to the end twice, '
              f'{torture.never_started} attempts leased and never started); '
              f'{time.monotonic() - started:.1f}s', flush=True)


class KilledPassTest(unittest.TestCase):
    """A pass SIGKILLed while its command runs, and a clock step while a command runs: never two
    copies of one occurrence at once (each run holds a flock for its whole life, its background
    children included), never a command left running unseen."""

    def setUp(self):
        self.tag = f'{os.getpid()}-{time.monotonic_ns()}'
        self.workspace = stress.workspace('trigger-torture-', self.tag)
        self.dir = self.workspace.__enter__()
        self.addCleanup(self.workspace.__exit__, None, None, None)
        self.trigger = stress.Trigger(self.dir)
        self.log = os.path.join(self.dir, 'runs.log')

    def create(self, sleep):
        self.trigger.ok('create', '--name', 'long', '--every', '1h', '--from', f'@{T0}',
                        '--sh', stress.exclusive_marker_commands(self.log, self.dir, sleep), now=T0 - 60)
        self.trigger.ok('run-once', now=T0 - 60)

    def start_pass(self, now, name):
        env = self.trigger.environment(now, {'STRESS_PASS': name, 'STRESS_TAG': self.tag})
        return subprocess.Popen([stress.BIN, 'run-once'], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)

    def run_pass(self, now, name):
        process = self.start_pass(now, name)
        _, err = process.communicate(timeout=60)
        self.assertEqual((process.returncode, err), (0, ''), f'pass {name}')

    def kinds(self):
        return [(words[0], words[2]) for words in stress.read_lines(self.log)]

    def outcomes(self):
        return [(r['outcome'], r['attempts']) for r in self.trigger.history(now=T0 + 86400)
                if r['outcome'] != 'edit']

    def test_a_killed_pass_leaves_no_command_behind_and_its_run_is_rerun_alone(self):
        # The first attempt would run 30 s, the rerun is short.
        self.create('$([ "$TRIGGER_ATTEMPT" = 1 ] && echo 30 || echo 0.1)')
        first = self.start_pass(T0, 'p1')
        stress.wait_until(lambda: self.kinds(), 10, 'the command started')
        first.send_signal(signal.SIGKILL)  # run-once alone: its command is left to itself here
        first.wait()
        first.stderr.close()
        [(_, event, _, shell)] = stress.read_lines(self.log)
        # The command's shell dies with its pass (parent-death signal); its background sleep,
        # still holding the lock, is left in its process group.
        stress.wait_until(lambda: stress.process_gone(int(shell)), 5, 'the shell ended with its pass')
        self.assertTrue(stress.processes_with('STRESS_PASS', 'p1'), 'the sleep is left')
        # A second later (the lease has not expired) a pass reclaims the run of the dead pass: it
        # ends the rest of the group, then runs the occurrence again, alone.
        self.run_pass(T0 + 1, 'p2')
        self.assertEqual(self.kinds(), [('start', '1'), ('start', '2'), ('end', '2')])
        self.assertEqual(stress.processes_with('STRESS_PASS', 'p1'), [])
        self.assertEqual(self.outcomes(), [('interrupted', 1), ('succeeded', 2)])
        code, status, err = self.trigger.status(now=T0 + 1)
        self.assertEqual((status['queued'], status['running'], status['stuck']), (0, 0, 0))
        self.assertEqual(stress.integrity_check(self.trigger.db), [('ok',)])

    def test_a_clock_step_during_a_run_starts_no_second_copy(self):
        self.create('2')
        first = self.start_pass(T0, 'p1')
        stress.wait_until(lambda: self.kinds(), 10, 'the command started')
        # A second pass a day later (a clock stepped forward, or a resume from suspend): the
        # lease looks long expired, but its holder runs on this host, so it is left alone.
        self.run_pass(T0 + 86400, 'p2')
        _, err = first.communicate(timeout=60)
        self.assertEqual((first.returncode, err), (0, ''), 'the first pass')
        self.assertEqual(self.kinds(), [('start', '1'), ('end', '1')])
        outcomes = self.outcomes()
        self.assertIn(('succeeded', 1), outcomes)
        self.assertNotIn('interrupted', [outcome for outcome, _ in outcomes])


if __name__ == '__main__':
    unittest.main()
