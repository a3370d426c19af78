"""In-app notifications (replies, mentions, answers, overdue items), shown at /me/notifications.

Modules call notify(); nothing is sent outside the platform (no SMS gateway is assumed).
"""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Boolean, ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from civic.db import Base, UTCDateTime, utcnow


class Notification(Base):
    __tablename__ = "notify_notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300), default="")
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def notify(db: Session, user_ids, text: str, link: str = "") -> None:
    """Queue one notification per user (inside the caller's transaction)."""
    for user_id in {u for u in user_ids if u}:
        db.add(Notification(user_id=user_id, text=text[:300], link=link[:300]))


def unread_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id, Notification.read.is_(False))) or 0


class UnreadCounts:
    """Each signed-in page shows the reader's unread count. Kept per user while the "notify" generation
    (bumped in the same transaction as any write to notifications, in every process) is unchanged."""

    def __init__(self, max_entries: int = 10_000):
        self.max_entries = max_entries
        self.entries: dict[int, tuple[int, int]] = {}
        self.lock = threading.Lock()

    def get(self, db: Session, user_id: int, generation: int) -> int:
        kept = self.entries.get(user_id)
        if kept is not None and kept[0] == generation:
            return kept[1]
        count = unread_count(db, user_id)
        with self.lock:
            if len(self.entries) >= self.max_entries:
                self.entries.clear()  # rare; a fresh start costs one query per reader
            self.entries[user_id] = (generation, count)
        return count


def recent(db: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.execute(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc()).limit(limit)).scalars())


def mark_all_read(db: Session, user_id: int) -> None:
    db.execute(update(Notification).where(Notification.user_id == user_id, Notification.read.is_(False)).values(read=True))
    db.commit()
