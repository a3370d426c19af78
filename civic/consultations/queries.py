"""Read side: explicit loads, a fixed number of queries per page whatever the size of a thread."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property

from sqlalchemy import and_, bindparam, case, func, literal, select, text
from sqlalchemy.orm import Session, aliased, joinedload

from civic import paging, snapshots
from civic.consultations import rules
from civic.consultations.models import (
    ATTENTION, AgendaItem, Alias, Attachment, Comment, CommentReport, CommentVersion, CommentVote, Consultation, FormalItem,
    FormalMeeting, Opinion, ProgressUpdate, Signup, Speaker, Support,
)
from civic.registry import queries as registry_queries
from civic.registry.models import Community

ROOTS_PER_PAGE = 20
REPLIES_PER_ROOT = 10  # replies shown under a top-level comment before "continue this conversation"
LIST_PAGE = 30


def community_counts(db: Session) -> dict[int, dict[str, int]]:
    """Per community: consultations by broad stage (proposed, running, finished)."""
    rows = db.execute(select(Consultation.community_id, Consultation.status, func.count()).group_by(Consultation.community_id, Consultation.status)).all()
    counts: dict[int, dict[str, int]] = {}
    for community_id, status, n in rows:
        bucket = "proposed" if status == "proposed" else "finished" if status in ("done", "declined") else "running"
        counts.setdefault(community_id, {"proposed": 0, "running": 0, "finished": 0})[bucket] += n
    return counts


STAGE_FILTERS = {
    "proposed": ("proposed",),
    "running": ("accepted", "announced", "held", "minuted", "decided", "implementing"),
    "finished": ("done", "declined"),
}


def consultations_of(db: Session, community: Community, stage: str = "", page: int = 1) -> tuple[list[Consultation], int, int, int]:
    """(the consultations on the page, how many match, the page shown — within the list —, the number of pages)."""
    query = select(Consultation).where(Consultation.community_id == community.id)
    if stage in STAGE_FILTERS:
        query = query.where(Consultation.status.in_(STAGE_FILTERS[stage]))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    page, pages = paging.clamp(page, total, LIST_PAGE)
    rows = db.execute(query.order_by(Consultation.created_at.desc(), Consultation.id.desc()).limit(LIST_PAGE).offset((page - 1) * LIST_PAGE)).scalars()
    return list(rows), total, page, pages


def comment_counts(db: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.execute(select(Comment.consultation_id, func.count()).where(Comment.consultation_id.in_(ids)).group_by(Comment.consultation_id)).all()
    return dict(rows)


def recent_for_feed(db: Session, community: Community, limit: int = 50) -> list[Consultation]:
    return list(db.execute(select(Consultation).where(Consultation.community_id == community.id)
                           .order_by(Consultation.created_at.desc(), Consultation.id.desc()).limit(limit)).scalars())


class Detail:
    """What the consultation page shows, each part loaded on first use: a page whose shared parts come from
    the fragment cache (templates/consultations/detail.html) asks only for what the reader's own parts need."""

    def __init__(self, db: Session, consultation: Consultation, user_id: int | None):
        self._db, self.consultation, self._user_id = db, consultation, user_id

    def _all(self, model, order):
        return list(self._db.execute(select(model).where(model.consultation_id == self.consultation.id).order_by(order)).scalars())

    @cached_property
    def community(self) -> Community:
        return registry_queries.community_by_id(self._db, self.consultation.community_id)

    @cached_property
    def items(self) -> list[AgendaItem]:
        return self._all(AgendaItem, AgendaItem.position)

    @cached_property
    def attachments(self) -> list[Attachment]:
        return self._all(Attachment, Attachment.id)

    @cached_property
    def signups(self) -> list[Signup]:
        return self._all(Signup, Signup.id)

    @cached_property
    def opinions(self) -> list[Opinion]:
        return self._all(Opinion, Opinion.id)

    @cached_property
    def updates(self) -> list[ProgressUpdate]:
        return self._all(ProgressUpdate, ProgressUpdate.id)

    @cached_property
    def speakers(self) -> list[Speaker]:
        consultation = self.consultation
        speakers = list(self._db.execute(select(Speaker).options(joinedload(Speaker.signup)).where(Speaker.consultation_id == consultation.id)
                                         .order_by(Speaker.position)).scalars())
        if consultation.form == "hearing":  # C8: proposer → stakeholders → other representatives → experts, each in request order
            speakers.sort(key=lambda s: (rules.speaking_rank(s.signup.kind, s.signup.user_id is not None and s.signup.user_id == consultation.proposer_user_id),
                                         s.position))
        return speakers

    @cached_property
    def formal_items(self) -> list[tuple[FormalItem, FormalMeeting]]:
        return [tuple(r) for r in self._db.execute(select(FormalItem, FormalMeeting).join(FormalMeeting, FormalMeeting.id == FormalItem.meeting_id)
                                                   .where(FormalItem.consultation_id == self.consultation.id).order_by(FormalItem.id)).all()]

    @cached_property
    def _reader(self) -> tuple[str | None, bool, Signup | None]:
        """The reader's pseudonym, support and sign-up, in one statement: every signed-in page asks for them."""
        if not self._user_id:
            return None, False, None
        row = snapshots.rows(self._db, _reader_statement(), {"consultation_id": self.consultation.id, "user_id": self._user_id})[0]
        signup = snapshots.detached(Signup, row, 2) if row[2] is not None else None  # shown, never changed through this object
        return row[0], row[1] is not None, signup

    @property
    def alias(self) -> str | None:
        return self._reader[0]

    @property
    def my_support(self) -> bool:
        return self._reader[1]

    @cached_property
    def my_signup(self) -> Signup | None:
        if self._user_id and "signups" in self.__dict__:
            return next((s for s in self.signups if s.user_id == self._user_id), None)
        return self._reader[2]

    @cached_property
    def counts(self) -> dict:
        active = [s for s in self.signups if s.status != "withdrawn"]
        return {
            "participants": len(active),
            "checked_in": sum(1 for s in active if s.checked_in_at),
            "applied": sum(1 for s in active if s.status in ("applied", "selected", "reserve")),
            "selected": sum(1 for s in active if s.status == "selected"),
            "waitlisted": sum(1 for s in active if s.status == "waitlisted"),
            "registered": sum(1 for s in active if s.status in ("registered", "selected")),
            "stances": {k: sum(1 for s in active if s.stance == k and s.status in ("applied", "selected", "reserve")) for k in rules.STANCES},
            "unanswered": sum(1 for o in self.opinions if o.answered_at is None),
        }

    @property
    def public_participants(self) -> list[Signup]:
        """Names published: hearing representatives and invited parties; other residents only as counts."""
        return [s for s in self.signups if s.status == "selected" or (s.kind != "resident" and s.status != "withdrawn")]


