"""Group commit for online ballots.

SQLite (and PostgreSQL) pay one fsync per committed transaction; one ballot per transaction caps a
polling-day server at the disk's fsync rate and makes 32 waiting voters queue for it. Here a request
checks its ballot on its own (read-only) and hands the prepared cast to its process's writer, which
writes every cast waiting at that moment in ONE transaction, one statement per table — a batch the
marks' key refuses is written again cast by cast, so a second ballot of the same voter fails alone —
and answers each request only after the commit returned. A tracking code is never shown for a ballot
that is not durably stored.

A web request waits for its cast on the event loop (`CastQueue.wait`), never in a thread, and the loop is
also the writer: on SQLite's own connection, or on psycopg's asynchronous one (see CastQueue).
"""
from __future__ import annotations

import asyncio
import json
import queue
import random
import sqlite3
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

import psycopg

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from civic.db import write_lock_of

MAX_BATCH = 128
WAIT_SECONDS = 60
RETRY_SECONDS = 0.0005  # the event loop's next try for the write lock another writer holds


@dataclass
class Cast:
    """A validated online ballot, ready to be written: who (roll entry), what (canonical JSON), receipt."""

    round_id: int
    roll_entry_id: int
    content: str
    tracking_code: str
    day: object
    outcome: str = ""  # "" while waiting; then ok | duplicate | closed | failed
    done: threading.Event = field(default_factory=threading.Event)
    waiter: tuple | None = None  # (event loop, future) of a request awaiting it (CastQueue.wait)

    def settle(self) -> None:
        """Tells whoever waits that the outcome is known (called by the writer, after the commit)."""
        self.done.set()
        if self.waiter is not None:
            loop, future = self.waiter
            try:
                loop.call_soon_threadsafe(_resolve, future, self.outcome)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass


def _resolve(future: asyncio.Future, outcome: str) -> None:
    if not future.done():  # a request cancelled while waiting (the client went away) has no one to tell
        future.set_result(outcome)


def write_casts(db: Session, casts: list[Cast], *, one_by_one: bool = False) -> None:
    """Writes casts of one round in the caller's transaction (the caller commits).

    The batch is written with one statement per table (executemany) after one look at the roll marks,
    under the round's lock, so no other writer can mark one of these voters in between. Should the marks'
    primary key still refuse the batch, IntegrityError reaches the caller, whose transaction is then lost:
    it writes the batch again `one_by_one`, each cast in its own savepoint, so only the second ballot of a
    voter fails. (A savepoint around every batch cost two more statements — round trips on PostgreSQL —
    while the round's lock was held.)"""
    state = lock_round(db, casts[0].round_id)
    if state["status"] != "open":
        for cast in casts:
            cast.outcome = "closed"
        return
    wanted = {cast.roll_entry_id for cast in casts}
    fresh = _not_voted(casts, db.connection().execute(_voted_statement(), {"round_id": casts[0].round_id, "entries": list(wanted)}).scalars())
    if not one_by_one:
        if fresh:
            insert_batch(db, state, fresh)
        return
    for cast in fresh:
        try:
            with db.begin_nested():
                insert_batch(db, state, [cast])
        except IntegrityError:
            cast.outcome = "duplicate"


def _not_voted(casts: list[Cast], voted) -> list[Cast]:
    """The casts to write: not of a voter marked already (`voted`), nor a voter's second in the batch (the
    first one counts); the others are marked duplicates."""
    voted, fresh = set(voted), []
    for cast in casts:
        if cast.roll_entry_id in voted:
            cast.outcome = "duplicate"
        else:
            voted.add(cast.roll_entry_id)
            fresh.append(cast)
    return fresh


