"""Elections: set-up, voter roll, objections, nominations, candidates, proxies, rounds, boxes,
the participation register (roll marks), the anonymous ballot store, and the public board chain.

Secrecy by construction (civic.secrecy): RollMark (who voted, by which channel) and Ballot (what was
voted) share no key, no order and no time; both tables are WITHOUT ROWID on SQLite, the ballot's key is
random and the mark's key is (round, voter). Nothing else records a cast.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import Base, UTCDateTime, utcnow
from civic.secrecy import ANONYMOUS_TABLE_ARGS

# Election status, in procedural order.
STATUSES = ("setup", "roll", "nomination", "candidates", "polling", "counting", "closed")
MODES = ("all-voters", "household", "representatives", "group-reps")
PURPOSES = ("general", "by_election", "recall")


class Election(Base):
    __tablename__ = "elections_election"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. e-2026-anhe-01
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(20), default="general")
    mode: Mapped[str] = mapped_column(String(20), default="all-voters")
    status: Mapped[str] = mapped_column(String(20), default="setup")
    online_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    rules_version_id: Mapped[int | None] = mapped_column(ForeignKey("rules_version.id"))
    legal_regime: Mapped[str] = mapped_column(String(4), default="2025")
    rules: Mapped[str] = mapped_column(Text, default="{}")  # the election's own numbers, frozen at set-up (JSON)
    term_years: Mapped[int] = mapped_column(Integer, default=5)
    # E41: a by-election serves the rest of the original term; a recall vote points at the recalled members' election.
    parent_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: SQLite adds the column in place
    term_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    roll_published_on: Mapped[dt.date | None] = mapped_column(Date)
    objections_close_on: Mapped[dt.date | None] = mapped_column(Date)
    nominations_open_on: Mapped[dt.date | None] = mapped_column(Date)
    nominations_close_on: Mapped[dt.date | None] = mapped_column(Date)
    candidates_published_on: Mapped[dt.date | None] = mapped_column(Date)
    proxy_deadline_on: Mapped[dt.date | None] = mapped_column(Date)
    polling_day: Mapped[dt.date] = mapped_column(Date)
    online_opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    online_closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    roll_frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Section(Base):
    """An office with its seats: chair, vice-chair, member (filled in this order)."""

    __tablename__ = "elections_section"
    __table_args__ = (UniqueConstraint("election_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    key: Mapped[str] = mapped_column(String(20))  # chair | vice | member (board section id)
    title: Mapped[str] = mapped_column(String(50))
    seats: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class RollEntry(Base):
    """One voter on the roll. Never deleted: a removal is a status with its reason (and an audit entry)."""

    __tablename__ = "elections_roll"
    __table_args__ = (
        UniqueConstraint("election_id", "resident_id"),
        # The election page's roll summary (voters per group, absences) from the index alone (bench/pages.py).
        Index("ix_elections_roll_summary", "election_id", "listed", "excluded_from_base", "group_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("registry_resident.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    group_name: Mapped[str] = mapped_column(String(50), default="")
    basis: Mapped[str] = mapped_column(String(30), default="hukou")  # hukou | resident | worker | objection
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    change_reason: Mapped[str] = mapped_column(String(300), default="")
    excluded_from_base: Mapped[bool] = mapped_column(Boolean, default=False)  # E14: gave notice of absence


class Objection(Base):
    __tablename__ = "elections_objection"
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # missing | wrong | ineligible
    subject_resident_id: Mapped[int] = mapped_column(ForeignKey("registry_resident.id"))
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | upheld | rejected
    decision: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    filed_on: Mapped[dt.date] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)


class Nomination(Base):
    __tablename__ = "elections_nomination"
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("elections_section.id"))
    nominee_resident_id: Mapped[int] = mapped_column(ForeignKey("registry_resident.id"))
    kind: Mapped[str] = mapped_column(String(20))  # joint | party | self
    statement: Mapped[str] = mapped_column(Text, default="")
    # collecting → submitted (threshold met) → accepted | declined (nominee) ; review pending|approved|rejected
    status: Mapped[str] = mapped_column(String(20), default="collecting")
    review: Mapped[str] = mapped_column(String(20), default="pending")
    review_reason: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Signature(Base):
    """A voter's signature on a joint nomination (联名): one per voter and nomination."""

    __tablename__ = "elections_signature"
    __table_args__ = (UniqueConstraint("nomination_id", "roll_entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("elections_nomination.id"), index=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("elections_roll.id"))
    channel: Mapped[str] = mapped_column(String(10), default="online")  # online | paper
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))


