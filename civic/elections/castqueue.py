"""Group commit for online ballots.

SQLite (and PostgreSQL) pay one fsync per committed transaction; one ballot per transaction caps a
polling-day server at the disk's fsync rate and makes 32 waiting voters queue for it. Here a request
checks its ballot on its own (read-only) and hands the prepared cast to its process's writer, which
writes every cast waiting at that moment in ONE transaction, one statement per table — a batch the
marks' key refuses is written again cast by cast, so a second ballot of the same voter fails alone —
and answers each request only after the commit returned. A tracking code is never shown for a ballot
that is not durably stored.

A web request waits for its cast on the event loop (`CastQueue.wait`), never in a thread; with SQLite
the loop is also the writer (see CastQueue).
"""
from __future__ import annotations

import asyncio
import queue
import random
import sqlite3
import threading
from dataclasses import dataclass, field
from functools import cache

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


def write_casts_sqlite(dbapi_connection, casts: list[Cast]) -> None:
    """write_casts for SQLite on the driver's own connection, its write lock held by the caller: the event
    loop's writer (CastQueue.wait). Through SQLAlchemy's statement machinery the same nine statements cost
    more than the rest of the batch. Commits, or rolls back and raises (sqlite3.IntegrityError: the caller
    writes the batch again one by one)."""
    from civic.pagecache import bump

    sql = _sqlite_statements()
    round_id = casts[0].round_id
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            row = cursor.execute(sql["lock"], (round_id,)).fetchone()
            state = {"id": row[0], "status": row[1], "head": row[2], "entries": row[3]}
            if state["status"] != "open":
                for cast in casts:
                    cast.outcome = "closed"
                cursor.execute("ROLLBACK")
                return
            wanted = sorted({cast.roll_entry_id for cast in casts})
            fresh = _not_voted(casts, (r[0] for r in cursor.execute(sql["voted"] % ",".join("?" * len(wanted)), (round_id, *wanted))))
            if fresh:
                rows = batch_rows(state, fresh)
                cursor.executemany(sql["mark"], [(m["round_id"], m["roll_entry_id"], "online", "", 0, m["day"].isoformat())
                                                 for m in rows.marks])
                cursor.executemany(sql["ballot"], [(b["round_id"], b["id"], b["content"]) for b in rows.ballots])
                cursor.executemany(sql["entry"], [(e["round_id"], e["seq"], e["kind"], e["tracking_code"], e["entry"]) for e in rows.entries])
                cursor.execute(sql["advance"], (rows.head, rows.seq, round_id))
                bump(cursor, ("elections",))
            cursor.execute("COMMIT")
        except BaseException:
            for cast in casts:
                cast.outcome = ""
            cursor.execute("ROLLBACK")
            raise
        if fresh:
            rows.stored(state, fresh)
    finally:
        cursor.close()


@cache
def _sqlite_statements() -> dict[str, str]:
    """The writer's statements in SQLite's own SQL, on the models' table names."""
    from civic.elections.models import Ballot, BoardEntry, RollMark, Round

    rounds, marks, ballots, entries = (m.__table__.name for m in (Round, RollMark, Ballot, BoardEntry))
    return {
        "lock": f"SELECT id, status, head, entries FROM {rounds} WHERE id = ?",
        "voted": f"SELECT roll_entry_id FROM {marks} WHERE round_id = ? AND roll_entry_id IN (%s)",
        "mark": f"INSERT INTO {marks} (round_id, roll_entry_id, channel, box_key, by_proxy, day) VALUES (?, ?, ?, ?, ?, ?)",
        "ballot": f"INSERT INTO {ballots} (round_id, id, content) VALUES (?, ?, ?)",
        "entry": f"INSERT INTO {entries} (round_id, seq, kind, tracking_code, entry) VALUES (?, ?, ?, ?, ?)",
        "advance": f"UPDATE {rounds} SET head = ?, entries = ? WHERE id = ?",
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
    """One writer per process and database: a thread, started on first use; and, with SQLite, the event loop.

    A cast awaited on an event loop (`wait`) is written by that loop itself where the database is SQLite:
    the casts checked in one turn of the loop are written together as soon as the write lock is free —
    tried without waiting, and tried again a moment later while the loop serves other requests. SQLite's
    statements are calls into a local file; a writer thread would wait for the GIL after each of them
    while the loop holds it (its batches took 16 ms for 14 casts, most of it waiting, with the write lock
    held all along, so the other workers waited too). PostgreSQL (round trips over the network) and
    `submit` (from a thread) use the writer thread."""

    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions
        self.pending: queue.Queue[Cast] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()
        bind = sessions.kw["bind"]
        self.write_lock = write_lock_of(bind)
        self.held_sessions = sessionmaker(bind.execution_options(civic_write="held"), expire_on_commit=False) if self.write_lock else None
        self.on_loop: dict[asyncio.AbstractEventLoop, list[Cast]] = {}  # casts waiting for the loop's next write

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
        if self.write_lock is None:
            self._put(cast)
        else:
            batch = self.on_loop.setdefault(loop, [])
            batch.append(cast)
            if len(batch) == 1:
                loop.call_soon(self._write_on_loop, loop)
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
            batch = self.on_loop.pop(loop)[:]
            self._write_batch(batch, self.held_sessions, on_driver=True)
        finally:
            self.write_lock.release()

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
            self._write_batch(batch, self.sessions)

    def _write_batch(self, batch: list[Cast], sessions: sessionmaker, on_driver: bool = False) -> None:
        # Written in random order: neither row order nor chain order follows arrival within a batch.
        _shuffle(batch)
        by_round: dict[int, list[Cast]] = {}
        for cast in batch:
            by_round.setdefault(cast.round_id, []).append(cast)
        for casts in by_round.values():
            self._write(casts, sessions, on_driver)

    def _write(self, casts: list[Cast], sessions: sessionmaker | None = None, on_driver: bool = False) -> None:
        """`on_driver`: first on SQLite's own connection (write_casts_sqlite; the caller holds the write lock)."""
        sessions = sessions or self.sessions
        try:
            try:
                if on_driver:
                    self._commit_on_driver(casts, sessions)
                else:
                    self._commit(casts, sessions, one_by_one=False)
            except (IntegrityError, sqlite3.IntegrityError):  # nothing of the batch was stored: again, one savepoint per cast
                for cast in casts:
                    cast.outcome = ""
                self._commit(casts, sessions, one_by_one=True)
        except Exception:  # the transaction is gone: no cast of it was stored
            for cast in casts:
                cast.outcome = "failed"
        finally:
            for cast in casts:
                if not cast.outcome:
                    cast.outcome = "failed"
                cast.settle()

    @staticmethod
    def _commit_on_driver(casts: list[Cast], sessions: sessionmaker) -> None:
        pooled = sessions.kw["bind"].raw_connection()
        try:
            write_casts_sqlite(pooled.driver_connection, casts)
        finally:
            pooled.close()

    @staticmethod
    def _commit(casts: list[Cast], sessions: sessionmaker, *, one_by_one: bool) -> None:
        with sessions() as db:
            write_casts(db, casts, one_by_one=one_by_one)
            db.commit()


_shuffle = random.SystemRandom().shuffle
_QUEUES: dict[int, CastQueue] = {}
_QUEUES_LOCK = threading.Lock()


def for_sessions(sessions: sessionmaker) -> CastQueue:
    found = _QUEUES.get(id(sessions))
    if found is None:
        with _QUEUES_LOCK:
            found = _QUEUES.setdefault(id(sessions), CastQueue(sessions))
    return found