def insert_batch(db: Session, state: dict, casts: list[Cast], shuffle=None) -> None:
    """Marks, ballots and chain entries of `casts`; `state` (from lock_round) advances only on success.
    `shuffle` orders the ballots (a seeded one for the scale demo; by default the system's randomness)."""
    from civic.elections.models import Ballot, BoardEntry, RollMark

    rows = batch_rows(state, casts, shuffle)
    conn = db.connection()
    conn.execute(insert(RollMark.__table__), rows.marks)
    conn.execute(insert(Ballot.__table__), rows.ballots)
    conn.execute(insert(BoardEntry.__table__), rows.entries)
    conn.execute(_advance_statement(), {"round_id": state["id"], "new_head": rows.head, "new_entries": rows.seq})
    rows.stored(state, casts)


@dataclass
class BatchRows:
    """What a batch writes: marks in roll order, ballots shuffled, entries in (shuffled) arrival order — no
    two lists line up — and the round's new head."""

    marks: list[dict]
    ballots: list[dict]
    entries: list[dict]
    head: str
    seq: int

    def stored(self, state: dict, casts: list[Cast]) -> None:
        state["head"], state["entries"] = self.head, self.seq
        for cast in casts:
            cast.outcome = "ok"


def batch_rows(state: dict, casts: list[Cast], shuffle=None) -> BatchRows:
    from civic.elections import board
    from civic.secrecy import random_id

    round_id, head, seq = state["id"], state["head"], state["entries"]
    marks = sorted(({"round_id": round_id, "roll_entry_id": c.roll_entry_id, "channel": "online", "box_key": "", "by_proxy": False,
                     "day": c.day} for c in casts), key=lambda m: m["roll_entry_id"])
    ballots = [{"round_id": round_id, "id": random_id(), "content": c.content} for c in casts]
    (shuffle or _shuffle)(ballots)
    entries = []
    for cast in casts:
        seq += 1
        entry = board.make_entry(head, seq, "online", tracking_code=cast.tracking_code)
        head = entry["hash"]
        entries.append({"round_id": round_id, "seq": seq, "kind": "online", "tracking_code": cast.tracking_code,
                        "entry": board.canon(entry).decode()})
    return BatchRows(marks, ballots, entries, head, seq)


def write_casts_on_driver(dbapi_connection, casts: list[Cast]) -> None:
    """write_casts on the driver's own connection (sqlite3, or psycopg from a thread), in a transaction of its
    own: through SQLAlchemy's statement and session machinery the same statements cost more than the rest of
    the batch. SQLite: the caller holds the write lock. Commits, or rolls back and raises (IntegrityError: the
    caller writes the batch again one by one)."""
    plan = _batch_plan(casts, _driver_statements(_is_sqlite(dbapi_connection)))
    cursor = dbapi_connection.cursor()
    try:
        results = None
        while True:
            try:
                steps = plan.send(results)
            except StopIteration:
                return
            results = []
            for statement, parameters, many in steps:
                if statement in ("COMMIT", "ROLLBACK"):
                    (dbapi_connection.commit if statement == "COMMIT" else dbapi_connection.rollback)()
                    results.append(None)
                    continue
                if statement == "BEGIN":  # psycopg, not in autocommit mode, opens the transaction itself
                    results.append(None)
                    continue
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
                results.append(cursor.fetchall() if cursor.description else None)
    except BaseException as error:
        dbapi_connection.rollback()
        plan.throw(error)
    finally:
        cursor.close()


