#!/usr/bin/env python3
"""Backlog benchmark: one catch-up trigger with N queued `--sh true` runs (--misfire all,
--every 1s, N seconds of outage), drained by `run-once --max-time 5s` passes while a writer
runs `trigger create` in a loop. Prints, per pass, its wall time, the runs it finished and
runs/s, and the writer's slowest command and any exit 75.

    test/bench_backlog.py [--trigger PATH] [--runs N] [--passes K]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

T0 = 1796112000  # 2026-12-01T08:00:00Z


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--trigger', default=os.path.join(os.path.dirname(__file__), '..', 'build', 'cmd', 'trigger'))
    parser.add_argument('--runs', type=int, default=100000)
    parser.add_argument('--passes', type=int, default=2)
    parser.add_argument('--max-time', default='5s')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir='/dev/shm' if os.access('/dev/shm', os.W_OK) else None) as d:
        os.chmod(d, 0o700)
        db = os.path.join(d, 't.db')
        env = dict(os.environ, TRIGGER_DB=db)

        def trigger(*argv, now=None):
            prefix = ['--now', '@' + str(now)] if now is not None else []
            return subprocess.run([args.trigger, *prefix, *argv], env=env, capture_output=True, text=True)

        def ran():
            out = subprocess.run(['sqlite3', db, "SELECT COUNT(*) FROM history WHERE outcome = 'succeeded'"],
                                 capture_output=True, text=True).stdout.strip()
            return int(out or 0)

        assert trigger('create', '--every', '1s', '--misfire', 'all', '--sh', 'true', now=T0).returncode == 0
        assert trigger('run-once', now=T0).returncode == 0
        now = T0 + args.runs
        stop = threading.Event()
        writes = []

        def writer():
            i = 0
            while not stop.is_set():
                begun = time.monotonic()
                result = trigger('create', '--at', '+1h', '--log', f'w{i}')
                writes.append((time.monotonic() - begun, result.returncode))
                i += 1
                time.sleep(0.05)

        thread = threading.Thread(target=writer)
        thread.start()
        for k in range(args.passes):
            before = ran()
            begun = time.monotonic()
            result = trigger('run-once', '--max-time', args.max_time, now=now)
            wall = time.monotonic() - begun
            done = ran() - before
            print(f'pass {k + 1}: exit {result.returncode}, {wall:.1f}s wall, {done} runs, '
                  f'{done / wall:.0f} runs/s', flush=True)
        stop.set()
        thread.join()
        slowest = max(w for w, _ in writes) if writes else 0
        busy = sum(1 for _, code in writes if code == 75)
        print(f'writer: {len(writes)} creates, slowest {slowest:.2f}s, {busy} exited 75')
        queued = subprocess.run(['sqlite3', db, 'SELECT COUNT(*) FROM task'], capture_output=True,
                                text=True).stdout.strip()
        print(f'still queued: {queued}')


if __name__ == '__main__':
    sys.exit(main())
