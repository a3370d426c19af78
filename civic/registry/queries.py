"""Read side of the registry, with explicit loads (relationships are lazy="raise")."""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from civic import paging, snapshots
from civic.registry.models import Community, Grid, Household, Resident, ResidentGroup, StreetOffice
from civic.registry.rules import normalise_id

PAGE_SIZE = 50


def communities_overview(db: Session, *, residents: bool = False) -> list[dict]:
    """Every community with its street office (and, asked for, its number of residents), in id order. On a GET
    page the list itself is kept per process while nothing of the core changed (see civic.snapshots; elsewhere
    read), so it is shared: read it, never change it. Seven index pages list the communities; counting a
    district's million residents took 40 ms a request, and building its hundred rows anew a seventh of the home page."""
    return snapshots.kept(db, "communities-overview", (residents,), ("core",), lambda s: _overview(s, residents))


def _overview(db: Session, residents: bool) -> list[dict]:
    rows = snapshots.kept(db, "communities", (), ("core",), _communities)
    if not residents:
        return [{"community": community, "street": street} for community, street in rows]
    counts = snapshots.kept(db, "resident-counts", (), ("core",), _resident_counts)
    return [{"community": community, "street": street, "residents": counts.get(community.id, 0)} for community, street in rows]


def _communities(db: Session) -> list[tuple[Community, StreetOffice]]:
    rows = db.connection().execute(_communities_statement()).all()
    return [(snapshots.detached(Community, row), snapshots.detached(StreetOffice, row, snapshots.width(Community))) for row in rows]


@cache
def _communities_statement():
    return (snapshots.select_of(Community, StreetOffice)
            .join_from(Community.__table__, StreetOffice.__table__, StreetOffice.id == Community.street_id).order_by(Community.id))


def _resident_counts(db: Session) -> dict[int, int]:
    return dict(db.execute(select(Resident.community_id, func.count()).group_by(Resident.community_id)).all())


def community_by_code(db: Session, code: str) -> Community | None:
    return _community_with_street(db, "code", code)


def community_by_id(db: Session, community_id: int) -> Community | None:
    return _community_with_street(db, "id", community_id)


def community(db: Session, community_id: int) -> Community | None:
    """The community a row belongs to: on a GET page the kept one, elsewhere the session's own (`db.get`, which
    a write path has usually loaded already)."""
    if snapshots.active(db):
        return community_by_id(db, community_id)
    return db.get(Community, community_id)


def _community_with_street(db: Session, column: str, value) -> Community | None:
    """With its street office: on a GET page a snapshot kept per process (see civic.snapshots)."""
    if snapshots.active(db):
        return snapshots.kept(db, "community", (column, value), ("core",), lambda s: _community_snapshot(s, column, value))
    return db.execute(_community_orm_statement(column), {"value": value}).scalar_one_or_none()


def district_id_of(db: Session, community: Community) -> int | None:
    """The district whose rules apply to `community`: from its street office when that came with it (every
    page's community does), else read."""
    street = community.__dict__.get("street") or db.get(StreetOffice, community.street_id)
    return street.district_id if street else None


def _community_snapshot(db: Session, column: str, value) -> Community | None:
    """A GET page's community with its street office, kept per process (see civic.snapshots)."""
    row = db.connection().execute(_community_statement(column), {"value": value}).first()
    if row is None:
        return None
    community = snapshots.detached(Community, row)
    community.__dict__["street"] = snapshots.detached(StreetOffice, row, snapshots.width(Community))
    return community


@cache
def _community_orm_statement(column: str):
    """Built once per column (every page asks); the value is bound per call."""
    return select(Community).options(joinedload(Community.street)).where(Community.__table__.c[column] == bindparam("value"))


@cache
def _community_statement(column: str):
    table = Community.__table__
    return (snapshots.select_of(Community, StreetOffice).join_from(table, StreetOffice.__table__, StreetOffice.id == Community.street_id)
            .where(table.c[column] == bindparam("value")))


def community_stats(db: Session, community: Community) -> dict:
    """The community page's figures. On a GET page kept per process while the core holds (civic.snapshots): five
    counts over a district community's 10,000 residents took most of the page."""
    return snapshots.kept(db, "community-stats", (community.id,), ("core",), lambda s: _community_stats(s, community.id))


def _community_stats(db: Session, community_id: int) -> dict:
    def count(model, *where):
        return db.scalar(select(func.count()).select_from(model).where(model.community_id == community_id, *where))

    return {
        "residents": count(Resident),
        "households": count(Household),
        "groups": count(ResidentGroup),
        "grids": count(Grid),
        "representatives": count(Resident, Resident.is_resident_rep.is_(True)),
    }


def groups(db: Session, community: Community) -> list[ResidentGroup]:
    """The community's residents' groups in order, as snapshots (kept on a GET page like community_stats)."""
    return snapshots.kept(db, "resident-groups", (community.id,), ("core",),
                          lambda s: snapshots.instances(s, ResidentGroup, _groups_statement(), {"community_id": community.id}))


@cache
def _groups_statement():
    return (snapshots.select_of(ResidentGroup).where(ResidentGroup.community_id == bindparam("community_id"))
            .order_by(ResidentGroup.number))


def grids(db: Session, community: Community) -> list[Grid]:
    return list(db.execute(select(Grid).where(Grid.community_id == community.id).order_by(Grid.name)).scalars())


def residents_page(db: Session, community: Community, q: str = "", page: int = 1) -> tuple[list[Resident], int, int, int]:
    """(the residents on the page, how many match, the page shown — within the list —, the number of pages)."""
    query = select(Resident).where(Resident.community_id == community.id)
    q = q.strip()
    if q:
        query = query.where(or_(Resident.name.contains(q), Resident.phone == q, Resident.id_number == normalise_id(q)))
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    page, pages = paging.clamp(page, total, PAGE_SIZE)
    rows = db.execute(
        query.options(joinedload(Resident.household)).order_by(Resident.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).scalars()
    return list(rows), total, page, pages


def streets_for(db: Session) -> list[StreetOffice]:
    return list(db.execute(select(StreetOffice).order_by(StreetOffice.id)).scalars())
