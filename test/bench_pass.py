#!/usr/bin/env python3
"""The pass at scale: what a user pays for trigger, measured end to end on the built binary.

For each size (10,000, 100,000 and 1,000,000 triggers by default) it builds databases of mixed
clocks with `trigger import`, then measures, with medians over --runs runs:

  import     triggers imported per second (one `trigger import` of the whole file)
  schedule   changed triggers scheduled per second (a pass over a database whose triggers all
             changed and none is due; the cursor is reset between runs)
  idle       an idle pass (nothing changed, nothing due): whole-process wall time, run
             alternately with `trigger --version`, and the ratio of the two medians
  fire       occurrences fired per second by a pass in which every trigger is due once, with
             --log actions, end to end into the history
  rss        peak resident memory of the idle pass and of the fire pass

and once: the overhead per task of `--sh true` actions beyond running `/bin/sh -c true`
directly (--jobs 1 and 2), and the same work done by APScheduler (python3-apscheduler with an
SQLAlchemy SQLite job store) when it is installed.

Run by `meson test -C build --benchmark` (or `tools/setup.sh bench`); TRIGGER_BENCH_SIZES and
TRIGGER_BENCH_RUNS change the sizes and the number of runs. Databases live in a temporary
directory beside the build (a real disk: commits pay for fsync, as they do for users).
"""

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get('TRIGGER_BIN', 'trigger')
T0 = 1796112000  # 2026-12-01T08:00:00Z: every database is built and scheduled at this time
ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']


def iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def mixed_line(i):
    """One trigger of a mix of clocks, none of them due at T0."""
    kind = i % 8
    zone = ZONES[i % len(ZONES)]
    if kind == 0:
        clock = f'--every {5 + i % 55}m --from {iso(T0 + 1 + i % 3600)}'
    elif kind == 1:
        clock = f'--every {1 + i % 23}h'
    elif kind == 2:
        clock = "--cron '*/5 * * * *'"
    elif kind == 3:
        clock = f"--cron '{i % 60} 9 * * 1-5'"
    elif kind == 4:
        clock = f'--daily {i % 24:02d}:{i % 60:02d}'
    elif kind == 5:
        clock = f'--monthly 2026-11-{1 + i % 28:02d}T06:00'
    elif kind == 6:
        clock = f"--cron '0 0 29 2 *'"
    else:
        clock = f'--at {iso(T0 + 86400 + i)}'
    return {'name': f't{i}', 'clock': clock, 'tz': zone, 'action': f"--log 'mixed {i}'",
            'policy': {'misfire': ['all', 'latest', 'skip'][i % 3]}}


def due_line(i):
    """A trigger due once a minute: at T0 + 60 every one of them fires once."""
    clock = "--every 1m" if i % 2 == 0 else "--cron '* * * * *'"
    return {'name': f'd{i}', 'clock': clock, 'tz': ZONES[i % len(ZONES)],
            'action': f"--log 'due {i}'"}


def write_jsonl(path, count, line):
    with open(path, 'w') as out:
        for i in range(count):
            out.write(json.dumps(line(i)) + '\n')


def run(args, db, now=None, check=True):
    """Run trigger; return (wall seconds, peak RSS in KiB). Timed around spawn and wait only."""
    env = dict(os.environ, TRIGGER_DB=db)
    env.pop('TRIGGER_NOW', None)
    if now is not None:
        env['TRIGGER_NOW'] = iso(now)
    argv = [BIN] + args
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        sys.exit(f'bench: {" ".join(argv)} exited {code}')
    return wall, usage.ru_maxrss


def run_stdin(args, db, path, now):
    env = dict(os.environ, TRIGGER_DB=db, TRIGGER_NOW=iso(now))
    with open(path) as data:
        start = time.perf_counter()
        subprocess.run([BIN] + args, env=env, stdin=data, check=True)
        return time.perf_counter() - start


def sql(db, statement):
    with sqlite3.connect(db) as connection:
        return connection.execute(statement).fetchall()


def median(values):
    return statistics.median(values)


