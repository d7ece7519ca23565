#!/usr/bin/env python3
"""trigger import --crontab end to end (issue 12.4, trigger-cron(7)).

The fire times of imported crontab lines are checked against an oracle written here, not
trigger's code: a minute-by-minute simulation of Debian cron's main loop (cron.c of cron
3.0pl1: virtual time in local minutes, wildcard jobs run at the new time after a clock change,
fixed-time jobs run for each skipped minute right after it and not again in a repeated hour),
matching the five fields with cron's day-of-month / day-of-week rule, in Europe/Berlin via
Python's zoneinfo, across both daylight-saving changes of 2026.
"""
import datetime
import getpass
import json
import os
import re
import sys
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_test import BIN, TriggerTestCase  # noqa: E402

BERLIN = ZoneInfo('Europe/Berlin')

ISSUE_CRONTAB = r'''CRON_TZ=Europe/Berlin
PATH=/usr/local/bin:/usr/bin:/bin
MAILTO=ops@example.com
*/5 * * * *   /usr/local/bin/healthcheck >/dev/null 2>&1
0 2 * * *     /usr/local/bin/backup --full 2>&1 | logger -t backup
15 */4 * * 1-5 cd /srv/app && ./bin/sync-orders --since 4h
@reboot       /usr/local/bin/warm-cache
0 9 * * mon   [ "$(date +\%d)" -le 7 ] && /usr/local/bin/monthly-report
@hourly       /usr/bin/find /tmp -mtime +7 -delete
'''

# More lines whose daylight-saving handling differs between cron's two kinds of job.
DST_CRONTAB = '''CRON_TZ=Europe/Berlin
30 2 * * *      /bin/fixed-in-the-gap
*/10 2 * * *    /bin/wildcard-minute-in-the-gap
45 1-3 * * *    /bin/fixed-around-the-gap
0,30 * * * *    /bin/wildcard-hour
@daily          /bin/daily
5 2 * * sun     /bin/sunday-in-the-gap
'''

# The instants tested from: before each change for the daily lines, just before it for the
# frequent ones (2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET).
NOWS = ['2026-03-28T00:00:00+01:00', '2026-03-29T01:12:00+01:00',
        '2026-10-24T00:00:00+02:00', '2026-10-25T01:34:00+02:00']

MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
MACROS = {'@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *',
          '@weekly': '0 0 * * 0', '@daily': '0 0 * * *', '@midnight': '0 0 * * *',
          '@hourly': '0 * * * *'}


def field_values(text, low, high, names=None):
    values = set()
    for item in text.split(','):
        step = 1
        if '/' in item:
            item, step = item.split('/')
            step = int(step)
        number = lambda s: low + names.index(s.lower()) if names and s.isalpha() else int(s)
        if item == '*':
            first, last = low, high
        elif '-' in item:
            first, last = (number(s) for s in item.split('-'))
        else:
            first = last = number(item)
        values.update(range(first, last + 1, step))
    return values


class CronEntry:
    """One line as Debian cron's entry.c parses it."""

    def __init__(self, spec):
        fields = MACROS.get(spec, spec).split()
        self.minutes = field_values(fields[0], 0, 59)
        self.hours = field_values(fields[1], 0, 23)
        self.doms = field_values(fields[2], 1, 31)
        self.months = field_values(fields[3], 1, 12, MONTHS)
        self.dows = {d % 7 for d in field_values(fields[4], 0, 7, DAYS)}
        # entry.c: the star flags come from the first character; a macro sets the ones it sets.
        macro = spec.startswith('@')
        self.wild = spec == '@hourly' or (not macro and (fields[0][0] == '*' or fields[1][0] == '*'))
        self.dom_star = not macro and fields[2][0] == '*'
        self.dow_star = spec in ('@yearly', '@annually', '@monthly', '@weekly') or (
            not macro and fields[4][0] == '*')

    def matches(self, local_minute):
        tm = datetime.datetime.fromtimestamp(local_minute * 60, datetime.timezone.utc)
        dow = (tm.weekday() + 1) % 7
        if tm.minute not in self.minutes or tm.hour not in self.hours or tm.month not in self.months:
            return False
        if self.dom_star or self.dow_star:
            return tm.day in self.doms and dow in self.dows
        return tm.day in self.doms or dow in self.dows


