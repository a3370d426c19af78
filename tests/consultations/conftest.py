"""A small community for consultation tests: staff, residents (some representatives), another community."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from civic.registry.models import Household, ResidentGroup, StreetOffice
from civic.security import load_actor
from tests.helpers import make_community, make_resident, make_user

TODAY = dt.date(2026, 3, 2)


def build_world(db, residents: int = 20):
    home = make_community(db, code="home", name="安和社区")
    street = db.get(StreetOffice, home.street_id)
    other = make_community(db, code="other", name="康宁社区", street=street)
    people = []
    for i in range(residents):
        resident = make_resident(db, home, name=f"居民{i:02d}", gender="FM"[i % 2], is_resident_rep=i < 4)
        people.append(make_user(db, resident=resident))
    # Put the first half in group 1 / building 1幢, the rest in group 2 / 2幢 (for eligibility by scope).
    groups = {g.number: g.id for g in db.query(ResidentGroup).filter_by(community_id=home.id)}
    for i, user in enumerate(people):
        household = db.get(Household, _household_id(db, user.resident_id))
        household.group_id = groups[1 if i < residents // 2 else 2]
        household.building = "1幢" if i < residents // 2 else "2幢"
    db.commit()
    stranger = make_user(db, resident=make_resident(db, other, name="外社区居民"))
    users = SimpleNamespace(
        staff=make_user(db, roles=[("staff", home)]),
        other_staff=make_user(db, roles=[("staff", other)]),
        supervisor=make_user(db, roles=[("street_supervisor", None)], street=street),
        admin=make_user(db, roles=[("admin", None)]),
        people=people, stranger=stranger,
    )

    def actor(user):
        return load_actor(db, user.id)

    return SimpleNamespace(home=home, other=other, street=street, users=users, actor=actor,
                           staff=actor(users.staff), residents=[actor(u) for u in people])


def _household_id(db, resident_id):
    from civic.registry.models import Resident

    return db.get(Resident, resident_id).household_id


@pytest.fixture
def world(db):
    return build_world(db)
