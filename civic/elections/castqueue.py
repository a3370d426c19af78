"""Group commit for online ballots.

SQLite (and PostgreSQL) pay one fsync per committed transaction; one ballot per transaction caps a
polling-day server at the disk's fsync rate and makes 32 waiting voters queue for it. Here the request
threads validate a ballot on their own (read-only) and hand a prepared cast to one writer thread per
process, which writes every cast waiting at that moment in ONE transaction — each in its own
savepoint, so a second ballot of the same voter fails alone — and answers each request only after
the commit returned. A tracking code is never shown for a ballot that is not durably stored.
"""
from __future__ import annotations

import queue
import random
import threading
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

MAX_BATCH = 128
WAIT_SECONDS = 60


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


def write_casts(db: Session, casts: list[Cast]) -> None:
    """Writes casts of one round in the caller's transaction (the caller commits)."""
    from civic.elections.models import Ballot, RollMark
    from civic.elections.polling import _append, _lock_round
    from civic.secrecy import random_id

    locked = _lock_round(db, casts[0].round_id)
    for cast in casts:
        if locked.status != "open":
            cast.outcome = "closed"
            continue
        try:
            with db.begin_nested():
                db.execute(insert(RollMark).values(round_id=cast.round_id, roll_entry_id=cast.roll_entry_id, channel="online", day=cast.day))
                db.execute(insert(Ballot).values(round_id=cast.round_id, id=random_id(), content=cast.content))
                head, entries = locked.head, locked.entries
                try:
                    _append(db, locked, "online", tracking_code=cast.tracking_code)
                except BaseException:
                    locked.head, locked.entries = head, entries
                    raise
            cast.outcome = "ok"
        except IntegrityError:
            cast.outcome = "duplicate"


class CastQueue:
    """One writer thread per process and database, started on first use."""

    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions
        self.pending: queue.Queue[Cast] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()

    def submit(self, cast: Cast) -> str:
        with self.start_lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="civic-cast-writer", daemon=True)
                self.thread.start()
        self.pending.put(cast)
        if not cast.done.wait(WAIT_SECONDS):
            return "failed"
        return cast.outcome

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            # Written in random order: neither row order nor chain order follows arrival within a batch.
            _shuffle(batch)
            by_round: dict[int, list[Cast]] = {}
            for cast in batch:
                by_round.setdefault(cast.round_id, []).append(cast)
            for casts in by_round.values():
                self._write(casts)

    def _write(self, casts: list[Cast]) -> None:
        try:
            with self.sessions() as db:
                write_casts(db, casts)
                db.commit()
        except Exception:  # the transaction is gone: no cast of it was stored
            for cast in casts:
                cast.outcome = "failed"
        finally:
            for cast in casts:
                if not cast.outcome:
                    cast.outcome = "failed"
                cast.done.set()


_shuffle = random.SystemRandom().shuffle
_QUEUES: dict[int, CastQueue] = {}
_QUEUES_LOCK = threading.Lock()


def for_sessions(sessions: sessionmaker) -> CastQueue:
    with _QUEUES_LOCK:
        return _QUEUES.setdefault(id(sessions), CastQueue(sessions))