def detail(db: Session, consultation: Consultation, user_id: int | None) -> Detail:
    """The consultation page's data (see `Detail`: loaded part by part, on first use)."""
    return Detail(db, consultation, user_id)


# -- threads ----------------------------------------------------------------------------------------
@dataclass
class Node:
    comment: Comment
    children: list["Node"] = field(default_factory=list)


@dataclass
class ThreadPage:
    roots: list[Node]
    total_roots: int
    total_comments: int
    page: int
    pages: int
    sort: str
    my_votes: set[int]
    reply_cap: int = REPLIES_PER_ROOT

    def hidden_replies(self, node: Node) -> int:
        """Replies of a top-level comment not loaded on this page (the link continues the conversation)."""
        return max(0, node.comment.replies - _count(node) + 1)


def _count(node: Node) -> int:
    return 1 + sum(_count(child) for child in node.children)


ORDER = {
    "best": (Comment.upvotes.desc(), Comment.id.desc()),
    "newest": (Comment.id.desc(),),
    "oldest": (Comment.id.asc(),),
    "discussed": (Comment.replies.desc(), Comment.id.desc()),
}


def _thread_filter(consultation_id: int, agenda_item_id: int | None):
    item = Comment.agenda_item_id.is_(None) if agenda_item_id is None else Comment.agenda_item_id == agenda_item_id
    return and_(Comment.consultation_id == consultation_id, item)


def thread(db: Session, consultation_id: int, agenda_item_id: int | None, *, sort: str = "best", page: int = 1,
           user_id: int | None = None) -> ThreadPage:
    """One page of a thread in five queries, whatever its size: count, top-level comments, their replies
    (capped per comment by a window function), the reader's up-votes, the total."""
    sort = sort if sort in ORDER else "best"
    where = _thread_filter(consultation_id, agenda_item_id)
    total_roots = db.scalar(select(func.count()).select_from(Comment).where(where, Comment.depth == 0)) or 0
    page, pages = paging.clamp(page, total_roots, ROOTS_PER_PAGE)
    roots = list(db.execute(select(Comment).where(where, Comment.depth == 0).order_by(*ORDER[sort])
                            .limit(ROOTS_PER_PAGE).offset((page - 1) * ROOTS_PER_PAGE)).scalars())
    replies = _replies(db, [r.id for r in roots])
    nodes = _tree(roots, replies)
    ids = [r.id for r in roots] + [r.id for r in replies]
    voted = my_votes(db, user_id, ids)
    total_comments = db.scalar(select(func.count()).select_from(Comment).where(where)) or 0
    return ThreadPage(nodes, total_roots, total_comments, page, pages, sort, voted)


