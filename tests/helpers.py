"""Factories and an HTTP client that knows how to log in and send the CSRF token."""
from __future__ import annotations

import datetime as dt
import itertools
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from civic.accounts.models import RoleAssignment, User
from civic.registry.models import Community, District, Grid, Household, Resident, ResidentGroup, StreetOffice
from civic.registry.rules import make_id_number
from civic.security import SESSION_COOKIE, hash_password

PASSWORD = "correct horse 42"
_serial = itertools.count(1)
_FAST_HASH = {}


def fast_hash(password: str = PASSWORD) -> str:
    # Argon2 at production cost is slow on purpose; tests reuse one hash per password.
    if password not in _FAST_HASH:
        _FAST_HASH[password] = hash_password(password)
    return _FAST_HASH[password]


def make_community(db: Session, code: str | None = None, name: str = "测试社区", street: StreetOffice | None = None) -> Community:
    n = next(_serial)
    if street is None:
        district = District(name="测试区", code=f"d{n}")
        db.add(district)
        db.flush()
        street = StreetOffice(district_id=district.id, name="测试街道", code=f"s{n}")
        db.add(street)
        db.flush()
    community = Community(street_id=street.id, name=name, code=code or f"c{n}")
    db.add(community)
    db.flush()
    for number in (1, 2):
        db.add(ResidentGroup(community_id=community.id, number=number, name=f"第{number}居民小组"))
    db.add(Grid(community_id=community.id, name="第1网格"))
    db.commit()
    return community


def make_resident(db: Session, community: Community, *, name: str = "张三", gender: str = "M", age: int = 40,
                  birth: dt.date | None = None, **fields) -> Resident:
    n = next(_serial)
    # Spread birthdays (one ID-number space per date) while keeping the age asked for.
    birth = birth or dt.date.today().replace(year=dt.date.today().year - age) - dt.timedelta(days=10 + n % 300)
    group_id = db.query(ResidentGroup.id).filter_by(community_id=community.id).order_by(ResidentGroup.number).first()[0]
    household = Household(community_id=community.id, group_id=group_id, number=f"H{n:05d}")
    db.add(household)
    db.flush()
    resident = Resident(community_id=community.id, household_id=household.id, name=name, gender=gender, birth_date=birth,
                        id_number=make_id_number("330102", birth, n, gender), phone=fields.pop("phone", f"137{n:08d}"), **fields)
    db.add(resident)
    db.commit()
    return resident


def make_user(db: Session, *, resident: Resident | None = None, roles: list[tuple[str, Community | None]] = (), phone: str | None = None,
              password: str | None = PASSWORD, street: StreetOffice | None = None) -> User:
    n = next(_serial)
    user = User(resident_id=resident.id if resident else None, display_name=resident.name if resident else f"工作人员{n}",
                phone=phone or (resident.phone if resident else f"136{n:08d}"), password_hash=fast_hash(password) if password else None)
    db.add(user)
    db.flush()
    for role, community in roles:
        db.add(RoleAssignment(user_id=user.id, role=role, community_id=community.id if community else None,
                              street_id=street.id if (role == "street_supervisor" and street) else None))
    db.commit()
    return user


class Client(TestClient):
    """TestClient over the real ASGI stack (CSRF, locale, sessions) with helpers."""

    def __init__(self, app, **kwargs):
        kwargs.setdefault("follow_redirects", False)
        kwargs.setdefault("base_url", "http://testserver")
        super().__init__(app, **kwargs)
        self.civic_app = app

    def login_as(self, user: User) -> "Client":
        self.cookies.set(SESSION_COOKIE, self.civic_app.state.sessions.dumps(user))
        return self

    def csrf(self) -> str:
        token = self.cookies.get("csrftoken")
        if not token:
            self.get("/login")
            token = self.cookies.get("csrftoken")
        return token

    def post_form(self, url: str, data: dict | None = None, files=None, **kwargs):
        data = dict(data or {})
        payload = {"csrftoken": self.csrf(), **data}
        return self.post(url, data=payload, files=files, **kwargs)


@contextmanager
def counted(engine):
    """The SELECT statements `engine` runs inside the block (not BEGIN / SAVEPOINT bookkeeping)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