async def write_casts_async(connection, casts: list[Cast]) -> None:
    """write_casts_on_driver on psycopg's asynchronous connection: the event loop's writer for PostgreSQL,
    which serves other requests while the database answers (a writer thread waited for the interpreter's lock
    after every round trip while the loop held it). Each group of the plan's statements goes as ONE simple
    query, its values bound by the client — "BEGIN; lock; look" and "write; COMMIT": two round trips a batch
    instead of five (each cost the writer and PostgreSQL more than a cast's rows). The transaction is the
    text's own, so the connection is put in autocommit mode."""
    if not connection.autocommit:
        await connection.set_autocommit(True)
    plan = _batch_plan(casts, _driver_statements(False))
    async with psycopg.AsyncClientCursor(connection) as cursor:
        results = None
        try:
            while True:
                try:
                    steps = plan.send(results)
                except StopIteration:
                    return
                await cursor.execute("; ".join(
                    statement if statement in ("BEGIN", "COMMIT", "ROLLBACK") else cursor.mogrify(statement, parameters)
                    for statement, parameters, _many in steps))
                results = []
                for _step in steps:
                    results.append(await cursor.fetchall() if cursor.description else None)
                    cursor.nextset()
        except BaseException as error:
            if not connection.closed:
                await connection.rollback()
            plan.throw(error)


def _batch_plan(casts: list[Cast], sql: dict):
    """The writer's statements for one batch, whatever runs them: yields groups of (statement, parameters,
    many) — a group's statements do not depend on each other's rows, so a runner may send them together — and
    is sent back each group's rows. One transaction for all the rounds of the batch (a city's polling day
    spreads a worker's casts over many rounds, and a transaction per round made each cast pay its own BEGIN,
    lock and COMMIT): the rounds locked in id order and their marks of the batch's voters (read after the lock:
    a statement of its own), each round's rows and chain head, one commit. Ends after COMMIT or ROLLBACK; a
    failure thrown into it leaves every outcome open and is raised again."""
    by_round = {casts_of[0].round_id: casts_of for casts_of in _by_round(casts)}
    round_ids = sorted(by_round)
    written: list[tuple[BatchRows, dict, list[Cast]]] = []
    try:
        wanted = sorted({cast.roll_entry_id for cast in casts})
        _begun, locked, marked = yield [(sql["begin"], (), False), (*sql["lock"](round_ids), False), (*sql["voted"](round_ids, wanted), False)]
        states = {row[0]: {"id": row[0], "status": row[1], "head": row[2], "entries": row[3]} for row in locked}
        open_ids = [round_id for round_id in round_ids if states.get(round_id, {}).get("status") == "open"]
        for round_id in set(round_ids) - set(open_ids):
            for cast in by_round[round_id]:
                cast.outcome = "closed"
        voted: dict[int, set] = {}
        for round_id, entry_id in marked:
            voted.setdefault(round_id, set()).add(entry_id)
        for round_id in open_ids:
            fresh = _not_voted(by_round[round_id], voted.get(round_id, ()))
            if fresh:
                written.append((batch_rows(states[round_id], fresh), states[round_id], fresh))
        if not written:
            yield [("ROLLBACK", None, False)]
            return
        day = sql["day"]
        yield [*sql["write"](
            [(m["round_id"], m["roll_entry_id"], "online", "", False, day(m["day"])) for rows, _s, _f in written for m in rows.marks],
            [(b["round_id"], b["id"], b["content"]) for rows, _s, _f in written for b in rows.ballots],
            [(e["round_id"], e["seq"], e["kind"], e["tracking_code"], e["entry"]) for rows, _s, _f in written for e in rows.entries],
            [(rows.head, rows.seq, state["id"]) for rows, state, _f in written]), ("COMMIT", None, False)]
    except BaseException:
        for cast in casts:
            cast.outcome = ""
        raise
    for rows, state, fresh in written:
        rows.stored(state, fresh)


def _is_sqlite(dbapi_connection) -> bool:
    return isinstance(dbapi_connection, sqlite3.Connection)


