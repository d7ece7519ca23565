#!/usr/bin/env python3
"""End-to-end tests: the built trigger against temporary databases.

Run by `meson test` with TRIGGER_BIN set to the binary. Every test runs trigger with a fixed
--now (TRIGGER_NOW=2026-12-01T08:00:00Z), TZ=UTC and its own database.
"""
import fcntl
import json
import os
import pwd
import pty
import re
import sqlite3
import stat
import struct
import subprocess
import termios
import time
import tempfile
import threading
import unittest

BIN = os.environ.get('TRIGGER_BIN', 'build/cmd/trigger')
NOW = 1796112000  # 2026-12-01T08:00:00Z
# Who edit records name: the tests run without SUDO_USER.
WHO = '%s (uid %d)' % (pwd.getpwuid(os.getuid()).pw_name, os.getuid())


class TriggerTestCase(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory(prefix='trigger-cli-')
        self.dir = self._dir.name
        self.db = os.path.join(self.dir, 't.db')
        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': self.dir,
            'TZ': 'UTC',
            'TRIGGER_NOW': '2026-12-01T08:00:00Z',
            'TRIGGER_DB': self.db,
            # run-once logs to syslog by default: here to a socket nobody binds (SyslogTest binds one)
            'TRIGGER_SYSLOG_SOCKET': os.path.join(self.dir, 'syslog'),
        }

    def tearDown(self):
        self._dir.cleanup()

    def run_trigger(self, *args, env=None, stdin=None, umask=None, cwd=None):
        full_env = dict(self.env)
        full_env.update(env or {})
        full_env = {k: v for k, v in full_env.items() if v is not None}
        process = subprocess.run(
            [BIN, *args], env=full_env, input=stdin, capture_output=True, text=True, timeout=60,
            cwd=cwd, preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
        return process.returncode, process.stdout, process.stderr

    def ok(self, *args, **kwargs):
        """Run trigger, require exit 0 and a silent stderr, return stdout."""
        code, out, err = self.run_trigger(*args, **kwargs)
        self.assertEqual((code, err), (0, ''), f'trigger {" ".join(args)}')
        return out

    def fails(self, code, message, *args, **kwargs):
        """Run trigger, require exit `code` with exactly one stderr line `trigger: message`."""
        got_code, out, err = self.run_trigger(*args, **kwargs)
        self.assertEqual((got_code, err), (code, f'trigger: {message}\n'), f'trigger {" ".join(args)}')
        self.assertEqual(out, '')

    def snapshot(self):
        """The bytes of the database and its WAL: what "unchanged" is checked against."""
        contents = {}
        for suffix in ('', '-wal'):  # an absent WAL and an empty one hold the same: nothing
            path = self.db + suffix
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    contents[suffix] = f.read()
        if not contents.get('-wal', b'x'):
            del contents['-wal']
        return contents

    def create(self, *args, **kwargs):
        return int(self.ok('create', *args, **kwargs).strip())

    def listed(self, *args):
        return json.loads(self.ok('list', '--format', 'json', *args))


class DoneWhenTest(TriggerTestCase):
    def test_issue_acceptance_scenario(self):
        code, out, err = self.run_trigger('--db', self.db, 'create', '--name', 'hello', '--every', '1h',
                                          '--log', 'hi', env={'TRIGGER_DB': None})
        self.assertEqual((code, out, err), (0, '1\n', ''))
        [hello] = json.loads(self.ok('--db', self.db, 'list', '--format', 'json'))
        self.assertEqual((hello['name'], hello['next_epoch'], hello['next'], hello['next_scheduled']),
                         ('hello', NOW + 3600, '2026-12-01T09:00:00Z', False))
        self.assertEqual(self.ok('--db', self.db, 'cancel', 'hello'), '')
        shown = self.ok('--db', self.db, 'show', 'hello')
        self.assertIn('state:         cancelled\n', shown)
        self.assertEqual(
            self.ok('--now', '@1800000000', 'next', '--every', '90m', '--count', '3', '--format', 'tsv'),
            '1800005400\t2027-01-15T09:30:00Z\n'
            '1800010800\t2027-01-15T11:00:00Z\n'
            '1800016200\t2027-01-15T12:30:00Z\n')


class CreateTest(TriggerTestCase):
    def test_prints_the_new_id_alone(self):
        self.assertEqual(self.ok('create', '--every', '1h', '--log', 'a'), '1\n')
        self.assertEqual(self.ok('create', '--every', '1h', '--log', 'b', '--format', 'tsv'), '2\n')

    def test_json_prints_the_object(self):
        created = json.loads(self.ok('create', '--name', 'j', '--at', '+2h', '--sh', 'echo hi', '--format', 'json'))
        self.assertEqual(created['id'], 1)
        self.assertEqual(created['clock'], '--at 2026-12-01T10:00:00Z')
        self.assertEqual(created['action'], "--sh 'echo hi'")
        self.assertEqual(created['next_epoch'], NOW + 7200)

    def test_every_field_is_stored(self):
        self.create('--name', 'full', '--every', '15m', '--from', '2026-12-01T08:05:00Z',
                    '--misfire', 'all', '--grace', '10m', '--overlap', 'queue', '--timeout', '30m',
                    '--retries', '3', '--backoff', '1m', '--jitter', '20s', '--dst', 'once',
                    '--until', '2027-01-01', '--max-runs', '100', '--history-keep', '52w',
                    '--history-runs', '3', '--lock', 'db', '--lock', 'b', '--tz', 'Europe/Berlin',
                    '--on-failure-sh', 'mail -s "$TRIGGER_NAME failed" ops@example.com',
                    '--label', 'team=ops', '--label', 'tier=1', '--env', 'A=1', '--cwd', '/tmp',
                    '--paused', '--', '/usr/bin/env', 'x y')
        [t] = self.listed()
        self.assertEqual(t['state'], 'paused')
        self.assertEqual(t['tz'], 'Europe/Berlin')
        self.assertEqual(t['clock'], '--every 15m --from 2026-12-01T09:05:00+01:00')
        self.assertEqual(t['action'], "-- /usr/bin/env 'x y'")
        self.assertEqual(t['env'], ['A=1'])
        self.assertEqual(t['cwd'], '/tmp')
        self.assertEqual(t['labels'], {'team': 'ops', 'tier': '1'})
        self.assertEqual(t['policy'], {
            'misfire': 'all', 'grace': '10m', 'overlap': 'queue', 'timeout': '30m', 'retries': '3',
            'backoff': '1m', 'jitter': '20s', 'dst': 'once', 'until': '2027-01-01T00:00:00+01:00',
            'max-runs': '100', 'on-failure-sh': 'mail -s "$TRIGGER_NAME failed" ops@example.com',
            'history-keep': '364d', 'history-runs': '3', 'lock': 'b,db',
            'user': None})  # --user needs root: run_once_test.RunAsUserTest stores it
        self.assertIsNone(t['next_epoch'])  # paused

    def test_no_timeout_is_the_default_and_none_sets_it_everywhere(self):
        self.create('--name', 'long', '--every', '1h', '--sh', 'backup')
        self.create('--name', 'bounded', '--every', '1h', '--sh', 'backup', '--timeout', '2h')
        self.create('--name', 'unbounded', '--every', '1h', '--sh', 'backup', '--timeout', 'none')
        timeouts = lambda: [t['policy']['timeout'] for t in self.listed()]
        self.assertEqual(timeouts(), ['none', '2h', 'none'])
        self.assertIn('timeout:       none\n', self.ok('show', 'long'))
        self.ok('schedule', 'long', '--timeout', '10m')
        self.ok('schedule', 'bounded', '--timeout', 'none')
        self.assertEqual(timeouts(), ['10m', 'none', 'none'])
        # Exported as "none", imported back as none; a line without it takes the default, none.
        exported = self.ok('export')
        self.assertIn('"timeout":"none"', exported)
        other = os.path.join(self.dir, 'copy.db')
        self.ok('--db', other, 'import', '-', stdin=exported)
        copied = [json.loads(line)['policy']['timeout'] for line in self.ok('--db', other, 'export').splitlines()]
        self.assertEqual(copied, ['10m', 'none', 'none'])
        self.ok('--db', other, 'import', '-',
                stdin='{"name": "bare", "clock": "--every 1h", "action": "--log b"}\n')
        self.assertIn('timeout:       none\n', self.ok('--db', other, 'show', 'bare'))

    def test_history_retention_is_stored_changed_exported_and_imported(self):
        self.create('--name', 'yearly', '--cron', '0 3 1 1 *', '--log', 'x', '--history-keep', '400d',
                    '--history-runs', '3')
        self.create('--name', 'plain', '--every', '1h', '--log', 'x')
        retention = lambda db=None: [(t['policy']['history-keep'], t['policy']['history-runs'])
                                     for t in self.listed(*(['--db', db] if db else []))]
        self.assertEqual(retention(), [('400d', '3'), ('30d', '10')])
        self.assertIn('history-keep:  400d\nhistory-runs:  3\n', self.ok('show', 'yearly'))
        self.ok('schedule', 'plain', '--history-runs', '1', '--history-keep', '36h')
        self.assertEqual(retention(), [('400d', '3'), ('1d12h', '1')])
        [edit, _] = json.loads(self.ok('history', 'plain', '--format', 'json'))
        self.assertTrue(edit['reason'].startswith('scheduled; history-keep: 30d -> 1d12h; history-runs: 10 -> 1;'), edit)
        other = os.path.join(self.dir, 'copy.db')
        self.ok('--db', other, 'import', '-', stdin=self.ok('export'))
        self.assertEqual(retention(other), [('400d', '3'), ('1d12h', '1')])
        self.ok('--db', other, 'import', '-', stdin='{"name": "n", "clock": "--every 1h", "action": "--log b", '
                                                    '"policy": {"history-runs": 7, "history-keep": "1w"}}\n')
        self.assertEqual(retention(other)[-1], ('7d', '7'))

    def test_zone_defaults_to_tz_resolved_to_a_name(self):
        self.create('--every', '1h', '--log', 'x', env={'TZ': 'America/New_York'})
        self.assertEqual(self.listed()[0]['tz'], 'America/New_York')

    def test_global_options_are_accepted_after_the_command(self):
        other = os.path.join(self.dir, 'other.db')
        self.assertEqual(self.ok('create', '--every', '1h', '--log', 'x', '--db', other), '1\n')
        self.assertEqual(len(json.loads(self.ok('list', '--format', 'json', '--db', other))), 1)
        self.assertFalse(os.path.exists(self.db))

    def test_db_option_beats_the_environment(self):
        other = os.path.join(self.dir, 'other.db')
        self.ok('--db', other, 'create', '--every', '1h', '--log', 'x')
        self.assertTrue(os.path.exists(other))
        self.assertFalse(os.path.exists(self.db))

    def test_now_option_beats_the_environment(self):
        self.create('--now', '@1800000000', '--every', '1h', '--log', 'x')
        self.assertEqual(self.listed()[0]['next_epoch'], 1800003600)


class ModesTest(TriggerTestCase):
    def test_database_0600_and_directories_0700_whatever_the_umask(self):
        db = os.path.join(self.dir, 'state', 'trigger', 'trigger.db')
        self.ok('--db', db, 'create', '--every', '1h', '--log', 'x', umask=0)
        self.assertEqual(stat.S_IMODE(os.stat(db).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(db)).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.dir, 'state')).st_mode), 0o700)

    def test_default_path_follows_xdg_state_home(self):
        if os.geteuid() == 0:
            self.skipTest('root uses /var/lib/trigger/trigger.db')
        self.ok('create', '--every', '1h', '--log', 'x', env={'TRIGGER_DB': None, 'XDG_STATE_HOME': self.dir})
        self.assertTrue(os.path.exists(os.path.join(self.dir, 'trigger', 'trigger.db')))

    def test_read_only_commands_create_nothing(self):
        for args in (['list'], ['export'], ['show', 'x'], ['next', 'x']):
            self.run_trigger(*args)
        self.assertFalse(os.path.exists(self.db))
        self.assertEqual(self.ok('list', '--format', 'json'), '[]\n')


