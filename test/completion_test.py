#!/usr/bin/env python3
"""completion/trigger.bash, driven directly: each case sources the script in a bare bash, sets
COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT as bash would, calls _trigger and reads COMPREPLY."""
import os
import subprocess
import tempfile
import unittest

BIN = os.environ['TRIGGER_BIN']
SCRIPT = os.path.join(os.environ['TRIGGER_SOURCE_ROOT'], 'completion', 'trigger.bash')
DRIVER = '''source "$1"; COMP_LINE=$2; shift 2
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_POINT=${#COMP_LINE}
_trigger; printf '%s\\n' "${COMPREPLY[@]}"'''


class CompletionTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory(prefix='trigger-completion-')
        self.dir = self._dir.name
        self.db = os.path.join(self.dir, 't.db')
        self.env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'HOME': self.dir,
                    'TZ': 'UTC', 'TRIGGER_DB': self.db}

    def tearDown(self):
        self._dir.cleanup()

    def complete(self, *words, cwd=None):
        """COMPREPLY for the line of `words`, the cursor at the end; '=' touches its neighbours
        (bash splits '--db=x' into '--db' '=' 'x')."""
        line = ' '.join([BIN, *words]).replace(' = ', '=')
        process = subprocess.run(['bash', '--norc', '--noprofile', '-c', DRIVER, 'driver', SCRIPT, line,
                                  BIN, *words], env=self.env, capture_output=True, text=True,
                                 timeout=60, cwd=cwd)
        self.assertEqual((process.returncode, process.stderr), (0, ''), words)
        return [line for line in process.stdout.split('\n') if line]

    def create(self, name, db=None):
        subprocess.run([BIN, '--db', db or self.db, 'create', '--name', name, '--every', '1h',
                        '--log', 'x'], env=self.env, check=True, capture_output=True)

    def test_command_prefix(self):
        self.assertEqual(self.complete('re'), ['resume', 'reset-failed'])
        self.assertEqual(self.complete('--db', 'x.db', 'pa'), ['pause'])

    def test_commands_are_those_of_trigger_help(self):
        listed = subprocess.run([BIN, 'help'], capture_output=True, text=True).stdout
        names = [line.split()[0] for line in listed.split('commands:\n')[1].split('\n\n')[0]
                 .splitlines()]
        self.assertEqual(self.complete(''), names)

    def test_options_of_a_command(self):
        self.assertEqual(self.complete('import', '--d'), ['--dry-run', '--db'])
        self.assertIn('--unset-env', self.complete('update', 'x', '--'))

    def test_trigger_names_from_trigger_db(self):
        self.create('backup')
        self.create('bark')
        self.create('other')
        self.assertEqual(self.complete('show', 'ba'), ['backup', 'bark'])
        self.assertEqual(self.complete('pause', 'backup', 'b'), ['backup', 'bark'])
        self.assertEqual(self.complete('schedule', 'x', ''), [])  # CLOCK, not a name

    def test_trigger_names_from_db_on_the_line(self):
        other = os.path.join(self.dir, 'other.db')
        self.create('elsewhere', db=other)
        self.assertEqual(self.complete('--db', other, 'fire', ''), ['elsewhere'])
        self.assertEqual(self.complete('--db', '=', other, 'fire', ''), ['elsewhere'])

    def test_zones(self):
        self.assertIn('Europe/Berlin', self.complete('create', '--tz', 'Europe/Be'))
        self.assertEqual(self.complete('next', '--tz', 'Europe/Berl'), ['Europe/Berlin'])
        self.assertEqual(self.complete('next', '--tz', 'posix'), [])
        self.assertEqual(self.complete('next', '--tz', 'zone'), [])

    def test_format_values_per_command(self):
        self.assertEqual(self.complete('pause', '--format', ''), ['table', 'json'])
        self.assertEqual(self.complete('status', '--format', '=', 'o'), ['openmetrics'])
        self.assertEqual(self.complete('list', '--format', ''), ['table', 'json', 'tsv'])

    def test_file_names(self):
        os.mkdir(os.path.join(self.dir, 'jobs.d'))
        open(os.path.join(self.dir, 'jobs.jsonl'), 'w').close()
        self.assertEqual(sorted(self.complete('import', 'jo', cwd=self.dir)),
                         ['jobs.d', 'jobs.jsonl'])
        self.assertEqual(self.complete('update', 'x', '--cwd', 'jo', cwd=self.dir), ['jobs.d'])
        self.assertEqual(sorted(self.complete('status', '--metrics-file', 'jobs.j', cwd=self.dir)),
                         ['jobs.jsonl'])

    def test_a_missing_database_is_not_created(self):
        missing = os.path.join(self.dir, 'none', 'x.db')
        self.assertEqual(self.complete('--db', missing, 'show', ''), [])
        self.assertEqual(self.complete('show', ''), [])
        self.assertEqual(os.listdir(self.dir), [])


if __name__ == '__main__':
    unittest.main()
