#!/usr/bin/env python3
"""End-to-end tests of the pass and the commands around it: run-once, schedule, fire, status,
history, gc — including concurrent passes and a pass killed with SIGKILL.

Time is driven with --now; real time passes only where a process has to be running.
"""
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import time
import unittest

from cli_test import BIN, NOW, TriggerTestCase

MINUTE = 60
HOUR = 3600


def at(seconds):
    """--now for NOW + seconds."""
    return f'@{NOW + seconds}'


def where(seconds):
    """What a failure report's first line ends with for a failure at NOW + seconds on this host."""
    return f" (on {socket.gethostname()} at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(NOW + seconds))})"


class PassTestCase(TriggerTestCase):
    """Helpers for the tests below (no tests of its own)."""

    def read(self, name):
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().splitlines()

    def wait_for(self, name, seconds=5):
        """Wait until a command has written the file `name` (a run has started)."""
        deadline = time.monotonic() + seconds
        while not self.read(name) and time.monotonic() < deadline:
            time.sleep(0.05)

    def history(self, *args):
        limit = [] if '--limit' in args else ['--limit', '100000']
        return json.loads(self.ok('history', '--format', 'json', *limit, *args))


class RunOnceTest(PassTestCase):
    def test_silent_on_success_and_the_command_really_runs(self):
        out = os.path.join(self.dir, 'out')
        self.create('--name', 'hello', '--every', '1m', '--sh', f'echo "hello $TRIGGER_NAME" | tee -a {out}')
        self.assertEqual(self.run_trigger('run-once'), (0, '', ''))
        self.assertEqual(self.run_trigger('--now', at(MINUTE), 'run-once'), (0, '', ''))
        self.assertEqual(self.read('out'), ['hello hello'])
        [run] = [r for r in self.history() if r['outcome'] != 'edit']
        self.assertEqual((run['outcome'], run['output'], run['attempts'], run['exit_status'], run['event_id']),
                         ('succeeded', 'hello hello\n', 1, 0, f'1-{NOW + MINUTE}'))

    def test_a_command_knows_its_zone_and_a_program_is_found_in_its_own_path(self):
        bin_dir = os.path.join(self.dir, 'bin')
        os.mkdir(bin_dir)
        program = os.path.join(bin_dir, 'say-zone')
        with open(program, 'w') as f:
            f.write(f'#!/bin/sh\necho "$0 $TRIGGER_TZ" >> {os.path.join(self.dir, "out")}\n')
        os.chmod(program, 0o755)
        # PATH of run-once does not hold bin/: only the trigger's --env PATH does.
        self.create('--name', 'berlin', '--every', '1m', '--tz', 'Europe/Berlin',
                    '--env', f'PATH=/nonexistent:{bin_dir}:/usr/bin:/bin', '--', 'say-zone')
        self.create('--name', 'lost', '--every', '1m', '--env', 'PATH=/nonexistent', '--', 'say-zone')
        self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual(self.read('out'), [f'{program} Europe/Berlin'])
        lost = [r for r in self.history('lost') if r['outcome'] != 'edit']
        self.assertEqual([(r['exit_status'], r['output']) for r in lost],
                         [(127, "trigger: cannot run 'say-zone': No such file or directory\n")])

    def test_failures_are_summarised_on_stderr_with_exit_1(self):
        self.create('--name', 'bad', '--every', '1m', '--sh', 'echo oops; exit 3')
        self.create('--name', 'missing', '--every', '1m', '--', '/nonexistent/program', 'x')
        self.ok('run-once')
        code, out, err = self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual((code, out), (1, ''))
        self.assertIn(f"trigger: 'bad' (event 1-{NOW + MINUTE}): exit status 3{where(MINUTE)}\n  oops\n", err)
        self.assertIn(f"trigger: 'missing' (event 2-{NOW + MINUTE}): cannot run '/nonexistent/program': No such file or directory{where(MINUTE)}\n"
                      "  trigger: cannot run '/nonexistent/program': No such file or directory\n", err)
        self.assertEqual(len(err.splitlines()), 4)
        [missing] = self.history('missing', '--failed')
        self.assertEqual(missing['output'], "trigger: cannot run '/nonexistent/program': No such file or directory\n")

    def test_json_report(self):
        self.create('--every', '1m', '--log', 'x')
        self.ok('run-once')
        report = json.loads(self.ok('--now', at(3 * MINUTE), 'run-once', '--format', 'json'))
        self.assertEqual((report['fired'], report['coalesced'], report['ran'], report['failed']), (1, 2, 1, 0))

    def test_dry_run_prints_the_plan_and_changes_nothing(self):
        self.create('--name', 'a', '--every', '1m', '--sh', 'touch ran')
        self.ok('run-once')
        before = self.snapshot()
        out = self.ok('--now', at(MINUTE), 'run-once', '--dry-run')
        self.assertIn(f"'a': fired 2026-12-01T08:01:00Z\n", out)
        self.assertIn(f"'a': would run --sh 'touch ran' (event 1-{NOW + MINUTE})\n", out)
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'ran')))

    def test_dry_run_of_a_missing_database_creates_nothing(self):
        self.assertEqual(self.ok('run-once', '--dry-run'), '')
        self.assertFalse(os.path.exists(self.db))

    def test_log_actions_run_from_anywhere(self):
        self.create('--every', '1m', '--log', 'harmless')
        os.chmod(self.db, 0o666)
        self.ok('--now', at(MINUTE), 'run-once')
        self.assertEqual([r['outcome'] for r in self.history()], ['succeeded', 'edit'])

    def test_max_runs_counts_afresh_when_a_done_trigger_is_moved(self):
        self.create('--name', 'cap', '--every', '1m', '--log', 'x', '--max-runs', '2')
        for minute in range(0, 5):
            self.ok('--now', at(minute * MINUTE), 'run-once')
        self.assertEqual(self.listed('--all')[0]['state'], 'done')
        self.ok('--now', at(5 * MINUTE), 'schedule', 'cap', '--max-runs', '3')
        for minute in range(5, 12):
            self.ok('--now', at(minute * MINUTE), 'run-once')
        runs = [r for r in self.history('cap') if r['outcome'] == 'succeeded']
        self.assertEqual(len(runs), 5)
        self.assertEqual(self.listed('--all')[0]['state'], 'done')
        code, out, err = self.run_trigger('-v', '--now', at(12 * MINUTE), 'schedule', 'cap', '--every', '2m')
        code, out, err = self.run_trigger('-v', '--now', at(12 * MINUTE), 'run-once')
        self.assertEqual(self.listed('--all')[0]['state'], 'active')

    def test_resume_skip_missed_fires_nothing_for_the_paused_time(self):
        for name in ('skip', 'catch'):
            self.create('--name', name, '--every', '1m', '--misfire', 'all', '--log', 'x', '--max-runs', '3')
        self.ok('--now', at(MINUTE), 'run-once')
        self.ok('--now', at(MINUTE + 30), 'pause', 'skip', 'catch')
        self.fails(64, "unrecognised option '--skip-missed' (see 'trigger pause --help')",
                   '--now', at(MINUTE + 30), 'pause', 'skip', '--skip-missed')
        self.ok('--now', at(5 * MINUTE + 30), 'resume', 'skip', '--skip-missed')
        self.ok('--now', at(5 * MINUTE + 30), 'resume', 'catch')
        self.ok('--now', at(5 * MINUTE + 45), 'run-once')

        def fired(name):
            return sorted(r['scheduled_epoch'] - NOW for r in self.history(name) if r['outcome'] == 'succeeded')
        self.assertEqual(fired('skip'), [MINUTE])  # 2m to 5m fell while paused: skipped
        self.assertEqual(fired('catch'), [MINUTE, 2 * MINUTE, 3 * MINUTE])  # caught up, to --max-runs
        [edit] = [r for r in self.history('skip') if r['outcome'] == 'edit' and r['reason'].startswith('resumed')]
        self.assertIn('resumed (what fell due while paused skipped)', edit['reason'])
        for minute in (6, 7, 8):
            self.ok('--now', at(minute * MINUTE), 'run-once')
        # --max-runs goes on counting the run made before the pause.
        self.assertEqual(fired('skip'), [MINUTE, 6 * MINUTE, 7 * MINUTE])
        self.assertEqual({t['name']: t['state'] for t in self.listed('--all')}, {'skip': 'done', 'catch': 'done'})

    def test_a_week_long_outage_of_a_per_second_trigger_fires_the_latest_once(self):
        self.create('--name', 's', '--every', '1s', '--log', 'x')
        self.ok('run-once')
        report = json.loads(self.ok('--now', at(7 * 24 * HOUR), 'run-once', '--format', 'json'))
        self.assertEqual((report['fired'], report['coalesced']), (1, 7 * 24 * HOUR - 1))
        status = json.loads(self.ok('--now', at(7 * 24 * HOUR), 'status', '--format', 'json'))
        self.assertEqual((status['due'], status['healthy']), (0, True))
        [run, coalesced] = [r for r in self.history('s') if r['outcome'] != 'edit']
        self.assertEqual((run['scheduled_epoch'], coalesced['count']), (NOW + 7 * 24 * HOUR, 7 * 24 * HOUR - 1))

    def test_linger_fires_what_falls_due_within_the_budget(self):
        # Real time: --linger is about seconds passing.
        out = os.path.join(self.dir, 'seconds')
        self.create('--every', '1s', '--sh', f'echo "$TRIGGER_SCHEDULED_EPOCH" >> {out}', '--overlap', 'allow',
                    env={'TRIGGER_NOW': None})
        started = time.monotonic()
        self.ok('run-once', '--linger', '--max-time', '4s', env={'TRIGGER_NOW': None})
        self.assertLess(time.monotonic() - started, 8)
        seconds = [int(line) for line in self.read('seconds')]
        self.assertGreaterEqual(len(seconds), 2)
        self.assertEqual(len(seconds), len(set(seconds)))

    def test_a_trigger_cancelled_mid_run_is_not_retried(self):
        out = os.path.join(self.dir, 'attempts')
        self.create('--name', 'c', '--every', '1m', '--retries', '2', '--backoff', '1s',
                    '--sh', f'echo "$TRIGGER_ATTEMPT" >> {out}; sleep 2; exit 1')
        self.ok('run-once')
        env = dict(self.env, TRIGGER_NOW=at(MINUTE))
        running = subprocess.Popen([BIN, 'run-once'], env=env, stderr=subprocess.DEVNULL)
        self.wait_for('attempts')
        self.ok('--now', at(MINUTE), 'cancel', 'c')
        running.wait(timeout=30)
        for later in (MINUTE + 5, MINUTE + 10):
            self.run_trigger('--now', at(later), 'run-once')
        self.assertEqual(self.read('attempts'), ['1'])
        [final] = [r for r in self.history('c') if r['outcome'] != 'edit']
        self.assertEqual((final['outcome'], final['attempts']), ('failed', 1))

    def test_a_timeout_beyond_a_century_is_no_timeout(self):
        self.create('--name', 'patient', '--every', '1m', '--timeout', '20000w', '--sh', 'sleep 0.5')
        self.ok('run-once')
        self.ok('--now', at(MINUTE), 'run-once')
        [run] = [r for r in self.history('patient') if r['outcome'] != 'edit']
        self.assertEqual(run['outcome'], 'succeeded')

    def test_verbose_narrates_on_stderr(self):
        self.create('--name', 'n', '--every', '1m', '--log', 'hello there')
        code, out, err = self.run_trigger('-v', 'run-once')
        self.assertEqual((code, out), (0, ''))
        self.assertIn("trigger: 'n': scheduled, next 2026-12-01T08:01:00Z\n", err)
        code, out, err = self.run_trigger('-v', '--now', at(MINUTE), 'run-once')
        self.assertIn("trigger: 'n': log: hello there\n", err)

    def test_refuses_a_database_others_can_write(self):
        self.create('--every', '1m', '--sh', 'touch ran')
        os.chmod(self.db, 0o666)
        self.fails(77, f"refusing to run commands from database '{self.db}': mode 0666 lets others write it",
                   '--now', at(MINUTE), 'run-once')
        os.chmod(self.db, 0o600)
        os.chmod(self.dir, 0o777)
        try:
            self.fails(77, f"refusing to run commands from database directory '{self.dir}': mode 0777 lets others write it",
                       '--now', at(MINUTE), 'run-once')
        finally:
            os.chmod(self.dir, 0o700)
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'ran')))
        # Nothing was scheduled, fired or run; the refusals are on record for status.
        self.assertEqual([r['outcome'] for r in self.history()], ['edit'])
        code, out, _ = self.run_trigger('--now', at(MINUTE), 'status', '--format', 'json')
        status = json.loads(out)
        self.assertEqual((code, status['last_pass_outcome'], status['failed_passes_in_a_row']), (1, 'refused', 2))
        self.assertEqual(status['problems'], [
            f"the last 2 passes failed; the latest was refused for safety: refusing to run commands from "
            f"database directory '{self.dir}': mode 0777 lets others write it"])

    def test_bad_options(self):
        self.create('--every', '1m', '--log', 'x')
        before = self.snapshot()
        for code, message, args in [
            (64, "--jobs '0': expected a whole number from 1 to 256", ['run-once', '--jobs', '0']),
            (64, "--max-time: invalid duration 'long': expected a number", ['run-once', '--max-time', 'long']),
            (64, "unexpected argument 'now'", ['run-once', 'now']),
        ]:
            self.fails(code, message, *args)
        self.assertEqual(self.snapshot(), before)


