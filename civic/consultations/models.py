"""Consultations: a topic (议题) becomes a hearing, council or online consultation, with participants,
a meeting, opinions and their answers, an outcome and its implementation; comment threads on every
consultation and agenda item; formal residents' and representatives' meetings (C5, C6).

Tables are prefixed "consultations_"; relationships are lazy="raise" (queries.py loads on purpose).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, UTCDateTime, utcnow


class Consultation(Base):
    """One topic from proposal to implemented outcome; `status` is the step it has reached (rules.STAGES)."""

    __tablename__ = "consultations_consultation"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")  # markdown
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    # Where the topic came from: online (a resident proposed it) or recorded by staff from an offline channel.
    source: Mapped[str] = mapped_column(String(20), default="online")
    source_note: Mapped[str] = mapped_column(String(200), default="")
    proposer_user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    proposer_name: Mapped[str] = mapped_column(String(50), default="")  # shown publicly (pseudonym or name)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    rules_version_id: Mapped[int | None] = mapped_column(Integer)

    # Committee decision on the topic.
    form: Mapped[str] = mapped_column(String(20), default="")  # rules.FORMS
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # Participants (C4): who may take part, and for hearings how representatives are chosen (C8).
    scope: Mapped[str] = mapped_column(String(20), default="all")  # rules.SCOPES
    scope_groups: Mapped[str] = mapped_column(String(200), default="")  # comma-separated group numbers
    scope_buildings: Mapped[str] = mapped_column(String(200), default="")  # comma-separated building names
    stakeholders_note: Mapped[str] = mapped_column(String(300), default="")  # 业委会, property company, units
    seats: Mapped[int] = mapped_column(Integer, default=0)  # hearing representatives to select; 0 = no limit
    selection_method: Mapped[str] = mapped_column(String(20), default="lot")  # lot | decision
    selection_seed: Mapped[str] = mapped_column(String(64), default="")
    selection_note: Mapped[str] = mapped_column(Text, default="")
    selected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # The meeting and its advance notice (C4, C8).
    meeting_mode: Mapped[str] = mapped_column(String(20), default="in_person")  # in_person | online | both
    meeting_date: Mapped[dt.date | None] = mapped_column(Date)
    meeting_time: Mapped[str] = mapped_column(String(5), default="")  # "19:00", Shanghai time
    place: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=0)  # registration slots; 0 = no limit
    signup_closes: Mapped[dt.date | None] = mapped_column(Date)
    announced_on: Mapped[dt.date | None] = mapped_column(Date)
    checkin_code: Mapped[str] = mapped_column(String(12), default="")
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    meeting_opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # check-in and speakers open
    opened_early_reason: Mapped[str] = mapped_column(String(300), default="")

    # After the meeting.
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    attendance: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[str] = mapped_column(Text, default="")  # 会议纪要, markdown
    record: Mapped[str] = mapped_column(Text, default="")  # 笔录 of a hearing, markdown
    signatories: Mapped[str] = mapped_column(String(300), default="")
    minutes_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # C3: a decision for the residents' / representatives' meeting, after the party organisation's discussion.
    needs_decision: Mapped[bool] = mapped_column(Boolean, default=False)
    party_discussed_on: Mapped[dt.date | None] = mapped_column(Date)
    party_note: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[int] = mapped_column(Integer, default=0)  # per cent of implementation
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Support(Base):
    __tablename__ = "consultations_support"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """Background material published with the notice (stored by civic.uploads)."""

    __tablename__ = "consultations_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    storage_name: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgendaItem(Base):
    __tablename__ = "consultations_agenda_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int] = mapped_column(Integer, default=15)  # time set aside
    description: Mapped[str] = mapped_column(Text, default="")


class Signup(Base):
    """A participant: a resident who signed up online, or someone staff registered (stakeholder, expert,
    a resident without a phone). For hearings, resident sign-ups are applications to be a representative."""

    __tablename__ = "consultations_signup"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20), default="resident")  # rules.PARTICIPANT_KINDS
    organisation: Mapped[str] = mapped_column(String(100), default="")
    stance: Mapped[str] = mapped_column(String(10), default="neutral")  # for | against | neutral
    statement: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="registered")  # rules.SIGNUP_STATUSES
    selection_reason: Mapped[str] = mapped_column(String(300), default="")
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Speaker(Base):
    """The speaker list of a meeting (OpenSlides): requests, order, time used."""

    __tablename__ = "consultations_speaker"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("consultations_agenda_item.id"))
    signup_id: Mapped[int] = mapped_column(ForeignKey("consultations_signup.id"))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # waiting | speaking | done | withdrawn
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    signup: Mapped[Signup] = relationship(lazy="raise")


class Opinion(Base):
    """A formal opinion that must be answered (C9), online or recorded by staff at the meeting."""

    __tablename__ = "consultations_opinion"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("consultations_agenda_item.id"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    author_name: Mapped[str] = mapped_column(String(50))  # shown publicly
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    body: Mapped[str] = mapped_column(Text)
    stance: Mapped[str] = mapped_column(String(10), default="neutral")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    disposition: Mapped[str] = mapped_column(String(20), default="")  # rules.DISPOSITIONS; "" = unanswered
    answer: Mapped[str] = mapped_column(Text, default="")
    referred_to: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))


class ProgressUpdate(Base):
    """Implementation tracking (反馈): what was done, how far along."""

    __tablename__ = "consultations_progress"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    progress: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alias(Base):
    """"Real name behind, voluntary in front" (O4): the pseudonym a resident chose to show."""

    __tablename__ = "consultations_alias"
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(20), unique=True)


ATTENTION = "reports > 0 OR state <> 'visible'"  # reported, or hidden (pending or by a moderator)


class Comment(Base):
    """A comment in the thread of a consultation (agenda_item_id NULL) or of one agenda item.

    `path` is the chain of zero-padded ids from the root, so ORDER BY path gives a thread depth-first
    without recursion; `root_id` lets one query load the replies of a whole page of top-level comments.
    """

    __tablename__ = "consultations_comment"
    __table_args__ = (
        Index("ix_consultations_comment_thread", "consultation_id", "agenda_item_id", "depth", "id"),
        Index("ix_consultations_comment_root_path", "root_id", "path"),
        # Only the few comments a moderator has to look at (see queries.NEEDS_ATTENTION, which must repeat the
        # condition word for word for the database to use it): the queue no longer reads a community's every comment.
        Index("ix_consultations_comment_attention", "consultation_id", "id",
              sqlite_where=text(ATTENTION), postgresql_where=text(ATTENTION)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations_consultation.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("consultations_agenda_item.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("consultations_comment.id"))
    root_id: Mapped[int | None] = mapped_column(Integer)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str] = mapped_column(String(400), default="")
    author_user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(50))  # the alias or the real name, as chosen
    body: Mapped[str] = mapped_column(Text)  # markdown as written
    html: Mapped[str] = mapped_column(Text, default="")  # sanitised rendering, made once at write time
    stance: Mapped[str] = mapped_column(String(10), default="neutral")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # visible | pending (auto-hidden after reports, awaiting a moderator) | hidden (by a moderator)
    state: Mapped[str] = mapped_column(String(10), default="visible")
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)  # all descendants, for "most discussed"
    reports: Mapped[int] = mapped_column(Integer, default=0)  # open reports since the last moderation


class CommentVersion(Base):
    """The text before each edit: edits stay visible."""

    __tablename__ = "consultations_comment_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("consultations_comment.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CommentVote(Base):
    __tablename__ = "consultations_comment_vote"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"), Index("ix_consultations_comment_vote_user", "user_id", "comment_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("consultations_comment.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))


class CommentReport(Base):
    __tablename__ = "consultations_comment_report"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("consultations_comment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    reason: Mapped[str] = mapped_column(String(20))  # rules.REPORT_REASONS
    details: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class FormalMeeting(Base):
    """A residents' meeting (居民会议, C5) or representatives' meeting (居民代表会议, C6)."""

    __tablename__ = "consultations_formal_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # residents | representatives
    title: Mapped[str] = mapped_column(String(120))
    # residents' meeting composition: adults | households | group_reps (2–3 per residents' group)
    composition: Mapped[str] = mapped_column(String(20), default="")
    called_on: Mapped[dt.date] = mapped_column(Date)
    meeting_date: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reason: Mapped[str] = mapped_column(String(300), default="")
    # Called on request (C5, C6): how many asked, out of how many.
    requested: Mapped[bool] = mapped_column(Boolean, default=False)
    requesters: Mapped[int] = mapped_column(Integer, default=0)
    request_base: Mapped[int] = mapped_column(Integer, default=0)
    request_basis: Mapped[str] = mapped_column(String(20), default="")  # adults | households | representatives
    members: Mapped[int] = mapped_column(Integer, default=0)  # who should attend (quorum base)
    representative_members: Mapped[int] = mapped_column(Integer, default=0)  # C6: ≥ 4/5 of members
    attendees: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="called")  # called | held | inquorate
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FormalItem(Base):
    """One item put to a formal meeting, decided by majority of attendees (item by item)."""

    __tablename__ = "consultations_formal_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("consultations_formal_meeting.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations_consultation.id"), index=True)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    abstentions: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(10), default="")  # "" | adopted | rejected
