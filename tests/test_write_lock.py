"""SQLite writers of every process queue on one file lock (civic.db.WriteLock) instead of SQLite's
sleeping busy handler; a writer that cannot get the file lock in time still goes on and meets SQLite."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time

from sqlalchemy import text

from civic.db import WriteLock, make_engine, make_sessionmaker


def test_writers_of_two_engines_take_turns_without_errors(sqlite_url):
    first, second = make_engine(sqlite_url), make_engine(sqlite_url)
    holding = make_sessionmaker(first, write=True)()
    holding.execute(text("UPDATE core_generation SET counter = counter + 0"))  # BEGIN IMMEDIATE: both locks held
    done, errors = threading.Event(), []

    def other_writer():
        try:
            with make_sessionmaker(second, write=True)() as db:
                db.execute(text("INSERT INTO core_generation (scope, counter) VALUES ('lock-test', 1)"))
                db.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        done.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert not done.wait(0.3), "the second writer must wait for the first"
    holding.commit()
    holding.close()
    assert done.wait(10)
    thread.join()
    assert errors == []
    with make_sessionmaker(first)() as db:
        assert db.execute(text("SELECT counter FROM core_generation WHERE scope = 'lock-test'")).scalar() == 1
    first.dispose()
    second.dispose()


def test_the_file_lock_is_shared_with_other_processes(tmp_path):
    path = str(tmp_path / "civic.db")
    lock = WriteLock(path)
    lock.acquire()
    assert lock.held
    probe = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\n"
             "except BlockingIOError:\n    print('held')\n")
    assert subprocess.run([sys.executable, "-c", probe, path + "-writelock"], capture_output=True, text=True).stdout.strip() == "held"
    lock.release()
    assert subprocess.run([sys.executable, "-c", probe, path + "-writelock"], capture_output=True, text=True).stdout.strip() == "free"


def test_a_writer_that_cannot_get_the_file_lock_goes_on_after_its_time(tmp_path):
    path = str(tmp_path / "civic.db")
    other = os.open(path + "-writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(other, fcntl.LOCK_EX)
    lock = WriteLock(path, seconds=0.2)
    started = time.monotonic()
    lock.acquire()
    assert 0.2 <= time.monotonic() - started < 5
    assert not lock.held  # SQLite's busy timeout decides from here
    lock.release()
    assert lock.threads.acquire(blocking=False)  # the process lock was released with it
    lock.threads.release()
    os.close(other)


def test_in_memory_databases_have_no_file_lock():
    lock = WriteLock(None)
    lock.acquire()
    assert lock.path is None and not lock.held
    lock.release()


def test_the_lock_file_is_closed_with_its_engine(tmp_path):
    import gc

    path = str(tmp_path / "civic.db")
    lock = WriteLock(path)
    lock.acquire()
    lock.release()
    fd = lock.fd

    def points_at_the_lock_file() -> bool:
        try:
            return os.readlink(f"/proc/self/fd/{fd}") == path + "-writelock"
        except OSError:
            return False

    assert points_at_the_lock_file()
    del lock
    gc.collect()
    assert not points_at_the_lock_file()  # (the number may be reused, but not for this file)