# One bad argument for every command (and the global options): each is a usage error (64).
USAGE_ERRORS = [
    ['create', '--every', '0', '--log', 'x'],
    ['create', '--log', 'x'],
    ['create', '--every', '1h'],
    ['create', '--every', '1h', '--log', 'x', '--misfire', 'bogus'],
    ['create', '--every', '1h', '--log', 'x', '--tz', 'No/Such_Zone'],
    ['create', '--every', '1h', '--log', 'x', '--label', 'novalue'],
    ['create', '--every', '1h', '--log', 'x', '--name', '123'],
    ['create', '--every', '1h', '--log', 'x', '--until', 'someday'],
    ['create', '--cron', '61 * * * *', '--log', 'x'],
    ['create', '--every', '1h', '--log', 'x', '--format', 'openmetrics'],
    ['create', '--every', '1h', '--log', 'x', 'extra'],
    ['list', '--state', 'bogus'],
    ['list', '--label', 'novalue'],
    ['show'],
    ['show', 'a', 'b'],
    ['schedule', 'x'],
    ['schedule', 'x', '--every', '0'],
    ['schedule', 'x', '--retries', '-1'],
    ['schedule', 'x', '--tz', 'No/Such_Zone'],
    ['schedule'],
    ['update'],
    ['update', 'x'],
    ['update', 'x', '--every', '0'],
    ['update', 'x', '--env', 'NOPE'],
    ['update', 'x', '--unset-env', 'A=1'],
    ['update', 'x', '--cwd', 'relative'],
    ['update', 'x', '--unlabel', 'bad key'],
    ['update', 'x', '--rename', '123'],
    ['update', 'x', '--log', 'a', '--sh', 'b'],
    ['update', 'x', '--label', 'a=1', '--unlabel', 'a'],
    ['cancel'],
    ['pause'],
    ['resume'],
    ['fire'],
    ['fire', 'a', 'b'],
    ['next', '--every', '0'],
    ['next', 'x', '--count', '0'],
    ['run-once', '--jobs', '0'],
    ['run-once', '--max-time', 'bogus'],
    ['status', 'extra'],
    ['reset-failed', '--bogus'],
    ['history', '--limit', '0'],
    ['history', '--since', 'someday'],
    ['history', '--event', 'bad'],
    ['import'],
    ['import', '--prune=sometimes', '-'],
    ['import', '--prune', '--label', 'no value', '-'],
    ['import', '--prune', '--label', '=v', '-'],
    ['import', '--label', 'source=git', '-'],
    ['import', '--dry-run', '-', 'extra'],
    ['export', '--state', 'bogus'],
    ['gc', '--keep', 'bogus'],
    ['help', 'nosuchcommand'],
    ['--now', 'someday', 'create', '--every', '1h', '--log', 'x'],
    ['--format', 'bogus', 'list'],
    ['nosuchcommand'],
]

# Commands that only read, or change triggers that must already exist: a missing database
# gives them nothing to do, and they leave it missing.
NOTHING_TO_CREATE = [
    ['status'], ['list'], ['history'], ['history', 'x'], ['show', 'x'], ['next', 'x'],
    ['export'], ['fire', 'x'], ['cancel', 'x'], ['pause', 'x'], ['resume', 'x'],
    ['schedule', 'x', '--every', '1h'], ['update', 'x', '--retries', '1'], ['reset-failed'], ['reset-failed', 'x'], ['gc'],
    ['run-once', '--dry-run'],
]


class NothingCreatedTest(TriggerTestCase):
    """A failed command changes nothing: no database file and no directory appear."""

    def assert_creates_nothing(self, args, code=None):
        for where in ('missing directory', 'missing file'):
            db = os.path.join(self.dir, 'new', 'x.db') if where == 'missing directory' \
                else os.path.join(self.dir, 'x.db')
            before = sorted(os.listdir(self.dir))
            with self.subTest(args=args, where=where):
                got, _, err = self.run_trigger('--db', db, *args)
                if code is not None:
                    self.assertEqual(got, code, err)
                    self.assertEqual(len(err.splitlines()), 1, err)
                self.assertEqual(sorted(os.listdir(self.dir)), before)

    def test_the_issue_example(self):
        code, _, _ = self.run_trigger('--db', 'new/x.db', 'create', '--every', '0', '--log', 'x',
                                      cwd=self.dir)
        self.assertEqual(code, 64)
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'new')))

    def test_every_usage_error_creates_nothing(self):
        for args in USAGE_ERRORS:
            self.assert_creates_nothing(args, 64)

    def test_a_bad_import_file_creates_nothing(self):
        path = os.path.join(self.dir, 'in.jsonl')
        with open(path, 'w') as out:
            out.write('{"name":"a","clock":"--every 0","action":"--log x"}\n')
        self.assert_creates_nothing(['import', path], 65)
        with open(path, 'w') as out:  # a one-shot line that may only describe a finished trigger
            out.write('{"name":"a","clock":"--at 2026-11-30T00:00:00Z","action":"--log x"}\n')
        self.assert_creates_nothing(['import', path], 65)
        self.assert_creates_nothing(['import', os.path.join(self.dir, 'absent.jsonl')], 66)

    def test_reads_and_changes_of_missing_triggers_leave_a_missing_database_missing(self):
        for args in NOTHING_TO_CREATE:
            self.assert_creates_nothing(args)

    def test_a_usage_error_leaves_an_existing_database_unchanged(self):
        self.create('--name', 'x', '--every', '1h', '--log', 'x')
        before = self.snapshot()
        for args in USAGE_ERRORS:
            with self.subTest(args=args):
                self.assertEqual(self.run_trigger(*args)[0], 64)
        self.assertEqual(self.snapshot(), before)


class DefaultDatabaseTest(TriggerTestCase):
    def test_verbose_names_the_database_for_every_command_that_opens_it(self):
        self.create('--name', 'x', '--every', '1h', '--log', 'x')
        for args in (['list'], ['show', 'x'], ['status'], ['next', 'x'], ['history'],
                     ['export'], ['pause', 'x'], ['resume', 'x'], ['fire', 'x'], ['gc'],
                     ['reset-failed'], ['run-once', '--dry-run'], ['update', 'x', '--retries', '1'],
                     ['create', '--every', '1h', '--log', 'y']):
            with self.subTest(args=args):
                _, _, err = self.run_trigger('-v', *args)
                self.assertIn(f'trigger: database {self.db}\n', err)

    def test_without_home_the_default_is_under_the_password_databases_home(self):
        """As cron may start it: HOME, TRIGGER_DB and XDG_STATE_HOME unset. Run as nobody when
        root (root's default is /var/lib/trigger), and never where a default database exists."""
        import pwd
        user = pwd.getpwnam('nobody') if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
        expected = os.path.join(user.pw_dir, '.local', 'state', 'trigger', 'trigger.db')
        state = os.path.dirname(os.path.dirname(expected))
        if os.path.exists(expected):
            self.skipTest(f'{expected} exists: not touching a real database')
        existed = os.path.exists(state)

        def as_user():
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
        env = {k: v for k, v in self.env.items() if k not in ('HOME', 'TRIGGER_DB')}
        process = subprocess.run([BIN, '-v', '--format', 'json', 'status'], env=env,
                                 capture_output=True, text=True, timeout=60, cwd='/',
                                 preexec_fn=as_user)
        self.assertEqual(process.stderr, f'trigger: database {expected}\n')
        self.assertEqual(json.loads(process.stdout)['database'], expected)
        self.assertFalse(os.path.exists(expected))
        self.assertEqual(os.path.exists(state), existed)


class ListTest(TriggerTestCase):
    def setUp(self):
        super().setUp()
        self.create('--name', 'db.nightly', '--every', '1d', '--log', 'n', '--label', 'team=ops')
        self.create('--name', 'db.weekly', '--every', '1w', '--log', 'w', '--label', 'team=ops', '--label', 'tier=1')
        self.create('--name', 'web', '--every', '5m', '--sh', 'curl -s localhost', '--label', 'team=web')
        self.create('--every', '1h', '--log', 'anonymous')
        self.ok('cancel', 'web')

    def names(self, *args):
        return [t['name'] for t in self.listed(*args)]

    def test_table_marks_predicted_times(self):
        self.assertEqual(self.ok('list'), (
            'ID  NAME        STATE   CLOCK                                   NEXT                   LEFT    LAST  PASSED  OUTCOME  ACTION           DESCRIPTION\n'
            '1   db.nightly  active  --every 1d --from 2026-12-01T08:00:00Z  2026-12-02T08:00:00Z*  24h     -     -       -        --log n          every 1d from 2026-12-01T08:00:00Z\n'
            '2   db.weekly   active  --every 1w --from 2026-12-01T08:00:00Z  2026-12-08T08:00:00Z*  1 week  -     -       -        --log w          every 1w from 2026-12-01T08:00:00Z\n'
            '4   -           active  --every 1h --from 2026-12-01T08:00:00Z  2026-12-01T09:00:00Z*  1h      -     -       -        --log anonymous  every 1h from 2026-12-01T08:00:00Z\n'
            "* predicted: not yet scheduled by 'trigger run-once'\n"))

    def test_calendar_clocks_are_listed_with_a_plain_description(self):
        self.create('--name', 'weekdays', '--cron', '0 9 * * 1-5', '--tz', 'Europe/Berlin', '--log', 'w')
        [t] = self.listed('--name', 'weekdays')
        self.assertEqual((t['clock'], t['description'], t['next']),
                         ("--cron '0 9 * * 1-5'", 'at 09:00 on Monday through Friday, Europe/Berlin',
                          '2026-12-02T09:00:00+01:00'))  # 09:00 on the 1st is now, not after
        self.assertIn('description:   at 09:00 on Monday through Friday, Europe/Berlin\n', self.ok('show', 'weekdays'))

    def test_tsv_has_the_documented_columns(self):
        lines = self.ok('list', '--format', 'tsv', '--all').splitlines()
        self.assertEqual(lines[0].split('\t'), [
            '1', 'db.nightly', 'active', '--every 1d --from 2026-12-01T08:00:00Z', str(NOW + 86400),
            '2026-12-02T08:00:00Z', '', '', '', '--log n'])
        self.assertEqual(lines[2].split('\t')[:5], ['3', 'web', 'cancelled', '--every 5m --from 2026-12-01T08:00:00Z', ''])
        self.assertEqual(lines[3].split('\t')[1], '')

    def test_json_has_the_stable_fields(self):
        for t in self.listed():
            for field in ('id', 'name', 'state', 'clock', 'tz', 'action', 'policy', 'labels',
                          'next_epoch', 'next', 'last_epoch', 'last', 'last_outcome'):
                self.assertIn(field, t)

    def test_filters(self):
        self.assertEqual(self.names(), ['db.nightly', 'db.weekly', None])
        self.assertEqual(self.names('--all'), ['db.nightly', 'db.weekly', 'web', None])
        self.assertEqual(self.names('--state', 'cancelled'), ['web'])
        self.assertEqual(self.names('--label', 'team=ops'), ['db.nightly', 'db.weekly'])
        self.assertEqual(self.names('--label', 'team=ops', '--label', 'tier=1'), ['db.weekly'])
        self.assertEqual(self.names('--name', 'db.*'), ['db.nightly', 'db.weekly'])
        self.assertEqual(self.names('--name', '*ly', '--state', 'active'), ['db.nightly', 'db.weekly'])

    def test_empty_list_in_every_format(self):
        os.unlink(self.db)
        self.assertEqual(self.ok('list'), 'ID  NAME  STATE  CLOCK  NEXT  LEFT  LAST  PASSED  OUTCOME  ACTION  DESCRIPTION\n')
        self.assertEqual(self.ok('list', '--format', 'json'), '[]\n')
        self.assertEqual(self.ok('list', '--format', 'tsv'), '')