class Bench:
    def __init__(self, root, runs, idle_runs):
        self.root = root
        self.runs = runs
        self.idle_runs = idle_runs
        self.rows = []

    def fresh_db(self, name):
        db = os.path.join(self.root, name + '.db')
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        return db

    def size(self, n):
        row = {'n': n}
        mixed = os.path.join(self.root, f'mixed-{n}.jsonl')
        write_jsonl(mixed, n, mixed_line)

        # import: a fresh database per run.
        times = []
        for _ in range(self.runs):
            db = self.fresh_db(f'mixed-{n}')
            times.append(run_stdin(['import', '-'], db, mixed, T0))
        row['import'] = n / median(times)

        # schedule: every trigger changed, none due. The cursor goes back to 0 between runs.
        times, rss = [], []
        for _ in range(self.runs):
            sql(db, "UPDATE counter SET value = 0 WHERE name = 'cursor'")
            wall, kib = run(['run-once'], db, T0)
            times.append(wall)
            rss.append(kib)
        row['schedule'] = n / median(times)
        row['schedule_rss'] = max(rss)
        assert sql(db, 'SELECT count(*) FROM trigger_event')[0][0] == n
        assert sql(db, 'SELECT count(*) FROM task')[0][0] == 0

        # idle: nothing changed, nothing due; alternately with --version.
        version, idle, rss = [], [], []
        for _ in range(self.idle_runs):
            version.append(run(['--version'], db)[0])
            wall, kib = run(['run-once'], db, T0)
            idle.append(wall)
            rss.append(kib)
        row['version_ms'] = median(version) * 1000
        row['idle_ms'] = median(idle) * 1000
        row['idle_ratio'] = row['idle_ms'] / row['version_ms']
        row['idle_rss'] = max(rss)
        assert sql(db, 'SELECT count(*) FROM task')[0][0] == 0

        # fire: every trigger due once a minute; each run is the next minute.
        due = os.path.join(self.root, f'due-{n}.jsonl')
        write_jsonl(due, n, due_line)
        db = self.fresh_db(f'due-{n}')
        run_stdin(['import', '-'], db, due, T0)
        run(['run-once'], db, T0)
        times, rss = [], []
        for minute in range(1, self.runs + 1):
            # --max-time: the whole pass, not the 50 s run-once gives itself by default.
            wall, kib = run(['run-once', '--max-time', '1h'], db, T0 + 60 * minute)
            times.append(wall)
            rss.append(kib)
        row['fire'] = n / median(times)
        row['fire_rss'] = max(rss)
        recorded = sql(db, "SELECT count(*) FROM history WHERE outcome = 'succeeded'")[0][0]
        assert recorded == n * self.runs, (recorded, n * self.runs)
        assert sql(db, 'SELECT count(*) FROM task')[0][0] == 0
        for name in (mixed, due):
            os.remove(name)
        for db_name in (f'mixed-{n}', f'due-{n}'):
            self.fresh_db(db_name)
        self.rows.append(row)
        return row

    def shell_overhead(self, tasks=200):
        """Per task: a pass running `--sh true` tasks, less an idle pass, less /bin/sh -c true."""
        figures = {}
        for jobs in (1, 2):
            direct = []
            for _ in range(self.runs):
                start = time.perf_counter()
                pending = []
                for _ in range(tasks):
                    pending.append(os.posix_spawn('/bin/sh', ['/bin/sh', '-c', 'true'], os.environ))
                    if len(pending) == jobs:
                        for pid in pending:
                            os.waitpid(pid, 0)
                        pending = []
                for pid in pending:
                    os.waitpid(pid, 0)
                direct.append((time.perf_counter() - start) / tasks)
            db = self.fresh_db(f'sh-{jobs}')
            lines = os.path.join(self.root, 'sh.jsonl')
            with open(lines, 'w') as out:
                for i in range(tasks):
                    out.write(json.dumps({'name': f's{i}', 'clock': '--every 1m',
                                          'action': "--sh 'true'"}) + '\n')
            run_stdin(['import', '-'], db, lines, T0)
            run(['run-once'], db, T0)
            passes, idles = [], []
            for minute in range(1, self.runs + 1):
                passes.append(run(['run-once', '--jobs', str(jobs)], db, T0 + 60 * minute)[0])
                idles.append(run(['run-once', '--jobs', str(jobs)], db, T0 + 60 * minute)[0])
            succeeded = sql(db, "SELECT count(*) FROM history WHERE outcome = 'succeeded'")[0][0]
            assert succeeded == tasks * self.runs, succeeded
            per_task = (median(passes) - median(idles)) / tasks
            figures[jobs] = {'direct_ms': median(direct) * 1000, 'task_ms': per_task * 1000,
                             'overhead_ms': (per_task - median(direct)) * 1000}
            self.fresh_db(f'sh-{jobs}')
        return figures

    def peer(self, jobs, due):
        """The APScheduler comparison's work done by trigger: import `jobs` interval triggers of
        which `due` are due at the next pass; fire those."""
        lines = os.path.join(self.root, 'peer.jsonl')
        with open(lines, 'w') as out:
            for i in range(jobs):
                every = '1m' if i < due else '1h'
                out.write(json.dumps({'name': f'p{i}', 'clock': f'--every {every}',
                                      'action': "--log 'job'"}) + '\n')
        adds, fires = [], []
        for _ in range(self.runs):
            db = self.fresh_db('peer')
            adds.append(run_stdin(['import', '-'], db, lines, T0))
            run(['run-once'], db, T0)
            fires.append(run(['run-once'], db, T0 + 60)[0])
            fired = sql(db, "SELECT count(*) FROM history WHERE outcome = 'succeeded'")[0][0]
            assert fired == due, fired
        os.remove(lines)
        self.fresh_db('peer')
        return {'add_per_s': jobs / median(adds), 'fire_s': median(fires)}


