"""In-app notifications (replies, mentions, answers, overdue items), shown at /me/notifications.

Modules call notify(); nothing is sent outside the platform (no SMS gateway is assumed).
"""
from __future__ import annotations

import datetime as dt

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


def recent(db: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.execute(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc()).limit(limit)).scalars())


def mark_all_read(db: Session, user_id: int) -> None:
    db.execute(update(Notification).where(Notification.user_id == user_id, Notification.read.is_(False)).values(read=True))
    db.commit()
