#!/usr/bin/env python3
"""End-to-end tests of trigger in hostile environments: a read-only database or directory, a full
disk, a damaged or truncated database, one from a newer trigger, a zone that left the system, a
command that does not exist, floods its output or ignores SIGTERM.

Each failing command must print one line naming the problem, exit with its documented status, and
leave the database as it was: its bytes, and where it can be read its rows and PRAGMA
integrity_check. Run by `meson test hostile`, like cli_test.py; as root, the read-only cases run
trigger as nobody and the full disk is a small tmpfs (skipped where it cannot be mounted).

The privilege escalations (EscalationTest) run the attacker's commands as a second local user,
trigger-hostile, which the test creates when it runs as root (useradd) and skips otherwise: root's
pass must refuse (exit 77) and run nothing. Another application's SQLite file and an empty file
are refused, untouched, by every command.
"""
import json
import os
import pwd
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from cli_test import BIN, NOW
from run_once_test import MINUTE, PassTestCase, at, where

NOBODY = 65534  # uid and gid of nobody / nogroup on Debian
ATTACKER = 'trigger-hostile'  # the second local user of the privilege escalations
IS_ROOT = os.geteuid() == 0
TABLES = ('trigger', 'trigger_label', 'trigger_event', 'counter', 'task', 'history', 'pass')


def rows(db, tables=TABLES):
    """Every row of the tables, and PRAGMA integrity_check."""
    with sqlite3.connect(f'file:{db}?mode=ro', uri=True) as connection:
        contents = {table: connection.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
                    for table in tables}
        contents['integrity'] = connection.execute('PRAGMA integrity_check').fetchall()
    connection.close()
    return contents


class HostileTestCase(PassTestCase):
    """A database with two scheduled triggers that have run once, and helpers."""

    def populate(self):
        self.create('--name', 'a', '--every', '1m', '--sh', 'echo a')
        self.create('--name', 'b', '--every', '1m', '--log', 'b', '--label', 'team=ops')
        self.ok('run-once')
        self.ok('--now', at(MINUTE), 'run-once')
        self.import_file = os.path.join(self.dir, 'import.jsonl')
        with open(self.import_file, 'w') as f:
            f.write(json.dumps({'name': 'imported', 'clock': '--every 1h', 'action': '--log i'}) + '\n')
            f.write(json.dumps({'name': 'a', 'clock': '--every 2m', 'action': "--sh 'echo a'"}) + '\n')

    def writers(self):
        """A command of each writing kind: define, move, import, and a pass with work due."""
        return [['create', '--name', 'new', '--every', '1h', '--log', 'x' * 60000],
                ['schedule', 'a', '--every', '5m'],
                ['import', self.import_file],
                ['--now', at(5 * MINUTE), 'run-once']]

    def fails_unchanged(self, code, message, commands, **kwargs):
        """Each command fails with exit `code` and the one line `trigger: message`; the database
        bytes are unchanged."""
        before = self.snapshot()
        for args in commands:
            with self.subTest(args=args[:3]):
                self.fails(code, message, *args, **kwargs)
                self.assertEqual(self.snapshot(), before)


class Unprivileged:
    """Runs trigger as nobody when the tests run as root (root writes whatever the modes say)."""
    _bin = None

    @classmethod
    def prefix(cls):
        if not IS_ROOT:
            return []
        for tool in (['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups', '--'],
                     ['runuser', '-u', 'nobody', '--']):
            if shutil.which(tool[0]):
                return tool
        raise unittest.SkipTest('running as root without setpriv or runuser: cannot drop privileges')

    @classmethod
    def binary(cls):
        """BIN, or a copy nobody can run when BIN's directory is closed to it."""
        if cls._bin is None:
            cls._bin = BIN
            if IS_ROOT and subprocess.run(cls.prefix() + [BIN, '--version'], capture_output=True).returncode != 0:
                cls._copy_dir = tempfile.TemporaryDirectory(prefix='trigger-bin-')
                os.chmod(cls._copy_dir.name, 0o755)
                cls._bin = shutil.copy(BIN, os.path.join(cls._copy_dir.name, 'trigger'))
        return cls._bin


