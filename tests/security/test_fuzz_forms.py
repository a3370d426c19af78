"""Hypothesis drives every POST form a role can reach in the demo district with random and hostile
input: no HTTP 500, ever, and a refused submission (4xx) changes nothing."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from civic.db import make_sessionmaker
from tests.helpers import Client
from tests.security.crawl import crawl

TOTAL = int(os.environ.get("CIVIC_FUZZ_SUBMISSIONS", "10000"))
HOSTILE = [
    "", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "null", "true", "[]", "{}", "../../etc/passwd", "%00", "\x00",
    "'; DROP TABLE registry_resident; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "{{7*7}}", "${7*7}", "%(x)s", "%s%s%s", "\u202e", "😀" * 50, "王" * 5000, "a" * 100000, "2026-02-30", "9999-12-31", "1/0", "--",
    "²", "３", "٣",  # digits to str.isdigit; int() refuses the first
]
ROLES = {
    "resident": "13900000001",
    "staff": "13800000010",
    "election_committee": "13800000011",
    "supervision_committee": "13800000012",
    "street_supervisor": "13800000001",
}
STARTS = ["/", "/me", "/elections/", "/consultations/", "/disclosure/", "/appraisal/", "/registry/c/anhe",
          "/registry/manage/c/anhe/residents", "/rules/", "/audit/?community=anhe"]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    from civic import demo
    from civic.app import create_app
    from civic.migrate import upgrade
    from tests.conftest import make_settings

    path = tmp_path_factory.mktemp("fuzz") / "civic.db"
    upgrade(f"sqlite:///{path}")
    app = create_app(make_settings(f"sqlite:///{path}", path.parent, login_limit="100000/minute"))
    with make_sessionmaker(app.state.engine, write=True)() as db:
        demo.load(db, residents_per_community=60)
    return app


def _state(app) -> tuple:
    """What every state change moves: the audit head, plus the row count of every table."""
    with make_sessionmaker(app.state.engine)() as db:
        tables = [r[0] for r in db.execute(text("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%'"))]
        return tuple((t, db.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()) for t in sorted(tables))


def _value(field: dict):
    kind = field["type"]
    choices = [st.sampled_from(HOSTILE), st.text(max_size=300)]
    if field["options"]:
        choices.append(st.sampled_from(field["options"]))
    if field["value"]:
        choices.append(st.just(field["value"]))
    if kind in ("number", "hidden"):
        choices.append(st.integers(-10**12, 10**12).map(str))
    if kind == "date":
        choices.append(st.dates().map(lambda d: d.isoformat()))
    return st.one_of(*choices)


def _login(app, phone: str) -> Client:
    client = Client(app)
    response = client.post_form("/login", {"identifier": phone, "password": "civic-demo-2026"})
    assert response.status_code == 303, response.text[:300]
    return client


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_form_survives_hostile_input(demo_app, role):
    """Each role's share of the 10,000 submissions (a test per role, so they run in parallel)."""
    phone = ROLES[role]
    _pages, forms = crawl(_login(demo_app, phone), STARTS)
    # Forms that end or switch the session would fuzz the rest of the run as someone else.
    discovered = [(role, phone, form) for form in forms if not form.action.startswith(("/logout", "/assist/"))]
    assert len(discovered) >= 3, "the crawler found too few forms to be meaningful"
    per_form = max(5, TOTAL // len(ROLES) // len(discovered))
    failures, submissions = [], 0
    for role, phone, form in discovered:
        client = _login(demo_app, phone)
        fields = [f for f in form.fields if f["name"] != "csrftoken" and f["type"] != "file"]
        if not fields:
            fields = [{"name": "x", "type": "text", "value": "", "options": []}]
        strategy = st.fixed_dictionaries({f["name"]: _value(f) for f in fields})

        @settings(max_examples=per_form, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def submit(values):
            nonlocal submissions
            before = _state(demo_app) if submissions % 25 == 0 else None
            response = client.post_form(form.action, values)
            submissions += 1
            if response.status_code >= 500:
                failures.append((role, form.action, values, response.status_code))
            if before is not None and 400 <= response.status_code < 500:
                after = _state(demo_app)
                if after != before:
                    failures.append((role, form.action, values, "state changed on refusal"))

        submit()
    print(f"\nfuzz: {len(discovered)} forms ({sorted({f.action for _r, _p, f in discovered})[:60]}), {submissions} submissions")
    assert submissions >= per_form * len(discovered) * 0.9
    assert not failures, f"{len(failures)} failures of {submissions}: " + repr(failures[:5])[:3000]