class ListForPeopleTest(TriggerTestCase):
    """list's table: LEFT and PASSED, one zone for all times, and a terminal's width."""

    LONG_SH = 'rsync -a --delete /srv/data/ backup.example.com:/srv/backups/data/ && logger done'

    def column(self, header, *args, env=None):
        """The cells of column `header` in list's table (cells are two or more spaces apart)."""
        lines = self.ok('list', *args, env=env).splitlines()
        headers = re.split(r'\s{2,}', lines[0])
        return [re.split(r'\s{2,}', line)[headers.index(header)] for line in lines[1:]
                if not line.startswith('*')]

    def on_terminal(self, *args, cols=None, env=None):
        """Run trigger with standard output on a pseudo-terminal `cols` wide (unset: 0x0)."""
        master, slave = pty.openpty()
        if cols is not None:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, cols, 0, 0))
        full_env = dict(self.env)
        full_env.update(env or {})
        process = subprocess.Popen([BIN, *args], env=full_env, stdin=subprocess.DEVNULL,
                                   stdout=slave, stderr=subprocess.PIPE)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        err = process.stderr.read()
        process.stderr.close()
        self.assertEqual((process.wait(), err), (0, b''))
        return b''.join(chunks).decode().replace('\r\n', '\n')

    def test_left_and_passed_are_relative_to_now(self):
        self.create('--name', 'hourly', '--every', '1h', '--log', 'h')
        self.create('--name', 'later', '--at', '2026-12-04T10:00', '--log', 'l')
        self.assertEqual(self.column('LEFT', env={'TRIGGER_NOW': '2026-12-01T08:55:50Z'}),
                         ['4min 10s', '3 days'])
        self.assertEqual(self.column('PASSED'), ['-', '-'])
        self.ok('run-once', env={'TRIGGER_NOW': '2026-12-01T09:00:00Z'})
        self.assertEqual(self.column('PASSED', env={'TRIGGER_NOW': '2026-12-01T09:00:00Z'}), ['now', '-'])
        self.assertEqual(self.column('LEFT', env={'TRIGGER_NOW': '2026-12-01T09:00:00Z'}),
                         ['1h', '3 days'])
        # no pass since 09:00: the next time is due and passed; LEFT says how long ago
        self.assertEqual(self.column('LEFT', env={'TRIGGER_NOW': '2026-12-01T11:05:00Z'}),
                         ['1h 5min ago', '2 days'])
        self.assertEqual(self.column('PASSED', env={'TRIGGER_NOW': '2026-12-01T11:05:00Z'}), ['2h 5min', '-'])
        self.assertEqual(self.column('PASSED', env={'TRIGGER_NOW': '2026-12-01T08:57:00Z'}), ['in 3min', '-'])

    def test_times_in_one_zone_with_utc_or_local(self):
        self.create('--name', 'berlin', '--cron', '0 9 * * *', '--tz', 'Europe/Berlin', '--log', 'b')
        self.create('--name', 'utc', '--cron', '0 9 * * *', '--log', 'u')
        self.assertEqual(self.column('NEXT'), ['2026-12-02T09:00:00+01:00*', '2026-12-01T09:00:00Z*'])
        self.assertEqual(self.column('NEXT', '--utc'), ['2026-12-02T08:00:00Z*', '2026-12-01T09:00:00Z*'])
        self.assertEqual(self.column('NEXT', '--local', env={'TZ': 'America/New_York'}),
                         ['2026-12-02T03:00:00-05:00*', '2026-12-01T04:00:00-05:00*'])
        self.ok('run-once', env={'TRIGGER_NOW': '2026-12-01T09:00:00Z'})
        self.assertEqual(self.column('LAST', '--local', env={'TZ': 'Asia/Tokyo'}),
                         ['-', '2026-12-01T18:00:00+09:00'])

    def test_utc_and_local_together_are_refused(self):
        self.create('--every', '1h', '--log', 'x')
        self.fails(64, 'give --utc or --local, not both', 'list', '--utc', '--local')
        new = os.path.join(self.dir, 'new')
        self.fails(64, 'give --utc or --local, not both', '--db', os.path.join(new, 'x.db'), 'list', '--local', '--utc')
        self.assertFalse(os.path.exists(new))
        self.fails(64, "TZ names unknown time zone 'Nowhere/Else'", 'list', '--local', env={'TZ': 'Nowhere/Else'})

    def test_json_and_tsv_are_unchanged_by_the_table_options(self):
        self.create('--name', 'berlin', '--cron', '0 9 * * *', '--tz', 'Europe/Berlin', '--sh', self.LONG_SH)
        self.run_trigger('run-once', env={'TRIGGER_NOW': '2026-12-02T08:00:00Z'})  # fails: no rsync
        for fmt in ('json', 'tsv'):
            plain = self.ok('list', '--format', fmt)
            self.assertIn('+01:00', plain)
            for extra in (['--utc'], ['--local'], ['--wide']):
                with self.subTest(format=fmt, option=extra):
                    self.assertEqual(self.ok('list', '--format', fmt, *extra, env={'TZ': 'Asia/Tokyo'}), plain)
            self.assertEqual(self.on_terminal('list', '--format', fmt, cols=60), plain)

    def test_tsv_keeps_its_columns(self):
        self.create('--name', 'a', '--every', '1h', '--log', 'x')
        self.assertEqual(self.ok('list', '--format', 'tsv').split('\t'), [
            '1', 'a', 'active', '--every 1h --from 2026-12-01T08:00:00Z', str(NOW + 3600),
            '2026-12-01T09:00:00Z', '', '', '', '--log x\n'])

    def test_a_terminal_table_fits_its_width(self):
        self.create('--name', 'sync', '--cron', '15 */4 * * 1-5', '--tz', 'Europe/Berlin', '--sh', self.LONG_SH)
        whole = self.ok('list', '-q')
        self.assertIn(self.LONG_SH, whole)  # into a pipe: never cut
        self.assertGreater(max(map(len, whole.splitlines())), 160)
        self.assertEqual(self.on_terminal('list', '-q', '--wide', cols=100), whole)
        for cols in (160, 200):
            with self.subTest(cols=cols):
                cut = self.on_terminal('list', '-q', cols=cols)
                self.assertEqual([len(line) <= cols for line in cut.splitlines()], [True, True])
                self.assertTrue(cut.splitlines()[1].endswith('...'))
                self.assertEqual(cut.splitlines()[0].split(), whole.splitlines()[0].split())

    def test_description_is_cut_before_action(self):
        self.create('--name', 'sync', '--cron', '15 */4 * * 1-5', '--tz', 'Europe/Berlin', '--sh', self.LONG_SH)
        whole = self.ok('list', '-q').splitlines()[1]
        width = len(whole) - 10
        cut = self.on_terminal('list', '-q', cols=width).splitlines()[1]
        self.assertEqual(len(cut), width)
        self.assertIn(self.LONG_SH, cut)
        self.assertEqual(cut, whole[:-13] + '...')
        narrow = self.on_terminal('list', '-q', cols=width - 80).splitlines()[1]
        self.assertNotIn(self.LONG_SH, narrow)
        self.assertRegex(narrow, r"  --sh 'rsync .*\.\.\.  at .*\.\.\.$")

    def test_columns_gives_the_width_when_the_terminal_has_none(self):
        self.create('--name', 'sync', '--every', '1h', '--sh', self.LONG_SH)
        self.assertLessEqual(max(map(len, self.on_terminal('list', '-q', env={'COLUMNS': '150'}).splitlines())), 150)
        self.assertLessEqual(max(map(len, self.on_terminal('list', '-q', cols=140, env={'COLUMNS': '400'}).splitlines())), 140)
        self.assertIn(self.LONG_SH, self.ok('list', '-q', env={'COLUMNS': '40'}))  # not a terminal


class ShowTest(TriggerTestCase):
    def test_table_shows_everything_and_five_upcoming_times(self):
        self.create('--name', 'b', '--every', '6h', '--sh', 'backup --all', '--env', 'K=V', '--cwd', '/srv',
                    '--label', 'team=ops', '--retries', '2')
        self.assertEqual(self.ok('show', 'b'), (
            'id:            1\n'
            'name:          b\n'
            'state:         active\n'
            'clock:         --every 6h --from 2026-12-01T08:00:00Z\n'
            'description:   every 6h from 2026-12-01T08:00:00Z\n'
            'tz:            UTC\n'
            "action:        --sh 'backup --all'\n"
            'env:           K=V\n'
            'cwd:           /srv\n'
            'misfire:       latest\n'
            'grace:         5m\n'
            'overlap:       skip\n'
            'timeout:       none\n'
            'retries:       2\n'
            'backoff:       30s\n'
            'jitter:        0\n'
            'dst:           auto\n'
            'history-keep:  30d\n'
            'history-runs:  10\n'
            'label:         team=ops\n'
            'next:          2026-12-01T14:00:00Z (predicted: not yet scheduled)\n'
            'last:          -\n'
            'created:       2026-12-01T08:00:00Z\n'
            'updated:       2026-12-01T08:00:00Z\n'
            'upcoming:      2026-12-01T14:00:00Z\n'
            'upcoming:      2026-12-01T20:00:00Z\n'
            'upcoming:      2026-12-02T02:00:00Z\n'
            'upcoming:      2026-12-02T08:00:00Z\n'
            'upcoming:      2026-12-02T14:00:00Z\n'
            'history:       2026-12-01T08:00:00Z edit: created; next - -> 2026-12-01T14:00:00Z'
            ' (by %s)\n' % WHO))

    def test_json_and_tsv(self):
        self.create('--name', 'b', '--every', '1h', '--log', 'tab\there', '--tz', 'Europe/Berlin')
        shown = json.loads(self.ok('show', '1', '--format', 'json'))
        self.assertEqual(shown['name'], 'b')
        self.assertEqual([u['epoch'] for u in shown['upcoming']], [NOW + 3600 * k for k in range(1, 6)])
        self.assertEqual(shown['upcoming'][0]['time'], '2026-12-01T10:00:00+01:00')
        tsv = self.ok('show', 'b', '--format', 'tsv').splitlines()
        self.assertIn("action\t--log 'tab\\there'", tsv)
        self.assertIn(f'next\t{NOW + 3600}\t2026-12-01T10:00:00+01:00', tsv)
        self.assertIn('next_scheduled\tfalse', tsv)
        self.assertIn('last\t\t', tsv)
        self.assertIn(f'upcoming\t{NOW + 3600}\t2026-12-01T10:00:00+01:00', tsv)

    def test_paused_and_cancelled_have_no_upcoming_times(self):
        self.create('--name', 'p', '--every', '1h', '--log', 'x', '--paused')
        shown = json.loads(self.ok('show', 'p', '--format', 'json'))
        self.assertEqual((shown['state'], shown['next'], shown['upcoming']), ('paused', None, []))


