#!/usr/bin/env python3
"""The manual pages tell the truth.

- Each command's `--help` usage is its man page SYNOPSIS (git's t0450-txt-doc-vs-help.sh).
- Every page is clean under `mandoc -Tlint -Wwarning`.
- Every EXAMPLES block runs: in `.Bd -literal` blocks, a line starting with "$ " is a command,
  run with `sh -c` with the built trigger first on PATH, a fresh database per page,
  TRIGGER_NOW=2026-12-01T08:00:00Z and TZ=UTC; the lines after it, up to the next command or the
  end of the block, are its exact output (stdout and stderr merged). A line "..." stands for any
  further output. A command may fail only if its output starts with "trigger: ".
- Edit records name who made them: the pages show the user as alice, uid 1000. Run as anyone
  else, the outputs are read with the runner's name and uid as alice's, and the tables of
  `trigger history` with their columns' spacing collapsed (a name of another length moves them).
"""
import glob
import pwd
import os
import socket
import re
import shutil
import subprocess
import tempfile
import unittest

BIN = os.path.abspath(os.environ.get('TRIGGER_BIN', 'build/cmd/trigger'))
ROOT = os.environ.get('TRIGGER_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..'))
MAN = os.path.join(ROOT, 'man')
PAGES = sorted(glob.glob(os.path.join(MAN, '*.[1-9]')))
MANDOC = shutil.which('mandoc')


def render(page):
    text = subprocess.run([MANDOC, '-Tascii', '-Owidth=400', page], capture_output=True, text=True,
                          check=True).stdout
    return re.sub('.\b', '', text)  # drop overstrike (bold and underline)


def section(rendered, name):
    lines = rendered.splitlines()
    start = lines.index(name) + 1
    end = next((i for i in range(start, len(lines)) if re.match(r'^[A-Z]', lines[i])), len(lines))
    return lines[start:end]


def collapse(text):
    return ' '.join(text.split())


def unescape(line):
    for escape, plain in ((r'\e', '\\'), (r'\-', '-'), (r'\&', ''), (r'\(aq', "'"), (r'\(dq', '"'),
                          (r'\(ti', '~'), (r'\(ha', '^'), (r'\(ga', '`')):
        line = line.replace(escape, plain)
    return line


def literal_blocks(page, name):
    """The literal blocks of section `name`, as lists of lines."""
    with open(page, encoding='utf-8') as f:
        source = f.read().splitlines()
    blocks, block, in_section = [], None, False
    for line in source:
        if line.startswith('.Sh '):
            in_section = line.strip() == '.Sh ' + name
        elif in_section and line.startswith('.Bd') and '-literal' in line:
            block = []
        elif block is not None and line.startswith('.Ed'):
            blocks.append(block)
            block = None
        elif block is not None:
            block.append(unescape(line))
    return blocks


ME = pwd.getpwuid(os.getuid()).pw_name
UID = os.getuid()


def as_alice(command, lines, expected):
    """`lines` and `expected` as run by alice (uid 1000), the user the pages show."""
    lines = [line.replace(f'{ME} (uid {UID}', 'alice (uid 1000') for line in lines]
    if (ME, UID) == ('alice', 1000) or 'history' not in command:
        return lines, expected
    collapse_columns = lambda line: re.sub(r'  +', '  ', line)
    lines = [collapse_columns(re.sub(rf'(?<=  ){re.escape(ME)}(?=  )', 'alice', line)) for line in lines]
    return lines, [collapse_columns(line) for line in expected]


def example_blocks(page):
    """The literal blocks of the EXAMPLES section, as lists of lines."""
    return literal_blocks(page, 'EXAMPLES')