@cache
def _driver_statements(sqlite: bool) -> dict:
    """The writer's statements in the driver's own SQL (qmark for sqlite3, format for psycopg), on the
    models' table names. SQLite begins by taking the write lock."""
    from civic.elections.models import Ballot, BoardEntry, RollMark, Round
    from civic.pagecache import bump_statement

    rounds, marks, ballots, entries = (m.__table__.name for m in (Round, RollMark, Ballot, BoardEntry))
    mark = "?" if sqlite else "%s"

    def marks_of(n: int) -> str:
        return ", ".join([mark] * n)

    # The rounds' rows locked in id order (every writer takes them in that order: no deadlock), and the marks
    # of the batch's voters in them (pairs: a voter of a run-off is on the roll of both rounds).
    if sqlite:
        def lock_statement(round_ids):
            return f"SELECT id, status, head, entries FROM {rounds} WHERE id IN ({marks_of(len(round_ids))}) ORDER BY id", tuple(round_ids)

        def voted_statement(round_ids, wanted):
            return (f"SELECT round_id, roll_entry_id FROM {marks} WHERE round_id IN ({marks_of(len(round_ids))}) "
                    f"AND roll_entry_id IN ({marks_of(len(wanted))})", (*round_ids, *wanted))
    else:
        def lock_statement(round_ids):
            return f"SELECT id, status, head, entries FROM {rounds} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (round_ids,)

        def voted_statement(round_ids, wanted):
            return f"SELECT round_id, roll_entry_id FROM {marks} WHERE round_id = ANY(%s) AND roll_entry_id = ANY(%s)", (round_ids, wanted)
    # What `write` is given: the batch's rows of each table, and each round's new chain head.
    columns = {marks: ("round_id", "roll_entry_id", "channel", "box_key", "by_proxy", "day"), ballots: ("round_id", "id", "content"),
               entries: ("round_id", "seq", "kind", "tracking_code", "entry")}
    head_columns = ("head", "entries", "id")
    bump = bump_statement(("elections",))

    if sqlite:
        def write(*rows_of_tables: list):
            """The batch's rows (sqlite3's executemany steps one prepared statement in C), each round's new chain
            head and the "elections" generation."""
            *table_rows, heads = rows_of_tables
            for (table, names), rows in zip(columns.items(), table_rows):
                yield f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks_of(len(names))})", rows, True
            yield f"UPDATE {rounds} SET head = ?, entries = ? WHERE id = ?", heads, True
            yield bump, (), False
    else:
        # ONE statement (data-modifying WITH parts, run on one snapshot; they touch different tables): one statement
        # to plan instead of five. Each table's rows go as one JSON text, so the text is the same whatever the
        # batch and psycopg keeps its parsed form (a statement of hundreds of placeholders was parsed again every
        # batch: 16 µs a cast, in Python).
        def rows_from_json(table: str, names: tuple) -> str:
            listed = ", ".join(names)
            return f"INSERT INTO {table} ({listed}) SELECT {listed} FROM json_populate_recordset(NULL::{table}, %s::json)"

        parts = [rows_from_json(table, names) for table, names in columns.items()]
        parts.append(f"UPDATE {rounds} SET head = v.head, entries = v.entries FROM json_to_recordset(%s::json) "
                     f"AS v(head text, entries integer, id integer) WHERE {rounds}.id = v.id")
        written = "WITH " + ", ".join(f"w{i} AS ({part})" for i, part in enumerate(parts)) + f" {bump or 'SELECT 1'}"

        def write(*rows_of_tables: list):
            """The batch's rows, each round's new chain head and the "elections" generation."""
            names_of = (*columns.values(), head_columns)
            yield written, [json.dumps([dict(zip(names, row)) for row in rows], ensure_ascii=False, separators=(",", ":"))
                            for names, rows in zip(names_of, rows_of_tables)], False

    return {
        "begin": "BEGIN IMMEDIATE" if sqlite else "BEGIN",
        "lock": lock_statement,
        "voted": voted_statement,
        "write": write,
        "day": lambda day: day.isoformat(),  # sqlite3's date adapter is deprecated; PostgreSQL's rows go as JSON
    }


def lock_round(db: Session, round_id: int) -> dict:
    """The round's status and chain head, locked (a row lock on PostgreSQL, the write lock on SQLite)."""
    row = db.connection().execute(_lock_statement(), {"round_id": round_id}).one()
    return dict(row._mapping)