class DeleteTest(TriggerTestCase):
    def setUp(self):
        super().setUp()
        self.create('--name', 'a', '--every', '1h', '--log', 'a')
        self.create('--name', 'b', '--every', '1h', '--log', 'b')
        self.create('--name', 'c', '--every', '1h', '--log', 'c')

    def names(self):
        return [t['name'] for t in self.listed('--all')]

    def test_delete_by_name_and_id_several_at_once(self):
        self.ok('delete', 'a', '2')
        self.assertEqual(self.names(), ['c'])
        self.assertEqual(json.loads(self.ok('history', '--format', 'json', '--limit', '100')),
                         [r for r in json.loads(self.ok('history', '--format', 'json', '--limit', '100'))
                          if r['trigger_id'] == 3])

    def test_unknown_name_deletes_nothing(self):
        before = self.snapshot()
        self.fails(66, "no trigger 'nosuch'", 'delete', 'a', 'nosuch')
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.names(), ['a', 'b', 'c'])

    def test_keep_history_ends_with_the_deletion(self):
        self.ok('--now', '2026-12-01T09:00:00Z', 'run-once', '--no-syslog')
        self.ok('cancel', 'c')
        out = json.loads(self.ok('delete', '--keep-history', 'a', '--format', 'json'))
        self.assertEqual(out[0]['name'], 'a')
        records = [r for r in json.loads(self.ok('history', '--format', 'json', '--limit', '100'))
                   if r['trigger_id'] == 1]
        self.assertTrue(records[0]['reason'].startswith("deleted 'a' by "), records[0])
        self.assertIn('(uid %d' % os.getuid(), records[0]['reason'])
        self.assertEqual(records[0]['editor']['uid'], os.getuid())
        self.assertGreater(len(records), 1)
        self.ok('delete', 'c')  # a cancelled trigger is deleted too

    def test_queued_runs_are_cancelled_and_not_run_by_the_next_pass(self):
        self.create('--name', 'j', '--every', '1h', '--jitter', '30m', '--log', 'j')
        self.ok('--now', '2026-12-01T09:00:00Z', 'run-once', '--no-syslog')
        out = json.loads(self.ok('--now', '2026-12-01T09:00:00Z', 'delete', '--keep-history', 'j',
                                 '--format', 'json'))
        self.assertEqual(out[0]['runs_cancelled'], 1)
        records = [r for r in json.loads(self.ok('history', '--format', 'json', '--limit', '100'))
                   if r['trigger_id'] == 4]
        self.assertEqual(records[1]['reason'], 'the trigger was deleted before this run started')
        self.ok('--now', '2026-12-01T11:00:00Z', 'run-once', '--no-syslog')
        after = [r for r in json.loads(self.ok('history', '--format', 'json', '--limit', '100'))
                 if r['trigger_id'] == 4]
        self.assertEqual(after, records)
        self.assertEqual(json.loads(self.ok('status', '--format', 'json'))['healthy'], True)

    def test_a_trigger_whose_run_is_in_progress_is_refused_with_75(self):
        started = os.path.join(self.dir, 'started')
        self.create('--name', 'slow', '--every', '1h', '--sh', f'touch {started}; exec sleep 30')
        env = dict(self.env, TRIGGER_NOW='2026-12-01T09:00:00Z')
        passing = subprocess.Popen([BIN, 'run-once', '--no-syslog'], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not os.path.exists(started) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(os.path.exists(started), 'the run never started')
            self.fails(75, "trigger 'slow' has a run in progress (event 4-1796115600); "
                       "it cannot be deleted until the run ends", 'delete', 'a', 'slow')
            self.assertEqual(self.names(), ['a', 'b', 'c', 'slow'])
        finally:
            passing.kill()  # its command (exec'd sleep) dies with it: PR_SET_PDEATHSIG
            passing.wait(timeout=30)

    def test_habits_and_typos_get_a_suggestion(self):
        self.fails(64, "'rm' is not a trigger command; did you mean 'delete'?", 'rm', 'a')
        self.fails(64, "'remove' is not a trigger command; did you mean 'delete'?", 'remove', 'a')
        self.fails(64, "'run' is not a trigger command; did you mean 'fire' or 'run-once'?", 'run')
        self.fails(64, "'lsit' is not a trigger command; did you mean 'list'?", 'lsit')
        self.fails(64, "'delte' is not a trigger command; did you mean 'delete'?", 'delte', 'a')
        self.assertEqual(self.names(), ['a', 'b', 'c'])


class UpdateTest(TriggerTestCase):
    def setUp(self):
        super().setUp()
        self.create('--name', 'job', '--every', '5m', '--sh', 'run', '--env', 'BAR=2', '--label', 'team=ops')

    def shown(self, ref='job'):
        return json.loads(self.ok('show', ref, '--format', 'json'))

    def dump(self):
        """The database's rows, as SQL: what an update that writes nothing leaves as it was."""
        connection = sqlite3.connect(self.db)
        try:
            return list(connection.iterdump())
        finally:
            connection.close()

    def updated(self, *args):
        """Run update, require success, return what it printed and the newest edit record."""
        out = self.ok('update', *args)
        [edit] = json.loads(self.ok('history', '--format', 'json', '--limit', '1'))
        return out, edit

    def test_each_field_kind(self):
        for args, check, changes in [
            (['--cron', '*/10 * * * *'], lambda t: t['clock'] == "--cron '*/10 * * * *'",
             "clock: --every 5m --from 2026-12-01T08:00:00Z -> --cron '*/10 * * * *'"),
            (['--tz', 'Asia/Tokyo', '--daily', '09:00'], lambda t: t['tz'] == 'Asia/Tokyo',
             "clock: --cron '*/10 * * * *' -> --daily 09:00; zone: UTC -> Asia/Tokyo"),
            (['--retries', '3', '--on-failure-sh', 'mail -s x root'], lambda t: t['policy']['retries'] == '3',
             "retries: 0 -> 3; on-failure-sh: - -> 'mail -s x root'"),
            (['--', '/usr/bin/backup', '--full'], lambda t: t['action'] == '-- /usr/bin/backup --full',
             "action: --sh run -> -- /usr/bin/backup --full"),
            (['--env', 'FOO=1', '--unset-env', 'BAR'], lambda t: t['env'] == ['FOO=1'], 'env: +FOO=1 -BAR'),
            (['--cwd', '/srv'], lambda t: t['cwd'] == '/srv', 'cwd: - -> /srv'),
            (['--cwd', ''], lambda t: t['cwd'] is None, 'cwd: /srv -> -'),
            (['--label', 'tier=1', '--unlabel', 'team'], lambda t: t['labels'] == {'tier': '1'},
             'labels: +tier=1 -team'),
            (['--sh', 'echo new'], lambda t: t['action'] == "--sh 'echo new'",
             "action: -- /usr/bin/backup --full -> --sh 'echo new'"),
            (['--rename', 'renamed'], lambda t: t['name'] == 'renamed', 'name: job -> renamed'),
        ]:
            with self.subTest(args=args):
                ref = 'job' if self.listed()[0]['name'] == 'job' else 'renamed'
                out, edit = self.updated(ref, *args)
                self.assertEqual(out, changes + '\n')
                self.assertTrue(check(self.shown('1')), self.shown('1'))
                self.assertTrue(edit['reason'].startswith('updated; ' + changes + '; next '), edit['reason'])
                self.assertEqual((edit['editor']['uid'], edit['editor']['sudo_user']), (os.getuid(), None))

    def test_one_command_one_record_and_json(self):
        out = json.loads(self.ok('update', 'job', '--every', '10m', '--log', 'hi', '--unset-env', 'BAR',
                                 '--label', 'team=dev', '--format', 'json'))
        self.assertEqual((out['name'], out['action'], out['labels']), ('job', "--log hi", {'team': 'dev'}))
        self.assertEqual(out['changes'], 'clock: --every 5m --from 2026-12-01T08:00:00Z -> --every 10m --from '
                                         '2026-12-01T08:00:00Z; action: --sh run -> --log hi; env: -BAR; '
                                         'labels: ~team=dev')
        self.assertEqual([r['outcome'] for r in json.loads(self.ok('history', 'job', '--format', 'json'))],
                         ['edit', 'edit'])

    def test_a_changed_clock_is_rescheduled_as_schedule_does(self):
        self.ok('run-once')
        self.ok('--now', '2026-12-01T08:02:00Z', 'update', 'job', '--every', '1h', '--from', '2026-12-01T09:30:00Z')
        [t] = self.listed()
        self.assertEqual((t['next_epoch'], t['next_scheduled']), (NOW + 30 * 60, False))
        self.ok('--now', '2026-12-01T08:03:00Z', 'run-once')
        self.assertEqual((self.listed()[0]['next_epoch'], self.listed()[0]['next_scheduled']), (NOW + 30 * 60, True))

    def test_nothing_changed_records_nothing_and_says_so(self):
        before = self.dump()
        code, out, err = self.run_trigger('update', 'job', '--retries', '0', '--env', 'BAR=2', '--unlabel', 'none')
        self.assertEqual((code, out), (0, ''))
        self.assertEqual(err, "trigger: 'job' unchanged: it has every value given already; nothing recorded\n")
        self.assertEqual(self.dump(), before)

    def test_refusals_write_nothing(self):
        self.create('--name', 'other', '--every', '1h', '--log', 'x')
        before, dump = self.snapshot(), self.dump()
        for code, message, args in [
            (66, "no trigger 'nope'", ['nope', '--retries', '1']),
            (64, "--retries 'x': expected a whole number from 0 to 100", ['job', '--retries', 'x']),
            (64, "nothing to change: give a clock, --tz, a policy option, an action, --env, --unset-env, "
                 "--cwd, --label, --unlabel or --rename", ['job']),
            (64, "more than one clock given: use only one", ['job', '--every', '1h', '--daily', '09:00']),
            (64, "more than one action given: use only one of --log, --sh, -- PROGRAM",
             ['job', '--log', 'x', '--sh', 'y']),
            (64, "--env 'NOPE': expected NAME=VALUE", ['job', '--env', 'NOPE']),
            (64, "--unset-env 'A=1': expected a variable NAME", ['job', '--unset-env', 'A=1']),
            (64, "--unset-env 'A': 'A' is also set or removed in the same update",
             ['job', '--env', 'A=1', '--unset-env', 'A']),
            (64, "--cwd 'rel': must be an absolute path", ['job', '--cwd', 'rel']),
            (64, "--label 'bad': expected KEY=VALUE, KEY of letters, digits, '.', '_', '-', '/'",
             ['job', '--label', 'bad']),
            (64, "invalid name '42': all digits (it would read as an id)", ['job', '--rename', '42']),
            (64, "--tz: unknown time zone 'Mars/Base'", ['job', '--tz', 'Mars/Base']),
            (64, "--log 'x': a --log action has no environment or directory; remove the trigger's as well "
                 "(--unset-env NAME, --cwd '')", ['job', '--log', 'x']),
            (64, "--env applies only to --sh and program actions, not --log", ['other', '--env', 'A=1']),
            (65, "name 'other' is already taken by trigger 2", ['job', '--rename', 'other']),
        ]:
            with self.subTest(args=args):
                self.fails(code, message, 'update', *args)
                self.assertEqual(self.snapshot(), before)
                self.assertEqual(self.dump(), dump)

    def test_a_cancelled_trigger_keeps_its_clock_but_takes_labels(self):
        self.ok('cancel', 'job')
        before = self.dump()
        self.fails(65, "trigger 'job' is cancelled; create a new one instead", 'update', 'job', '--every', '1h')
        self.assertEqual(self.dump(), before)
        self.ok('update', 'job', '--label', 'gone=yes', '--history-keep', '400d')
        self.assertEqual((self.shown()['state'], self.shown()['labels']['gone']), ('cancelled', 'yes'))

    def test_history_and_show_name_who_edited(self):
        self.ok('update', 'job', '--retries', '2', env={'SUDO_USER': 'bob'})
        table = self.ok('history', 'job').splitlines()
        self.assertEqual(table[0].split()[7:9], ['BY', 'REASON'])
        me = pwd.getpwuid(os.getuid()).pw_name
        self.assertIn(f' {me} (SUDO_USER bob)  updated; retries: 0 -> 2; next ', table[1])
        self.assertRegex(table[2], rf'  {me}  +created; next ')
        [edit, _] = json.loads(self.ok('history', 'job', '--format', 'json'))
        self.assertEqual(edit['editor'], {'user': me, 'uid': os.getuid(), 'sudo_user': 'bob'})
        shown = self.ok('show', 'job')
        self.assertIn(f'updated; retries: 0 -> 2; next 2026-12-01T08:05:00Z -> 2026-12-01T08:05:00Z '
                      f'(by {me} (uid {os.getuid()}, SUDO_USER bob))\n', shown)


class StateChangeTest(TriggerTestCase):
    def setUp(self):
        super().setUp()
        self.create('--name', 'a', '--every', '1h', '--log', 'a')
        self.create('--name', 'b', '--every', '1h', '--log', 'b')

    def states(self):
        return {t['name']: t['state'] for t in self.listed('--all')}

    def test_cancel_checks_every_name_before_changing_any(self):
        before = self.snapshot()
        self.fails(66, "no trigger 'nosuch'", 'cancel', 'a', 'nosuch', 'b')
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.states(), {'a': 'active', 'b': 'active'})
        self.ok('cancel', 'a', '2')
        self.assertEqual(self.states(), {'a': 'cancelled', 'b': 'cancelled'})

    def test_cancel_twice_is_harmless(self):
        self.ok('cancel', 'a')
        before = self.snapshot()
        self.ok('cancel', 'a', 'a')
        self.assertEqual(self.snapshot(), before)

    def test_pause_and_resume(self):
        self.ok('pause', 'a')
        self.assertEqual(self.states(), {'a': 'paused', 'b': 'active'})
        self.assertIsNone(self.listed('--name', 'a')[0]['next'])
        self.ok('pause', 'a')  # already paused: left alone
        self.ok('resume', 'a', 'b')
        self.assertEqual(self.states(), {'a': 'active', 'b': 'active'})

    def test_finished_triggers_cannot_be_paused_or_resumed(self):
        self.ok('cancel', 'b')
        before = self.snapshot()
        self.fails(65, "trigger 'b' is cancelled; it cannot be paused", 'pause', 'a', 'b')
        self.fails(65, "trigger 'b' is cancelled; it cannot be resumed", 'resume', 'b')
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.states(), {'a': 'active', 'b': 'cancelled'})

    def test_json_prints_the_changed_triggers_and_verbose_says_what_changed(self):
        changed = json.loads(self.ok('pause', 'a', 'b', '--format', 'json'))
        self.assertEqual([(t['name'], t['state']) for t in changed], [('a', 'paused'), ('b', 'paused')])
        code, out, err = self.run_trigger('-v', 'cancel', 'a')
        self.assertEqual((code, out, err), (0, '', f"trigger: database {self.db}\ntrigger: cancelled 1 'a'\n"))

    def test_every_change_bumps_the_version(self):
        versions = [self.listed('--all', '--name', 'a')[0]['version']]
        for command in ('pause', 'resume', 'cancel'):
            self.ok(command, 'a')
            versions.append(self.listed('--all', '--name', 'a')[0]['version'])
        self.assertEqual(versions, [1, 3, 4, 5])


