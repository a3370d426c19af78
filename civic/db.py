"""Declarative base, engine with SQLite pragmas, and the one way to get a session."""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
import weakref
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stored in UTC; SQLite forgets the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            # As many pooled connections as request threads (anyio's 40): with fewer, each overflow
            # connection is opened (pragmas and all) and closed again per request under load.
            kwargs.setdefault("pool_size", 40)
            kwargs.setdefault("max_overflow", 10)
        # Let SQLAlchemy leave BEGIN to us so that writers take the lock up front (BEGIN IMMEDIATE)
        # instead of failing with "database is locked" on upgrade from a read transaction.
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        # Writers queue on a lock before asking SQLite for its write lock: SQLite's busy handler polls with
        # growing sleeps (up to 100 ms), which under load turns a queue of writers into seconds of latency; a
        # lock hands over at once. Threads of this process queue on a Python lock, processes (uvicorn
        # workers) on an flock of a file beside the database, which the kernel releases if a process dies.
        write_lock = _WRITE_LOCKS[engine.pool] = WriteLock(_database_path(url))

        @event.listens_for(engine, "begin")
        def _begin(conn):
            write = conn.get_execution_options().get("civic_write")
            if not write:
                # A deferred BEGIN takes no lock and cannot be busy: straight to the driver, without the
                # statement machinery (events, a result object) every read request would otherwise pay for it.
                conn.connection.driver_connection.execute("BEGIN")
                return
            if write == "held":  # the caller holds the write lock already (see write_lock_of)
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            write_lock.acquire()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                write_lock.release()
                raise
            conn.info["civic_write_lock"] = True

        def _release(conn):
            if conn.info.pop("civic_write_lock", False):
                write_lock.release()

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)
        _track(engine)
        return engine
    kwargs.setdefault("pool_size", 30)  # see above; opening a PostgreSQL connection costs milliseconds
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    _track(engine)
    return engine


_WRITE_LOCKS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def write_lock_of(bind) -> "WriteLock | None":
    """The write lock of a SQLite engine (or of an engine with options made from it); None for PostgreSQL.
    Whoever takes it with `try_acquire` writes through `execution_options(civic_write="held")`."""
    return _WRITE_LOCKS.get(bind.pool)


class WriteLock:
    """The process's Python lock, then (for a database file) an exclusive flock shared by every process.

    The flock is tried in short steps rather than waited for: a writer of another engine of this process
    on the same file (a test's own session beside the app's) would otherwise wait for ever; after
    `seconds` the writer goes on without it and meets SQLite's own busy timeout, as without this lock."""

    def __init__(self, database: str | None, seconds: float = 30):
        self.threads = threading.Lock()
        self.path = database + "-writelock" if database else None
        self.seconds = seconds
        self.fd: int | None = None
        self.held = False

    def acquire(self) -> None:
        self.threads.acquire()
        if self.path is None:
            return
        try:
            self._open()
            self.held = self._flock()
        except BaseException:
            self.threads.release()
            raise

    def try_acquire(self) -> bool:
        """Both locks if they are free right now, else neither (for a caller that must not wait: the event loop)."""
        if not self.threads.acquire(blocking=False):
            return False
        if self.path is None:
            return True
        try:
            self._open()
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.threads.release()
            return False
        except BaseException:
            self.threads.release()
            raise
        self.held = True
        return True

    def _open(self) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self.fd)  # closed with its engine (tests make thousands)

    def _flock(self) -> bool:
        deadline, pause = time.monotonic() + self.seconds, 0.00005
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.0005)

    def release(self) -> None:
        try:
            if self.held:
                self.held = False
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


def _database_path(url: str) -> str | None:
    """The file of a SQLite URL, None for an in-memory database."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return None if not database or database == ":memory:" or database.startswith("file:") else database


def _track(engine: Engine) -> None:
    """Committed writes bump the page cache's generations (see civic.pagecache)."""
    from civic.pagecache import track_writes

    track_writes(engine)


def make_sessionmaker(engine: Engine, *, write: bool = False, reads: bool = False) -> sessionmaker[Session]:
    """Write sessions take SQLite's write lock at BEGIN, so two writers queue instead of deadlocking.

    `reads`: sessions that only read (the web's pages and a ballot's checks). On PostgreSQL they run without a
    transaction (autocommit): each statement sees its own snapshot, exactly as under READ COMMITTED inside
    one, and a request saves the BEGIN and ROLLBACK round trips (two of a cast's six). A write through them
    would commit statement by statement: the tests refuse one (`civic_reads`, tests/conftest.py)."""
    if write:
        bind = engine.execution_options(civic_write=True)
    elif reads and engine.dialect.name == "postgresql":
        bind = engine.execution_options(isolation_level="AUTOCOMMIT", civic_reads=True)
    else:
        bind = engine
    return sessionmaker(bind, expire_on_commit=False)