def local_minute(epoch):
    offset = datetime.datetime.fromtimestamp(epoch, BERLIN).utcoffset().total_seconds()
    return int((epoch + offset) // 60)


def cron_runs(entry, start_epoch, count):
    """The instants at which Debian cron runs `entry` after `start_epoch` (cron.c's loop)."""
    runs = []
    epoch = start_epoch - start_epoch % 60
    virtual = local_minute(epoch)
    while len(runs) < count:
        epoch += 60
        running = local_minute(epoch)
        diff = running - virtual
        due = []  # (local minute, which kinds)
        if diff == 1:
            virtual = running
            due.append((virtual, 'both'))
        elif -180 < diff <= 0:  # the clock went back: wildcard jobs only, virtual time waits
            due.append((running, 'wild'))
        elif 0 < diff <= 5:
            due += [(v, 'both') for v in range(virtual + 1, running + 1)]
            virtual = running
        elif 5 < diff <= 180:  # the clock went forward: wildcard now, each missed fixed minute
            due.append((running, 'wild'))
            due += [(v, 'fixed') for v in range(virtual + 1, running + 1)]
            virtual = running
        else:
            virtual = running
            due.append((running, 'both'))
        for minute, kinds in due:
            kind_ok = kinds == 'both' or (kinds == 'wild') == entry.wild
            if kind_ok and entry.matches(minute):
                runs.append(epoch)
    return runs[:count]


def job_lines(crontab):
    """(line number, schedule, command) of each job line."""
    jobs = []
    for number, line in enumerate(crontab.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith('#') or '=' in line.split()[0]:
            continue
        words = line.split()
        n = 1 if words[0].startswith('@') else 5
        jobs.append((number, ' '.join(words[:n]), line.split(None, n)[n]))
    return jobs


def has_create_option(option):
    """Whether `trigger create` has `option` (the boot clock, run-as-user: other parts of issue 12)."""
    import subprocess
    out = subprocess.run([BIN, 'create', '--help'], capture_output=True, text=True).stdout
    return re.search(rf'(^|\s){re.escape(option)}\b', out) is not None



class CrontabTestCase(TriggerTestCase):
    def import_crontab(self, text, *args, now=None):
        env = {'TRIGGER_NOW': now} if now else None
        return self.run_trigger('import', '--crontab', *args, '-', stdin=text, env=env)

    def dry_run(self, text, *args):
        code, out, err = self.import_crontab(text, '--dry-run', *args)
        self.assertEqual(code, 0, err)
        return [json.loads(line) for line in out.splitlines()]


class FireTimesTest(CrontabTestCase):
    def compare(self, crontab, boot_lines=()):
        """Each job line's trigger fires when Debian cron would (@reboot lines: see below)."""
        jobs = [job for job in job_lines(crontab) if job[0] not in boot_lines]
        for now in NOWS:
            start = int(datetime.datetime.fromisoformat(now).timestamp())
            if os.path.exists(self.db):
                os.remove(self.db)
            code, out, err = self.import_crontab(crontab, now=now)
            self.assertEqual(code, 0, err)
            triggers = {t['name']: t for t in self.listed('--all') if t['clock'] != '--on-boot'}
            self.assertEqual(len(triggers), len(jobs))
            by_command = {}
            for name, trigger in triggers.items():
                by_command[trigger['action']] = name
            for number, schedule, command in jobs:
                with self.subTest(now=now, line=number, schedule=schedule):
                    [name] = [n for a, n in by_command.items() if command.split()[0].replace('\\%', '%') in a]
                    got = self.ok('next', name, '--count', '20', '--format', 'tsv', env={'TRIGGER_NOW': now})
                    epochs = [int(line.split('\t')[0]) for line in got.splitlines()]
                    self.assertEqual(epochs, cron_runs(CronEntry(schedule), start, 20))

    def test_the_issue_crontab_fires_when_debian_cron_would(self):
        self.compare(ISSUE_CRONTAB, boot_lines=(7,))

    def test_the_issue_crontabs_reboot_line_fires_once_after_a_changed_boot_id(self):
        code, out, err = self.import_crontab(ISSUE_CRONTAB)
        self.assertEqual(code, 0, err)
        [boot] = [t for t in self.listed('--all') if t['clock'] == '--on-boot']
        self.assertEqual(boot['action'], '--sh /usr/local/bin/warm-cache')

        def pass_in(boot, now):  # boot: "ID,TIME" (TRIGGER_BOOT)
            env = {'TRIGGER_NOW': now, 'TRIGGER_BOOT': boot}
            code, _, err = self.run_trigger('run-once', '--no-syslog', env=env)
            self.assertIn(code, (0, 1), err)  # 1: warm-cache is not installed here

        def runs():
            return [r for r in json.loads(self.ok('history', boot['name'], '--format', 'json',
                                                  '--limit', '100'))
                    if r['outcome'] not in ('edit', 'retried')]
        # Imported at 08:00, in the boot of 07:00: like cron's @reboot, it waits for the next.
        pass_in('boot-a,2026-12-01T07:00:00Z', '2026-12-01T08:05:00Z')
        pass_in('boot-a,2026-12-01T07:00:00Z', '2026-12-01T08:06:00Z')
        self.assertEqual(runs(), [])
        pass_in('boot-b,2026-12-01T08:30:00Z', '2026-12-01T09:00:00Z')  # a new boot id: once
        pass_in('boot-b,2026-12-01T08:30:00Z', '2026-12-01T09:01:00Z')
        pass_in('boot-b,2026-12-01T08:30:00Z', '2026-12-01T09:02:00Z')
        self.assertEqual(len(runs()), 1, runs())

    def test_lines_around_the_daylight_saving_changes_fire_when_debian_cron_would(self):
        self.compare(DST_CRONTAB)

    def test_the_oracle_knows_the_changes(self):
        """The oracle itself: a fixed 02:30 runs at 03:00 CEST on 29 March, once on 25 October."""
        start = int(datetime.datetime.fromisoformat('2026-03-28T12:00:00+01:00').timestamp())
        runs = cron_runs(CronEntry('30 2 * * *'), start, 1)
        self.assertEqual(datetime.datetime.fromtimestamp(runs[0], BERLIN).isoformat(),
                         '2026-03-29T03:00:00+02:00')
        start = int(datetime.datetime.fromisoformat('2026-10-25T01:00:00+02:00').timestamp())
        runs = cron_runs(CronEntry('*/30 2 * * *'), start, 4)
        self.assertEqual([datetime.datetime.fromtimestamp(r, BERLIN).isoformat() for r in runs],
                         ['2026-10-25T02:00:00+02:00', '2026-10-25T02:30:00+02:00',
                          '2026-10-25T02:00:00+01:00', '2026-10-25T02:30:00+01:00'])


class ConversionTest(CrontabTestCase):
    def test_dry_run_prints_the_json_lines_and_writes_nothing(self):
        lines = self.dry_run('CRON_TZ=Europe/Berlin\nMAILTO=""\n15 */4 * * 1-5 cd /srv/app && ./bin/sync-orders\n')
        self.assertEqual(lines, [{
            'name': lines[0]['name'], 'clock': "--cron '15 */4 * * 1-5'", 'tz': 'Europe/Berlin',
            'action': "--sh 'cd /srv/app && ./bin/sync-orders'",
            'env': ['CRON_TZ=Europe/Berlin', 'MAILTO='], 'cwd': lines[0]['cwd'],
            'policy': {'dst': 'literal'}, 'labels': {'source': 'crontab'}}])
        self.assertRegex(lines[0]['name'], r'^sync-orders-[0-9a-f]{6}$')
        self.assertFalse(os.path.exists(self.db))
        # What it prints imports as it is.
        self.ok('import', '-', stdin=json.dumps(lines[0]) + '\n')

    def test_prune_keeps_a_database_in_step_with_the_crontab_and_its_dry_run_says_how(self):
        crontab = '0 1 * * * /usr/bin/backup\n0 2 * * * /usr/bin/rotate\n'
        self.assertEqual(self.import_crontab(crontab)[0], 0)
        self.create('--name', 'mine', '--every', '1h', '--log', 'not from a crontab')
        names = {t['name'] for t in self.listed()}
        smaller = '0 1 * * * /usr/bin/backup\n'
        before = self.snapshot()
        code, out, err = self.import_crontab(smaller, '--prune', '--label', 'source=crontab',
                                             '--dry-run', '--format', 'json')
        self.assertEqual((code, err), (0, ''))
        plan = json.loads(out)
        self.assertEqual((plan['unchanged'], plan['pruned']), (1, 1))
        [pruned] = [t for t in plan['triggers'] if t['outcome'] == 'cancelled']
        self.assertTrue(pruned['name'].startswith('rotate-'), plan)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.import_crontab(smaller, '--prune', '--label', 'source=crontab')[0], 0)
        self.assertEqual({t['name'] for t in self.listed()}, names - {pruned['name']})

    def test_names_are_unique_and_stable_on_reimport(self):
        crontab = '0 1 * * * /usr/bin/backup\n0 2 * * * /usr/bin/backup\n0 3 * * * /usr/bin/backup --full\n'
        names = [line['name'] for line in self.dry_run(crontab)]
        self.assertEqual(len(set(names)), 3)
        self.assertEqual(names[1], names[0] + '-2')
        self.assertTrue(all(n.startswith('backup-') for n in names))
        self.assertEqual(names, [line['name'] for line in self.dry_run(crontab)])
        code, _, err = self.import_crontab(crontab, '-v')
        self.assertIn('3 created, 0 updated', err)
        code, _, err = self.import_crontab(crontab, '-v')
        self.assertIn('0 created, 0 updated, 3 unchanged', err)
        self.assertEqual(sorted(t['name'] for t in self.listed()), sorted(names))
        # A changed schedule keeps the name: the trigger is updated, not doubled.
        self.import_crontab(crontab.replace('0 3 * * *', '30 3 * * *'))
        self.assertEqual(len(self.listed()), 3)

    def test_variables_become_the_environment_shell_and_directory(self):
        [line] = self.dry_run('FOO = "  spaced  "\nHOME=/srv\nLOGNAME=nobody\n'
                              'SHELL=/bin/bash\n@daily echo $FOO\n')
        self.assertEqual(line['env'], ['FOO=  spaced  ', 'HOME=/srv', 'SHELL=/bin/bash'])
        self.assertEqual(line['action'], "-- /bin/bash -c 'echo $FOO'")
        self.assertEqual(line['cwd'], '/srv')
        self.assertNotIn('tz', line)
        [later] = self.dry_run('@daily early\nFOO=bar\n')
        self.assertEqual(later['env'], [])  # a variable counts for the lines below it

    def test_cron_tz_and_tz_give_the_zone(self):
        code, out, err = self.import_crontab('TZ=America/New_York\n0 9 * * * report\n', '--dry-run')
        line = json.loads(out)
        self.assertEqual((line['tz'], line['env']), ('America/New_York', ['TZ=America/New_York']))
        self.assertEqual(err, "trigger: standard input, line 1: TZ=America/New_York is the zone of "
                              "the jobs below, as CRON_TZ would be: Debian's cron ran them in the "
                              "system zone (give CRON_TZ to say so plainly)\n")
        [line] = self.dry_run('TZ=America/New_York\nCRON_TZ=Asia/Tokyo\n0 9 * * * report\n')
        self.assertEqual(line['tz'], 'Asia/Tokyo')

    def test_macros(self):
        crontab = ''.join(f'{m} /bin/job{i}\n' for i, m in enumerate(MACROS))
        lines = self.dry_run(crontab)
        self.assertEqual([l['clock'] for l in lines], [f'--cron {m}' for m in MACROS])
        self.assertEqual([l['policy'] for l in lines], [{}] * len(MACROS))

    def test_mailto_without_a_mail_command_warns_and_imports(self):
        if os.path.exists('/usr/bin/mail') or os.path.exists('/usr/sbin/sendmail'):
            [line] = self.dry_run('MAILTO=ops@example.com\n@daily job\n')
            self.assertIn('ops@example.com', line['policy']['on-failure-sh'])
            return
        code, out, err = self.import_crontab('MAILTO=ops@example.com\n@daily job\n', '--dry-run')
        self.assertEqual(code, 0)
        self.assertNotIn('on-failure-sh', json.loads(out)['policy'])
        self.assertEqual(err, 'trigger: standard input, line 1: MAILTO=ops@example.com sends no '
                              'mail: neither /usr/bin/mail nor /usr/sbin/sendmail is installed; '
                              'run-once still reports each failed run on standard error, which '
                              'cron mails to you\n')
        code, out, err = self.import_crontab('MAILTO=""\n@daily job\n', '--dry-run')
        self.assertEqual((code, err), (0, ''))

    def test_percent_gives_standard_input_and_backslash_percent_a_percent(self):
        out1, out2 = os.path.join(self.dir, 'out1'), os.path.join(self.dir, 'out2')
        crontab = (f"* * * * * printf '\\%s-' a > {out1}; cat > {out2}%in 1%in\\%2\n")
        self.assertEqual(self.import_crontab(crontab)[0], 0)
        [trigger] = self.listed()
        self.ok('fire', trigger['name'])
        self.ok('run-once')
        with open(out1) as f:
            self.assertEqual(f.read(), 'a-')
        with open(out2) as f:
            self.assertEqual(f.read(), 'in 1\nin%2\n')

    def test_a_job_runs_with_its_shell_directory_and_environment(self):
        out = os.path.join(self.dir, 'out')
        work = os.path.join(self.dir, 'work')
        os.mkdir(work)
        crontab = (f'SHELL=/bin/bash\nHOME={work}\nGREETING = "hello  there"\nLOGNAME=mallory\n'
                   f'@daily echo "${{BASH_VERSION:+bash}} $PWD $GREETING $LOGNAME" > {out}\n')
        self.assertEqual(self.import_crontab(crontab)[0], 0)
        [trigger] = self.listed()
        self.ok('fire', trigger['name'])
        self.ok('run-once', env={'LOGNAME': 'alice'})
        with open(out) as f:
            self.assertEqual(f.read(), f'bash {work} hello  there alice\n')

    def test_system_format_takes_the_user_field(self):
        me = getpass.getuser()
        [line] = self.dry_run(f'17 * * * * {me} run-parts /etc/cron.hourly\n', '--system')
        self.assertEqual(line['action'], "--sh 'run-parts /etc/cron.hourly'")
        self.assertNotIn('user', line['policy'])
        other = 'nobody' if me != 'nobody' else 'root'
        code, out, err = self.import_crontab(f'# x\n@daily {other} id\n', '--system', '--dry-run')
        if has_create_option('--user'):  # run-as-user exists: the job runs as that user
            self.assertEqual(json.loads(out)['policy']['user'], other)
            return
        self.assertEqual((code, out), (65, ''))
        self.assertIn(f"line 2: the job runs as '{other}'", err)

    def test_refusals_name_the_line_and_write_nothing(self):
        cases = [
            ('61 * * * * x\n', "line 1: bad minute '61'"),
            ('# c\n0 0-23 * * * x\nCRON_TZ=Europe/Berlin\n', None),
            ('CRON_TZ=Europe/Berlin\n0 0-23 * * * x\n',
             "line 2: a fixed-time job that matches 2 times in the hour skipped on 2027-03-28 in "
             "Europe/Berlin: Debian cron runs it that often after the change, trigger once"),
            ('0,30 2 * * * x\n', None),
            ('CRON_TZ=Europe/Berlin\n0,30 2 * * * x\n', 'line 2: a fixed-time job that matches 2'),
            ('@Daily x\n', "line 1: unknown macro '@Daily'"),
            ('FOO=\n', "line 1: 'FOO=' gives no value"),
            ('FOO=a # b\n', "line 1: a '#' in the value of FOO"),
            ('CRON_TZ=Mars/Olympus\n', "line 1: CRON_TZ 'Mars/Olympus' is no IANA zone"),
            ('0 0 * * 1-0 x\n', "line 1: bad day-of-week '1-0'"),
            ('0 0 * * * * x\n', "line 1: the command starts with '*'"),
            ('0 0 * *\n', 'line 1: fewer than five time fields'),
            ('0 0 30 2 * x\n', 'line 1: '),
            (b'@daily echo \xff\n', 'line 1: not valid UTF-8'),
        ]
        for crontab, message in cases:
            with self.subTest(crontab=crontab):
                where = 'standard input'
                if isinstance(crontab, bytes):  # not text: from a file
                    where = os.path.join(self.dir, 'crontab.bin')
                    with open(where, 'wb') as f:
                        f.write(crontab)
                    code, out, err = self.run_trigger('import', '--crontab', where)
                    where = f"'{where}'"
                else:
                    code, out, err = self.import_crontab(crontab, now='2026-12-01T08:00:00Z')
                if message is None:
                    self.assertEqual(code, 0, err)
                    os.remove(self.db)
                    continue
                self.assertEqual((code, out), (65, ''), err)
                self.assertTrue(err.startswith(f'trigger: {where}, ' + message), err)
                self.assertEqual(len(err.splitlines()), 1)
                self.assertFalse(os.path.exists(self.db))

    def test_without_a_file_it_reads_crontab_l(self):
        bin_dir = os.path.join(self.dir, 'bin')
        os.mkdir(bin_dir)
        fake = os.path.join(bin_dir, 'crontab')
        with open(fake, 'w') as f:
            f.write('#!/bin/sh\n[ "$1" = -l ] || exit 2\n[ -e "$0.none" ] && { echo "no crontab" >&2; exit 1; }\n'
                    'echo "@daily /usr/bin/backup"\n')
        os.chmod(fake, 0o755)
        path = bin_dir + ':' + self.env['PATH']
        code, out, err = self.run_trigger('import', '--crontab', '--dry-run', env={'PATH': path})
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(json.loads(out)['clock'], '--cron @daily')
        open(fake + '.none', 'w').close()
        self.fails(66, "'crontab -l' failed: no crontab of yours to read (give FILE)",
                   'import', '--crontab', env={'PATH': path})
        self.assertFalse(os.path.exists(self.db))

    def test_a_refusal_leaves_an_existing_database_as_it_was(self):
        self.assertEqual(self.import_crontab('@daily /usr/bin/backup\n')[0], 0)
        before = self.snapshot()
        code, out, err = self.import_crontab('@daily /usr/bin/backup --full\n@weekly x\n0 25 * * * y\n')
        self.assertEqual((code, out), (65, ''))
        self.assertEqual(err, "trigger: standard input, line 3: bad hour '25' (Debian cron takes "
                              "numbers 0-23, '*', ranges a-b, steps /n and lists)\n")
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(len(self.listed()), 1)

    def test_options(self):
        self.fails(64, '--system needs --crontab', 'import', '--system', 'x')
        self.fails(66, "cannot open '/nonexistent': No such file or directory",
                   'import', '--crontab', '/nonexistent')


if __name__ == '__main__':
    unittest.main(verbosity=1)