class NextTest(TriggerTestCase):
    def test_formats(self):
        self.assertEqual(self.ok('next', '--every', '1d', '--count', '2'),
                         '2026-12-02T08:00:00Z\n2026-12-03T08:00:00Z\n')
        self.assertEqual(json.loads(self.ok('next', '--at', '2026-12-24T18:00', '--tz', 'Europe/Berlin', '--format', 'json')),
                         [{'epoch': 1798131600, 'time': '2026-12-24T18:00:00+01:00'}])
        self.assertEqual(len(self.ok('next', '--every', '1m').splitlines()), 5)

    def test_from_sets_the_phase(self):
        self.assertEqual(self.ok('next', '--every', '1h', '--from', '2026-12-01T07:30:00Z', '--count', '2', '--format', 'tsv'),
                         f'{NOW + 1800}\t2026-12-01T08:30:00Z\n{NOW + 5400}\t2026-12-01T09:30:00Z\n')

    def test_until_ends_the_list(self):
        self.assertEqual(self.ok('next', '--every', '1h', '--until', '+2h', '--count', '10', '--format', 'tsv'),
                         f'{NOW + 3600}\t2026-12-01T09:00:00Z\n{NOW + 7200}\t2026-12-01T10:00:00Z\n')

    def test_next_of_an_existing_trigger_uses_its_zone(self):
        self.create('--name', 'n', '--every', '12h', '--log', 'x', '--tz', 'Asia/Tokyo')
        self.assertEqual(self.ok('next', 'n', '--count', '2'),
                         '2026-12-01T symbolic\n'.replace(' symbolic', '') and
                         '2026-12-02T05:00:00+09:00\n2026-12-02T17:00:00+09:00\n')

    def test_monthly_before_1970_fires_on_the_day_it_describes(self):
        now = '1970-01-01T00:00:00Z'
        self.assertEqual(
            self.ok('--now', now, 'next', '--monthly', now, '--tz', 'America/New_York', '--count', '2', '--explain'),
            '1970-01-31T19:00:00-05:00\n'
            '1970-02-28T19:00:00-05:00  day 31 does not exist in February 1970: clamped to the last day, the 28th\n')
        self.create('--now', now, '--name', 'm', '--monthly', now, '--tz', 'America/New_York', '--log', 'x')
        self.assertIn('description:   monthly on day 31 at 19:00 (the last day in shorter months) after '
                      '1969-12-31T19:00:00-05:00, America/New_York\n', self.ok('--now', now, 'show', 'm'))

    def test_never_has_no_times(self):
        self.assertEqual(self.ok('next', '--never'), '')

    def test_next_needs_no_database(self):
        self.ok('next', '--every', '1h', env={'TRIGGER_DB': '/nonexistent/dir/x.db'})


class ImportExportTest(TriggerTestCase):
    def populate(self):
        self.create('--name', 'billing', '--every', '1d', '--from', '2026-12-01T02:00', '--tz', 'Europe/Berlin',
                    '--misfire', 'all', '--retries', '3', '--label', 'team=finance', '--', '/usr/bin/bill', '--run', 'a b')
        self.create('--every', '5m', '--sh', "echo 'quoted' \"twice\"", '--env', 'X=1', '--cwd', '/tmp', '--jitter', '30s')
        self.create('--name', 'once', '--at', '2027-01-01T00:00:00Z', '--log', 'happy new year', '--until', '2027-06-01')
        self.create('--name', 'parked', '--never', '--log', 'p', '--paused')
        self.create('--name', 'old', '--every', '1h', '--log', 'o', '--max-runs', '7')
        self.ok('cancel', 'old')

    @staticmethod
    def comparable(lines):
        objects = [json.loads(line) for line in lines.splitlines()]
        for o in objects:
            del o['id'], o['version']
        return objects

    def test_export_then_import_reproduces_the_triggers(self):
        self.populate()
        exported = self.ok('export')
        self.assertEqual(len(exported.splitlines()), 5)
        other = os.path.join(self.dir, 'copy.db')
        self.ok('--db', other, 'import', '-', stdin=exported)
        self.assertEqual(self.comparable(self.ok('--db', other, 'export')), self.comparable(exported))
        # And from a file, into a third database.
        path = os.path.join(self.dir, 'triggers.jsonl')
        with open(path, 'w') as f:
            f.write(exported)
        third = os.path.join(self.dir, 'third.db')
        self.ok('--db', third, 'import', path)
        self.assertEqual(self.comparable(self.ok('--db', third, 'export')), self.comparable(exported))

    def test_import_updates_by_name_and_keeps_the_next_time_when_the_clock_is_unchanged(self):
        self.create('--name', 'x', '--every', '1h', '--log', 'old')
        [line] = self.ok('export').splitlines()
        changed = json.loads(line)
        changed['action'] = '--log new'
        changed['labels'] = {'k': 'v'}
        self.ok('import', '-', stdin=json.dumps(changed) + '\n', env={'TRIGGER_NOW': '2026-12-01T08:30:00Z'})
        [t] = self.listed()
        self.assertEqual((t['id'], t['action'], t['labels'], t['next_epoch']), (1, '--log new', {'k': 'v'}, NOW + 3600))

    def test_an_update_without_a_state_keeps_the_triggers_state(self):
        self.create('--name', 'p', '--every', '1h', '--log', 'x', '--paused')
        self.create('--name', 'c', '--every', '1h', '--log', 'x')
        self.ok('cancel', 'c')
        lines = [json.dumps({'name': n, 'clock': '--every 2h', 'action': '--log y', 'policy': {'retries': 3}})
                 for n in ('p', 'c', 'new')]
        self.ok('import', '-', stdin='\n'.join(lines))
        got = {t['name']: (t['state'], t['clock'].split(' --from')[0], t['policy']['retries']) for t in self.listed('--all')}
        self.assertEqual(got, {'p': ('paused', '--every 2h', '3'), 'c': ('cancelled', '--every 2h', '3'),
                               'new': ('active', '--every 2h', '3')})
        self.ok('import', '-', stdin=json.dumps({'name': 'c', 'clock': '--every 2h', 'action': '--log y', 'state': 'active'}))
        self.assertEqual(self.listed('--name', 'c')[0]['state'], 'active')

    def test_a_bad_line_anywhere_writes_nothing(self):
        self.create('--name', 'existing', '--every', '1h', '--log', 'e')
        good = [json.dumps({'name': f'g{i}', 'clock': '--every 1h', 'action': '--log g'}) for i in range(3)]
        bad_lines = {
            '{"name": "b", "clock": "--every 0", "action": "--log x"}':
                "--every: invalid duration '0': must be more than zero",
            'not json': 'not valid JSON (byte 2)',
            '[1, 2]': 'expected a JSON object',
            '{"name": "b", "action": "--log x"}': "field 'clock' is missing",
            '{"name": "b", "clock": "--every 1h"}': "field 'action' is missing",
            '{"name": "b", "clock": "--cron x", "action": "--log x"}':
                "--cron 'x': expected 5 fields, got 1",
            '{"name": "b", "clock": "sometimes", "action": "--log x"}': "not a clock: 'sometimes'",
            '{"name": "b", "clock": "--every 1h", "action": "--run x"}': "not an action: '--run x'",
            '{"name": "b", "clock": "--every 1h", "action": "--log x", "tz": "Mars/Base"}':
                "--tz: unknown time zone 'Mars/Base'",
            '{"name": "b", "clock": "--every 1h", "action": "--log x", "policy": {"speed": "fast"}}':
                "unknown policy option 'speed'",
            '{"name": "b", "clock": "--every 1h", "action": "--log x", "policy": {"retries": "lots"}}':
                "--retries 'lots': expected a whole number from 0 to 100",
            '{"name": "b", "clock": "--every 1h", "action": "--log x", "state": "sleeping"}':
                "unknown state 'sleeping' (expected active, paused, cancelled, done)",
            '{"name": "1", "clock": "--every 1h", "action": "--log x"}':
                "invalid name '1': all digits (it would read as an id)",
            '{"name": "b", "clock": "--at 2020-01-01T00:00:00Z", "action": "--log x"}':
                "--at '2020-01-01T00:00:00Z': is not after now (it could never fire)",
            '{"name": 5, "clock": "--every 1h", "action": "--log x"}': "field 'name' must be a string",
            '{"name": "b", "clock": "--every 1h", "action": "--log x", "policy": {"retries": 3.5}}':
                "field 'retries' must be a string",
            '{"name": "b", "clock": "--every 1h", "action": "--log x", "env": ["A=1"]}':
                '--env applies only to --sh and program actions, not --log',
        }
        path = os.path.join(self.dir, 'in.jsonl')
        before = self.snapshot()
        for position in (0, 3):
            for bad, reason in bad_lines.items():
                lines = good[:position] + [bad] + good[position:]
                with open(path, 'w') as f:
                    f.write('\n'.join(lines) + '\n')
                self.fails(65, f"'{path}', line {position + 1}: {reason}", 'import', path)
                self.assertEqual(self.snapshot(), before, bad)

    def test_a_name_twice_in_the_file_is_refused_at_its_second_line(self):
        lines = [json.dumps({'name': n, 'clock': '--every 1h', 'action': '--log x'}) for n in ('a', 'b', 'a')]
        self.fails(65, "standard input, line 3: name 'a' appears twice in the file", 'import', '-',
                   stdin='\n'.join(lines))
        self.assertFalse(os.path.exists(self.db) and self.listed())

    def test_blank_lines_are_skipped_and_line_numbers_count_them(self):
        self.fails(65, "standard input, line 3: not valid JSON (byte 1)", 'import', '-', stdin='\n\n}\n')

    def test_missing_file(self):
        self.fails(66, f"cannot open '{self.dir}/none.jsonl': No such file or directory",
                   'import', os.path.join(self.dir, 'none.jsonl'))

    def test_export_filters(self):
        self.populate()
        self.assertEqual([json.loads(l)['name'] for l in self.ok('export', '--state', 'cancelled').splitlines()], ['old'])
        self.assertEqual([json.loads(l)['name'] for l in self.ok('export', '--label', 'team=finance').splitlines()], ['billing'])