class ConcurrencyTest(PassTestCase):
    def concurrent_passes(self, processes, triggers=30, minutes=10):
        out = os.path.join(self.dir, 'events')
        for i in range(triggers):
            self.create('--name', f't{i}', '--every', '1m', '--sh', f'echo "$TRIGGER_EVENT_ID" >> {out}',
                        '--overlap', 'allow')
        self.ok('run-once')
        env = dict(self.env)
        for minute in range(1, minutes + 1):
            env['TRIGGER_NOW'] = at(minute * MINUTE)
            running = [subprocess.Popen([BIN, 'run-once', '--jobs', '3'], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True) for _ in range(processes)]
            for process in running:
                stdout, stderr = process.communicate(timeout=120)
                self.assertEqual((process.returncode, stdout, stderr), (0, '', ''))
        events = self.read('events')
        expected = {f'{t + 1}-{NOW + m * MINUTE}' for t in range(triggers) for m in range(1, minutes + 1)}
        self.assertEqual(len(events), len(expected), 'an occurrence ran twice or not at all')
        self.assertEqual(set(events), expected)
        runs = [r for r in self.history() if r['outcome'] != 'edit']
        self.assertEqual(sorted(r['event_id'] for r in runs), sorted(expected))
        self.assertTrue(all(r['outcome'] == 'succeeded' and r['attempts'] == 1 for r in runs))

    def test_two_concurrent_passes(self):
        self.concurrent_passes(2)

    def test_four_concurrent_passes(self):
        self.concurrent_passes(4)

    def test_an_overlapping_pass_does_not_wait_for_a_long_command(self):
        self.create('--name', 'long', '--every', '1h', '--sh', 'sleep 3')
        self.create('--name', 'quick', '--every', '1m', '--log', 'q')
        self.ok('run-once')
        env = dict(self.env, TRIGGER_NOW=at(HOUR))
        long_pass = subprocess.Popen([BIN, 'run-once'], env=env)
        time.sleep(0.5)
        started = time.monotonic()
        self.ok('--now', at(HOUR + MINUTE), 'run-once')
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(long_pass.wait(timeout=30), 0)
        self.assertEqual([r['outcome'] for r in self.history('long') if r['outcome'] != 'edit'], ['succeeded'])