class UnprivilegedTestCase(HostileTestCase):
    """Populated as the invoking user; the commands under test run as nobody when that is root."""

    def setUp(self):
        super().setUp()
        self.unprivileged = False
        self.populate()
        if IS_ROOT:
            for path in [self.dir] + [os.path.join(self.dir, name) for name in os.listdir(self.dir)]:
                os.chown(path, NOBODY, NOBODY)
            os.chmod(self.import_file, 0o644)
        self.unprivileged = True

    def tearDown(self):
        os.chmod(self.dir, 0o700)
        super().tearDown()

    def run_trigger(self, *args, env=None, stdin=None, umask=None):
        if not self.unprivileged:
            return super().run_trigger(*args, env=env, stdin=stdin, umask=umask)
        full_env = dict(self.env, **(env or {}))
        process = subprocess.run(Unprivileged.prefix() + [Unprivileged.binary(), *args], env=full_env,
                                 input=stdin, capture_output=True, text=True, timeout=60)
        return process.returncode, process.stdout, process.stderr


class ReadOnlyDatabaseTest(UnprivilegedTestCase):
    def test_writers_fail_naming_the_file_and_readers_still_work(self):
        os.chmod(self.db, 0o444)
        self.fails_unchanged(74, f"cannot write database '{self.db}': the file is read-only", self.writers())
        listed = json.loads(self.ok('list', '--format', 'json'))
        self.assertEqual([t['name'] for t in listed], ['a', 'b'])
        self.assertEqual(rows(self.db)['integrity'], [('ok',)])


class ReadOnlyOlderDatabaseTest(UnprivilegedTestCase):
    """A dry run needs no write access and migrates nothing: it rehearses on a copy in memory."""

    def populate(self):
        root = os.environ.get('TRIGGER_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..'))
        with open(os.path.join(root, 'test', 'data', 'schema-1.sql')) as f:
            dump = f.read()
        connection = sqlite3.connect(self.db)
        connection.executescript(dump)
        connection.close()
        self.import_file = os.path.join(self.dir, 'import.jsonl')
        open(self.import_file, 'w').close()

    def test_a_dry_run_of_a_read_only_level_1_file_changes_nothing(self):
        os.chmod(self.db, 0o400)
        before = self.snapshot()
        code, out, err = self.run_trigger('--now', '2030-01-01T00:00:00Z', 'run-once', '--dry-run')
        self.assertEqual((code, err), (0, ''))
        self.assertIn("'level1': would run", out)
        self.assertEqual(self.snapshot(), before)
        with sqlite3.connect(f'file:{self.db}?mode=ro', uri=True) as connection:
            self.assertEqual(connection.execute('PRAGMA user_version').fetchone(), (1,))
        connection.close()


class ReadOnlyDirectoryTest(UnprivilegedTestCase):
    def test_every_command_names_the_directory(self):
        os.chmod(self.dir, 0o555)  # the -wal and -shm files cannot be created
        message = (f"cannot use database '{self.db}': directory '{self.dir}' is not writable "
                   "(the database keeps its -wal and -shm files there)")
        self.fails_unchanged(74, message, self.writers() + [['list']])
        self.assertEqual(sorted(os.listdir(self.dir)), ['import.jsonl', 't.db'])
        os.chmod(self.dir, 0o700)
        self.assertEqual(rows(self.db)['integrity'], [('ok',)])