class ImportSyncTest(TriggerTestCase):
    """import --prune keeps a database in step with a file; --dry-run shows what would change."""

    LINES = [
        {'name': 'hourly', 'clock': '--every 1h', 'tz': 'UTC', 'action': '--log h', 'labels': {'source': 'git'}},
        {'name': 'daily', 'clock': '--daily 09:00', 'tz': 'UTC', 'action': "--sh 'echo d'",
         'policy': {'retries': 2}, 'labels': {'source': 'git'}},
    ]

    def write(self, lines, name='triggers.jsonl'):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(''.join(json.dumps(line) + '\n' for line in lines))
        return path

    def states(self):
        return {t['name']: t['state'] for t in self.listed('--all')}

    def history_count(self):
        return len(json.loads(self.ok('history', '--format', 'json', '--limit', '1000')))

    def setUp(self):
        super().setUp()
        self.create('--name', 'stale', '--every', '1h', '--log', 's', '--label', 'source=git')
        self.create('--name', 'by-hand', '--every', '1h', '--log', 'm', '--label', 'source=manual')
        self.path = self.write(self.LINES)

    def test_prune_cancels_what_the_label_scope_holds_and_the_file_does_not_name(self):
        self.ok('import', '--prune', '--label', 'source=git', self.path)
        self.assertEqual(self.states(), {'stale': 'cancelled', 'by-hand': 'active',
                                         'hourly': 'active', 'daily': 'active'})
        [record] = json.loads(self.ok('history', 'stale', '--format', 'json', '--limit', '1'))
        self.assertEqual(record['reason'], 'cancelled: pruned, not in the imported file; state: active -> cancelled; '
                         'next 2026-12-01T09:00:00Z -> -')

    def test_prune_without_a_label_takes_every_trigger_and_the_file_form_reads_as_an_operand(self):
        self.ok('import', '--prune', self.path)
        self.assertEqual(self.states(), {'stale': 'cancelled', 'by-hand': 'cancelled',
                                         'hourly': 'active', 'daily': 'active'})

    def test_several_labels_must_all_match(self):
        self.create('--name', 'both', '--every', '1h', '--log', 'b', '--label', 'source=git', '--label', 'host=a')
        self.ok('import', '--prune', '--label', 'source=git', '--label', 'host=a', self.path)
        self.assertEqual(self.states()['both'], 'cancelled')
        self.assertEqual(self.states()['stale'], 'active')

    def test_prune_delete_deletes_them_with_their_history(self):
        out = json.loads(self.ok('import', '--prune=delete', '--label', 'source=git', self.path, '--format', 'json'))
        self.assertEqual([(t['outcome'], t['name']) for t in out['triggers']],
                         [('created', 'hourly'), ('created', 'daily'), ('deleted', 'stale')])
        self.assertEqual(self.states(), {'by-hand': 'active', 'hourly': 'active', 'daily': 'active'})
        self.assertFalse([r for r in json.loads(self.ok('history', '--format', 'json', '--limit', '100'))
                          if r['trigger_id'] == 1])

    def test_prune_delete_refuses_a_run_in_progress_and_writes_nothing(self):
        self.ok('fire', 'stale')
        db = sqlite3.connect(self.db)  # as a pass holding it would
        db.execute("UPDATE task SET lease_owner = 'pass', lease_host = 'elsewhere', "
                   "lease_expires_epoch = 1900000000")
        db.commit()
        db.close()
        before = self.snapshot()
        self.fails(75, "trigger 'stale' has a run in progress (event 1-m1796112000); it cannot be deleted "
                       "until the run ends", 'import', '--prune=delete', '--label', 'source=git', self.path)
        self.assertEqual(self.snapshot(), before)

    def test_importing_the_same_file_twice_records_nothing_the_second_time(self):
        self.ok('import', '--prune', '--label', 'source=git', self.path)
        versions = {t['name']: t['version'] for t in self.listed('--all')}
        records = self.history_count()
        before = self.snapshot()
        # An hour and a quarter later: '--every 1h' without --from keeps the phase it was given.
        out = self.ok('import', '--prune', '--label', 'source=git', self.path,
                      env={'TRIGGER_NOW': '2026-12-01T09:15:00Z'})
        self.assertEqual(out, '')
        self.assertEqual(self.snapshot(), before)
        self.assertEqual({t['name']: t['version'] for t in self.listed('--all')}, versions)
        self.assertEqual(self.history_count(), records)

    def test_a_second_import_says_it_changed_nothing(self):
        self.ok('import', self.path)
        code, _, err = self.run_trigger('import', self.path, '-v')
        self.assertEqual((code, err.splitlines()[-1]),
                         (0, 'trigger: imported 2 triggers (0 created, 0 updated, 2 unchanged)'))

    def test_dry_run_prints_what_would_change_and_writes_nothing(self):
        self.ok('import', self.path)
        changed = [dict(self.LINES[0], action='--log changed', policy={'retries': 1}), self.LINES[1],
                   {'name': 'new', 'clock': '--every 2h', 'tz': 'UTC', 'action': '--log n', 'labels': {'source': 'git'}}]
        path = self.write(changed, 'changed.jsonl')
        before = self.snapshot()
        table = self.ok('import', '--dry-run', '--prune', '--label', 'source=git', path)
        self.assertEqual(table,
                         'OUTCOME    ID  NAME    LINE  FIELDS\n'
                         'updated    3   hourly  1     action,policy.retries\n'
                         'unchanged  4   daily   2     -\n'
                         'created    -   new     3     -\n'
                         'cancelled  1   stale   -     -\n'
                         'dry run: nothing was written\n')
        doc = json.loads(self.ok('import', '--dry-run', '--prune', '--label', 'source=git', path, '--format', 'json'))
        self.assertEqual({k: doc[k] for k in ('dry_run', 'created', 'updated', 'unchanged', 'pruned')},
                         {'dry_run': True, 'created': 1, 'updated': 1, 'unchanged': 1, 'pruned': 1})
        self.assertEqual(doc['triggers'][0], {'outcome': 'updated', 'id': 3, 'name': 'hourly', 'line': 1,
                                              'fields': ['action', 'policy.retries']})
        self.assertEqual(doc['triggers'][2], {'outcome': 'created', 'id': None, 'name': 'new', 'line': 3, 'fields': []})
        self.assertEqual(self.snapshot(), before)
        # And the real import does what the dry run said.
        real = json.loads(self.ok('import', '--prune', '--label', 'source=git', path, '--format', 'json'))
        self.assertEqual([(t['outcome'], t['name']) for t in real['triggers']],
                         [(t['outcome'], t['name']) for t in doc['triggers']])
        self.assertFalse(real['dry_run'])

    def test_a_one_shot_line_imports_again_once_its_trigger_has_run(self):
        path = self.write([{'name': 'once', 'clock': '--at 2026-12-01T09:00:00Z', 'tz': 'UTC', 'action': '--log o'}],
                          'once.jsonl')
        self.ok('import', path)
        self.ok('--now', '2026-12-01T09:00:30Z', 'run-once', '--no-syslog')
        self.assertEqual(self.states()['once'], 'done')
        before = self.snapshot()
        self.ok('--now', '2026-12-01T10:00:00Z', 'import', path)
        self.assertEqual(self.snapshot(), before)
        self.ok('delete', 'once')
        self.fails(65, f"'{path}', line 1: --at '2026-12-01T09:00:00Z': is not after now (it could never fire)",
                   '--now', '2026-12-01T10:00:00Z', 'import', path)

    def test_dry_run_does_not_create_a_missing_database(self):
        db = os.path.join(self.dir, 'new', 'x.db')
        out = self.ok('--db', db, 'import', '--dry-run', self.path)
        self.assertIn('created  -   hourly  1', out)
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'new')))
        self.ok('--db', os.path.join(self.dir, 'x.db'), 'import', '--dry-run', self.path)
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'x.db')))

    def test_refusals_write_nothing(self):
        before = self.snapshot()
        bad = self.write(self.LINES + [{'name': 'bad', 'clock': '--every 0', 'action': '--log x'}], 'bad.jsonl')
        self.fails(65, f"'{bad}', line 3: --every: invalid duration '0': must be more than zero",
                   'import', '--prune', bad)
        unnamed = self.write(self.LINES + [{'clock': '--every 1h', 'action': '--log x'}], 'unnamed.jsonl')
        self.fails(65, f"'{unnamed}', line 3: a line without a name cannot be kept in sync (--prune)",
                   'import', '--prune', unnamed)
        self.fails(64, "--label 'source': expected KEY=VALUE, KEY of letters, digits, '.', '_', '-', '/'",
                   'import', '--prune', '--label', 'source', self.path)
        self.fails(64, "--label 'source=git': only with --prune", 'import', '--label', 'source=git', self.path)
        self.fails(64, "--prune 'sometimes': expected cancel or delete", 'import', '--prune=sometimes', self.path)
        self.assertEqual(self.snapshot(), before)


class HistoryOutputTest(TriggerTestCase):
    def setUp(self):
        super().setUp()
        self.create('--name', 'greet', '--every', '1m', '--sh', 'echo "hello $TRIGGER_EVENT_ID"; echo "  two"')
        for minute in ('08:01', '08:02'):
            self.ok('--now', f'2026-12-01T{minute}:00Z', 'run-once')

    def test_output_is_shown_indented_under_each_run(self):
        lines = self.ok('history', 'greet', '--output').splitlines()
        self.assertEqual([line.split()[2] for line in lines[1:] if not line.startswith(' ')],
                         ['1-1796112120', '1-1796112060', '-'])
        self.assertEqual(lines[2:4], ['    hello 1-1796112120', '      two'])
        self.assertEqual(lines[5:7], ['    hello 1-1796112060', '      two'])
        self.assertEqual(len(lines), 8)  # the edit record has no output
        # Without --output, no output; in JSON and TSV the same with it as without.
        self.assertNotIn('hello', self.ok('history', 'greet'))
        for fmt in ('json', 'tsv'):
            self.assertEqual(self.ok('history', 'greet', '--output', '--format', fmt),
                             self.ok('history', 'greet', '--format', fmt))

    def test_event_finds_one_occurrence(self):
        [record] = json.loads(self.ok('history', '--event', '1-1796112060', '--format', 'json'))
        self.assertEqual((record['event_id'], record['output']), ('1-1796112060', 'hello 1-1796112060\n  two\n'))
        self.assertEqual(self.ok('history', 'greet', '--event', '1-1796112120', '--format', 'tsv').split('\t')[3],
                         '1-1796112120')
        self.assertEqual(self.ok('history', '--event', '1-1796112180', '--format', 'json'), '[]\n')

    def test_a_malformed_event_id_is_refused(self):
        for bad in ('greet', '1-', '-1796112060', '1-m', 'x-1796112060'):
            self.fails(64, f"--event '{bad}': not an event id (expected TRIGGER-EPOCH, as 7-1796112000)",
                       'history', '--event', bad)