class CrashTest(PassTestCase):
    def test_a_pass_killed_mid_run_has_its_run_reclaimed_at_once_and_its_command_ended(self):
        out = os.path.join(self.dir, 'attempts')
        # Attempt 1 leaves a grandchild (sleep) in its process group; attempt 2 is quick.
        self.create('--name', 'victim', '--every', '1h',
                    '--sh', f'echo "$TRIGGER_EVENT_ID $TRIGGER_ATTEMPT $$" >> {out}; '
                    'if [ "$TRIGGER_ATTEMPT" = 1 ]; then sleep 30; fi')
        self.create('--name', 'bystander', '--every', '1h', '--log', 'b')
        self.ok('run-once')
        env = dict(self.env, TRIGGER_NOW=at(HOUR))
        runner = subprocess.Popen([BIN, 'run-once'], env=env, stderr=subprocess.DEVNULL)
        self.wait_for('attempts')
        runner.send_signal(signal.SIGKILL)  # run-once alone: its command is not touched here
        runner.wait()
        # status tells at once that the pass died (its process is gone).
        code, out, _ = self.run_trigger('--now', at(HOUR + 10), 'status', '--format', 'json')
        status = json.loads(out)
        self.assertEqual((code, status['last_pass_outcome'], status['failed_passes_in_a_row']), (1, 'died', 1))
        self.assertIn(f"the last pass (pid {runner.pid} on '{os.uname().nodename}', started "
                      f"2026-12-01T09:00:00Z) died before it finished: it was killed, or could not record "
                      "how it ended", status['problems'])
        event = f'1-{NOW + HOUR}'
        command_pid = int(self.read('attempts')[0].split()[2])
        self.assertEqual([line.split()[:2] for line in self.read('attempts')], [[event, '1']])
        # The command's shell dies with its pass (PR_SET_PDEATHSIG)...
        deadline = time.monotonic() + 5
        while process_state(command_pid) not in ('gone', 'Z') and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertIn(process_state(command_pid), ('gone', 'Z'))
        self.assertNotEqual(group_states(command_pid), [], 'its sleep is left in the group')
        # ...and the next pass, at the same second (the lease has not expired), knows the pass is
        # dead: it ends what is left of the group, records the attempt interrupted and runs the
        # occurrence again as attempt 2.
        self.ok('--now', at(HOUR + 1), 'run-once')
        self.assertEqual(group_states(command_pid), [])
        self.assertEqual([line.split()[:2] for line in self.read('attempts')], [[event, '1'], [event, '2']])
        records = [r for r in self.history('victim') if r['outcome'] != 'edit']
        self.assertEqual([(r['outcome'], r['count'], r['attempts']) for r in records],
                         [('succeeded', 1, 2), ('interrupted', 0, 1)])
        self.assertRegex(records[1]['reason'],
                         r"^attempt 1 cut short: the pass running it \(pid \d+ on '[^']+'\) died$")
        # Nothing else was duplicated.
        self.assertEqual(len([r for r in self.history('bystander') if r['outcome'] != 'edit']), 1)
        status = json.loads(self.ok('--now', at(HOUR + 1), 'status', '--format', 'json'))
        self.assertEqual((status['running'], status['queued']), (0, 0))


def sanitized(binary):
    """Whether the binary is built with UBSan (tools/setup.sh test's second build)."""
    with open(binary, 'rb') as f:
        return b'__ubsan_handle' in f.read()


class ResourceTest(PassTestCase):
    # UBSan checks a vptr by writing the memory into a pipe of its own: with no descriptor left
    # it reports every virtual call as invalid. The unit test of the same behaviour (pass_test,
    # descriptors exhausted in-process after start-up) runs under the sanitizers instead.
    @unittest.skipIf(sanitized(BIN), 'the sanitizer runtime itself needs descriptors')
    def test_out_of_descriptors_a_run_stays_queued_and_runs_later(self):
        out = os.path.join(self.dir, 'ran')
        self.create('--name', 'starved', '--every', '1h', '--sh', f'echo "$TRIGGER_ATTEMPT" >> {out}')
        self.ok('run-once')
        env = dict(self.env, TRIGGER_NOW=at(HOUR))
        # The lowest descriptor limit at which the pass opens its database: then pipe2 fails.
        for limit in range(4, 64):
            process = subprocess.run(
                [BIN, 'run-once'], env=env, capture_output=True, text=True, timeout=60,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)))
            if 'cannot open' not in process.stderr and 'unable to open' not in process.stderr:
                break
        self.assertEqual((process.returncode, process.stderr),
                         (1, 'trigger: cannot create a pipe: Too many open files; 1 run left queued\n'),
                         f'RLIMIT_NOFILE {limit}')
        self.assertFalse(os.path.exists(out))
        self.assertEqual([r['outcome'] for r in self.history('starved')], ['edit'])
        status = json.loads(self.ok('--now', at(HOUR), 'status', '--format', 'json'))
        self.assertEqual((status['queued'], status['running'], status['failing']), (1, 0, []))
        # With descriptors again, the next pass runs it, as its first attempt.
        self.ok('--now', at(HOUR + 60), 'run-once')
        self.assertEqual(self.read('ran'), ['1'])
        self.assertEqual([(r['outcome'], r['attempts']) for r in self.history('starved')],
                         [('succeeded', 1), ('edit', 0)])


