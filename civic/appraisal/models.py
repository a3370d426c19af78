"""Appraisal tables: campaign, rater groups, cadres, work reports (targets, evidence, comments),
the rater roster, declared conflicts, the participation register, the anonymous forms, frozen results.

Anonymity by construction (civic.secrecy, A9): `Participation` (who rated which cadre, by which channel,
on which day) and `RatingForm` (what was rated) share no key, no order and no time. The form's key is
random, the table has no rowid on SQLite, and it holds no rater id, user id, time or address. Both rows are
written in one transaction; the unique key of the register makes a second rating impossible in the database.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, UTCDateTime, utcnow
from civic.secrecy import ANONYMOUS_TABLE_ARGS


class Campaign(Base):
    """One year's appraisal in one community, presided by the supervision committee (A1)."""

    __tablename__ = "appraisal_campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # rules.STATUSES
    rules_version_id: Mapped[int | None] = mapped_column(ForeignKey("rules_version.id"))
    # The rating form.
    dimensions: Mapped[bool] = mapped_column(Boolean, default=True)
    scale_max: Mapped[int] = mapped_column(Integer, default=10)
    score_basis: Mapped[str] = mapped_column(String(12), default="grades")
    # Aggregation, thresholds and consequences (defaults from the rules profile).
    trim_extremes: Mapped[bool] = mapped_column(Boolean, default=False)
    trim_min_raters: Mapped[int] = mapped_column(Integer, default=10)
    satisfaction_includes_basic: Mapped[bool] = mapped_column(Boolean, default=True)
    satisfaction_warning: Mapped[int] = mapped_column(Integer, default=60)
    unfit_num: Mapped[int] = mapped_column(Integer, default=1)
    unfit_den: Mapped[int] = mapped_column(Integer, default=3)
    removal_score: Mapped[int] = mapped_column(Integer, default=60)
    breakdown_min: Mapped[int] = mapped_column(Integer, default=5)
    tie_break: Mapped[str] = mapped_column(String(8), default="lower")
    ordinary_share: Mapped[int] = mapped_column(Integer, default=70)
    post_days: Mapped[int] = mapped_column(Integer, default=5)
    feedback_days: Mapped[int] = mapped_column(Integer, default=10)
    publish_scope: Mapped[str] = mapped_column(String(12), default="public")  # public | residents
    # Schedule (A4).
    reports_due: Mapped[dt.date | None] = mapped_column(Date)
    meeting_on: Mapped[dt.date | None] = mapped_column(Date)
    meeting_place: Mapped[str] = mapped_column(String(200), default="")
    meeting_link: Mapped[str] = mapped_column(String(300), default="")  # e.g. a consultation meeting's page
    rating_opens_on: Mapped[dt.date] = mapped_column(Date)
    rating_closes_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RaterGroup(Base):
    __tablename__ = "appraisal_group"
    __table_args__ = (UniqueConstraint("campaign_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rules.GROUP_KINDS
    weight: Mapped[int] = mapped_column(Integer)  # per cent; a campaign's weights add up to 100
    min_raters: Mapped[int] = mapped_column(Integer, default=1)


class Cadre(Base):
    """A person appraised: committee member or community worker, with feedback and improvement plan."""

    __tablename__ = "appraisal_cadre"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    position: Mapped[str] = mapped_column(String(20))  # rules.POSITIONS
    user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("registry_resident.id"))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_on: Mapped[dt.date | None] = mapped_column(Date)
    feedback_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    improvement_plan: Mapped[str] = mapped_column(Text, default="")
    plan_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WorkReport(Base):
    """述职报告: one per cadre and campaign, written by the cadre (or staff for them)."""

    __tablename__ = "appraisal_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("appraisal_cadre.id"), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")  # markdown
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))


class Target(Base):
    """One of the year's targets: what was promised, how far it was completed, and how."""

    __tablename__ = "appraisal_target"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("appraisal_report.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    completion: Mapped[int] = mapped_column(Integer, default=0)  # per cent
    statement: Mapped[str] = mapped_column(Text, default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)


class Evidence(Base):
    __tablename__ = "appraisal_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("appraisal_report.id"), index=True)
    storage_name: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    """A resident's question or remark on a work report, before rating opens."""

    __tablename__ = "appraisal_comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("appraisal_report.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    author_name: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(String(200), default="")


class Rater(Base):
    """The roster, frozen when rating opens: one row per eligible person, in one group."""

    __tablename__ = "appraisal_rater"
    __table_args__ = (UniqueConstraint("campaign_id", "resident_id"), UniqueConstraint("campaign_id", "user_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("appraisal_group.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("registry_resident.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    name: Mapped[str] = mapped_column(String(50))
    group: Mapped[RaterGroup] = relationship(lazy="raise")


class Conflict(Base):
    """A declared conflict of interest: the rater does not rate that cadre."""

    __tablename__ = "appraisal_conflict"
    __table_args__ = (UniqueConstraint("campaign_id", "rater_id", "cadre_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("appraisal_rater.id"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("appraisal_cadre.id"))
    reason: Mapped[str] = mapped_column(String(200))
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))


class Participation(Base):
    """The register: who rated which cadre, online or on paper, on which day — never what."""

    __tablename__ = "appraisal_participation"
    # The primary key (campaign, rater, cadre) is the unique constraint that makes double rating impossible.
    __table_args__ = ANONYMOUS_TABLE_ARGS
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("appraisal_rater.id"), primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("appraisal_cadre.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # online | paper
    day: Mapped[dt.date] = mapped_column(Date)  # civic.secrecy.coarse_day
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))  # staff, for paper forms


class RatingForm(Base):
    """What was rated: a random key, the cadre, the rater's group (for weighting) and the marks."""

    __tablename__ = "appraisal_form"
    __table_args__ = ANONYMOUS_TABLE_ARGS
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # civic.secrecy.random_id()
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("appraisal_cadre.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("appraisal_group.id"))
    grade: Mapped[str | None] = mapped_column(String(12))  # None: abstained
    morality: Mapped[int | None] = mapped_column(Integer)
    ability: Mapped[int | None] = mapped_column(Integer)
    diligence: Mapped[int | None] = mapped_column(Integer)
    achievement: Mapped[int | None] = mapped_column(Integer)
    integrity: Mapped[int | None] = mapped_column(Integer)


class Result(Base):
    """A cadre's aggregated result, frozen at the count (aggregates only, never a single form)."""

    __tablename__ = "appraisal_result"
    __table_args__ = (UniqueConstraint("campaign_id", "cadre_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("appraisal_cadre.id"))
    grade: Mapped[str | None] = mapped_column(String(12))
    score: Mapped[str] = mapped_column(String(40), default="")  # exact fraction "num/den"
    rank: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON of the outcome (see queries.result_view)