class BadInputTest(TriggerTestCase):
    """Every bad value gets one line naming it, the documented exit status, and changes nothing."""

    CASES = [
        (64, "--every: invalid duration '0': must be more than zero", ['create', '--every', '0', '--log', 'x']),
        (64, "--every: invalid duration '1x': unknown unit 'x' (use s, m, min, h, d, w)", ['create', '--every', '1x', '--log', 'x']),
        (64, "--every: invalid duration '-5m': must be positive", ['create', '--every=-5m', '--log', 'x']),
        (64, "--every: invalid duration '99999999999999999999': too large", ['create', '--every', '99999999999999999999', '--log', 'x']),
        (64, "--at: invalid time '2026-02-30': no such date", ['create', '--at', '2026-02-30', '--log', 'x']),
        (64, "--at: invalid time 'soon': expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION",
         ['create', '--at', 'soon', '--log', 'x']),
        (64, "--at: invalid time '2027-03-28T02:30': this local time does not exist in Europe/Berlin (skipped by a daylight-saving change)",
         ['create', '--at', '2027-03-28T02:30', '--tz', 'Europe/Berlin', '--log', 'x']),
        (64, "--at '2026-01-01': is not after now (it could never fire)",
         ['create', '--at', '2026-01-01', '--log', 'x']),
        (64, "--from: invalid time 'x': expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION",
         ['create', '--every', '1h', '--from', 'x', '--log', 'x']),
        (64, "--from '2026-12-01': only --every takes --from", ['create', '--at', '+1h', '--from', '2026-12-01', '--log', 'x']),
        (64, "--tz: unknown time zone 'Europe/Atlantis'", ['create', '--every', '1h', '--log', 'x', '--tz', 'Europe/Atlantis']),
        (64, "TZ names unknown time zone 'Nowhere/Land'", ['create', '--every', '1h', '--log', 'x'], {'TZ': 'Nowhere/Land'}),
        (64, "invalid name '42': all digits (it would read as an id)", ['create', '--name', '42', '--every', '1h', '--log', 'x']),
        (64, "invalid name 'a b': use only letters, digits, '.', '_' and '-'", ['create', '--name', 'a b', '--every', '1h', '--log', 'x']),
        (64, "no clock given: use one of --at, --every, --cron, --daily, --monthly, --on-boot, --never", ['create', '--log', 'x']),
        (64, "more than one clock given: use only one", ['create', '--every', '1h', '--never', '--log', 'x']),
        (64, "no action given: use one of --log, --sh, -- PROGRAM", ['create', '--every', '1h']),
        (64, "more than one action given: use only one of --log, --sh, -- PROGRAM", ['create', '--every', '1h', '--log', 'x', '--sh', 'y']),
        (64, "--: no program given", ['create', '--every', '1h', '--']),
        (64, "--log: must not be empty", ['create', '--every', '1h', '--log', '']),
        (64, "--env 'X': expected NAME=VALUE", ['create', '--every', '1h', '--sh', 'true', '--env', 'X']),
        (64, "--cwd 'tmp': must be an absolute path", ['create', '--every', '1h', '--sh', 'true', '--cwd', 'tmp']),
        (64, "--misfire 'never': expected one of all, latest, skip", ['create', '--every', '1h', '--log', 'x', '--misfire', 'never']),
        (64, "--overlap 'x': expected one of skip, queue, allow", ['create', '--every', '1h', '--log', 'x', '--overlap', 'x']),
        (64, "--grace: invalid duration '0': must be more than zero", ['create', '--every', '1h', '--log', 'x', '--grace', '0']),
        (64, "--timeout: invalid duration 'long': expected a number", ['create', '--every', '1h', '--log', 'x', '--timeout', 'long']),
        (64, "--retries '-1': expected a whole number from 0 to 100", ['create', '--every', '1h', '--log', 'x', '--retries=-1']),
        (64, "--backoff: invalid duration '1y': unknown unit 'y' (use s, m, min, h, d, w)", ['create', '--every', '1h', '--log', 'x', '--backoff', '1y']),
        (64, "--jitter: invalid duration '1.5s': unknown unit '.' (use s, m, min, h, d, w)", ['create', '--every', '1h', '--log', 'x', '--jitter', '1.5s']),
        (64, "--dst 'summer': expected one of auto, once, literal", ['create', '--every', '1h', '--log', 'x', '--dst', 'summer']),
        (64, "--until '2026-12-01T07:00:00Z': is not after now (the trigger would be done before it starts)",
         ['create', '--every', '1h', '--log', 'x', '--until', '-1h']),
        (64, "--max-runs '0': expected a whole number from 1 to 999999", ['create', '--every', '1h', '--log', 'x', '--max-runs', '0']),
        (64, "--label 'x': expected KEY=VALUE, KEY of letters, digits, '.', '_', '-', '/'", ['create', '--every', '1h', '--log', 'x', '--label', 'x']),
        (64, "--history-keep: invalid duration '0': must be more than zero", ['create', '--every', '1h', '--log', 'x', '--history-keep', '0']),
        (64, "--history-keep: invalid duration '1y': unknown unit 'y' (use s, m, min, h, d, w)", ['create', '--every', '1h', '--log', 'x', '--history-keep', '1y']),
        (64, "--history-runs '-1': expected a whole number from 1 to 10000", ['create', '--every', '1h', '--log', 'x', '--history-runs=-1']),
        # The newest run is always kept: pruning must never clear a failure status reports.
        (64, "--history-runs '0': expected a whole number from 1 to 10000", ['create', '--every', '1h', '--log', 'x', '--history-runs', '0']),
        (64, "--history-runs '10001': expected a whole number from 1 to 10000", ['schedule', 'a', '--history-runs', '10001']),
        (64, "--history-runs 'all': expected a whole number from 1 to 10000", ['schedule', 'a', '--history-runs', 'all']),
        (64, "--cron '0 25 * * *': hour '25' is out of range 0-23", ['create', '--cron', '0 25 * * *', '--log', 'x']),
        (64, "--cron '0 0 31 4 *' can never match (no day of the allowed months fits the day fields)",
         ['create', '--cron', '0 0 31 4 *', '--log', 'x']),
        (64, "--daily '9:00': expected HH:MM or HH:MM:SS, from 00:00 to 23:59:59", ['create', '--daily', '9:00', '--log', 'x']),
        (64, "--monthly: invalid time '2026-02-30': no such date", ['create', '--monthly', '2026-02-30', '--log', 'x']),
        (64, "--dst 'winter': expected one of auto, once, literal", ['create', '--daily', '09:00', '--dst', 'winter', '--log', 'x']),
        (64, "unrecognised option '--colour' (see 'trigger create --help')", ['create', '--every', '1h', '--log', 'x', '--colour']),
        (64, "unexpected argument 'extra'", ['create', '--every', '1h', '--log', 'x', 'extra']),
        (64, "--format 'xml': expected table, json, tsv or openmetrics", ['--format', 'xml', 'list']),
        (64, "--now: invalid time 'yesterday': expected now, @EPOCH, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], +DURATION or -DURATION",
         ['--now', 'yesterday', 'create', '--every', '1h', '--log', 'x']),
        (64, "TRIGGER_NOW: invalid time '@x': expected @ and a number of seconds", ['list'], {'TRIGGER_NOW': '@x'}),
        (64, "'cancle' is not a trigger command; did you mean 'cancel'?", ['cancle', 'a']),
        (64, "'frobnicate' is not a trigger command; see 'trigger help'", ['frobnicate']),
        (64, "'--' and a program are not accepted by 'list'", ['list', '--', 'x']),
        (64, "--state 'gone': expected active, paused, cancelled or done", ['list', '--state', 'gone']),
        (64, "--label 'k': expected KEY=VALUE", ['list', '--label', 'k']),
        (64, "ID|NAME missing", ['cancel']),
        (64, "ID|NAME missing", ['show']),
        (64, "unexpected argument 'b'", ['show', 'a', 'b']),
        (64, "--count '0': expected a whole number from 1 to 100000", ['next', '--every', '1h', '--count', '0']),
        (64, "give either a clock or ID|NAME, not both", ['next', 'a', '--every', '1h']),
        (64, "FILE|- missing", ['import']),
        (64, "--tz and policy options apply to a clock, not to ID|NAME (it has its own)", ['next', 'a', '--tz', 'UTC']),
        (64, "--tz and policy options apply to a clock, not to ID|NAME (it has its own)", ['next', 'a', '--jitter', '1m']),
        (64, "clock '--every 418000w --from 2026-12-01T08:00:00Z' has no fire time after now", ['create', '--every', '418000w', '--log', 'x']),
        (64, "no help for 'cancle'; did you mean 'cancel'?", ['help', 'cancle']),
        (65, "name 'a' is already taken by trigger 1", ['create', '--name', 'a', '--every', '1h', '--log', 'x']),
        (66, "no trigger 'nosuch'", ['show', 'nosuch']),
        (66, "no trigger '99'", ['pause', '99']),
        (66, "no trigger 'nosuch'", ['resume', 'a', 'nosuch']),
        (66, "no trigger 'nosuch'", ['next', 'nosuch']),
    ]

    def test_each_bad_input(self):
        self.create('--name', 'a', '--every', '1h', '--log', 'a')
        before = self.snapshot()
        for case in self.CASES:
            code, message, args = case[:3]
            env = case[3] if len(case) > 3 else None
            with self.subTest(args=args):
                self.fails(code, message, *args, env=env)
                self.assertEqual(self.snapshot(), before)


class FormatTest(TriggerTestCase):
    """Each command prints the formats its row in the command table declares; any other given
    --format is a usage error that changes nothing."""

    REFUSED = [
        ('export', 'tsv'), ('export', 'table'), ('import', 'tsv'), ('help', 'tsv'),
        ('schedule', 'tsv'), ('cancel', 'tsv'), ('pause', 'tsv'), ('resume', 'tsv'),
        ('run-once', 'tsv'),
    ]

    def test_an_unsupported_format_is_refused_with_64_and_changes_nothing(self):
        self.create('--name', 'x', '--every', '1h', '--log', 'a')
        before = self.snapshot()
        operands = {'schedule': ['x', '--every', '2h'], 'cancel': ['x'], 'pause': ['x'],
                    'resume': ['x'], 'import': ['-']}
        for command, fmt in self.REFUSED:
            with self.subTest(command=command, format=fmt):
                self.fails(64, f"--format '{fmt}' is not accepted by '{command}'",
                           command, *operands.get(command, []), '--format', fmt, stdin='')
        self.assertEqual(self.snapshot(), before)

    def test_a_commands_help_names_the_formats_it_accepts(self):
        # What shell completion offers after --format (completion/trigger.bash).
        for command, names in [('pause', 'table or json'), ('export', 'json'),
                               ('list', 'table, json or tsv'),
                               ('status', 'table, json, tsv or openmetrics')]:
            with self.subTest(command=command):
                self.assertIn(f'--format FORMAT       output as {names}\n',
                              self.ok(command, '--help'))

    def test_export_still_prints_json_lines_for_format_json(self):
        self.create('--name', 'x', '--every', '1h', '--log', 'a')
        self.assertEqual(self.ok('export', '--format', 'json'), self.ok('export'))


class DatabaseErrorTest(TriggerTestCase):
    def test_a_server_location_is_refused_not_taken_for_a_file(self):
        # No server backend is built in: the URL must not become a directory 'postgresql:'.
        before = sorted(os.listdir(self.dir))
        for url in ('postgresql://ops@db.example/trigger', 'mysql://x/y'):
            scheme = url.split(':')[0]
            for args in (['list'], ['create', '--every', '1h', '--log', 'a'], ['run-once']):
                with self.subTest(url=url, command=args[0]):
                    self.fails(64, f"database '{url}': no '{scheme}' backend in this build "
                               "(a database is a file path)", '--db', url, *args, cwd=self.dir)
            self.fails(64, f"database '{url}': no '{scheme}' backend in this build "
                       "(a database is a file path)", 'list', env={'TRIGGER_DB': url}, cwd=self.dir)
        self.assertEqual(sorted(os.listdir(self.dir)), before)

    def test_cannot_create(self):
        with open(os.path.join(self.dir, 'file'), 'w'):
            pass
        self.fails(73, f"cannot create directory '{self.dir}/file/sub': Not a directory",
                   '--db', os.path.join(self.dir, 'file', 'sub', 't.db'), 'create', '--every', '1h', '--log', 'x')

    def test_not_a_database(self):
        with open(self.db, 'w') as f:
            f.write('this is not sqlite' * 300)
        before = self.snapshot()
        for args in (['list'], ['create', '--every', '1h', '--log', 'x']):
            self.fails(74, f"database '{self.db}' is damaged or not a trigger database (file is not a database)", *args)
        self.assertEqual(self.snapshot(), before)

    def test_newer_database_is_refused_untouched(self):
        self.create('--every', '1h', '--log', 'x')
        with sqlite3.connect(self.db) as db:
            db.execute('PRAGMA user_version = 999')
        db.close()
        before = self.snapshot()
        for args in (['list'], ['show', '1'], ['create', '--every', '1h', '--log', 'x'], ['cancel', '1'], ['export']):
            code, out, err = self.run_trigger(*args)
            self.assertEqual(code, 78)
            self.assertRegex(err, r"^trigger: database '.*' is from a newer trigger \(schema 999, this one knows up to \d+\); upgrade trigger\n$")
        self.assertEqual(self.snapshot(), before)

    def test_busy_beyond_the_timeout(self):
        self.create('--every', '1h', '--log', 'x')
        holder = sqlite3.connect(self.db, isolation_level=None)
        holder.execute('BEGIN EXCLUSIVE')
        try:
            self.fails(75, f"database '{self.db}' is busy; try again",
                       'create', '--every', '1h', '--log', 'y')
        finally:
            holder.execute('ROLLBACK')
            holder.close()
        self.assertEqual(len(self.listed()), 1)


class OutputFailureTest(TriggerTestCase):
    """A command whose standard output cannot be written after it made its change says that the
    change was made (exit 74): running it again would make it twice."""

    def to_full(self, *args):
        with open('/dev/full', 'w') as full:
            process = subprocess.run([BIN, *args], env=self.env, stdout=full, stderr=subprocess.PIPE,
                                     text=True, timeout=60)
        return process.returncode, process.stderr

    def test_the_message_says_the_change_was_made(self):
        self.assertEqual(self.to_full('create', '--name', 'x', '--every', '1h', '--log', 'x'), (
            74, "trigger: created trigger 1 'x', but cannot write to standard output: No space left on device\n"))
        self.assertEqual([t['name'] for t in self.listed()], ['x'])
        self.assertEqual(self.to_full('fire', 'x'), (
            74, f"trigger: fired 'x' (event 1-m{NOW}), but cannot write to standard output: No space left on device\n"))
        self.assertEqual(json.loads(self.ok('status', '--format', 'json'))['queued'], 1)  # once
        self.assertEqual(self.to_full('schedule', 'x', '--every', '2h', '--format', 'json'), (
            74, "trigger: scheduled 'x', but cannot write to standard output: No space left on device\n"))
        self.assertTrue(self.listed()[0]['clock'].startswith('--every 2h'))
        self.assertEqual(self.to_full('cancel', 'x', '--format', 'json'), (
            74, "trigger: cancelled 'x', but cannot write to standard output: No space left on device\n"))
        self.assertEqual(self.listed('--all')[0]['state'], 'cancelled')
        # A command that changed nothing says only that it cannot write.
        self.assertEqual(self.to_full('list', '--all'), (
            74, 'trigger: cannot write to standard output: No space left on device\n'))


