"""D8: a general election is set up only after the chair's leaving audit is published (asked of the disclosure
module through the module registry); with the rules key off, a warning instead."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from civic.audit import AuditEntry
from civic.db import make_sessionmaker
from civic.elections import setup
from civic.elections.models import Election
from civic.errors import Invalid
from civic.rulesconfig.models import RuleVersion
from civic.rulesconfig.services import ensure_profile
from civic.security import load_actor
from tests.elections.factories import publish_leaving_audit
from tests.helpers import Client, make_community, make_user

DAY = dt.date.today() + dt.timedelta(days=40)


def _input(day=DAY, purpose="general"):
    return setup.ElectionInput("第十二届居民委员会选举", purpose, "all-voters", day, {"chair": 1, "vice": 1, "member": 3})


def _block(db, on: bool) -> None:
    profile = ensure_profile(db, "测试规则", "", None)
    version = db.execute(select(RuleVersion).where(RuleVersion.profile_id == profile.id)).scalar_one()
    values = json.loads(version.values)
    values["elections.block_without_leaving_audit"] = on
    version.values = json.dumps(values)
    db.flush()


@pytest.fixture
def world(db):
    community = make_community(db)
    committee = load_actor(db, make_user(db, roles=[("election_committee", community)]).id)
    return community, committee


def _count(db) -> int:
    return db.scalar(select(func.count()).select_from(Election))


def test_refused_without_the_leaving_audit(db, world, english):
    community, committee = world
    with pytest.raises(setup.ScheduleInvalid) as refused:
        setup.create_election(db, committee, community, _input())
    db.rollback()
    assert "leaving audit" in refused.value.message and "D8" in refused.value.message
    assert refused.value.url == f"/disclosure/manage/c/{community.code}/new"
    assert _count(db) == 0
    publish_leaving_audit(db, community)
    election = setup.create_election(db, committee, community, _input())
    assert election.id and _count(db) == 1


def test_by_elections_are_not_held_back(db, world):
    community, committee = world
    # By-elections are set up from vacancies (byelection.create_by_election → setup.build_election).
    election = setup.build_election(db, committee, community, _input(purpose="by_election"))
    db.commit()
    assert election.id


def test_warning_only_when_the_rules_say_so(db, world, english):
    community, committee = world
    _block(db, False)
    gate = setup.leaving_audit_gate(db, community, DAY, dict(setup.current_rules(db).values))
    assert gate is not None and not gate.block and "before polling day" in gate.message
    election = setup.create_election(db, committee, community, _input())
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "elections.election.create")).scalars().one()
    assert election.id and json.loads(entry.data)["leaving_audit_missing"] is True


def test_an_audit_before_the_last_election_does_not_count(db, world):
    community, committee = world
    publish_leaving_audit(db, community, on=dt.date.today() - dt.timedelta(days=400))
    earlier = setup.create_election(db, committee, community, _input())
    earlier.status, earlier.polling_day = "closed", dt.date.today() - dt.timedelta(days=30)
    db.commit()
    with pytest.raises(Invalid):
        setup.create_election(db, committee, community, _input())
    db.rollback()


def test_skipped_when_no_module_keeps_the_notice_board(db, world, monkeypatch):
    community, committee = world
    import civic.modules

    monkeypatch.setattr(civic.modules, "provided", lambda name: None)
    assert setup.create_election(db, committee, community, _input()).id


def test_the_set_up_page_explains_and_links(app):
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        community = make_community(db, code="home")
        committee = make_user(db, roles=[("election_committee", community)])
        db.commit()
    client = Client(app)
    client.login_as(committee)
    client.cookies.set("civic_lang", "en")
    page = client.get("/elections/manage/new?community=home")
    assert page.status_code == 200 and "cannot be set up yet" in page.text and "/disclosure/manage/c/home/new" in page.text
    data = {"title": "第十二届", "purpose": "general", "mode": "all-voters", "polling_day": DAY.isoformat(), "seat_chair": "1",
            "seat_vice": "1", "seat_member": "3", "online_enabled": "1"}
    refused = client.post_form("/elections/manage/new?community=home", data)
    assert refused.status_code == 422 and "leaving audit" in refused.text and "/disclosure/manage/c/home/new" in refused.text
    with sessions() as db:
        assert _count(db) == 0
        publish_leaving_audit(db, db.merge(community))
        db.commit()
    assert "cannot be set up yet" not in client.get("/elections/manage/new?community=home").text
    assert client.post_form("/elections/manage/new?community=home", data).status_code == 303


def test_demo_seeds_elections_after_the_notice_boards():
    from civic.modules import domain_modules, provided, seed_order

    names = [m.name for m in seed_order(domain_modules())]
    assert names.index("disclosure") < names.index("elections") and sorted(names) == sorted(m.name for m in domain_modules())
    assert provided("leaving_audit_published") is not None and provided("no such service") is None
