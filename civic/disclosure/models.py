"""Disclosure tables: items (公告) with sealed, hash-linked versions, attachments, objections and questions,
notice-period extensions, the per-community schedule and category settings."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, UTCDateTime, utcnow
from civic.registry.models import Community


class Disclosure(Base):
    """One notice on the board. Its content lives in versions; the columns here are what lists need."""

    __tablename__ = "disclosure_item"
    # Full-text search objects (SQLite FTS5 table, PostgreSQL trigram index) are made by the migration only.
    __table_args__ = (UniqueConstraint("community_id", "year", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(200))  # of the latest version (draft or sealed)
    year: Mapped[int | None] = mapped_column(Integer)  # of the notice number, set at publication
    number: Mapped[int | None] = mapped_column(Integer)  # 第N号公告 within the community and year
    published_on: Mapped[dt.date | None] = mapped_column(Date, index=True)  # goes up that day (later = scheduled)
    display_from: Mapped[dt.date | None] = mapped_column(Date)  # start of the 15-day clock (a material correction restarts it)
    notice_days: Mapped[int | None] = mapped_column(Integer)  # 公示期 asked for
    notice_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    period_start: Mapped[dt.date | None] = mapped_column(Date)  # the scheduled period this item fulfils (D4)
    is_leaving_audit: Mapped[bool] = mapped_column(Boolean, default=False)  # the chair's leaving audit (D8)
    rules_version_id: Mapped[int | None] = mapped_column(Integer)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str] = mapped_column(String(500), default="")
    read_count: Mapped[int] = mapped_column(Integer, default=0)
    # The public rendition of the current sealed version (masked), read by full-text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship(lazy="raise")
    # Class names are shared with other modules (Attachment…): refer to them by module path.
    versions: Mapped[list["DisclosureVersion"]] = relationship(
        "civic.disclosure.models.DisclosureVersion", lazy="raise", back_populates="disclosure",
        order_by=lambda: DisclosureVersion.number)


class DisclosureVersion(Base):
    """Content is never edited once sealed: a correction is a new version with a reason, chained by hash."""

    __tablename__ = "disclosure_version"
    __table_args__ = (UniqueConstraint("disclosure_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure_item.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # markdown, sanitised when rendered
    table_json: Mapped[str] = mapped_column(Text, default="")  # {"columns": [...], "rows": [[...]]}, full data
    reason: Mapped[str] = mapped_column(String(500), default="")  # why this correction
    material: Mapped[bool] = mapped_column(Boolean, default=False)  # a material correction (D10)
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)  # draft | in_review | sealed (the oversight page looks for in_review)
    intended_on: Mapped[dt.date | None] = mapped_column(Date)  # publication date asked for at submission
    review_comment: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sealed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    sealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    disclosure: Mapped[Disclosure] = relationship(Disclosure, lazy="raise", back_populates="versions")
    attachments: Mapped[list["Attachment"]] = relationship(
        "civic.disclosure.models.Attachment", lazy="raise", order_by=lambda: Attachment.id)


class Attachment(Base):
    """A file of one version (a correction copies the rows it keeps). Stored by civic.uploads."""

    __tablename__ = "disclosure_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("disclosure_version.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(200))
    storage_name: Mapped[str] = mapped_column(String(40))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # False: supporting document for staff only
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Feedback(Base):
    """An objection (异议) during the notice period or a question (D3). The author is never shown publicly."""

    __tablename__ = "disclosure_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure_item.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # objection | question
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(12), default="online")  # online | in_person | phone | letter
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    received_from: Mapped[str] = mapped_column(String(100), default="")  # who handed it in at the office (private)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(12), default="")  # objections: upheld | partly | dismissed
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Extension(Base):
    """A notice period extended by the committee, with its reason (shown publicly)."""

    __tablename__ = "disclosure_extension"
    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure_item.id"), index=True)
    old_end: Mapped[dt.date] = mapped_column(Date)
    new_end: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Obligation(Base):
    """One line of a community's disclosure schedule: this category at least every N months (D4)."""

    __tablename__ = "disclosure_obligation"
    __table_args__ = (UniqueConstraint("community_id", "category"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    every_months: Mapped[int] = mapped_column(Integer)
    grace_days: Mapped[int] = mapped_column(Integer, default=10)  # the period's item is due this many days after it ends
    starts_on: Mapped[dt.date] = mapped_column(Date)  # periods ending before this day are not owed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OverdueNotice(Base):
    """Supervisors were told that this period is overdue (so they are told once)."""

    __tablename__ = "disclosure_overdue_notice"
    __table_args__ = (UniqueConstraint("obligation_id", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("disclosure_obligation.id"), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategorySetting(Base):
    """An administrator's choice for one category (defaults in rules.CATEGORIES)."""

    __tablename__ = "disclosure_category_setting"
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    requires_review: Mapped[bool] = mapped_column(Boolean)
    names: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# `civic audit verify` covers the chain of versions.
from civic.audit import CHAIN_VERIFIERS  # noqa: E402
from civic.disclosure.chain import verify_versions  # noqa: E402

CHAIN_VERIFIERS["disclosure"] = verify_versions