def apscheduler(jobs, due, directory):
    """Run the APScheduler side under Debian's python3 (its packages are not on other pythons)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bench_apscheduler.py')
    for python in ('/usr/bin/python3', sys.executable):
        probe = subprocess.run([python, '-c', 'import apscheduler, sqlalchemy'],
                               capture_output=True)
        if probe.returncode == 0:
            out = subprocess.run([python, script, str(jobs), str(due), directory], capture_output=True,
                                 text=True, check=True)
            return json.loads(out.stdout)
    return None


def cron_figures():
    bench = os.path.join(os.path.dirname(os.path.dirname(BIN)), 'test', 'bench_cron')
    if not os.path.exists(bench):
        return None
    return subprocess.run([bench], capture_output=True, text=True, check=True).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', default=os.environ.get('TRIGGER_BENCH_SIZES',
                                                          '10000,100000,1000000'))
    parser.add_argument('--runs', type=int, default=int(os.environ.get('TRIGGER_BENCH_RUNS', 3)))
    parser.add_argument('--idle-runs', type=int, default=41)
    parser.add_argument('--peer-jobs', type=int, default=100000)
    parser.add_argument('--peer-due', type=int, default=1000)
    parser.add_argument('--no-peer', action='store_true', help='skip APScheduler')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(',') if s]

    root = tempfile.mkdtemp(prefix='trigger-bench-', dir=os.environ.get('TRIGGER_BENCH_DIR'))
    try:
        bench = Bench(root, args.runs, args.idle_runs)
        print(f'trigger benchmark: {os.cpu_count()} cores, databases in {root}, '
              f'medians of {args.runs} runs ({args.idle_runs} for the idle pass)', flush=True)
        header = (f'{"triggers":>9} {"import/s":>9} {"schedule/s":>10} {"fire/s":>9} '
                  f'{"--version":>9} {"idle":>7} {"ratio":>5} {"idle RSS":>8} {"fire RSS":>8}')
        print(header)
        for n in sizes:
            r = bench.size(n)
            print(f'{n:>9,} {r["import"]:>9,.0f} {r["schedule"]:>10,.0f} {r["fire"]:>9,.0f} '
                  f'{r["version_ms"]:>7.2f}ms {r["idle_ms"]:>5.2f}ms {r["idle_ratio"]:>5.2f} '
                  f'{r["idle_rss"] / 1024:>6.1f}Mi {r["fire_rss"] / 1024:>6.1f}Mi', flush=True)
        if len(bench.rows) > 1:
            first, last = bench.rows[0], bench.rows[-1]
            growth = (last['idle_ms'] / first['idle_ms'] - 1) * 100
            print(f'idle pass growth from {first["n"]:,} to {last["n"]:,} triggers: {growth:+.1f}%')

        print('\n--sh true, per task (200 tasks per pass):')
        for jobs, f in bench.shell_overhead().items():
            print(f'  --jobs {jobs}: {f["task_ms"]:.2f} ms per task in a pass, '
                  f'{f["direct_ms"]:.2f} ms for /bin/sh -c true directly: '
                  f'overhead {f["overhead_ms"]:.2f} ms', flush=True)

        if not args.no_peer:
            print(f'\nthe same work as APScheduler: add {args.peer_jobs:,} interval jobs, '
                  f'fire {args.peer_due:,} due ones', flush=True)
            mine = bench.peer(args.peer_jobs, args.peer_due)
            theirs = apscheduler(args.peer_jobs, args.peer_due, root)
            print(f'  trigger:     {mine["add_per_s"]:>10,.0f} adds/s (one import), '
                  f'fires {args.peer_due:,} in {mine["fire_s"] * 1000:.0f} ms (one pass)')
            if theirs is None:
                print('  APScheduler: not installed (apt-get install python3-apscheduler '
                      'python3-sqlalchemy)')
            else:
                print(f'  APScheduler: {theirs["add_per_s"]:>10,.0f} adds/s (add_job), '
                      f'fires {args.peer_due:,} in {theirs["fire_s"] * 1000:.0f} ms')
                print(f'  ratio: adds {mine["add_per_s"] / theirs["add_per_s"]:,.0f}x, '
                      f'firing {theirs["fire_s"] / mine["fire_s"]:,.1f}x faster')

        figures = cron_figures()
        if figures:
            print('\nnext-time computation (bench_cron):')
            print(figures, end='')
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
