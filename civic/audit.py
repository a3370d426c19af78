"""The audit log: append-only and hash-chained, so a changed, removed or reordered entry shows.

Every service that changes state calls `record()` inside its own transaction. Entries never
say how anyone voted or rated; ballot casting writes no audit entry at all (the roll mark is the record).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Callable, Iterable

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from civic.db import Base, UTCDateTime, utcnow

GENESIS = "0" * 64


def canon(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def sha256(value: Any) -> str:
    return hashlib.sha256(canon(value)).hexdigest()


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_community_seq", "community_id", "seq"),)  # a community's entries, newest first
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(120), default="")
    community_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text, default="{}")
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def payload(self) -> dict:
        return {
            "seq": self.seq,
            "at": self.at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "on_behalf_of": self.on_behalf_of_id,
            "action": self.action,
            "target": self.target,
            "community": self.community_id,
            "data": self.data,
            "prev": self.prev,
        }


class AuditHead(Base):
    """One row per chain: locking it serialises appends on PostgreSQL as SQLite's write lock does."""

    __tablename__ = "audit_head"
    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def lock_head(db: Session, chain: str) -> AuditHead:
    head = db.execute(select(AuditHead).where(AuditHead.chain == chain).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        db.add(head)
        db.flush()
    return head


def record(
    db: Session,
    action: str,
    *,
    actor: Any = None,
    target: str = "",
    community_id: int | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """Append one entry; `actor` is a civic.security.Actor (or None for the system)."""
    head = lock_head(db, "audit")
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=getattr(actor, "user_id", None),
        on_behalf_of_id=getattr(actor, "on_behalf_of_id", None),
        action=action,
        target=target,
        community_id=community_id,
        data=canon(data or {}).decode(),
        prev=head.hash,
    )
    entry.hash = sha256(entry.payload())
    db.add(entry)
    db.execute(update(AuditHead).where(AuditHead.chain == "audit").values(seq=entry.seq, hash=entry.hash))
    db.expire(head)
    return entry


def verify_entries(entries: Iterable[AuditEntry], head: AuditHead | None) -> list[str]:
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(f"audit: entry {entry.id} has seq {entry.seq}, expected {expected_seq}")
        if entry.prev != prev:
            problems.append(f"audit: entry seq {entry.seq} does not follow the entry before it")
        if sha256(entry.payload()) != entry.hash:
            problems.append(f"audit: entry seq {entry.seq} was changed after it was written")
        prev, expected_seq = entry.hash, entry.seq + 1
    if head is not None and (head.hash != prev or head.seq != expected_seq - 1):
        problems.append("audit: the last entries were removed (head does not match)")
    return problems


# Other modules register the chains they keep (disclosure versions, election boards) here.
CHAIN_VERIFIERS: dict[str, Callable[[Session], list[str]]] = {}


def verify_audit_chain(db: Session) -> list[str]:
    entries = db.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    head = db.get(AuditHead, "audit")
    return verify_entries(entries, head)


CHAIN_VERIFIERS["audit"] = verify_audit_chain


def verify_all(db: Session) -> dict[str, list[str]]:
    return {name: check(db) for name, check in CHAIN_VERIFIERS.items()}