@unittest.skipIf(MANDOC is None, 'mandoc is not installed')
class ManPageTest(unittest.TestCase):
    def test_there_is_a_page_for_every_command(self):
        names = {os.path.basename(p) for p in PAGES}
        for command in self.commands():
            self.assertIn(f'trigger-{command}.1', names)
        self.assertIn('trigger.1', names)
        self.assertIn('trigger-clock.7', names)

    def commands(self):
        out = subprocess.run([BIN, 'help'], capture_output=True, text=True, check=True).stdout
        return re.findall(r'^  (\S+)', out, re.MULTILINE)

    def test_lint_clean(self):
        result = subprocess.run([MANDOC, '-Tlint', '-Wwarning', *PAGES], capture_output=True, text=True)
        self.assertEqual(result.stdout + result.stderr, '')

    def test_help_usage_is_the_synopsis(self):
        for command in self.commands():
            with self.subTest(command=command):
                help_text = subprocess.run([BIN, command, '--help'], capture_output=True, text=True,
                                           check=True).stdout
                usage = help_text.split('\n\n')[0]
                self.assertTrue(usage.startswith('usage: '))
                synopsis = section(render(os.path.join(MAN, f'trigger-{command}.1')), 'SYNOPSIS')
                self.assertEqual(collapse('\n'.join(synopsis)), collapse(usage[len('usage: '):]))

    @unittest.skipIf(shutil.which('promtool') is None, 'promtool is not installed')
    def test_the_alerting_rules_are_valid(self):
        """trigger-operations(7) says its Prometheus rules are as promtool checks them."""
        page = os.path.join(MAN, 'trigger-operations.7')
        [rules] = [b for b in literal_blocks(page, 'METRICS') if b and b[0] == 'groups:']
        with tempfile.TemporaryDirectory(prefix='trigger-man-') as directory:
            path = os.path.join(directory, 'rules.yml')
            with open(path, 'w', encoding='utf-8') as f:
                f.write('\n'.join(rules) + '\n')
            result = subprocess.run(['promtool', 'check', 'rules', path], capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn('SUCCESS: 4 rules found', result.stdout)

    def test_examples_run_as_shown(self):
        for page in PAGES:
            with self.subTest(page=os.path.basename(page)):
                blocks = example_blocks(page)
                self.assertTrue(blocks, 'no EXAMPLES block')
                with tempfile.TemporaryDirectory(prefix='trigger-man-') as directory:
                    bin_dir = os.path.join(directory, 'bin')
                    os.mkdir(bin_dir)
                    os.symlink(BIN, os.path.join(bin_dir, 'trigger'))
                    env = {'PATH': bin_dir + ':/usr/bin:/bin', 'HOME': directory, 'TZ': 'UTC',
                           'TRIGGER_NOW': '2026-12-01T08:00:00Z',
                           'TRIGGER_DB': os.path.join(directory, 'trigger.db'),
                           'TRIGGER_SYSLOG_SOCKET': os.path.join(directory, 'syslog')}  # nobody's
                    for block in blocks:
                        self.run_block(block, env, directory)

    def run_block(self, block, env, directory):
        commands = []
        for line in block:
            if line.startswith('$ '):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
        self.assertTrue(commands, f'a literal block with no command: {block}')
        for command, expected in commands:
            result = subprocess.run(['sh', '-c', command], cwd=directory, env=env, capture_output=True,
                                    text=True, timeout=60)
            output = result.stdout + result.stderr
            # Failure reports name the host: the pages show it as "myhost".
            output = output.replace(f' (on {socket.gethostname()} at ', ' (on myhost at ')
            lines = output.splitlines()
            # -v names the database first, a temporary path here: the pages leave that line out.
            if not any(line.startswith('trigger: database ') for line in expected):
                lines = [line for line in lines if not line.startswith('trigger: database ')]
            lines, expected = as_alice(command, lines, expected)
            if '...' in expected:
                cut = expected.index('...')
                self.assertEqual(lines[:cut], expected[:cut], command)
            else:
                self.assertEqual(lines, expected, command)
            if result.returncode != 0:
                self.assertTrue(output.startswith('trigger: '), f'{command} exited {result.returncode}')


if __name__ == '__main__':
    unittest.main(verbosity=1)