class FullDiskTest(HostileTestCase):
    """A 512 KiB tmpfs filled to its last 36 KiB: room for the 32 KiB -shm file that readers need,
    not for the -wal frames of any transaction."""

    def setUp(self):
        super().setUp()
        if not IS_ROOT:
            self.skipTest('mounting a small tmpfs needs root')
        self.mount = os.path.join(self.dir, 'small')
        os.mkdir(self.mount)
        mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', self.mount],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            self.skipTest(f'cannot mount a tmpfs here: {mounted.stderr.strip()}')
        self.mounted = True
        self.db = self.env['TRIGGER_DB'] = os.path.join(self.mount, 't.db')
        self.populate()

    def tearDown(self):
        if getattr(self, 'mounted', False):
            subprocess.run(['umount', '-l', self.mount], check=True)
        super().tearDown()

    def fill(self, leave):
        # Nothing has the database open: its -shm (left by a reader) goes, so the space left is
        # what the next command has for its -shm and -wal.
        self.assertEqual(os.path.getsize(self.db + '-wal') if os.path.exists(self.db + '-wal') else 0, 0)
        for suffix in ('-wal', '-shm'):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)
        stat = os.statvfs(self.mount)
        with open(os.path.join(self.mount, 'filler'), 'ab') as f:
            f.write(b'\0' * (stat.f_bavail * stat.f_frsize - leave))

    def test_writers_fail_with_one_line_and_roll_back(self):
        before = rows(self.db)
        self.fill(leave=36 * 1024)
        self.fails_unchanged(74, f"cannot write database '{self.db}': disk or database full", self.writers())
        self.assertEqual(rows(self.db), before)
        self.assertEqual(self.ok('list', '--format', 'tsv').count('\n'), 2)  # readers still work
        # No room even for the -shm file that readers need.
        self.fill(leave=0)
        self.fails_unchanged(74, f"i/o error on database '{self.db}': cannot extend its -shm file in "
                             f"'{self.mount}' (is the disk full?)", self.writers() + [['list']])
        # With room again, everything works and nothing was lost.
        os.remove(os.path.join(self.mount, 'filler'))
        self.ok('--now', at(5 * MINUTE), 'run-once')
        self.assertEqual(self.history('a')[0]['outcome'], 'succeeded')
        self.assertEqual(rows(self.db)['integrity'], [('ok',)])