def _replies(db: Session, root_ids: list[int]) -> list[Comment]:
    if not root_ids:
        return []
    numbered = select(Comment, func.row_number().over(partition_by=Comment.root_id, order_by=Comment.path).label("rn")) \
        .where(Comment.root_id.in_(root_ids)).subquery()
    reply = aliased(Comment, numbered)
    return list(db.execute(select(reply).where(numbered.c.rn <= REPLIES_PER_ROOT).order_by(numbered.c.path)).scalars())


def _tree(roots: list[Comment], replies: list[Comment]) -> list[Node]:
    nodes = {c.id: Node(c) for c in roots}
    for reply in replies:  # ordered by path: a parent always comes before its replies
        node = Node(reply)
        nodes[reply.id] = node
        parent = nodes.get(reply.parent_id)
        if parent is not None:
            parent.children.append(node)
    return [nodes[r.id] for r in roots]


def my_votes(db: Session, user_id: int | None, ids: list[int]) -> set[int]:
    if not user_id or not ids:
        return set()
    # The reader's votes between the page's first and last comment, on the (user, comment) index: one fixed
    # statement (an expanding IN is rendered again for every call), then only the page's own.
    rows = snapshots.rows(db, _my_votes_statement(), {"user_id": user_id, "low": min(ids), "high": max(ids)})
    wanted = set(ids)
    return {comment_id for (comment_id,) in rows if comment_id in wanted}


# Asked on every signed-in consultation page: built once, parameters bound per call (building a statement
# cost more than running it).
@cache
def _reader_statement():
    """One row: the reader's pseudonym, their support's id and their sign-up's columns (each None if there is
    none; each at most one, by the unique constraints)."""
    mine = {"consultation_id": bindparam("consultation_id"), "user_id": bindparam("user_id")}
    alias = select(Alias.alias).where(Alias.user_id == mine["user_id"]).scalar_subquery()
    support = select(Support.id).where(Support.consultation_id == mine["consultation_id"], Support.user_id == mine["user_id"]).scalar_subquery()
    one_row = select(literal(1).label("one")).subquery()
    return (select(alias.label("alias"), support.label("support"), *snapshots.columns(Signup)).select_from(one_row)
            .outerjoin(Signup, and_(Signup.consultation_id == mine["consultation_id"], Signup.user_id == mine["user_id"])))


@cache
def _my_votes_statement():
    return select(CommentVote.comment_id).where(CommentVote.user_id == bindparam("user_id"),
                                                CommentVote.comment_id.between(bindparam("low"), bindparam("high")))


def subtree(db: Session, comment: Comment, user_id: int | None, limit: int = 500) -> tuple[Node, set[int]]:
    """A comment and its replies (for "continue this conversation" and links from notifications)."""
    rows = list(db.execute(select(Comment).where(Comment.path.startswith(comment.path + "."), Comment.root_id == (comment.root_id or comment.id))
                           .order_by(Comment.path).limit(limit)).scalars())
    nodes = _tree([comment], rows)
    return nodes[0], my_votes(db, user_id, [comment.id] + [r.id for r in rows])


def versions(db: Session, comment: Comment) -> list[CommentVersion]:
    return list(db.execute(select(CommentVersion).where(CommentVersion.comment_id == comment.id).order_by(CommentVersion.id)).scalars())


def alias_of(db: Session, user_id: int | None) -> str | None:
    if not user_id:
        return None
    found = snapshots.rows(db, _alias_statement(), {"user_id": user_id})
    return found[0][0] if found else None


@cache
def _alias_statement():
    return select(Alias.alias).where(Alias.user_id == bindparam("user_id"))


# The partial index's own condition (models.ATTENTION): only a query repeating it word for word gets that index.
NEEDS_ATTENTION = text(f"({ATTENTION})")


