"""Near-relative declarations (E3, E8, E9) and the online voting window (E26): services on SQLite and
PostgreSQL, then the pages (bad input 422 with the message, nothing changed)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from civic.audit import AuditEntry
from civic.db import make_sessionmaker
from civic.elections import relatives, rules, setup, window
from civic.elections.models import Candidate, Election, Nomination, Relation, Section
from civic.errors import Conflict, Forbidden, Invalid
from civic.i18n import TZ
from civic.security import load_actor
from tests.elections.factories import election_at_polling, publish_leaving_audit
from tests.helpers import Client, make_community, make_resident, make_user

DAY = dt.date.today() + dt.timedelta(days=40)


@pytest.fixture
def world(db):
    community = make_community(db, code="home")
    other = make_community(db, code="other", name="康宁社区")
    publish_leaving_audit(db, community)
    people = [make_resident(db, community, name=f"居民{i:02d}", age=30 + i) for i in range(16)]
    stranger = make_resident(db, other, name="外人")
    member_user = make_user(db, resident=people[15], roles=[("election_committee", community), ("staff", community)])
    committee = load_actor(db, member_user.id)
    other_staff = load_actor(db, make_user(db, roles=[("staff", other), ("election_committee", other)]).id)
    election = setup.create_election(db, committee, community, setup.ElectionInput(
        "第十二届居民委员会选举", "general", "all-voters", DAY, {"chair": 1, "vice": 1, "member": 3}))
    return community, committee, other_staff, election, people, stranger


def _audits(db, action) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_declare_list_and_remove(db, world, english):
    community, committee, _other, election, people, _stranger = world
    relation = relatives.declare(db, committee, election, community, people[3], people[1], "spouse", "户口簿")
    assert (relation.a_resident_id, relation.b_resident_id) == (people[1].id, people[3].id)
    rows = relatives.relations(db, election)
    assert [(r["a"].name, r["b"].name, r["kind"]) for r in rows] == [("居民01", "居民03", "spouses")]
    assert relatives.relatives_map(db, election)[people[3].id] == {people[1].id: "spouse"}
    assert _audits(db, "elections.relation.declare") == 1
    relatives.remove(db, committee, election, community, relation)
    assert db.scalar(select(func.count()).select_from(Relation)) == 0 and _audits(db, "elections.relation.remove") == 1


def test_bad_declarations_are_refused_and_nothing_changes(db, world, english):
    community, committee, other_staff, election, people, stranger = world
    relatives.declare(db, committee, election, community, people[1], people[2], "sibling", "")
    cases = [
        ((people[2], people[1], "spouse", ""), "already declared"),  # the same pair, either order
        ((people[1], people[1], "spouse", ""), "two different persons"),
        ((people[1], stranger, "spouse", ""), "second person"),
        ((people[1], people[4], "cousin", ""), "related"),
        ((people[1], people[4], "spouse", "x" * 301), "300"),
    ]
    for args, text in cases:
        with pytest.raises(Invalid) as refused:
            relatives.declare(db, committee, election, community, *args)
        db.rollback()
        assert text in refused.value.message
    with pytest.raises(Forbidden):
        relatives.declare(db, other_staff, election, community, people[5], people[6], "spouse", "")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Relation)) == 1 and _audits(db, "elections.relation.declare") == 1


def polling_sections(round_):
    from civic.elections.polling import sections_of

    return sections_of(round_)


def test_e3_pairs_of_candidates_flag_elected_relatives(db, world, english):
    community, committee, _other, _election, _people, _stranger = world
    polling_election, round_ = election_at_polling(db, committee, community, polling_day=dt.date.today() + dt.timedelta(days=60))
    cands = list(db.execute(select(Candidate).where(Candidate.election_id == polling_election.id).order_by(Candidate.id)).scalars())
    chair, vice = cands[0], cands[2]
    a, b = (db.get(relatives.Resident, c.resident_id) for c in (chair, vice))
    relatives.declare(db, committee, polling_election, community, a, b, "parent-child", "户口簿")
    pairs = relatives.candidate_pairs(db, polling_election)
    assert sorted(pairs[0]) == sorted([chair.public_id, vice.public_id])
    result = {"valid": True, "sections": {"chair": {"elected": [chair.public_id]}, "vice": {"elected": [vice.public_id]}}}
    codes = [code for code, _p in rules.warnings(result, {}, pairs, 5)]
    assert "near-relatives-elected" in codes
    # The results page names them (queries.result_view), from the round's result as the count stores it.
    from civic.elections import queries

    sections = {s["id"]: {"votes": {}, "elected": [], "tied": [], "invalid": 0, "unfilled": 0} for s in polling_sections(round_)}
    sections["chair"]["elected"], sections["vice"]["elected"] = [chair.public_id], [vice.public_id]
    round_.result = json.dumps({"valid": True, "returned": 10, "registered": 12, "issued": 10, "sections": sections})
    db.commit()
    texts = [w["text"] for w in queries.result_view(db, polling_election, round_)["warnings"] if w["code"] == "near-relatives-elected"]
    assert texts and chair.name in texts[0] and vice.name in texts[0] and "E3" in texts[0]


def test_e8_committee_member_or_relative_nominated(db, world, english):
    community, committee, _other, election, people, _stranger = world
    section = db.execute(select(Section).where(Section.election_id == election.id, Section.key == "member")).scalar_one()

    def nominate(person, **extra):  # (the nomination services are tested in test_services; E8 only reads them)
        db.add(Nomination(election_id=election.id, section_id=section.id, nominee_resident_id=person.id, kind="party", **extra))
        db.commit()

    assert relatives.e8_warnings(db, election, community) == []
    nominate(people[4])
    nominate(people[15], status="declined")
    assert relatives.e8_warnings(db, election, community) == []
    relatives.declare(db, committee, election, community, people[4], people[15], "sibling", "")
    [warning] = relatives.e8_warnings(db, election, community)
    assert "居民04" in warning["text"] and "居民15" in warning["text"] and "step down" in warning["text"]
    nominate(people[15])
    texts = [w["text"] for w in relatives.e8_warnings(db, election, community)]
    assert any(t.startswith("居民15 is a member of the election committee") for t in texts)


def test_e9_candidate_or_relative_on_the_count_record(db, world, english):
    community, committee, _other, _election, people, _stranger = world
    polling_election, round_ = election_at_polling(db, committee, community, polling_day=dt.date.today() + dt.timedelta(days=60))
    candidate = db.execute(select(Candidate).where(Candidate.election_id == polling_election.id).order_by(Candidate.id)).scalars().first()
    person = db.get(relatives.Resident, candidate.resident_id)
    relatives.declare(db, committee, polling_election, community, person, people[14], "spouse", "")
    assert relatives.barred_from_counting(db, polling_election)[:2] == [candidate.name, "居民14"]
    round_.signatories = json.dumps({"presiding": "主持人", "callers": f"{candidate.name}，张三", "counters": "居民14", "scrutineers": "李四"})
    db.commit()
    texts = [w["text"] for w in relatives.e9_warnings(db, polling_election, [round_])]
    assert len(texts) == 2 and "is a candidate" in texts[0] and "near relative (spouses) of candidate" in texts[1] and "E9" in texts[1]


# --------------------------------------------------------------------------------------------------
# the online voting window
# --------------------------------------------------------------------------------------------------


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TZ)


def test_online_window_set_validated_and_audited(db, world, english):
    community, committee, other_staff, election, _people, _stranger = world
    window.set_online_window(db, committee, election, community, True, _local(DAY, 7), _local(DAY + dt.timedelta(days=1), 0))
    db.refresh(election)
    assert election.online_opens_at == _local(DAY, 7) and election.online_opens_at.astimezone(dt.timezone.utc).hour == 23
    assert _audits(db, "elections.online_window.set") == 1
    bad = [
        ((True, _local(DAY, 18), _local(DAY, 7)), "closes", "close after it opens"),
        ((True, _local(DAY - dt.timedelta(days=1), 7), _local(DAY, 18)), "opens", "cannot open before"),
        ((True, _local(DAY, 7), _local(DAY + dt.timedelta(days=1), 9)), "closes", "must close by"),
        ((True, None, _local(DAY, 18)), "opens", "Enter when"),
    ]
    for args, field, text in bad:
        with pytest.raises(window.WindowInvalid) as refused:
            window.set_online_window(db, committee, election, community, *args)
        db.rollback()
        assert text in refused.value.errors[field]
    with pytest.raises(Forbidden):
        window.set_online_window(db, other_staff, election, community, False, None, None)
    db.rollback()
    window.set_online_window(db, committee, election, community, False, None, None)
    db.refresh(election)
    assert election.online_enabled is False and election.online_opens_at is None and _audits(db, "elections.online_window.set") == 2


def test_online_window_days_before_from_the_rules_and_frozen_after_polling_opens(db, world):
    community, committee, _other, election, _people, _stranger = world
    config = json.loads(election.rules)
    config["elections.online_days_before"] = 2
    election.rules = json.dumps(config)
    db.commit()
    window.set_online_window(db, committee, election, community, True, _local(DAY - dt.timedelta(days=2), 8), _local(DAY, 20))
    config["elections.online_voting"] = False
    election.rules = json.dumps(config)
    db.commit()
    with pytest.raises(window.WindowInvalid):
        window.set_online_window(db, committee, election, community, True, _local(DAY, 8), _local(DAY, 20))
    db.rollback()
    election.status = "polling"
    db.commit()
    with pytest.raises(Conflict):
        window.set_online_window(db, committee, election, community, False, None, None)
    db.rollback()


# --------------------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def site(app):
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        community = make_community(db, code="home", name="安和社区")
        publish_leaving_audit(db, community)
        people = [make_resident(db, community, name=f"选民{i:02d}", age=30 + i) for i in range(4)]
        committee = make_user(db, roles=[("election_committee", community), ("staff", community)])
        election = setup.create_election(db, load_actor(db, committee.id), community, setup.ElectionInput(
            "第十二届居民委员会选举", "general", "all-voters", DAY, {"chair": 1, "vice": 1, "member": 3}))
        ids = {"eid": election.public_id, "people": [p.id for p in people]}
    client = Client(app)
    client.login_as(committee)
    client.cookies.set("civic_lang", "en")
    return sessions, client, ids


def test_relatives_page_declares_and_refuses_bad_input(site):
    sessions, client, ids = site
    url = f"/elections/manage/{ids['eid']}/relatives"
    page = client.get(url + "?qa=选民01&qb=选民02")
    assert page.status_code == 200 and 'name="a"' in page.text and "选民02" in page.text
    a, b = ids["people"][1], ids["people"][2]
    for data, text in [({"a": str(a), "b": str(a), "kind": "spouse"}, "two different persons"),
                       ({"a": str(a), "b": "999999", "kind": "spouse"}, "choose the second person"),
                       ({"a": str(a), "b": str(b), "kind": "friend"}, "Choose how the two are related")]:
        refused = client.post_form(url, data)
        assert refused.status_code == 422 and text in refused.text, data
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Relation)) == 0
    done = client.post_form(url, {"a": str(a), "b": str(b), "kind": "sibling", "source": "户口簿"})
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "siblings" in page.text and "户口簿" in page.text and "was declared" in page.text
    with sessions() as db:
        rid = db.execute(select(Relation.id)).scalar_one()
    assert client.post_form(f"{url}/{rid}/remove").status_code == 303
    assert client.post_form(f"{url}/{rid}/remove").status_code == 404


def test_online_window_page(site):
    sessions, client, ids = site
    url = f"/elections/manage/{ids['eid']}/online"
    assert client.get(url).status_code == 200
    refused = client.post_form(url, {"enabled": "1", "opens": f"{DAY}T18:00", "closes": f"{DAY}T07:00"})
    assert refused.status_code == 422 and "close after it opens" in refused.text
    assert client.post_form(url, {"enabled": "1", "opens": "tomorrow", "closes": ""}).status_code == 422
    with sessions() as db:
        assert db.execute(select(Election)).scalar_one().online_opens_at is None
    assert client.post_form(url, {"enabled": "1", "opens": f"{DAY}T07:00", "closes": f"{DAY}T18:00"}).status_code == 303
    with sessions() as db:
        assert db.execute(select(Election)).scalar_one().online_closes_at == _local(DAY, 18)
    assert f"{DAY}T07:00" in client.get(url).text


@pytest.mark.parametrize("days, english, chinese", [
    (0, "open on polling day only", "网络投票只在选举日当天进行"),
    (1, "at the earliest 1 day before polling day", "最早于选举日前 1 天开始"),
    (3, "at the earliest 3 days before polling day", "最早于选举日前 3 天开始"),
])
def test_online_window_page_words_the_earliest_opening(site, days, english, chinese):
    """E26 as the rules profile sets it: 0 days early is polling day itself, not "0 days before"."""
    sessions, client, ids = site
    with sessions() as db:
        election = db.execute(select(Election)).scalar_one()
        election.rules = json.dumps({**json.loads(election.rules), "elections.online_days_before": days})
        db.commit()
    url = f"/elections/manage/{ids['eid']}/online"
    page = client.get(url)
    assert page.status_code == 200 and english in page.text and "0 days" not in page.text
    client.cookies.set("civic_lang", "zh_CN")
    page = client.get(url)
    assert chinese in page.text and "前 0 天" not in page.text and "polling day" not in page.text


def test_a_candidate_declares_their_own_relatives(app):
    """On the statement page: the candidate (a resident) declares a near relative; another resident may not."""
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        community = make_community(db, code="home", name="安和社区")
        publish_leaving_audit(db, community)
        for i in range(14):
            make_resident(db, community, name=f"选民{i:02d}", age=30 + i)
        committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
        election, _round = election_at_polling(db, committee, community, polling_day=dt.date.today() + dt.timedelta(days=60))
        candidate = db.execute(select(Candidate).where(Candidate.election_id == election.id).order_by(Candidate.id)).scalars().first()
        person = db.get(relatives.Resident, candidate.resident_id)
        relative = make_resident(db, community, name="亲属甲", age=60)
        owner = make_user(db, resident=person)
        someone = make_user(db, resident=make_resident(db, community, name="路人乙"))
        eid, cid, relative_id = election.public_id, candidate.public_id, relative.id
        db.commit()
    client = Client(app)
    client.login_as(owner)
    client.cookies.set("civic_lang", "en")
    page = client.get(f"/elections/{eid}/candidates/{cid}/statement?rq=亲属甲")
    assert page.status_code == 200 and "亲属甲" in page.text and 'name="relative"' in page.text
    url = f"/elections/{eid}/candidates/{cid}/relatives"
    refused = client.post_form(url, {"relative": str(relative_id), "kind": "cousin"})
    assert refused.status_code == 422 and "Choose how the two are related" in refused.text
    other = Client(app)
    other.login_as(someone)
    assert other.post_form(url, {"relative": str(relative_id), "kind": "parent-child"}).status_code == 403
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Relation)) == 0
    done = client.post_form(url, {"relative": str(relative_id), "kind": "parent-child", "source": "本人申报"})
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Your near relative was declared" in page.text and "parent and child" in page.text
    with sessions() as db:
        entry = db.execute(select(AuditEntry).where(AuditEntry.action == "elections.relation.declare")).scalars().one()
        assert json.loads(entry.data)["by_candidate"] is True