def process_state(pid):
    """The state letter of process `pid` ('Z' for a zombie), or 'gone'."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return 'gone'


def group_states(pgid):
    """The states of the live (not zombie) processes of process group `pgid`."""
    states = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ('Z', 'X'):
            states.append(fields[0])
    return states


class ScheduleTest(PassTestCase):
    def test_schedule_moves_the_clock_and_keeps_the_last_event(self):
        self.create('--name', 's', '--every', '1h', '--log', 'x')
        self.ok('run-once')
        self.ok('--now', at(HOUR), 'run-once')
        self.ok('--now', at(HOUR + 10 * MINUTE), 'schedule', 's', '--every', '30m', '--from', '2026-12-01T08:00:00Z')
        [t] = self.listed()
        self.assertEqual((t['clock'], t['next_epoch'], t['next_scheduled']),
                         # predicted from the new clock until a pass schedules it
                         ('--every 30m --from 2026-12-01T08:00:00Z', NOW + HOUR + 30 * MINUTE, False))
        self.ok('--now', at(HOUR + 10 * MINUTE), 'run-once')
        self.assertEqual(self.listed()[0]['next_epoch'], NOW + HOUR + 30 * MINUTE)
        [edit] = [r for r in self.history('s') if r['reason'].startswith('scheduled')]
        self.assertEqual(edit['reason'], 'scheduled; clock: --every 1h --from 2026-12-01T08:00:00Z -> '
                                         '--every 30m --from 2026-12-01T08:00:00Z; next 2026-12-01T10:00:00Z -> '
                                         '2026-12-01T09:30:00Z')

    def test_schedule_policy_and_zone(self):
        self.create('--name', 's', '--every', '1h', '--log', 'x')
        out = json.loads(self.ok('schedule', 's', '--retries', '5', '--tz', 'Asia/Tokyo', '--format', 'json'))
        self.assertEqual((out['policy']['retries'], out['tz'], out['clock']),
                         ('5', 'Asia/Tokyo', '--every 1h --from 2026-12-01T17:00:00+09:00'))
        self.assertEqual(out['next_epoch'], NOW + HOUR)

    def test_a_done_trigger_fires_again_when_moved(self):
        self.create('--name', 'once', '--at', '+1m', '--log', 'x')
        self.ok('run-once')
        self.ok('--now', at(MINUTE), 'run-once')
        self.assertEqual(self.listed('--all')[0]['state'], 'done')
        self.ok('--now', at(2 * MINUTE), 'schedule', 'once', '--at', '+1h')
        self.ok('--now', at(2 * MINUTE + HOUR), 'run-once')
        self.assertEqual(len([r for r in self.history('once') if r['outcome'] == 'succeeded']), 2)

    def test_bad_schedules_change_nothing(self):
        self.create('--name', 's', '--every', '1h', '--log', 'x')
        self.create('--name', 'gone', '--every', '1h', '--log', 'x')
        self.ok('cancel', 'gone')
        before = self.snapshot()
        for code, message, args in [
            (64, 'nothing to change: give a clock, a policy option or --tz', ['schedule', 's']),
            (64, "--every: invalid duration 'x': expected a number", ['schedule', 's', '--every', 'x']),
            (64, "--at '2020-01-01': is not after now (it could never fire)", ['schedule', 's', '--at', '2020-01-01']),
            (64, "--tz: unknown time zone 'Nowhere'", ['schedule', 's', '--tz', 'Nowhere']),
            (64, "more than one clock given: use only one", ['schedule', 's', '--never', '--every', '1h']),
            (64, "--misfire 'x': expected one of all, latest, skip", ['schedule', 's', '--misfire', 'x']),
            (65, "trigger 'gone' is cancelled; create a new one instead", ['schedule', 'gone', '--every', '2h']),
            (66, "no trigger 'nope'", ['schedule', 'nope', '--every', '2h']),
            (64, "ID|NAME missing", ['schedule']),
        ]:
            self.fails(code, message, *args)
        self.assertEqual(self.snapshot(), before)


class FireTest(PassTestCase):
    def test_fire_queues_a_manual_run_and_leaves_the_schedule(self):
        out = os.path.join(self.dir, 'out')
        self.create('--name', 'f', '--every', '1d', '--sh', f'echo "$TRIGGER_EVENT_ID" >> {out}')
        self.ok('run-once')
        next_before = self.listed()[0]['next_epoch']
        self.assertEqual(self.ok('--now', at(5), 'fire', 'f'), f'1-m{NOW + 5}\n')
        self.fails(65, "a manual run of 'f' was already queued this second", '--now', at(5), 'fire', 'f')
        self.ok('--now', at(5), 'run-once')
        # Even once it has run: event ids stay unique.
        self.fails(65, "a manual run of 'f' was already queued this second", '--now', at(5), 'fire', 'f')
        self.assertEqual(self.read('out'), [f'1-m{NOW + 5}'])
        [run] = [r for r in self.history('f') if r['outcome'] != 'edit']
        self.assertEqual((run['manual'], run['outcome']), (True, 'succeeded'))
        self.assertEqual(self.listed()[0]['next_epoch'], next_before)

    def test_fire_refuses_finished_triggers(self):
        self.create('--name', 'c', '--every', '1d', '--log', 'x')
        self.ok('cancel', 'c')
        self.fails(65, "trigger 'c' is cancelled; it cannot be fired", 'fire', 'c')
        self.fails(66, "no trigger 'nope'", 'fire', 'nope')

    def test_cancel_cancels_queued_runs(self):
        self.create('--name', 'c', '--every', '1d', '--log', 'x')
        self.ok('fire', 'c')
        self.ok('cancel', 'c')
        outcomes = [(r['outcome'], r['manual']) for r in self.history('c')]
        self.assertEqual(outcomes[0], ('edit', False))
        self.assertEqual(outcomes[1], ('cancelled', True))
        self.assertIn('cancelled (1 queued run cancelled)', self.history('c')[0]['reason'])


class StatusTest(PassTestCase):
    def test_healthy_queue(self):
        self.create('--every', '1h', '--log', 'x')
        self.ok('run-once')
        status = json.loads(self.ok('status', '--format', 'json'))
        self.assertEqual((status['healthy'], status['problems'], status['due'], status['pending_changes'],
                          status['last_pass_epoch'], status['triggers']),
                         (True, [], 0, 0, NOW, {'active': 1, 'cancelled': 0, 'done': 0, 'paused': 0}))
        self.assertIn('healthy:                       true\n', self.ok('status'))

    def test_no_pass_while_events_are_due(self):
        self.create('--every', '1m', '--log', 'x')
        self.ok('run-once')
        code, out, err = self.run_trigger('--now', at(10 * MINUTE), 'status', '--format', 'json')
        status = json.loads(out)
        self.assertEqual((code, status['healthy'], status['due'], status['oldest_due_lag_seconds']),
                         (1, False, 1, 9 * MINUTE))
        self.assertEqual(status['problems'], [
            "no pass for 10m while 1 event is due (is cron running 'trigger run-once'?)"])
        code, out, err = self.run_trigger('--now', at(10 * MINUTE), 'status')
        self.assertEqual(code, 1)
        self.assertIn("problem:                       no pass for 10m while 1 event is due (is cron running 'trigger run-once'?)\n", out)

    def test_no_pass_has_ever_run(self):
        self.create('--every', '1m', '--log', 'x')
        self.assertEqual(self.run_trigger('--now', at(4 * MINUTE), 'status')[0], 0)  # cron may be about to
        code, out, _ = self.run_trigger('--now', at(6 * MINUTE), 'status', '--format', 'json')
        self.assertEqual((code, json.loads(out)['problems']), (1, [
            "no pass has ever run, and the oldest change was made 6m ago: 1 change waits to be scheduled "
            "(is cron running 'trigger run-once'?)"]))

    def failing_status(self, at_seconds):
        code, out, _ = self.run_trigger('--now', at(at_seconds), 'status', '--format', 'json')
        return code, json.loads(out)['failing']

    def test_a_failed_run_is_unhealthy_until_a_later_success(self):
        ok = os.path.join(self.dir, 'ok')
        self.create('--name', 'flaky', '--every', '1m', '--sh', f'test -e {ok}')
        self.ok('run-once')
        self.run_trigger('--now', at(MINUTE), 'run-once')
        code, out, _ = self.run_trigger('--now', at(MINUTE), 'status', '--format', 'tsv')
        self.assertEqual(code, 1)
        self.assertIn('failing\tflaky\n', out)
        self.assertIn(f"problem\t1 trigger is failing: 'flaky' (event 1-{NOW + MINUTE} failed) (see "
                      "'trigger history --failed'; 'trigger reset-failed' acknowledges)\n", out)
        # No one-hour window: a day later it still fails (the passes in between skip nothing).
        self.assertEqual(self.failing_status(MINUTE + 10), (1, ['flaky']))
        open(ok, 'w').close()
        self.ok('--now', at(2 * MINUTE), 'run-once')
        self.assertEqual(self.failing_status(2 * MINUTE), (0, []))

    def test_a_failure_stays_after_edits_and_skips(self):
        self.create('--name', 'f', '--every', '1m', '--sh', 'exit 3')
        self.ok('run-once')
        self.run_trigger('--now', at(MINUTE), 'run-once')
        self.ok('--now', at(MINUTE), 'schedule', 'f', '--retries', '0')  # an edit record after it
        self.assertEqual(self.failing_status(MINUTE), (1, ['f']))

    def test_pause_cancel_and_reset_failed_acknowledge(self):
        for name in ('p', 'c', 'r', 's'):
            self.create('--name', name, '--every', '1m', '--sh', 'exit 1')
        self.ok('run-once')
        self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual(self.failing_status(MINUTE), (1, ['p', 'c', 'r', 's']))
        self.ok('--now', at(MINUTE), 'pause', 'p')
        self.ok('--now', at(MINUTE), 'cancel', 'c')
        self.assertEqual(self.ok('--now', at(MINUTE), 'reset-failed', 'r', 'p'),
                         f"'r'  3-{NOW + MINUTE}  failed\n")
        self.assertEqual(self.failing_status(MINUTE), (1, ['s']))
        self.assertEqual(self.history('r')[0]['reason'].split(';')[0],
                         f'reset-failed: acknowledged the failure of event 3-{NOW + MINUTE}')
        self.assertTrue(self.history('p')[0]['reason'].startswith(
            f'paused (failure of event 1-{NOW + MINUTE} acknowledged)'))
        # A paused trigger resumed is not failing for the failure acknowledged.
        self.ok('--now', at(MINUTE), 'resume', 'p')
        self.assertEqual(self.failing_status(MINUTE), (1, ['s']))
        # No name: every failing trigger; then nothing left to acknowledge.
        self.assertEqual(json.loads(self.ok('--now', at(MINUTE), 'reset-failed', '--format', 'json')),
                         [{'id': 4, 'name': 's', 'event_id': f'4-{NOW + MINUTE}', 'outcome': 'failed'}])
        self.assertEqual(self.failing_status(MINUTE), (0, []))
        self.assertEqual(self.ok('--now', at(MINUTE), 'reset-failed', '-q'), '')
        # A later failure counts again.
        self.run_trigger('--now', at(2 * MINUTE), 'run-once')
        self.assertEqual(self.failing_status(2 * MINUTE), (1, ['p', 'r', 's']))

    def test_reset_failed_of_a_missing_trigger_changes_nothing(self):
        self.create('--name', 'r', '--every', '1m', '--sh', 'exit 1')
        self.ok('run-once')
        self.run_trigger('--now', at(MINUTE), 'run-once')
        before = self.snapshot()
        self.fails(66, "no trigger 'nope'", '--now', at(MINUTE), 'reset-failed', 'r', 'nope')
        self.assertEqual(self.snapshot(), before)

    def test_status_names_its_database_and_a_missing_one_is_unhealthy(self):
        missing = os.path.join(self.dir, 'typo.db')
        code, out, _ = self.run_trigger('--db', missing, 'status')
        self.assertEqual(code, 1)
        self.assertIn(f'database:                      {missing}\n', out)
        self.assertIn(f'problem:                       the database {missing} does not exist\n', out)
        self.assertFalse(os.path.exists(missing))
        self.create('--every', '1h', '--log', 'x')
        self.ok('run-once')
        status = json.loads(self.ok('status', '--format', 'json'))
        self.assertEqual((status['database'], status['database_exists']), (self.db, True))

    def failing_metrics(self):
        self.create('--name', 'f.x', '--every', '1m', '--label', 'team-a=o"p\\s', '--sh', 'exit 1')
        self.create('--every', '1h', '--log', 'unnamed')
        self.ok('run-once')
        self.run_trigger('--now', at(MINUTE), 'run-once')
        code, out, _ = self.run_trigger('--now', at(MINUTE), 'status', '--format', 'openmetrics')
        self.assertEqual(code, 1)
        return out

    def test_openmetrics_per_trigger_and_queue(self):
        out = self.failing_metrics()
        labels = '{id="1",name="f.x",label_team_a="o\\"p\\\\s"}'
        for line in (f'trigger_failing{labels} 1', 'trigger_failing{id="2",name=""} 0',
                     f'trigger_last_run_start_timestamp_seconds{labels} {NOW + MINUTE}',
                     f'trigger_next_run_timestamp_seconds{labels} {NOW + 2 * MINUTE}',
                     'trigger_failing_triggers 1', 'trigger_status_healthy 0', 'trigger_queued_runs 0',
                     f'trigger_last_pass_start_timestamp_seconds {NOW + MINUTE}',
                     'trigger_last_pass_outcome{outcome="ok"} 1',
                     'trigger_last_pass_clock_jump_seconds 0'):
            self.assertIn(line + '\n', out)
        # The pass's duration, in seconds (status has it in milliseconds).
        self.assertRegex(out, r'\ntrigger_last_pass_duration_seconds [0-9.e-]+\n')
        self.assertTrue(out.endswith('\n# EOF\n'))

    @unittest.skipUnless(shutil.which('promtool'), 'promtool is not installed (Debian package prometheus)')
    def test_openmetrics_passes_promtool(self):
        out = self.failing_metrics()
        check = subprocess.run(['promtool', 'check', 'metrics'], input=out, capture_output=True, text=True)
        self.assertEqual((check.returncode, check.stdout + check.stderr), (0, ''))

    def test_metrics_file_is_written_whole_and_readable(self):
        out = self.failing_metrics()
        path = os.path.join(self.dir, 'trigger.prom')
        code, stdout, _ = self.run_trigger('--now', at(MINUTE), 'status', '-q', '--metrics-file', path)
        self.assertEqual(code, 1)
        self.assertIn('failing:', stdout)
        with open(path) as f:
            self.assertEqual(f.read(), out)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(['t.db', 'trigger.prom'] + [
            name for name in os.listdir(self.dir) if name.startswith('t.db-')]))
        code, _, err = self.run_trigger('--now', at(MINUTE), 'status', '--metrics-file',
                                        os.path.join(self.dir, 'no', 'x.prom'))
        self.assertEqual(code, 74)
        self.assertIn(f"--metrics-file {self.dir}/no/x.prom: cannot create a file beside it", err)

    def test_failing_passes_make_status_unhealthy(self):
        self.create('--name', 'n', '--every', '1m', '--log', 'x')
        self.ok('run-once')
        self.assertEqual(json.loads(self.ok('status', '--format', 'json'))['last_pass_outcome'], 'ok')
        # From now on every pass stops at an error once it has begun: it cannot record a run.
        connection = sqlite3.connect(self.db)
        connection.execute("CREATE TRIGGER no_room BEFORE INSERT ON history BEGIN SELECT RAISE(ABORT, 'no room'); END")
        connection.commit()
        connection.close()
        for minute in range(1, 21):
            code, _, err = self.run_trigger('--now', at(minute * MINUTE), 'run-once')
            self.assertNotEqual(code, 0)
        error = err.strip().removeprefix('trigger: ')
        self.assertEqual(error, f"sql error on database '{self.db}': constraint failed")
        code, out, _ = self.run_trigger('--now', at(20 * MINUTE + 30), 'status', '--format', 'json')
        status = json.loads(out)
        self.assertEqual((code, status['healthy'], status['last_pass_outcome'], status['last_pass_error'],
                          status['failed_passes_in_a_row']), (1, False, 'failed', error, 20))
        self.assertEqual(status['problems'], [
            f'the last 20 passes failed; the latest failed: {error}',
            '1 event has been due for 18m30s although passes run: they do not fire it'])
        tsv = self.run_trigger('--now', at(20 * MINUTE + 30), 'status', '--format', 'tsv')[1]
        self.assertIn('last_pass_outcome\tfailed\n', tsv)
        self.assertIn('failed_passes_in_a_row\t20\n', tsv)
        # Once passes work again, so does status.
        connection = sqlite3.connect(self.db)
        connection.execute('DROP TRIGGER no_room')
        connection.commit()
        connection.close()
        self.ok('--now', at(21 * MINUTE), 'run-once')
        status = json.loads(self.ok('--now', at(21 * MINUTE), 'status', '--format', 'json'))
        self.assertEqual((status['healthy'], status['last_pass_outcome'], status['failed_passes_in_a_row']),
                         (True, 'ok', 0))


class HistoryTest(PassTestCase):
    def test_formats_and_filters(self):
        self.create('--name', 'ok', '--every', '1m', '--log', 'fine')
        self.create('--name', 'bad', '--every', '1m', '--sh', 'exit 2')
        self.ok('run-once')
        self.run_trigger('--now', at(MINUTE), 'run-once')
        everything = self.history()
        self.assertEqual([r['outcome'] for r in everything], ['failed', 'succeeded', 'edit', 'edit'])
        self.assertEqual([r['trigger_name'] for r in self.history('--failed')], ['bad'])
        self.assertEqual([r['outcome'] for r in self.history('ok')], ['succeeded', 'edit'])
        self.assertEqual(len(self.history('--limit', '1')), 1)
        self.assertEqual([r['outcome'] for r in self.history('--since', at(30))], ['failed', 'succeeded'])
        table = self.ok('history', 'bad').splitlines()
        self.assertEqual(table[0].split(), ['RECORDED', 'TRIGGER', 'EVENT', 'OUTCOME', 'COUNT', 'ATTEMPTS', 'EXIT', 'BY', 'REASON'])
        tsv = self.ok('history', '--format', 'tsv', '--failed').splitlines()
        self.assertEqual(tsv, [f'{NOW + MINUTE}\t2\tbad\t2-{NOW + MINUTE}\t{NOW + MINUTE}\tfailed\t1\t1\t2\t\texit status 2\t\t\t'])
        for field in ('trigger_id', 'trigger_name', 'event_id', 'scheduled_epoch', 'count', 'outcome', 'reason',
                      'manual', 'attempts', 'exit_status', 'started_epoch', 'finished_epoch', 'output', 'editor'):
            self.assertIn(field, everything[0])
        # An edit names who made it; a run outcome names no one.
        self.assertEqual((everything[0]['editor'], everything[-1]['editor']['uid']), (None, os.getuid()))
        edit_tsv = self.ok('history', '--format', 'tsv', 'ok').splitlines()[-1].split('\t')
        self.assertEqual(edit_tsv[-3:], [str(os.getuid()), pwd.getpwuid(os.getuid()).pw_name, ''])

    def test_bad_options(self):
        for code, message, args in [
            (64, "--limit '0': expected a whole number from 1 to 9999999", ['history', '--limit', '0']),
            (64, "--since: invalid time 'then': expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION",
             ['history', '--since', 'then']),
            (66, "no trigger 'nope'", ['history', 'nope']),
        ]:
            self.fails(code, message, *args)


class SyslogTest(PassTestCase):
    """run-once's lines to syslog, read from a datagram socket bound where TRIGGER_SYSLOG_SOCKET says."""

    def setUp(self):
        super().setUp()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.listener.bind(self.env['TRIGGER_SYSLOG_SOCKET'])
        self.listener.setblocking(False)

    def tearDown(self):
        self.listener.close()
        super().tearDown()

    def received(self):
        lines = []
        while True:
            try:
                lines.append(self.listener.recv(65536).decode())
            except BlockingIOError:
                return lines

    def test_runs_are_logged_as_cron_logs_them(self):
        self.create('--name', 'bad', '--every', '1m', '--sh', 'echo oops; exit 3')
        self.create('--name', 'good', '--every', '1m', '--sh', 'true')
        self.ok('run-once')
        self.assertEqual(self.received(), [])  # nothing ran: nothing to say
        code, _, _ = self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual(code, 1)
        # As glibc's syslog(3) sends them: facility cron (9), info 6 / err 3, local time (TZ=UTC).
        stamp = time.strftime('%b %e %H:%M:%S', time.gmtime(NOW + MINUTE))
        lines = [re.sub(r'trigger\[[0-9]+\]', 'trigger[PID]', re.sub(r' after [0-9]+\.[0-9] s', ' after D s', line))
                 for line in self.received()]
        self.assertEqual(sorted(lines), sorted([
            f"<78>{stamp} trigger[PID]: 'bad' (event 1-{NOW + MINUTE}) started, attempt 1",
            f"<78>{stamp} trigger[PID]: 'good' (event 2-{NOW + MINUTE}) started, attempt 1",
            f"<75>{stamp} trigger[PID]: 'bad' (event 1-{NOW + MINUTE}) failed after D s, attempt 1: exit status 3",
            f"<78>{stamp} trigger[PID]: 'good' (event 2-{NOW + MINUTE}) succeeded after D s, attempt 1: exit status 0",
        ]))

    def test_a_failure_hook_gets_the_output_and_is_logged_and_recorded(self):
        got = os.path.join(self.dir, 'hook')
        self.create('--name', 'bad', '--every', '1m', '--sh', 'echo oops; exit 3',
                    '--on-failure-sh', f'{{ echo "$TRIGGER_NAME $TRIGGER_OUTCOME $TRIGGER_EXIT_STATUS"; cat; }} > {got}')
        self.ok('run-once')
        code, _, err = self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual(code, 1)
        self.assertIn('  oops\n', err)  # the report cron mails is unchanged
        with open(got) as f:
            self.assertEqual(f.read(), 'bad failed 3\noops\n')
        lines = [re.sub(r'trigger\[[0-9]+\]', 'trigger[PID]', re.sub(r' after [0-9]+\.[0-9] s', ' after D s', line))
                 for line in self.received()]
        stamp = time.strftime('%b %e %H:%M:%S', time.gmtime(NOW + MINUTE))
        self.assertEqual(lines[-1], f"<78>{stamp} trigger[PID]: 'bad' (event 1-{NOW + MINUTE}) on-failure hook succeeded after D s")
        records = self.history('bad')
        self.assertEqual([(r['outcome'], r['count'], r['event_id']) for r in records][:2],
                         [('hook', 0, f'1-{NOW + MINUTE}'), ('failed', 1, f'1-{NOW + MINUTE}')])
        # The trigger is failing still: the hook ran, the job did not succeed.
        code, _, _ = self.run_trigger('--now', at(MINUTE), 'status')
        self.assertEqual(code, 1)

    def test_skips_and_pass_failures_are_logged(self):
        self.create('--name', 'late', '--every', '1h', '--misfire', 'skip', '--grace', '1m', '--log', 'x')
        self.ok('run-once')
        self.ok('--now', at(HOUR + 10 * MINUTE), 'run-once')
        [skipped] = self.received()
        self.assertRegex(skipped, r"^<76>.* trigger\[[0-9]+\]: 'late' skipped: 1 occurrence at .* more than 1m late \(--misfire skip\)$")
        blocker = os.path.join(self.dir, 'file')
        with open(blocker, 'w'):
            pass
        code, _, _ = self.run_trigger('--db', os.path.join(blocker, 't.db'), 'run-once')  # cannot open
        self.assertNotEqual(code, 0)
        [failed] = self.received()
        self.assertRegex(failed, r"^<75>.* trigger\[[0-9]+\]: pass failed: ")

    def test_no_syslog_and_trigger_syslog_0_send_nothing(self):
        self.create('--name', 'bad', '--every', '1m', '--sh', 'exit 3')
        self.ok('run-once')
        self.assertEqual(self.run_trigger('--now', at(MINUTE), 'run-once', '--no-syslog')[0], 1)
        self.assertEqual(self.run_trigger('--now', at(2 * MINUTE), 'run-once', env={'TRIGGER_SYSLOG': '0'})[0], 1)
        self.assertEqual(self.received(), [])
        self.assertEqual(self.run_trigger('--now', at(3 * MINUTE), 'run-once', env={'TRIGGER_SYSLOG': '1'})[0], 1)
        self.assertEqual(len(self.received()), 2)

    def test_a_full_socket_loses_only_the_syslog_lines(self):
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # room for next to nothing
        for i in range(20):
            self.create('--name', f'n{i}', '--every', '1m', '--log', 'x' * 1000)
        self.ok('run-once')
        self.assertEqual(self.run_trigger('--now', at(MINUTE), 'run-once'), (0, '', ''))
        self.assertLess(len(self.received()), 20)
        self.assertEqual(len([r for r in self.history() if r['outcome'] == 'succeeded']), 20)