def moderation_queue(db: Session, community: Community) -> list[tuple[Comment, Consultation, list[CommentReport]]]:
    """Comments with open reports or awaiting a decision, most reported first."""
    rows = list(db.execute(
        select(Comment, Consultation).join(Consultation, Consultation.id == Comment.consultation_id)
        .where(Consultation.community_id == community.id, NEEDS_ATTENTION, (Comment.reports > 0) | (Comment.state == "pending"))
        .order_by(case((Comment.state == "pending", 0), else_=1), Comment.reports.desc(), Comment.id).limit(200)
    ).all())
    reports: dict[int, list[CommentReport]] = {}
    if rows:
        for report in db.execute(select(CommentReport).where(CommentReport.comment_id.in_([c.id for c, _x in rows]), CommentReport.resolved.is_(False))
                                 .order_by(CommentReport.id)).scalars():
            reports.setdefault(report.comment_id, []).append(report)
    return [(c, k, reports.get(c.id, [])) for c, k in rows]


def hidden_comments(db: Session, community: Community, limit: int = 50) -> list[tuple[Comment, Consultation]]:
    return list(db.execute(select(Comment, Consultation).join(Consultation, Consultation.id == Comment.consultation_id)
                           .where(Consultation.community_id == community.id, NEEDS_ATTENTION, Comment.state == "hidden")
                           .order_by(Comment.id.desc()).limit(limit)).all())


# -- formal meetings --------------------------------------------------------------------------------
def meetings_of(db: Session, community: Community) -> list[FormalMeeting]:
    return list(db.execute(select(FormalMeeting).where(FormalMeeting.community_id == community.id)
                           .order_by(FormalMeeting.meeting_date.desc(), FormalMeeting.id.desc())).scalars())


def meeting_items(db: Session, meeting: FormalMeeting) -> list[FormalItem]:
    return list(db.execute(select(FormalItem).where(FormalItem.meeting_id == meeting.id).order_by(FormalItem.position)).scalars())


def last_representatives_meeting(db: Session, community: Community):
    return db.scalar(select(func.max(FormalMeeting.meeting_date)).where(
        FormalMeeting.community_id == community.id, FormalMeeting.kind == "representatives", FormalMeeting.status == "held"))


def open_meetings(db: Session, community: Community) -> list[FormalMeeting]:
    return list(db.execute(select(FormalMeeting).where(FormalMeeting.community_id == community.id, FormalMeeting.status == "called")
                           .order_by(FormalMeeting.meeting_date)).scalars())


# -- open data --------------------------------------------------------------------------------------
def open_record(db: Session, consultation: Consultation) -> dict:
    """The public record of one consultation (no personal data beyond the names shown on the page)."""
    d = detail(db, consultation, None)
    items = {i.id: i.title for i in d.items}
    c = consultation
    return {
        "id": c.id,
        "community": {"code": d.community.code, "name": d.community.name},
        "title": c.title,
        "description": c.body,
        "status": c.status,
        "form": c.form or None,
        "source": c.source,
        "proposed_at": c.created_at.isoformat(),
        "supporters": c.supporters,
        "decision": {"at": c.decided_at.isoformat() if c.decided_at else None, "reason": c.decision_reason},
        "meeting": {"date": c.meeting_date.isoformat() if c.meeting_date else None, "time": c.meeting_time or None, "place": c.place or None,
                    "mode": c.meeting_mode, "announced_on": c.announced_on.isoformat() if c.announced_on else None,
                    "held_on": c.held_on.isoformat() if c.held_on else None},
        "participants": {"signed_up": d.counts["participants"], "checked_in": d.counts["checked_in"], "attendance": c.attendance,
                         "hearing_representatives": d.counts["selected"], "selection_method": c.selection_method if c.selected_at else None,
                         "selection_seed": c.selection_seed or None},
        "agenda": [{"position": i.position, "title": i.title, "minutes": i.minutes} for i in d.items],
        "opinions": [{
            "id": o.id, "agenda_item": items.get(o.agenda_item_id), "stance": o.stance, "text": o.body,
            "created_at": o.created_at.isoformat(), "disposition": o.disposition or None, "answer": o.answer or None,
            "referred_to": o.referred_to or None, "answered_at": o.answered_at.isoformat() if o.answered_at else None,
        } for o in d.opinions],
        "minutes": c.minutes or None,
        "outcome": c.outcome or None,
        "outcome_at": c.outcome_at.isoformat() if c.outcome_at else None,
        "formal_decisions": [{"meeting": m.title, "kind": m.kind, "date": m.meeting_date.isoformat(), "result": i.result or None,
                              "for": i.votes_for, "against": i.votes_against, "abstentions": i.abstentions, "attendees": m.attendees}
                             for i, m in d.formal_items],
        "progress": c.progress,
        "updates": [{"at": u.created_at.isoformat(), "progress": u.progress, "note": u.note} for u in d.updates],
    }