# The writer's statements, built once on the tables (plain Core); parameters are bound per batch. Built on
# first use: the models import this module.
@cache
def _lock_statement():
    from civic.elections.models import Round

    rounds = Round.__table__
    return select(rounds.c.id, rounds.c.status, rounds.c.head, rounds.c.entries).where(rounds.c.id == bindparam("round_id")).with_for_update()


@cache
def _voted_statement():
    from civic.elections.models import RollMark

    marks = RollMark.__table__
    return select(marks.c.roll_entry_id).where(marks.c.round_id == bindparam("round_id"),
                                               marks.c.roll_entry_id.in_(bindparam("entries", expanding=True)))


@cache
def _advance_statement():
    from civic.elections.models import Round

    rounds = Round.__table__
    return update(rounds).where(rounds.c.id == bindparam("round_id")).values(head=bindparam("new_head"), entries=bindparam("new_entries"))


class CastQueue:
    """One writer per process and database: a thread, started on first use, for casts submitted from threads;
    and every event loop writes the casts awaited on it (`wait`), in batches.

    SQLite: the casts checked in one turn of the loop are written together, on the loop, as soon as the write
    lock is free — tried without waiting, and tried again a moment later while the loop serves other
    requests. SQLite's statements are calls into a local file; a writer thread would wait for the GIL after
    each of them while the loop holds it (its batches took 16 ms for 14 casts, most of it waiting, with the
    write lock held all along, so the other workers waited too).

    PostgreSQL: a task of the loop writes on its own asynchronous connection (psycopg), one batch at a time;
    the casts checked while a batch is written make the next one. A writer thread waited for the GIL after
    every one of its round trips (casting ran at half a core with the database idle)."""

    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions
        self.pending: queue.Queue[Cast] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()
        bind = sessions.kw["bind"]
        self.write_lock = write_lock_of(bind)
        self.held_sessions = sessionmaker(bind.execution_options(civic_write="held"), expire_on_commit=False) if self.write_lock else None
        self.on_loop: dict[asyncio.AbstractEventLoop, list[Cast]] = {}  # casts waiting for the loop's next write
        self.writing: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}  # PostgreSQL: the loop's writer task
        self.connections: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, object]" = weakref.WeakKeyDictionary()

    def submit(self, cast: Cast) -> str:
        """Hands `cast` to the writer thread and blocks this thread until it is committed; returns the outcome."""
        self._put(cast)
        if not cast.done.wait(WAIT_SECONDS):
            return "failed"
        return cast.outcome

    async def wait(self, cast: Cast) -> str:
        """Hands `cast` to the writer and awaits the outcome on the running event loop."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        cast.waiter = (loop, future)
        batch = self.on_loop.setdefault(loop, [])
        batch.append(cast)
        if self.write_lock is not None:
            if len(batch) == 1:
                loop.call_soon(self._write_on_loop, loop)
        elif loop not in self.writing:
            self.writing[loop] = loop.create_task(self._write_async(loop))
        try:
            return await asyncio.wait_for(future, WAIT_SECONDS)
        except TimeoutError:
            batch = self.on_loop.get(loop, [])
            if cast in batch:  # never written: take it back, so "not stored" stays true
                batch.remove(cast)
            return cast.outcome if cast.done.is_set() else "failed"

    def _write_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self.on_loop.get(loop):
            return
        if not self.write_lock.try_acquire():
            loop.call_later(RETRY_SECONDS, self._write_on_loop, loop)
            return
        try:
            self._write_batch(self.on_loop.pop(loop)[:])
        finally:
            self.write_lock.release()

    async def _write_async(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while self.on_loop.get(loop):
                pending = self.on_loop[loop]
                batch, self.on_loop[loop] = pending[:MAX_BATCH], pending[MAX_BATCH:]
                _shuffle(batch)
                await self._write_one_async(batch, loop)
        finally:
            self.writing.pop(loop, None)

    async def _write_one_async(self, casts: list[Cast], loop: asyncio.AbstractEventLoop) -> None:
        with _settled(casts):
            try:
                try:
                    await write_casts_async(await self._connection(loop), casts)
                except INTEGRITY_ERRORS:  # nothing of the batch was stored: again, cast by cast (never expected)
                    _reopen(casts)
                    await asyncio.to_thread(self._one_by_one, casts)
            except Exception:  # a new connection for the next batch
                connection = self.connections.pop(loop, None)
                if connection is not None:
                    await connection.close()
                raise

    async def _connection(self, loop: asyncio.AbstractEventLoop):
        """The loop's own connection for writing casts, opened on first use (psycopg's asynchronous ones
        belong to the loop that opened them)."""
        connection = self.connections.get(loop)
        if connection is None or connection.closed:
            from civic.loopdb import conninfo

            connection = self.connections[loop] = await psycopg.AsyncConnection.connect(conninfo(self.sessions.kw["bind"].url))
        return connection

    def _put(self, cast: Cast) -> None:
        with self.start_lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="civic-cast-writer", daemon=True)
                self.thread.start()
        self.pending.put(cast)

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            if self.write_lock is None:
                self._write_batch(batch)
                continue
            self.write_lock.acquire()
            try:
                self._write_batch(batch)
            finally:
                self.write_lock.release()

    def _write_batch(self, batch: list[Cast]) -> None:
        """Writes `batch` (with SQLite, the caller holds the write lock)."""
        _shuffle(batch)
        self._write(batch)

    def _write(self, casts: list[Cast]) -> None:
        """On the driver's own connection (write_casts_on_driver); a batch the marks' key refuses, again through
        a session, one savepoint per cast."""
        with _settled(casts):
            try:
                self._commit_on_driver(casts)
            except INTEGRITY_ERRORS:  # nothing of the batch was stored
                _reopen(casts)
                self._one_by_one(casts)

    def _one_by_one(self, casts: list[Cast]) -> None:
        with (self.held_sessions or self.sessions)() as db:
            for casts_of_round in _by_round(casts):
                write_casts(db, casts_of_round, one_by_one=True)
            db.commit()

    def _commit_on_driver(self, casts: list[Cast]) -> None:
        pooled = self.sessions.kw["bind"].raw_connection()
        try:
            write_casts_on_driver(pooled.driver_connection, casts)
        finally:
            pooled.close()


@contextmanager
def _settled(casts: list[Cast]):
    """Tells every cast's waiter its outcome once the write is over; a failure (the transaction is gone, so no
    cast of it was stored) or an outcome left open is "failed"."""
    try:
        yield
    except Exception:
        for cast in casts:
            cast.outcome = "failed"
    finally:
        for cast in casts:
            if not cast.outcome:
                cast.outcome = "failed"
            cast.settle()


def _reopen(casts: list[Cast]) -> None:
    for cast in casts:
        cast.outcome = ""


def _by_round(batch: list[Cast]) -> list[list[Cast]]:
    """A shuffled batch split by round, each part in the batch's (random) order: neither row order nor chain
    order follows arrival within a batch."""
    by_round: dict[int, list[Cast]] = {}
    for cast in batch:
        by_round.setdefault(cast.round_id, []).append(cast)
    return list(by_round.values())


INTEGRITY_ERRORS = (IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError)
_shuffle = random.SystemRandom().shuffle
_QUEUES: dict[int, CastQueue] = {}
_QUEUES_LOCK = threading.Lock()


def for_sessions(sessions: sessionmaker) -> CastQueue:
    found = _QUEUES.get(id(sessions))
    if found is None:
        with _QUEUES_LOCK:
            found = _QUEUES.setdefault(id(sessions), CastQueue(sessions))
    return found