class Candidate(Base):
    __tablename__ = "elections_candidate"
    __table_args__ = (UniqueConstraint("election_id", "public_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("elections_section.id"))
    public_id: Mapped[str] = mapped_column(String(20))  # c1, c2 … unique across the election
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("registry_resident.id"))
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(1), default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="preliminary")  # preliminary | formal | withdrawn
    position: Mapped[int] = mapped_column(Integer, default=0)


class Proxy(Base):
    """委托投票 (E24): a voter away on polling day authorises another voter in writing."""

    __tablename__ = "elections_proxy"
    __table_args__ = (UniqueConstraint("election_id", "principal_roll_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    principal_roll_id: Mapped[int] = mapped_column(ForeignKey("elections_roll.id"))
    proxy_roll_id: Mapped[int] = mapped_column(ForeignKey("elections_roll.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    registered_on: Mapped[dt.date] = mapped_column(Date)


class Round(Base):
    """A round of voting: 1 is the election, later ones are run-offs (另行选举) or tie-breaks."""

    __tablename__ = "elections_round"
    __table_args__ = (UniqueConstraint("election_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="regular")  # regular | runoff | tiebreak
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | counting | closed | published
    sections: Mapped[str] = mapped_column(Text)  # the board's "sections" (JSON), fixed when the round opens
    # The board's "election" object (JSON), fixed when the round opens: a later rename of the community or
    # the title must not change the chain's genesis.
    election_header: Mapped[str | None] = mapped_column(Text)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text)  # JSON, set when closed
    board: Mapped[str | None] = mapped_column(Text)  # the published board document (canonical JSON)
    signatories: Mapped[str] = mapped_column(Text, default="{}")  # E36 count record
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Box(Base):
    """A polling station's box or a mobile box (流动票箱, E25)."""

    __tablename__ = "elections_box"
    __table_args__ = (UniqueConstraint("round_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("elections_round.id"), index=True)
    key: Mapped[str] = mapped_column(String(20))  # box-1 …
    kind: Mapped[str] = mapped_column(String(10), default="station")  # station | mobile
    name: Mapped[str] = mapped_column(String(100))
    escorts: Mapped[str] = mapped_column(String(300), default="")  # mobile boxes: 3+ staff
    issued: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int | None] = mapped_column(Integer)
    counted: Mapped[str] = mapped_column(String(10), default="")  # "" | ballots | tally


class RollMark(Base):
    """The participation register: this voter has received or cast a ballot in this round.
    The primary key makes a second ballot for the same voter impossible, whatever the channel."""

    __tablename__ = "elections_mark"
    __table_args__ = (ANONYMOUS_TABLE_ARGS,)
    round_id: Mapped[int] = mapped_column(ForeignKey("elections_round.id"), primary_key=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("elections_roll.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # online | box
    box_key: Mapped[str] = mapped_column(String(20), default="")
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[dt.date] = mapped_column(Date)  # coarse on purpose


class Ballot(Base):
    """An online ballot's content. Random key, no voter, no time."""

    __tablename__ = "elections_ballot"
    __table_args__ = (ANONYMOUS_TABLE_ARGS,)
    round_id: Mapped[int] = mapped_column(ForeignKey("elections_round.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON of the BALLOT


class BoardEntry(Base):
    """One link of the round's public hash chain (the contract's entries)."""

    __tablename__ = "elections_board_entry"
    round_id: Mapped[int] = mapped_column(ForeignKey("elections_round.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    tracking_code: Mapped[str | None] = mapped_column(String(20), index=True)
    entry: Mapped[str] = mapped_column(Text)  # canonical JSON of the whole entry, hash included


class PaperDraft(Base):
    """A paper ballot (or a box tally) entered by one official, waiting for a second to confirm it."""

    __tablename__ = "elections_paper_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("elections_round.id"), index=True)
    box_key: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # paper | box
    payload: Mapped[str] = mapped_column(Text)  # BALLOT / null / tally (JSON)
    entered_by: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | confirmed | rejected


class Relation(Base):
    """A declared near-relative link between two residents of the community, per election (E3, E8, E9).
    Symmetric: the pair is stored with the smaller resident id first, once per election."""

    __tablename__ = "elections_relation"
    __table_args__ = (UniqueConstraint("election_id", "a_resident_id", "b_resident_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    a_resident_id: Mapped[int] = mapped_column(ForeignKey("registry_resident.id"))
    b_resident_id: Mapped[int] = mapped_column(ForeignKey("registry_resident.id"))
    kind: Mapped[str] = mapped_column(String(30))  # spouse | parent-child | sibling | grandparent-grandchild
    source: Mapped[str] = mapped_column(String(300), default="")  # how it is known (household register, declaration …)
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecallRequest(Base):
    """罢免 (E39): a request to recall sitting members of one election, with its reasons and signatures."""

    __tablename__ = "elections_recall"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    origin_election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20))  # the original election's mode
    base: Mapped[int] = mapped_column(Integer)  # voters (households, representatives) on the original roll
    threshold: Mapped[int] = mapped_column(Integer)  # signatures needed (1/10, or 1/3 of representatives)
    reasons: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10), default="online")  # online | paper
    # collecting → submitted (threshold met) → scheduled (vote set up) → decided
    status: Mapped[str] = mapped_column(String(20), default="collecting")
    vote_election_id: Mapped[int | None] = mapped_column(ForeignKey("elections_election.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecallTarget(Base):
    """One member whose recall is requested, with the member's written reply (right of reply)."""

    __tablename__ = "elections_recall_target"
    __table_args__ = (UniqueConstraint("recall_id", "member_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("elections_recall.id"), index=True)
    member_key: Mapped[str] = mapped_column(String(60))  # the person in the original result: c3 | write:name
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("registry_resident.id"))
    name: Mapped[str] = mapped_column(String(50))
    section_key: Mapped[str] = mapped_column(String(20))
    section_title: Mapped[str] = mapped_column(String(50))
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    vote_candidate: Mapped[str] = mapped_column(String(20), default="")  # the candidate id on the recall ballot
    outcome: Mapped[str] = mapped_column(String(10), default="")  # "" | passed | failed


class RecallSignature(Base):
    """A voter's signature on a recall request: one per voter and request."""

    __tablename__ = "elections_recall_signature"
    __table_args__ = (UniqueConstraint("recall_id", "roll_entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("elections_recall.id"), index=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("elections_roll.id"))
    channel: Mapped[str] = mapped_column(String(10), default="online")  # online | paper
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))


class Vacancy(Base):
    """A seat of a closed election left empty (unfilled after run-offs) or vacated (recall, resignation)."""

    __tablename__ = "elections_vacancy"
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections_election.id"), index=True)
    section_key: Mapped[str] = mapped_column(String(20))
    section_title: Mapped[str] = mapped_column(String(50))
    member_key: Mapped[str] = mapped_column(String(60), default="")  # "" for a seat nobody won
    name: Mapped[str] = mapped_column(String(50), default="")
    reason: Mapped[str] = mapped_column(String(20))  # unfilled | recall | resignation
    recall_id: Mapped[int | None] = mapped_column(ForeignKey("elections_recall.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    by_election_id: Mapped[int | None] = mapped_column(ForeignKey("elections_election.id"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# `civic audit verify` checks every round's chain (registers CHAIN_VERIFIERS["elections"]).
import civic.elections.integrity  # noqa: E402,F401
