"""Read side of disclosure: boards, search, items with their versions, the schedule calendar, open data.

Relationships are lazy="raise": every loader here says what it loads. Public readers get the public
rendition only (masked tables, public attachments); `full=True` is for authorised staff.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from civic import paging, snapshots
from civic.accounts.models import RoleAssignment
from civic.disclosure import rules
from civic.disclosure.models import (Attachment, CategorySetting, Disclosure, DisclosureVersion, Extension, Feedback,
                                     Obligation)
from civic.i18n import TZ, _
from civic.markdown import render_markdown
from civic.registry.models import Community

PAGE_SIZE = 20


def local_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).astimezone(TZ).date()


# --- categories --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryView:
    code: str
    title: str  # msgid
    requires_review: bool
    names: str
    active: bool
    schedule_key: str | None
    notice_key: str | None


def categories(db: Session) -> Mapping[str, CategoryView]:
    """The built-in categories with the administrator's settings applied (read-only: on a GET page it is kept
    for every reader while nothing in disclosure is written; every page of the module reads it)."""
    return snapshots.kept(db, "disclosure-categories", (), ("disclosure",), _categories)


def _categories(db: Session) -> Mapping[str, CategoryView]:
    settings = {s.code: s for s in db.execute(select(CategorySetting)).scalars()}
    out = {}
    for code, base in rules.CATEGORIES.items():
        s = settings.get(code)
        out[code] = CategoryView(code, base.title, s.requires_review if s else base.requires_review,
                                 s.names if s else base.names, s.active if s else True, base.schedule_key, base.notice_key)
    return MappingProxyType(out)


# --- items -------------------------------------------------------------------------------------------

def public_filter(today: dt.date):
    """What the public may see: published and the publication day reached (taken-down items stay in the archive)."""
    return and_(Disclosure.published_on.is_not(None), Disclosure.published_on <= today)


def pending_objection_counts(db: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.execute(
        select(Feedback.disclosure_id, func.count()).where(Feedback.disclosure_id.in_(ids), Feedback.kind == "objection",
                                                           Feedback.answered_at.is_(None)).group_by(Feedback.disclosure_id)
    ).all()
    return dict(rows)


def status_of(item: Disclosure, today: dt.date, pending: int, working: DisclosureVersion | None = None) -> str:
    return rules.disclosure_status(
        published_on=item.published_on, today=today, notice_ends_on=item.notice_ends_on, pending_objections=pending,
        withdrawn=item.withdrawn_on is not None, in_review=working is not None and working.state == "in_review",
    )


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_condition(db: Session, q: str):
    """Every word of the query must occur. Words of 3+ characters use the trigram index (FTS5 on SQLite,
    pg_trgm on PostgreSQL); 1–2 character words (common in Chinese: 低保, 党) fall back to LIKE."""
    terms = [t for t in (q or "").split() if t][:8]
    conditions = []
    sqlite = db.get_bind().dialect.name == "sqlite"
    for term in terms:
        if sqlite and len(term) >= 3:
            phrase = '"' + term.replace('"', '""') + '"'
            conditions.append(Disclosure.id.in_(select(text("rowid")).select_from(text("disclosure_fts")).where(text("disclosure_fts MATCH :p").bindparams(p=phrase))))
        elif sqlite:
            conditions.append(Disclosure.search_text.like(_like(term), escape="\\"))
        else:
            conditions.append(Disclosure.search_text.ilike(_like(term), escape="\\"))
    return and_(*conditions) if conditions else None


@dataclass
class BoardPage:
    items: list[Disclosure]
    total: int
    page: int
    pages: int
    pending: dict[int, int] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)


def board(db: Session, community: Community, *, today: dt.date, category: str = "", year: int | None = None, q: str = "",
          page: int = 1, include_withdrawn: bool = True, page_size: int = PAGE_SIZE) -> BoardPage:
    query = select(Disclosure).where(Disclosure.community_id == community.id, public_filter(today))
    if category:
        query = query.where(Disclosure.category == category)
    if year:
        query = query.where(Disclosure.published_on >= dt.date(year, 1, 1), Disclosure.published_on <= dt.date(year, 12, 31))
    if not include_withdrawn:
        query = query.where(Disclosure.withdrawn_on.is_(None))
    condition = search_condition(db, q)
    if condition is not None:
        query = query.where(condition)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    page, pages = paging.clamp(page, total, page_size)
    items = list(db.execute(query.order_by(Disclosure.published_on.desc(), Disclosure.number.desc()).limit(page_size).offset((page - 1) * page_size)).scalars())
    first, last = db.execute(select(func.min(Disclosure.published_on), func.max(Disclosure.published_on))
                             .where(Disclosure.community_id == community.id, public_filter(today))).one()
    years = list(range(last.year, first.year - 1, -1)) if first and last else []
    return BoardPage(items, total, page, pages, pending_objection_counts(db, [i.id for i in items]), years)


def community_summaries(db: Session, today: dt.date) -> dict[int, dict]:
    """Per community: items published this year, items in notice today. On a GET page kept per process while
    no notice changed (two counts over a district's ten years of notices took 15 ms a request)."""
    return snapshots.kept(db, "disclosure-summaries", (today,), ("core", "disclosure"), lambda s: _community_summaries(s, today))


def _community_summaries(db: Session, today: dt.date) -> dict[int, dict]:
    year_start = dt.date(today.year, 1, 1)
    published = dict(db.execute(select(Disclosure.community_id, func.count()).where(public_filter(today), Disclosure.published_on >= year_start).group_by(Disclosure.community_id)).all())
    in_notice = dict(db.execute(select(Disclosure.community_id, func.count()).where(
        public_filter(today), Disclosure.withdrawn_on.is_(None), Disclosure.notice_ends_on >= today).group_by(Disclosure.community_id)).all())
    return {cid: {"published": published.get(cid, 0), "in_notice": in_notice.get(cid, 0)} for cid in set(published) | set(in_notice)}


def load_item(db: Session, disclosure_id: int) -> Disclosure | None:
    return db.execute(
        select(Disclosure).options(
            joinedload(Disclosure.community).joinedload(Community.street),
            selectinload(Disclosure.versions).selectinload(DisclosureVersion.attachments),
        ).where(Disclosure.id == disclosure_id).execution_options(populate_existing=True)  # sessions keep objects across commits
    ).unique().scalar_one_or_none()


def sealed_versions(item: Disclosure) -> list[DisclosureVersion]:
    return [v for v in item.versions if v.state == "sealed"]


def current_version(item: Disclosure) -> DisclosureVersion | None:
    sealed = sealed_versions(item)
    return sealed[-1] if sealed else None


def working_copy(item: Disclosure) -> DisclosureVersion | None:
    """The unsealed version being written or reviewed (a draft, or a correction in preparation)."""
    return next((v for v in item.versions if v.state != "sealed"), None)


def feedback_of(db: Session, disclosure_id: int) -> list[Feedback]:
    return list(db.execute(select(Feedback).where(Feedback.disclosure_id == disclosure_id).order_by(Feedback.id)).scalars())


def extensions_of(db: Session, disclosure_id: int) -> list[Extension]:
    return list(db.execute(select(Extension).where(Extension.disclosure_id == disclosure_id).order_by(Extension.id)).scalars())


@dataclass
class Rendition:
    """A version as one audience sees it."""

    version: DisclosureVersion
    title: str
    body_html: str
    table: rules.Table | None
    attachments: list[Attachment]
    lines: list[str]


def render_version(version: DisclosureVersion, names: str, *, full: bool = False) -> Rendition:
    table = rules.Table.from_json(json.loads(version.table_json) if version.table_json else None)
    attachments = [a for a in version.attachments if full or a.public]
    title = version.title if full else rules.scrub_text(version.title)
    body = version.body if full else rules.scrub_text(version.body)
    shown = table if full else rules.public_table(table, names)
    return Rendition(version, title, str(render_markdown(body)), shown, attachments,
                     rules.version_lines(title, body, shown, [a.title for a in attachments], _("Title: "), _("Attachment: ")))


def my_feedback(db: Session, user_id: int, disclosure_id: int) -> list[Feedback]:
    return list(db.execute(select(Feedback).where(Feedback.disclosure_id == disclosure_id, Feedback.author_id == user_id).order_by(Feedback.id)).scalars())


def attachment_with_item(db: Session, attachment_id: int) -> tuple[Attachment, DisclosureVersion, Disclosure] | None:
    row = db.execute(
        select(Attachment, DisclosureVersion, Disclosure).join(DisclosureVersion, Attachment.version_id == DisclosureVersion.id)
        .join(Disclosure, DisclosureVersion.disclosure_id == Disclosure.id).where(Attachment.id == attachment_id)
    ).first()
    return tuple(row) if row else None


# --- staff dashboards -------------------------------------------------------------------------------

def unpublished_items(db: Session, community: Community) -> list[tuple[Disclosure, DisclosureVersion]]:
    """Drafts, items awaiting review and corrections in preparation."""
    rows = db.execute(
        select(Disclosure, DisclosureVersion).join(DisclosureVersion, DisclosureVersion.disclosure_id == Disclosure.id)
        .where(Disclosure.community_id == community.id, DisclosureVersion.state != "sealed").order_by(Disclosure.id.desc())
    ).all()
    return [(d, v) for d, v in rows]


def in_review(db: Session, communities: list[Community]) -> list[tuple[Disclosure, DisclosureVersion]]:
    ids = [c.id for c in communities]
    if not ids:
        return []
    rows = db.execute(
        select(Disclosure, DisclosureVersion).join(DisclosureVersion, DisclosureVersion.disclosure_id == Disclosure.id)
        .where(Disclosure.community_id.in_(ids), DisclosureVersion.state == "in_review").order_by(DisclosureVersion.id)
    ).all()
    return [(d, v) for d, v in rows]


def unanswered(db: Session, community: Community) -> list[tuple[Feedback, Disclosure]]:
    rows = db.execute(
        select(Feedback, Disclosure).join(Disclosure, Feedback.disclosure_id == Disclosure.id)
        .where(Disclosure.community_id == community.id, Feedback.answered_at.is_(None)).order_by(Feedback.id)
    ).all()
    return [(f, d) for f, d in rows]


STAFF_PAGE = 50  # published notices a page of the staff's list (a district's ten years: 280 a community)


def published_items(db: Session, community: Community, page: int = 1) -> tuple[list[Disclosure], int, int]:
    """A page of the community's published notices, newest first, with the page (within range) and the pages."""
    published = (Disclosure.community_id == community.id, Disclosure.published_on.is_not(None))
    page, pages = paging.clamp(page, db.scalar(select(func.count()).select_from(Disclosure).where(*published)) or 0, STAFF_PAGE)
    items = list(db.execute(select(Disclosure).where(*published).order_by(Disclosure.published_on.desc(), Disclosure.id.desc())
                            .limit(STAFF_PAGE).offset((page - 1) * STAFF_PAGE)).scalars())
    return items, page, pages


def late_objections(db: Session, communities: list[Community], today: dt.date) -> list[Disclosure]:
    """Notice period over with objections still unanswered: the committee should have answered or extended."""
    ids = [c.id for c in communities]
    if not ids:
        return []
    pending = select(Feedback.disclosure_id).where(Feedback.kind == "objection", Feedback.answered_at.is_(None))
    return list(db.execute(select(Disclosure).options(joinedload(Disclosure.community)).where(
        Disclosure.community_id.in_(ids), Disclosure.notice_ends_on < today, Disclosure.withdrawn_on.is_(None), Disclosure.id.in_(pending)
    ).order_by(Disclosure.notice_ends_on)).scalars())


# --- the schedule ------------------------------------------------------------------------------------

def obligations(db: Session, community_ids: list[int], active_only: bool = True) -> list[Obligation]:
    """The schedule's lines, as session-less snapshots (read, never changed through them; the oversight keeps
    them across requests)."""
    if not community_ids:
        return []
    query = snapshots.select_of(Obligation).where(Obligation.community_id.in_(community_ids))
    if active_only:
        query = query.where(Obligation.active.is_(True))
    return [snapshots.detached(Obligation, row) for row in db.execute(query.order_by(Obligation.community_id, Obligation.id))]


@dataclass
class PeriodCell:
    period: rules.Period
    status: str
    due: dt.date
    items: list[Disclosure]
    label: dict


@dataclass
class ScheduleRow:
    obligation: Obligation
    cells: list[PeriodCell]


def _covering(db: Session, community_ids: list[int], start: dt.date, end: dt.date) -> dict[tuple[int, str], list[Disclosure]]:
    """Published items (any publication date) declared to cover a period starting in [start, end]."""
    found: dict[tuple[int, str], list[Disclosure]] = defaultdict(list)
    for item in db.execute(select(Disclosure).where(*_covering_filter(community_ids, start, end)).order_by(Disclosure.published_on)).scalars():
        found[(item.community_id, item.category)].append(item)
    return found


def _covering_filter(community_ids: list[int], start: dt.date, end: dt.date) -> tuple:
    return (Disclosure.community_id.in_(community_ids), Disclosure.published_on.is_not(None),
            Disclosure.period_start >= start, Disclosure.period_start <= end)


def _covered_starts(db: Session, community_ids: list[int], start: dt.date, end: dt.date) -> dict[tuple[int, str], list[dt.date]]:
    """The period starts (in [start, end]) published items declare they cover, by community and category."""
    found: dict[tuple[int, str], list[dt.date]] = defaultdict(list)
    for community_id, category, day in db.execute(select(Disclosure.community_id, Disclosure.category, Disclosure.period_start)
                                                  .where(*_covering_filter(community_ids, start, end))):
        found[(community_id, category)].append(day)
    return found


def calendar(db: Session, community: Community, year: int, today: dt.date) -> list[ScheduleRow]:
    rows = []
    duties = obligations(db, [community.id])
    covering = _covering(db, [community.id], dt.date(year, 1, 1), dt.date(year, 12, 31))
    for duty in duties:
        cells = []
        for period in rules.periods(year, duty.every_months):
            items = [i for i in covering[(community.id, duty.category)] if period.contains(i.period_start)]
            cells.append(PeriodCell(period, rules.period_status(period, duty.grace_days, bool(items), today, duty.starts_on),
                                    rules.due_on(period, duty.grace_days), items, rules.period_label_parts(period, duty.every_months)))
        rows.append(ScheduleRow(duty, cells))
    return rows


@dataclass
class OverdueItem:
    community: Community
    obligation: Obligation
    period: rules.Period
    due: dt.date
    label: dict


def overdue(db: Session, communities: list[Community], today: dt.date) -> list[OverdueItem]:
    """Every overdue period of this year and last year, across the given communities, oldest first. On a GET page
    kept per process while the core and the notices hold: a district's oversight page weighs 400 duties' two years
    of periods against every notice covering them."""
    by_id = {c.id: c for c in communities}
    found = snapshots.kept(db, "disclosure-overdue", (tuple(by_id), today), ("core", "disclosure"), lambda s: _overdue(s, list(by_id), today))
    return [OverdueItem(by_id[community_id], duty, period, due, label) for community_id, duty, period, due, label in found]


def _overdue(db: Session, community_ids: list[int], today: dt.date) -> list[tuple]:
    duties = obligations(db, community_ids)
    starts = _covered_starts(db, community_ids, dt.date(today.year - 1, 1, 1), today)
    periods_of = cache(rules.periods)  # a handful of (year, months) pairs for every duty
    out = []
    for duty in duties:
        # The periods a published item covers, as (year, number in the year): the duty's periods tile the year.
        # A district's supervisor checked every item against every period, 150 ms a page.
        every = duty.every_months
        covered = {(day.year, (day.month - 1) // every) for day in starts.get((duty.community_id, duty.category), ())}
        for year in (today.year - 1, today.year):
            for period in periods_of(year, every):
                is_covered = (year, (period.start.month - 1) // every) in covered
                if rules.period_status(period, duty.grace_days, is_covered, today, duty.starts_on) == "overdue":
                    out.append((duty.community_id, duty, period, rules.due_on(period, duty.grace_days),
                                rules.period_label_parts(period, duty.every_months)))
    return sorted(out, key=lambda o: (o[3], o[0]))


def period_choices(db: Session, community: Community, category: str, today: dt.date) -> list[tuple[rules.Period, dict]]:
    """Periods an item of this category may declare it covers: the schedule's last 12 months and the current one."""
    duty = db.execute(select(Obligation).where(Obligation.community_id == community.id, Obligation.category == category)).scalar_one_or_none()
    if duty is None:
        return []
    found = []
    for year in (today.year - 1, today.year):
        for period in rules.periods(year, duty.every_months):
            if period.start <= today and period.end >= today - dt.timedelta(days=370):
                found.append((period, rules.period_label_parts(period, duty.every_months)))
    return list(reversed(found))


# --- people to notify ---------------------------------------------------------------------------------

def user_ids_with_role(db: Session, role: str, community: Community) -> list[int]:
    scope = RoleAssignment.community_id == community.id
    if role == "street_supervisor":
        scope = or_(scope, RoleAssignment.street_id == community.street_id)
    return list(db.execute(select(RoleAssignment.user_id).where(RoleAssignment.role == role, scope)).scalars())


def display_names(db: Session, user_ids: set) -> dict[int, str]:
    from civic.accounts.models import User

    ids = {u for u in user_ids if u}
    if not ids:
        return {}
    return {uid: name for uid, name in db.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}


def communities_where(db: Session, actor, permission: str) -> list[Community]:
    """The communities where `actor` has `permission`, in id order: the registry's kept snapshots on a GET page
    (the staff's notice index asks three times a request, and a district has a hundred communities)."""
    from civic.registry.queries import communities_overview
    from civic.security import can

    return [row["community"] for row in communities_overview(db) if can(actor, permission, row["community"])]


# --- open data -----------------------------------------------------------------------------------------

def open_data_rows(db: Session, community: Community, today: dt.date, year: int | None = None) -> list[dict]:
    page = board(db, community, today=today, year=year, page_size=10_000)
    return [{
        "id": item.id,
        "number": item.number,
        "year": item.year,
        "title": item.title,
        "category": item.category,
        "published_on": item.published_on.isoformat() if item.published_on else None,
        "notice_ends_on": item.notice_ends_on.isoformat() if item.notice_ends_on else None,
        "status": status_of(item, today, page.pending.get(item.id, 0)),
        "withdrawn_on": item.withdrawn_on.isoformat() if item.withdrawn_on else None,
        "read_count": item.read_count,
    } for item in page.items]


# --- for other modules (D8) ---------------------------------------------------------------------------

def leaving_audit_published(db: Session, community_id: int, since: dt.date | None = None) -> bool:
    """Has the chair's leaving audit (离任审计, D8) been published for this community (on or after `since`)?

    Pure query for the elections module, reached through the module registry: an election may be
    scheduled only once this is true (rules key disclosure.audit_before_election).
    """
    query = select(Disclosure.id).where(
        Disclosure.community_id == community_id, Disclosure.category == "audit", Disclosure.is_leaving_audit.is_(True),
        Disclosure.published_on.is_not(None), Disclosure.published_on <= local_today(),
    )
    if since is not None:
        query = query.where(Disclosure.published_on >= since)
    return db.execute(query.limit(1)).first() is not None