class FailureReportTest(PassTestCase):
    def test_the_report_names_host_and_time_and_ends_with_the_output(self):
        self.create('--name', 'noisy', '--every', '1m', '--sh', 'for i in $(seq 1 25); do echo line $i; done; exit 1')
        self.ok('run-once')
        code, out, err = self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual((code, out), (1, ''))
        self.assertEqual(err, f"trigger: 'noisy' (event 1-{NOW + MINUTE}): exit status 1{where(MINUTE)}\n"
                              "  (5 earlier lines left out)\n" + ''.join(f'  line {i}\n' for i in range(6, 26)))

    def test_json_keeps_the_one_line_summary(self):
        self.create('--name', 'bad', '--every', '1m', '--sh', 'echo oops; exit 3')
        self.ok('run-once')
        code, out, _ = self.run_trigger('--now', at(MINUTE), 'run-once', '--format', 'json')
        self.assertEqual(code, 1)
        self.assertEqual(json.loads(out)['failures'], [f"'bad' (event 1-{NOW + MINUTE}): exit status 3"])


class GcTest(PassTestCase):
    def test_gc_prunes_old_history(self):
        self.create('--name', 'g', '--every', '1d', '--log', 'x', '--history-runs', '1')
        self.ok('run-once')
        self.ok('--now', at(24 * HOUR), 'run-once')
        self.ok('--now', at(24 * HOUR), 'schedule', 'g', '--retries', '1')
        self.assertEqual([r['outcome'] for r in self.history()], ['edit', 'succeeded', 'edit'])
        # Older than 2 days: the later edit; the newest run (one kept whatever its age) and the
        # creation record stay.
        self.assertEqual(self.ok('--now', at(4 * 24 * HOUR), 'gc', '--keep', '2d', '--format', 'json'),
                         '{"deleted": 1}\n')
        [run, created] = self.history()
        self.assertEqual(run['outcome'], 'succeeded')
        self.assertTrue(created['reason'].startswith('created;'))
        self.assertEqual(self.ok('--now', at(4 * 24 * HOUR), 'gc'), '')
        self.fails(64, "--keep: invalid duration '0': must be more than zero", 'gc', '--keep', '0')

    def test_a_trigger_keeps_its_last_runs_and_creation_record_after_gc_keep_1s(self):
        # The done-when: --history-runs 3, five runs, `gc --keep 1s`.
        self.create('--name', 'yearly', '--every', '1d', '--sh', 'test $(( $TRIGGER_SCHEDULED_EPOCH / 86400 % 2 )) = 0',
                    '--history-runs', '3')
        self.create('--name', 'other', '--every', '1d', '--log', 'x')
        self.ok('run-once')
        for day in range(1, 6):
            self.run_trigger('--now', at(day * 24 * HOUR), 'run-once')
        runs = lambda name: [(r['outcome'], r['scheduled_epoch']) for r in self.history(name)
                             if r['outcome'] != 'edit']
        five = runs('yearly')
        self.assertEqual(len(five), 5)
        self.assertEqual({outcome for outcome, _ in five}, {'succeeded', 'failed'})
        self.assertEqual(self.ok('--now', at(400 * 24 * HOUR), 'gc', '--keep', '1s', '--format', 'json'),
                         '{"deleted": 2}\n')  # the two oldest runs of 'yearly'; 'other' keeps 10
        self.assertEqual(runs('yearly'), five[:3])
        self.assertEqual([r['outcome'] for r in self.history('yearly') if r['outcome'] == 'edit'], ['edit'])
        shown = self.ok('--now', at(400 * 24 * HOUR), 'history', 'yearly')
        self.assertEqual(len(shown.splitlines()), 1 + 4)  # the header, three runs, the creation
        self.assertEqual(len(runs('other')), 5)
        # The pass, a year on, prunes by the triggers' own retention: the same records stay.
        self.ok('--now', at(400 * 24 * HOUR), 'pause', 'yearly', 'other')
        self.ok('--now', at(400 * 24 * HOUR), 'run-once')
        self.assertEqual(runs('yearly'), five[:3])
        reasons = [r['reason'].split(' ')[0].rstrip(';') for r in self.history('yearly') if r['outcome'] == 'edit']
        self.assertEqual(reasons, ['paused', 'created'])

    def test_the_pass_prunes_by_each_triggers_own_retention(self):
        self.create('--name', 'short', '--every', '1h', '--log', 'x', '--history-keep', '2h',
                    '--history-runs', '1')
        self.create('--name', 'long', '--every', '1h', '--log', 'x', '--history-keep', '90d')
        self.ok('run-once')
        for hour in range(1, 5):
            self.ok('--now', at(hour * HOUR), 'run-once')
        self.ok('--now', at(5 * HOUR), 'run-once')
        outcomes = lambda name: [(r['outcome'], r['scheduled_epoch']) for r in self.history(name)]
        # 'short': its creation record, and what is younger than 2 hours (its newest run too).
        self.assertEqual(outcomes('short'), [('succeeded', NOW + 5 * HOUR), ('succeeded', NOW + 4 * HOUR),
                                             ('edit', None)])
        self.assertEqual(len(outcomes('long')), 6)
        # A shorter keep applies at once to what was written; the newest run stays.
        self.ok('--now', at(5 * HOUR), 'schedule', 'short', '--history-keep', '1s')
        self.ok('--now', at(5 * HOUR + 1), 'run-once')
        self.assertEqual([o for o, _ in outcomes('short')], ['succeeded', 'edit'])