class HelpTest(TriggerTestCase):
    COMMANDS = ['create', 'list', 'show', 'schedule', 'cancel', 'pause', 'resume', 'fire', 'next',
                'run-once', 'status', 'reset-failed', 'history', 'import', 'export', 'gc', 'help']

    def test_every_command_has_help(self):
        for command in self.COMMANDS:
            with self.subTest(command=command):
                out = self.ok(command, '--help')
                self.assertTrue(out.startswith(f'usage: trigger {command}'), out)
                self.assertIn('global options:', out)

    def test_help_lists_the_commands(self):
        for out in (self.ok('help'), self.ok('--help')):
            for command in self.COMMANDS:
                self.assertIn(f'\n  {command} ', out)

    def test_help_command_shows_the_manual_page(self):
        for topic, title in [('create', 'TRIGGER-CREATE'), ('trigger', 'TRIGGER'), ('clock', 'TRIGGER-CLOCK'),
                             ('operations', 'monitoring and alerting with trigger')]:
            with self.subTest(topic=topic):
                out = self.ok('help', topic)
                self.assertIn(title, out)
                self.assertIn('DESCRIPTION', out)

    def test_version(self):
        self.assertRegex(self.ok('--version'), r'^trigger \d+\.\d+\.\d+ \(database schema \d+\)\n$')

    def test_no_command_is_a_usage_error(self):
        code, out, err = self.run_trigger()
        self.assertEqual((code, out), (64, ''))
        self.assertTrue(err.startswith('usage: trigger'))
        self.assertTrue(err.endswith('trigger: no command given\n'))


class TimeAndZoneInputTest(TriggerTestCase):
    def test_home_unset_uses_the_password_database_not_the_current_directory(self):
        if os.geteuid() != 0:
            self.skipTest('needs root to run as nobody (a non-root user would reach its own default database)')
        os.chmod(self.dir, 0o777)
        process = subprocess.run(
            ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', os.path.abspath(BIN), 'create',
             '--every', '1h', '--log', 'x'],
            env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'TZ': 'UTC'}, cwd=self.dir,
            capture_output=True, text=True, timeout=60)
        home = subprocess.run(['getent', 'passwd', 'nobody'], capture_output=True,
                              text=True).stdout.split(':')[5]
        self.assertEqual(process.returncode, 73, process.stderr)
        self.assertIn(f"'{home}", process.stderr)  # not ./.local/state in the current directory
        self.assertFalse(os.path.exists(os.path.join(self.dir, '.local')))

    def test_localtime_is_stored_as_the_zone_it_points_to(self):
        target = os.readlink('/etc/localtime') if os.path.islink('/etc/localtime') else None
        if target is None or 'zoneinfo/' not in target:
            self.fails(64, "--tz: cannot resolve the time zone of '/etc/localtime': not a "
                       "symbolic link into a zoneinfo directory", 'create', '--daily', '09:00',
                       '--log', 'x', '--tz', 'localtime')
            return
        name = target[target.rindex('zoneinfo/') + 9:]
        for env in ({'TZ': 'UTC'}, {'TZ': 'localtime'}, {'TZ': ':/etc/localtime'}):
            with self.subTest(env=env):
                args = ['create', '--daily', '09:00', '--log', 'x', '--format', 'json']
                if env['TZ'] == 'UTC':
                    args += ['--tz', 'localtime']
                self.assertEqual(json.loads(self.ok(*args, env=env))['tz'], name)

    def test_times_with_a_fraction_of_a_second_are_floored(self):
        for text in ('2026-12-01T09:00:00.000Z', '2026-12-01 09:00:00.5+00:00',
                     '2026-12-01 09:00:00.999999999+00:00'):
            with self.subTest(text=text):
                self.assertEqual(self.ok('next', '--at', text), '2026-12-01T09:00:00Z\n')

    def test_an_error_quoting_a_newline_is_one_line(self):
        self.fails(64, "--at: invalid time '2026-12-01\\nrm -rf /': expected 'T' or a space after "
                   "the date", 'create', '--at', '2026-12-01\nrm -rf /', '--log', 'x')


class ImportInputTest(TriggerTestCase):
    def test_a_directory_is_refused_saying_so(self):
        self.fails(66, f"cannot open '{self.dir}': it is a directory", 'import', self.dir)

    def test_a_key_twice_in_a_line_is_refused_naming_key_and_line(self):
        path = os.path.join(self.dir, 'in.jsonl')
        with open(path, 'w') as out:
            out.write('{"name":"a","clock":"--never","action":"--log x"}\n'
                      '{"name":"b","clock":"--never","action":"--log x","clock":"--at +1h"}\n')
        self.fails(65, f"'{path}', line 2: key 'clock' appears twice", 'import', path)
        self.assertEqual(self.ok('list', '--format', 'tsv'), '')


class CronTextTest(TriggerTestCase):
    def test_cron_text_keeps_its_fields_with_single_spaces_as_the_manual_says(self):
        self.create('--name', 'c', '--cron', '  0  9 * *\tMON-fri ', '--log', 'x')
        self.assertIn("--cron '0 9 * * MON-fri'", self.ok('show', 'c'))
        self.assertIn('"clock":"--cron \'0 9 * * MON-fri\'"', self.ok('export'))


class BootClockTest(TriggerTestCase):
    """--on-boot: once per boot id, its delay after the boot; TRIGGER_BOOT stands in."""

    def boot(self, boot_id, at):
        return {'TRIGGER_BOOT': f'{boot_id},{at}'}

    def history_events(self, name):
        rows = json.loads(self.ok('history', name, '--format', 'json'))
        return [r['event_id'] for r in rows if r['outcome'] == 'succeeded']

    def test_fires_once_after_a_changed_boot_id(self):
        b1 = self.boot('b1', '2026-12-01T07:00:00Z')
        self.assertEqual(self.ok('create', '--name', 'warm', '--on-boot', '--delay', '5m',
                                 '--log', 'warm', env=b1), '1\n')
        self.ok('run-once', env=b1)  # made during boot b1: as @reboot, not in this boot
        self.ok('--now', '2026-12-01T08:10:00Z', 'run-once', env=b1)
        self.assertEqual(self.history_events('warm'), [])
        b2 = self.boot('b2', '2026-12-01T09:00:00Z')
        self.ok('--now', '2026-12-01T09:01:00Z', 'run-once', env=b2)
        self.assertEqual(self.history_events('warm'), [])  # the delay: due at 09:05
        shown = json.loads(self.ok('--now', '2026-12-01T09:01:00Z', 'show', 'warm', '--format',
                                   'json'))
        self.assertEqual(shown['next'], '2026-12-01T09:05:00Z')
        self.assertEqual(shown['clock'], '--on-boot --delay 5m')
        self.ok('--now', '2026-12-01T09:05:00Z', 'run-once', env=b2)
        self.ok('--now', '2026-12-01T09:30:00Z', 'run-once', env=b2)
        event = f'1-{NOW + 3600 + 300}'
        self.assertEqual(self.history_events('warm'), [event])
        b3 = self.boot('b3', '2026-12-01T10:00:00Z')
        self.ok('--now', '2026-12-01T10:20:00Z', 'run-once', env=b3)  # late: on the first pass
        self.ok('--now', '2026-12-01T10:21:00Z', 'run-once', env=b3)
        self.assertEqual(self.history_events('warm'), [f'1-{NOW + 7200 + 300}', event])
        self.assertEqual(self.listed()[0]['state'], 'active')

    def test_clock_text_round_trips_through_export_and_import(self):
        self.create('--name', 'a', '--on-boot', '--log', 'x')
        self.create('--name', 'b', '--on-boot', '--delay', '90s', '--log', 'x')
        lines = [json.loads(line) for line in self.ok('export').splitlines()]
        self.assertEqual([line['clock'] for line in lines], ['--on-boot', '--on-boot --delay 1m30s'])
        self.assertEqual(lines[1]['description'], '1m30s after each boot')
        self.ok('delete', 'a', 'b')
        self.ok('import', '-', stdin=''.join(json.dumps(line) + '\n' for line in lines))
        self.assertEqual([t['clock'] for t in self.listed()], ['--on-boot', '--on-boot --delay 1m30s'])

    def test_bad_delays_are_usage_errors_writing_nothing(self):
        self.fails(64, "--delay: invalid duration 'soon': expected a number",
                   'create', '--on-boot', '--delay', 'soon', '--log', 'x')
        self.fails(64, "--delay '5m': only --on-boot takes --delay",
                   'create', '--every', '1h', '--delay', '5m', '--log', 'x')
        self.fails(64, "TRIGGER_BOOT 'b1': expected ID,TIME", 'list', env={'TRIGGER_BOOT': 'b1'})
        self.assertFalse(os.path.exists(self.db))


class LockTest(TriggerTestCase):
    """--lock NAME: runs of triggers sharing a name never run at once; the wait is recorded."""

    def test_two_runs_sharing_a_lock_run_one_after_the_other(self):
        real = {'TRIGGER_NOW': None}  # the real clock: the wait is in real seconds
        # crontab: 0 2 * * * flock /var/lock/db.lock backup; 30 2 * * * flock /var/lock/db.lock vacuum
        script = 'date +%s.%N; sleep 2; date +%s.%N'
        self.ok('create', '--name', 'backup', '--cron', '0 2 * * *', '--sh', script, '--lock', 'db',
                env=real)
        self.ok('create', '--name', 'vacuum', '--cron', '30 2 * * *', '--sh', script, '--lock', 'db',
                env=real)
        self.ok('fire', 'backup', env=real)
        self.ok('fire', 'vacuum', env=real)
        self.ok('run-once', env=real)
        runs = {r['trigger_name']: r for r in json.loads(self.ok('history', '--format', 'json'))
                if r['outcome'] == 'succeeded'}
        self.assertEqual(set(runs), {'backup', 'vacuum'})  # nothing dropped
        first, second = sorted(runs.values(), key=lambda r: float(r['output'].split()[0]))
        self.assertLessEqual(float(first['output'].split()[1]), float(second['output'].split()[0]))
        self.assertEqual(first['reason'], '')
        self.assertRegex(second['reason'], r'^waited [123]s for --lock db$')
        self.assertIn('waited', self.ok('history', second['trigger_name']))

    def test_lock_is_shown_exported_imported_and_cleared(self):
        self.create('--name', 'a', '--every', '1h', '--log', 'x', '--lock', 'b,a', '--lock', 'a')
        self.assertIn('lock:          a,b\n', self.ok('show', 'a'))
        line = json.loads(self.ok('export'))
        self.assertEqual(line['policy']['lock'], 'a,b')
        self.ok('delete', 'a')
        self.ok('import', '-', stdin=json.dumps(line) + '\n')
        self.assertEqual(self.listed()[0]['policy']['lock'], 'a,b')
        self.ok('schedule', 'a', '--lock', '')
        self.assertIsNone(self.listed()[0]['policy']['lock'])
        self.ok('schedule', 'a', '--lock', 'c')
        self.assertEqual(self.listed()[0]['policy']['lock'], 'c')

    def test_bad_lock_names_are_usage_errors_writing_nothing(self):
        self.fails(64, "--lock 'a,,b': invalid lock name '': expected 1-64 letters, digits, '.', '_' "
                   "or '-'", 'create', '--every', '1h', '--log', 'x', '--lock', 'a,,b')
        self.fails(64, "--lock 'a b': invalid lock name 'a b': expected 1-64 letters, digits, '.', "
                   "'_' or '-'", 'create', '--every', '1h', '--log', 'x', '--lock', 'a b')
        self.assertFalse(os.path.exists(self.db))


if __name__ == '__main__':
    unittest.main(verbosity=1)