class DamagedDatabaseTest(HostileTestCase):
    def damage(self, how):
        with open(self.good, 'rb') as f:
            data = bytearray(f.read())
        with sqlite3.connect(self.good) as connection:
            page_size = connection.execute('PRAGMA page_size').fetchone()[0]
            root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'trigger'").fetchone()[0]
        connection.close()
        garbage = bytes((i * 151 + 7) % 256 for i in range(page_size))
        if how == 'truncated mid-page':
            data = data[:len(data) // 2 + 100]
        elif how == 'truncated to whole pages':
            data = data[:3 * page_size]
        elif how == 'garbage over the header':
            data[:100] = garbage[:100]
        elif how == 'garbage over the trigger table':
            data[(root - 1) * page_size:root * page_size] = garbage
        # The damaged region: the garbled header or page, or the last page a truncation kept.
        start = {'garbage over the header': 0,
                 'garbage over the trigger table': (root - 1) * page_size}.get(how, (len(data) - 1) // page_size * page_size)
        damaged = (start, bytes(data[start:start + page_size]))
        for suffix in ('-wal', '-shm'):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)
        with open(self.db, 'wb') as f:
            f.write(data)
        return damaged

    def test_every_command_fails_naming_the_file_and_writes_nothing(self):
        self.populate()
        self.good = os.path.join(self.dir, 'good.db')
        shutil.copy(self.db, self.good)
        *commands, run_once = self.writers()
        commands += [['list'], ['show', 'a'], ['status']]
        for how, reason in [('truncated mid-page', 'database disk image is malformed'),
                            ('truncated to whole pages', 'database disk image is malformed'),
                            ('garbage over the header', 'file is not a database'),
                            ('garbage over the trigger table', 'database disk image is malformed')]:
            with self.subTest(how=how):
                start, region = self.damage(how)
                message = f"database '{self.db}' is damaged or not a trigger database ({reason})"
                self.fails_unchanged(74, message, commands)
                # A pass records that it began before it reads the triggers: where the pages it
                # writes are sound, that record is written. The damage is left as it was.
                self.fails(74, message, *run_once)
                with open(self.db, 'rb') as f:
                    f.seek(start)
                    self.assertEqual(f.read(len(region)), region)
                self.fails(74, message, 'list')


class NewerDatabaseTest(HostileTestCase):
    def test_refused_untouched_with_a_word_to_upgrade(self):
        self.populate()
        with sqlite3.connect(self.db) as connection:
            version = connection.execute('PRAGMA user_version').fetchone()[0]
            connection.execute(f'PRAGMA user_version = {version + 1}')
        connection.close()
        message = (f"database '{self.db}' is from a newer trigger (schema {version + 1}, this one "
                   f"knows up to {version}); upgrade trigger")
        self.fails_unchanged(78, message, self.writers() + [['list'], ['--now', at(5 * MINUTE), 'run-once', '--dry-run']])


class VanishedZoneTest(HostileTestCase):
    """The system's tz database no longer has a trigger's zone. The date library reads
    /usr/share/zoneinfo with no TZDIR override, so the zone is renamed in the database instead,
    without bumping the version: as if tzdata had dropped it."""

    def vanish(self, name):
        with sqlite3.connect(self.db) as connection:
            connection.execute("UPDATE trigger SET tz = 'Gone/Zone' WHERE name = ?", (name,))
        connection.close()

    def test_list_and_show_still_work_and_the_pass_sets_only_it_aside(self):
        self.create('--name', 'berlin', '--every', '1m', '--tz', 'Europe/Berlin', '--sh', 'echo berlin')
        self.create('--name', 'utc', '--every', '1m', '--sh', 'echo utc')
        self.ok('run-once')
        self.vanish('berlin')
        why = "trigger 1: its time zone 'Gone/Zone' is no longer known to this system"
        for args in (['list'], ['list', '--format', 'json'], ['list', '--format', 'tsv'], ['show', 'berlin'],
                     ['show', 'berlin', '--format', 'json'], ['export']):
            with self.subTest(args=args):
                self.assertIn('berlin', self.ok(*args))
        self.assertIn(f'description:   {why}\n', self.ok('show', 'berlin'))

        code, out, err = self.run_trigger('--now', at(MINUTE), 'run-once')
        reason = "its time zone 'Gone/Zone' is no longer known to this system"
        self.assertEqual((code, out, err), (1, '', f"trigger: 'berlin' is set aside: {reason}{where(MINUTE)}\n"))
        [set_aside] = self.history('berlin', '--failed')
        self.assertEqual((set_aside['outcome'], set_aside['count'], set_aside['reason']),
                         ('failed', 0, f'set aside: {reason}'))
        # The others keep firing; the set-aside one does not come back every pass.
        self.ok('--now', at(2 * MINUTE), 'run-once')
        self.assertEqual([r['outcome'] for r in self.history('utc') if r['outcome'] != 'edit'],
                         ['succeeded', 'succeeded'])
        [berlin] = json.loads(self.ok('list', '--format', 'json', '--name', 'berlin'))
        self.assertEqual((berlin['next'], berlin['last_outcome'], berlin['description']), (None, 'failed', why))
        code, out, _ = self.run_trigger('status', '--format', 'json', '--now', at(2 * MINUTE))
        self.assertEqual((code, json.loads(out)['set_aside']), (1, 1))
        self.assertIn("1 trigger is set aside by the pass (see 'trigger history --failed' for why)",
                      json.loads(out)['problems'])

    def test_a_trigger_not_yet_scheduled_lists_without_a_next_time(self):
        self.create('--name', 'berlin', '--every', '1m', '--tz', 'Europe/Berlin', '--log', 'x')
        self.vanish('berlin')
        [berlin] = json.loads(self.ok('list', '--format', 'json'))
        self.assertEqual((berlin['tz'], berlin['next_epoch']), ('Gone/Zone', None))
        shown = self.ok('show', 'berlin')
        self.assertIn('next:          -\n', shown)
        self.assertNotIn('upcoming', shown)


class MissingCommandTest(HostileTestCase):
    def test_the_run_fails_127_naming_the_program_and_others_run(self):
        self.create('--name', 'missing', '--every', '1m', '--', '/no/such/cmd', 'arg')
        self.create('--name', 'fine', '--every', '1m', '--sh', 'echo fine')
        self.ok('run-once')
        why = "cannot run '/no/such/cmd': No such file or directory"
        code, out, err = self.run_trigger('--now', at(MINUTE), 'run-once')
        self.assertEqual((code, out, err), (1, '', f"trigger: 'missing' (event 1-{NOW + MINUTE}): {why}{where(MINUTE)}\n  trigger: {why}\n"))
        [missing] = [r for r in self.history('missing') if r['outcome'] != 'edit']
        self.assertEqual((missing['outcome'], missing['exit_status'], missing['reason'], missing['output']),
                         ('failed', 127, why, f'trigger: {why}\n'))
        [fine] = [r for r in self.history('fine') if r['outcome'] != 'edit']
        self.assertEqual((fine['outcome'], fine['output']), ('succeeded', 'fine\n'))


def run_measured(args, env):
    """Run a command; returns (exit status, stderr, peak RSS in KiB of it and what it waited for,
    seconds)."""
    started = time.monotonic()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with process.stderr:
        err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, err, usage.ru_maxrss, time.monotonic() - started


class FloodTest(HostileTestCase):
    def test_output_is_bounded_to_its_tail_and_the_pass_stays_small(self):
        self.create('--name', 'quiet', '--every', '1m', '--sh', 'echo small')
        self.ok('run-once')
        code, err, baseline_kib, _ = run_measured([BIN, '--now', at(MINUTE), 'run-once'], self.env)
        self.assertEqual((code, err), (0, ''))

        self.ok('cancel', 'quiet')
        self.create('--name', 'flood', '--every', '1m', '--sh', 'yes | head -c 200000000')
        self.create('--name', 'endless', '--every', '1m', '--timeout', '2s', '--', 'yes')
        code, err, flood_kib, seconds = run_measured([BIN, '--now', at(2 * MINUTE), 'run-once'], self.env)
        # 64 KiB of "y" lines kept (where the cut fell decides how many): the last 20 reported.
        self.assertEqual(code, 1)
        self.assertRegex(err, f"^trigger: 'endless' \\(event 3-{NOW + 2 * MINUTE}\\): timed out after 2s"
                              f"{re.escape(where(2 * MINUTE))}\n  \\(3274[89] earlier lines left out\\)\n(  y\n){{20}}$")
        self.assertLess(seconds, 30)
        # 200 MB went through; the pass grew by less than 16 MiB over a quiet one.
        self.assertLess(flood_kib - baseline_kib, 16 * 1024, f'peak RSS {flood_kib} KiB, quiet {baseline_kib} KiB')
        history = {r['trigger_name']: r for r in self.history() if r['outcome'] not in ('edit', 'coalesced')}
        self.assertEqual((history['flood']['outcome'], history['flood']['output']), ('succeeded', 'y\n' * 32768))
        self.assertEqual(history['endless']['outcome'], 'timed_out')
        self.assertEqual(len(history['endless']['output']), 65536)


class StubbornCommandTest(HostileTestCase):
    def test_a_command_ignoring_sigterm_is_killed_after_the_grace(self):
        pid_file = os.path.join(self.dir, 'pid')
        self.create('--name', 'stubborn', '--every', '1m', '--timeout', '1s',
                    '--sh', f"trap '' TERM; sleep 1000 & echo $! > {pid_file}; wait")
        self.create('--name', 'fine', '--every', '1m', '--sh', 'echo fine')
        self.ok('run-once')
        started = time.monotonic()
        code, out, err = self.run_trigger('--now', at(MINUTE), 'run-once')
        elapsed = time.monotonic() - started
        self.assertEqual((code, out, err), (1, '', f"trigger: 'stubborn' (event 1-{NOW + MINUTE}): timed out after 1s{where(MINUTE)}\n"))
        self.assertGreaterEqual(elapsed, 10)  # SIGTERM at 1 s, SIGKILL 10 s later
        self.assertLess(elapsed, 30)
        outcomes = {r['trigger_name']: r['outcome'] for r in self.history() if r['outcome'] != 'edit'}
        self.assertEqual(outcomes, {'stubborn': 'timed_out', 'fine': 'succeeded'})
        with open(pid_file) as f:
            pid = int(f.read())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(f'/proc/{pid}/stat') as f:
                    if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                        break
            except FileNotFoundError:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            self.fail(f'the sleep it started (pid {pid}) survived')


class UserOptionByUnprivilegedTest(UnprivilegedTestCase):
    """--user from anyone but root (as root: the commands run as nobody, on nobody's database):
    refused with exit 77, nothing written; a --user trigger written into such a database by hand
    is never run, by its own pass or by root's."""

    def test_create_schedule_and_import_are_refused_77_and_write_nothing(self):
        why = "--user 'nobody': only root can run commands as another user"
        entry = {'name': 'u', 'clock': '--every 1h', 'action': "--sh 'id'", 'policy': {'user': 'nobody'}}
        with open(self.import_file, 'w') as f:
            f.write(json.dumps(entry) + '\n')
        self.fails_unchanged(77, why, [['create', '--every', '1m', '--user', 'nobody', '--sh', 'id'],
                                       ['schedule', 'a', '--user', 'nobody']])
        self.fails_unchanged(77, f"'{self.import_file}', line 1: {why}", [['import', self.import_file]])
        fresh = os.path.join(self.dir, 'fresh.db')
        self.fails(77, why, '--db', fresh, 'create', '--every', '1m', '--user', 'nobody', '--sh', 'id')
        self.assertFalse(os.path.exists(fresh))

    def test_a_user_trigger_written_by_hand_is_never_run(self):
        evidence = os.path.join(self.dir, 'ran')
        with sqlite3.connect(self.db) as connection:
            connection.execute("UPDATE trigger SET run_as_user = 'root', action_argv = ? WHERE name = 'a'",
                               (json.dumps([f'touch {evidence}']),))
        connection.close()
        code, _, err = self.run_trigger('--now', at(5 * MINUTE), 'run-once')
        why = "not run: --user 'root': only root can run commands as another user"
        self.assertEqual(code, 1)
        self.assertIn(why, err)
        failed = [r for r in self.history('a', '--failed')]
        self.assertEqual([(r['exit_status'], r['reason']) for r in failed], [(127, why)])
        self.assertFalse(os.path.exists(evidence))
        if IS_ROOT:  # root's pass refuses nobody's database whole
            self.unprivileged = False
            code, _, err = self.run_trigger('--now', at(6 * MINUTE), 'run-once')
            self.assertEqual(code, 77)
            self.assertFalse(os.path.exists(evidence))


class SecondUser:
    """The attacker: a second local user, created when missing. Only root can create it and run
    commands as it; otherwise the escalation tests are skipped, saying so."""
    _ids = None

    @classmethod
    def ids(cls):
        if cls._ids is None:
            if not IS_ROOT:
                raise unittest.SkipTest(f'the privilege escalations need root, to create a second local user '
                                        f'({ATTACKER}) and attack root\'s pass as it')
            if not shutil.which('setpriv'):
                raise unittest.SkipTest('setpriv is missing: cannot run commands as a second user')
            try:
                entry = pwd.getpwnam(ATTACKER)
            except KeyError:
                made = subprocess.run(['useradd', '--system', '--no-create-home', '--shell', '/usr/sbin/nologin',
                                       ATTACKER], capture_output=True, text=True)
                if made.returncode != 0:
                    raise unittest.SkipTest(f'cannot create the user {ATTACKER}: {made.stderr.strip()}')
                entry = pwd.getpwnam(ATTACKER)
            cls._ids = (entry.pw_uid, entry.pw_gid)
        return cls._ids


class EscalationTest(HostileTestCase):
    """Another local user tries to get a command run by root's pass. Each must be refused with
    exit 77 and run nothing: the command would write `self.evidence`."""

    def setUp(self):
        super().setUp()
        self.uid, self.gid = SecondUser.ids()
        os.chmod(self.dir, 0o755)  # the attacker may pass through
        self.evidence = os.path.join(self.dir, 'ran-as-root')

    def tearDown(self):
        os.chmod(self.dir, 0o700)
        super().tearDown()

    def attack(self, db, *args, env=None):
        """Run trigger as the attacker on `db`; require success; return stdout."""
        full_env = {k: v for k, v in dict(self.env, TRIGGER_DB=db, HOME='/', **(env or {})).items() if v is not None}
        process = subprocess.run(['setpriv', f'--reuid={self.uid}', f'--regid={self.gid}', '--init-groups', '--',
                                  Unprivileged.binary(), *args], env=full_env, capture_output=True, text=True,
                                 timeout=60)
        self.assertEqual((process.returncode, process.stderr), (0, ''), f'attacker: trigger {" ".join(args)}')
        return process.stdout

    def shared_database(self, mode=0o777):
        """A --log database in a directory of `mode`, its files writable by everyone."""
        shared = os.path.join(self.dir, 'shared')
        os.mkdir(shared)
        os.chmod(shared, mode)
        db = os.path.join(shared, 't.db')
        self.ok('--db', db, 'create', '--name', 'tick', '--every', '1s', '--log', 'tick', env={'TRIGGER_NOW': None})
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(db + suffix):
                os.chmod(db + suffix, 0o666)
        return db

    def refused(self, db, code, err, reason=None):
        self.assertEqual((code, err), (77, f"trigger: refusing to run commands from {reason or f'database {db!r}: mode 0666 lets others write it'}\n"))
        self.assertFalse(os.path.exists(self.evidence), 'the command ran as root')

    def test_a_done_command_trigger_in_a_shared_database(self):
        db = self.shared_database()
        self.ok('--db', db, '--now', at(MINUTE), 'run-once')  # --log work runs from anywhere
        self.attack(db, 'create', '--name', 'evil', '--every', '1h', '--sh', f'id > {self.evidence}')
        self.attack(db, 'fire', 'evil')
        [evil] = [json.loads(line) for line in self.attack(db, 'export', '--name', 'evil').splitlines()]
        evil['state'] = 'done'
        lines = os.path.join(os.path.dirname(db), 'evil.jsonl')
        with open(lines, 'w') as f:
            f.write(json.dumps(evil) + '\n')
        os.chmod(lines, 0o644)
        self.attack(db, 'import', lines)
        self.assertEqual([t['state'] for t in self.listed('--db', db, '--all', '--name', 'evil')], ['done'])
        self.refused(db, *self.run_trigger('--db', db, '--now', at(2 * MINUTE), 'run-once')[::2])

    def test_a_command_added_while_a_lingering_pass_runs(self):
        db = self.shared_database()
        real_time = {'TRIGGER_NOW': None}
        self.ok('--db', db, 'run-once', env=real_time)
        env = {k: v for k, v in self.env.items() if k != 'TRIGGER_NOW'}
        lingering = subprocess.Popen([BIN, '--db', db, 'run-once', '--linger', '--max-time', '8s'], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)  # the pass has checked the database, with --log actions only, and lingers
        self.attack(db, 'create', '--name', 'evil', '--every', '1h', '--sh', f'id > {self.evidence}', env=real_time)
        self.attack(db, 'fire', 'evil', env=real_time)
        out, err = lingering.communicate(timeout=30)
        self.refused(db, lingering.returncode, err)
        ticks = [r for r in self.history('--db', db, 'tick', env=real_time) if r['outcome'] == 'succeeded']
        self.assertTrue(ticks, 'the --log work of the pass was not done')

    def test_a_link_into_a_sticky_directory_with_a_planted_wal(self):
        public = os.path.join(self.dir, 'public')
        os.mkdir(public)
        os.chmod(public, 0o1777)
        home = os.path.join(self.dir, 'home')
        os.mkdir(home, 0o700)
        real, link = os.path.join(public, 't.db'), os.path.join(home, 't.db')
        self.ok('--db', real, 'create', '--name', 'backup', '--every', '1h', '--sh', f'touch {self.evidence}')
        self.ok('--db', real, 'fire', 'backup')
        for suffix in ('-wal', '-shm'):  # closed cleanly: the names are free for anyone to take
            if os.path.exists(real + suffix):
                os.remove(real + suffix)
        os.symlink(real, link)
        subprocess.run(['setpriv', f'--reuid={self.uid}', f'--regid={self.gid}', '--init-groups', '--', 'sh', '-c',
                        f'head -c 8192 /dev/urandom > {real}-wal'], check=True)
        code, _, err = self.run_trigger('--db', link, 'run-once')
        # SQLite, opening the database, may have reset the garbage -wal as root: then the directory
        # that let it be planted is what is refused.
        planted = f"database journal '{real}-wal': owned by uid {self.uid}, not by you or root"
        directory = f"database directory '{public}': mode 1777 lets others write it"
        self.refused(link, code, err, planted if planted in err else directory)

    def history(self, *args, env=None):
        return json.loads(self.ok('history', '--format', 'json', '--limit', '1000', *args, env=env))

    def listed(self, *args):
        return json.loads(self.ok('list', '--format', 'json', *args))


class ForeignFileTest(HostileTestCase):
    """Files that are not trigger's databases are refused, untouched, by every command."""

    def commands(self):
        lines = os.path.join(self.dir, 'import.jsonl')
        with open(lines, 'w') as f:
            f.write(json.dumps({'name': 'i', 'clock': '--every 1h', 'action': '--log i'}) + '\n')
        return [['list'], ['status'], ['show', 'x'], ['cancel', 'x'], ['fire', 'x'], ['run-once'],
                ['run-once', '--dry-run'], ['next', 'x'], ['gc'], ['export']]

    def test_another_applications_sqlite_file(self):
        with sqlite3.connect(self.db) as connection:
            connection.execute('CREATE TABLE users (name TEXT)')
            connection.execute("INSERT INTO users VALUES ('alice')")
        connection.close()
        creators = [['create', '--every', '1h', '--log', 'x'], ['import', os.path.join(self.dir, 'import.jsonl')]]
        self.fails_unchanged(74, f"database '{self.db}' is not a trigger database (it holds tables of another "
                             "application, such as 'users')", self.commands() + creators)

    def test_an_empty_file(self):
        open(self.db, 'w').close()
        self.fails_unchanged(74, f"database '{self.db}' is an empty file, not a trigger database (create or import "
                             "makes one)", self.commands())
        self.assertEqual(os.path.getsize(self.db), 0)
        self.assertEqual(sorted(os.listdir(self.dir)), ['import.jsonl', 't.db'])
        self.assertEqual(self.ok('create', '--every', '1h', '--log', 'x'), '1\n')


if __name__ == '__main__':
    unittest.main(verbosity=1)