IS_ROOT = os.geteuid() == 0


def nobody_home():
    """nobody's HOME, and where its commands run without --cwd: HOME, else / when it is no
    directory (Debian's /nonexistent)."""
    import pwd
    entry = pwd.getpwnam('nobody')
    return entry.pw_dir, entry.pw_shell, (entry.pw_dir if os.path.isdir(entry.pw_dir) else '/')


class RunAsUserTest(PassTestCase):
    """--user NAME in root's database, run by root's pass (skipped unless the tests run as root)."""

    def setUp(self):
        super().setUp()
        if not IS_ROOT:
            self.skipTest('--user needs root: only root runs commands as another user')

    def runs(self, name):
        return [r for r in self.history(name) if r['outcome'] not in ('edit', 'hook')]

    def test_a_user_trigger_runs_as_nobody_with_its_home_groups_and_environment(self):
        home, shell, cwd = nobody_home()
        self.create('--name', 'who', '--every', '1m', '--user', 'nobody', '--env', 'FOO=bar',
                    '--sh', 'id -u; id -g; id -G; echo "$HOME $USER $LOGNAME $SHELL"; pwd; '
                            'echo "$TRIGGER_NAME $TRIGGER_EVENT_ID $FOO"')
        self.create('--name', 'there', '--every', '1m', '--user', 'nobody', '--cwd', '/tmp',
                    '--env', 'HOME=/tmp', '--sh', 'echo "$HOME $(id -un)"; pwd')
        self.ok('--now', at(MINUTE), 'run-once')
        [run] = self.runs('who')
        self.assertEqual((run['outcome'], run['output']),
                         ('succeeded', f'65534\n65534\n65534\n{home} nobody nobody {shell}\n{cwd}\n'
                                       f'who 1-{NOW + MINUTE} bar\n'))
        [there] = self.runs('there')
        self.assertEqual(there['output'], '/tmp nobody\n/tmp\n')  # --env over the user's, --cwd over HOME
        [shown] = self.listed('--name', 'who')
        self.assertEqual(shown['policy']['user'], 'nobody')

    def test_its_hook_runs_as_the_user_and_its_timeout_ends_it(self):
        self.create('--name', 'slow', '--every', '1m', '--user', 'nobody', '--timeout', '1s',
                    '--sh', 'exec sleep 30', '--on-failure-sh', 'id -u')
        started = time.monotonic()
        code, _, _ = self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual(code, 1)
        self.assertLess(time.monotonic() - started, 20)
        [run] = self.runs('slow')
        self.assertEqual(run['outcome'], 'timed_out')
        [hook] = [r for r in self.history('slow') if r['outcome'] == 'hook']
        self.assertEqual(hook['output'], '65534\n')

    def test_a_user_command_dies_with_a_pass_killed_while_it_runs(self):
        def sleepers():
            found = []
            for pid in filter(str.isdigit, os.listdir('/proc')):
                try:
                    with open(f'/proc/{pid}/cmdline', 'rb') as f:
                        if f.read() == b'sleep\x003007\x00':
                            found.append(pid)
                except OSError:
                    pass
            return found
        self.create('--name', 'long', '--every', '1m', '--user', 'nobody', '--sh', 'exec sleep 3007')
        self.ok('fire', 'long')
        env = dict(self.env)
        env.pop('TRIGGER_NOW')
        pass_ = subprocess.Popen([BIN, 'run-once'], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not sleepers() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(sleepers(), 'the command never started')
        pass_.kill()  # SIGKILL: the parent-death signal, armed again after setuid, ends the command
        pass_.wait()
        deadline = time.monotonic() + 5
        while sleepers() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(sleepers(), [])

    def test_a_user_deleted_later_fails_the_run_naming_it(self):
        self.create('--name', 'gone', '--every', '1m', '--user', 'nobody', '--sh', 'echo ran')
        with sqlite3.connect(self.db) as db:
            db.execute("UPDATE trigger SET run_as_user = 'no-such-user-trigger'")
        db.close()
        code, _, err = self.run_trigger('--now', at(MINUTE), 'run-once')
        why = "not run: --user 'no-such-user-trigger': no user 'no-such-user-trigger' in the password database"
        self.assertEqual(code, 1)
        self.assertIn(why, err)
        [run] = self.runs('gone')
        self.assertEqual((run['outcome'], run['exit_status'], run['reason'], run['output']),
                         ('failed', 127, why, f'trigger: {why}\n'))

    def test_a_step_of_becoming_the_user_that_fails_runs_nothing_exit_status_125(self):
        if not shutil.which('setpriv'):
            self.skipTest('setpriv is missing: cannot take CAP_SETGID from the pass')
        evidence = os.path.join(self.dir, 'ran')
        self.create('--name', 'who', '--every', '1m', '--user', 'nobody', '--sh', f'touch {evidence}')
        # root without CAP_SETGID and CAP_SETUID: setgroups fails, and the child ends there.
        process = subprocess.run(['setpriv', '--bounding-set=-setgid,-setuid', BIN, '--now', at(MINUTE),
                                  'run-once'], env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(process.returncode, 1)
        [run] = self.runs('who')
        self.assertEqual((run['outcome'], run['exit_status'], run['reason']),
                         ('failed', 125, "cannot take the groups of user 'nobody': Operation not permitted"))
        self.assertFalse(os.path.exists(evidence))

    def test_an_unknown_user_is_a_usage_error_naming_it_and_creates_nothing(self):
        self.fails(64, "--user 'no-such-user-trigger': no user 'no-such-user-trigger' in the password database",
                   'create', '--every', '1m', '--user', 'no-such-user-trigger', '--sh', 'true')
        self.assertFalse(os.path.exists(self.db))
        self.create('--name', 'a', '--every', '1m', '--sh', 'true')
        before = self.snapshot()
        self.fails(64, "--user 'no-such-user-trigger': no user 'no-such-user-trigger' in the password database",
                   'schedule', 'a', '--user', 'no-such-user-trigger')
        self.assertEqual(self.snapshot(), before)

    def test_a_database_not_owned_by_root_is_refused_77_and_unchanged(self):
        self.create('--name', 'a', '--every', '1m', '--sh', 'true')
        entry = {'name': 'b', 'clock': '--every 1h', 'action': "--sh 'id'", 'policy': {'user': 'nobody'}}
        os.chown(self.db, 65534, 65534)  # a user's database, which root may still open
        before = self.snapshot()
        why = (f"--user 'nobody': refusing to run commands from database '{self.db}': owned by uid 65534, "
               "not by you or root")
        self.fails(77, why, 'create', '--every', '1m', '--user', 'nobody', '--sh', 'id')
        self.fails(77, why, 'schedule', 'a', '--user', 'nobody')
        self.fails(77, f'standard input, line 1: {why}', 'import', '-', stdin=json.dumps(entry) + '\n')
        self.assertEqual(self.snapshot(), before)
        self.ok('schedule', 'a', '--user', '')  # clearing it needs nothing
        # A new database where a user could change it is refused before it is created.
        theirs = os.path.join(self.dir, 'theirs')
        os.mkdir(theirs, 0o700)
        os.chown(theirs, 65534, 65534)
        fresh = os.path.join(theirs, 'sub', 'new.db')
        self.fails(77, f"--user 'nobody': refusing to run commands from directory '{theirs}' above database "
                       f"'{fresh}': owned by uid 65534, not by you or root",
                   '--db', fresh, 'create', '--every', '1m', '--user', 'nobody', '--sh', 'id')
        self.assertEqual(os.listdir(theirs), [])

    def test_user_is_changed_and_cleared_by_schedule_and_kept_by_export_and_import(self):
        self.create('--name', 'a', '--every', '1m', '--sh', 'true')
        self.ok('schedule', 'a', '--user', 'nobody')
        exported = self.ok('export')
        self.assertEqual(json.loads(exported)['policy']['user'], 'nobody')
        self.ok('schedule', 'a', '--user', '')
        self.assertIsNone(self.listed()[0]['policy']['user'])
        self.ok('import', '-', stdin=exported)
        self.assertEqual(self.listed()[0]['policy']['user'], 'nobody')
        self.assertIn('user:          nobody\n', self.ok('show', 'a'))
        reasons = [r['reason'] for r in self.history('a') if r['outcome'] == 'edit']
        self.assertTrue(reasons[1].startswith('scheduled; user: nobody -> -;'), reasons)
        self.assertTrue(reasons[0].startswith('updated by import; user: - -> nobody;'), reasons)



class UpgradeTest(PassTestCase):
    """A database from an older trigger is copied beside it before it is migrated."""

    def make_level1(self, pad=0):
        root = os.environ.get('TRIGGER_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..'))
        with open(os.path.join(root, 'test', 'data', 'schema-1.sql')) as f:
            dump = f.read()
        connection = sqlite3.connect(self.db)
        connection.executescript(dump)
        connection.execute('PRAGMA journal_mode = WAL')
        if pad:
            connection.execute("UPDATE trigger_label SET value = printf('%.*c', ?, 'v')", (pad,))
            connection.commit()
        connection.close()

    def test_the_first_command_says_so_once_and_keeps_the_old_file(self):
        self.make_level1()
        code, out, err = self.run_trigger('--now', at(0), 'run-once')
        version = int(re.search(r'schema (\d+)', self.ok('--version')).group(1))
        self.assertEqual((code, out, err), (0, '', f"trigger: database {self.db} upgraded from schema 1 to {version}; "
                                                   f"the old one is kept as {self.db}.schema1.bak\n"))
        copy = self.db + '.schema1.bak'
        self.assertEqual(stat.S_IMODE(os.stat(copy).st_mode), 0o600)
        with sqlite3.connect(f'file:{copy}?mode=ro', uri=True) as connection:
            self.assertEqual(connection.execute('PRAGMA user_version').fetchone(), (1,))
            self.assertEqual(connection.execute('SELECT name FROM trigger ORDER BY id').fetchall(),
                             [('level1',), ('paused1',)])
        connection.close()
        self.assertEqual([t['name'] for t in self.listed('--all')], ['level1', 'paused1'])  # silent now
        self.assertEqual(self.run_trigger('--now', at(MINUTE), 'run-once')[2], '')

    def test_no_room_for_the_copy_refuses_the_upgrade_and_changes_nothing(self):
        self.make_level1(pad=200000)
        before = self.snapshot()

        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as on a full disk
            resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))

        process = subprocess.run([BIN, 'list'], env=self.env, capture_output=True, text=True, timeout=60,
                                 preexec_fn=small_files)
        copy = self.db + '.schema1.bak'
        self.assertEqual(process.returncode, 74)
        self.assertRegex(process.stderr, f"^trigger: cannot upgrade database '{re.escape(self.db)}' from schema 1: "
                                         f"cannot keep a copy of it as '{re.escape(copy)}': .*; nothing was changed\n$")
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(os.path.exists(copy) or os.path.exists(copy + '.tmp'))
        with sqlite3.connect(f'file:{self.db}?mode=ro', uri=True) as connection:
            self.assertEqual(connection.execute('PRAGMA user_version').fetchone(), (1,))
        connection.close()

if __name__ == '__main__':
    unittest.main(verbosity=1)
