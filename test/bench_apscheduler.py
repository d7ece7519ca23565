#!/usr/bin/python3
"""The peer in bench_pass.py: APScheduler 3 with an SQLAlchemy SQLite job store (Debian's
python3-apscheduler and python3-sqlalchemy) doing the same work as trigger there.

    bench_apscheduler.py JOBS DUE [DIRECTORY]

adds JOBS interval jobs (add_job commits each one), DUE of them due now and the rest an hour
from now, then starts the scheduler and times how long it takes to run the DUE due ones. Prints
one JSON object: {"add_per_s": ..., "fire_s": ...}.
"""

import datetime
import json
import os
import sys
import tempfile
import threading
import time

from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

done = threading.Event()
lock = threading.Lock()
executed = 0
expected = 0


def job():
    """The action: nothing, as trigger's --log action writes only its history record."""


def on_executed(event):
    global executed
    with lock:
        executed += 1
        if executed == expected:
            done.set()


def main():
    global expected
    jobs, due = int(sys.argv[1]), int(sys.argv[2])
    expected = due
    root = tempfile.mkdtemp(prefix='apscheduler-bench-', dir=sys.argv[3] if len(sys.argv) > 3 else None)
    path = os.path.join(root, 'jobs.sqlite')
    scheduler = BackgroundScheduler(jobstores={'default': SQLAlchemyJobStore(url=f'sqlite:///{path}')})
    scheduler.add_listener(on_executed, EVENT_JOB_EXECUTED)
    scheduler.start(paused=True)  # jobs added now go straight to the store
    now = datetime.datetime.now(datetime.timezone.utc)
    start = time.perf_counter()
    for i in range(jobs):
        first = now if i < due else now + datetime.timedelta(hours=1)
        scheduler.add_job(job, 'interval', minutes=1 if i < due else 60, id=f'p{i}',
                          next_run_time=first, misfire_grace_time=None, coalesce=True)
    add_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scheduler.resume()
    if not done.wait(timeout=600):
        sys.exit(f'apscheduler bench: only {executed} of {due} jobs ran in 600 s')
    fire_seconds = time.perf_counter() - start
    scheduler.shutdown(wait=True)
    for name in os.listdir(root):
        os.remove(os.path.join(root, name))
    os.rmdir(root)
    print(json.dumps({'add_per_s': jobs / add_seconds, 'fire_s': fire_seconds}))


if __name__ == '__main__':
    main()
