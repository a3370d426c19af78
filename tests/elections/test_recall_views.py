"""Recall and by-election pages: route × role, refused POSTs change nothing, bad input → 422, the flow over HTTP."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civic import clock
from civic.db import make_sessionmaker
from civic.elections import byelection, recall
from civic.elections.models import Election, RecallRequest, RecallSignature, RecallTarget, Vacancy
from civic.registry.models import StreetOffice
from civic.security import load_actor
from tests.elections.recall_factories import closed_election
from tests.helpers import Client, make_community, make_resident, make_user

ROLES = ["anonymous", "resident", "signer", "other_staff", "other_resident", "staff", "election_committee", "supervision_committee",
         "street_supervisor", "admin"]
REASONS = "长期不履行职责，不听取居民意见。"


@pytest.fixture
def world(app):
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        street = db.get(StreetOffice, home.street_id)
        other = make_community(db, code="other", name="康宁社区", street=street)
        people = [make_resident(db, home, name=f"居民{i:02d}", gender="F" if i % 2 else "M", age=30 + i) for i in range(24)]
        users = {
            "anonymous": None,
            "resident": make_user(db, resident=people[0]),  # the chair, elected: replies to the recall
            "signer": make_user(db, resident=people[20]),
            "other_resident": make_user(db, resident=make_resident(db, other, name="赵六")),
            "staff": make_user(db, roles=[("staff", home)]),
            "other_staff": make_user(db, roles=[("staff", other)]),
            "election_committee": make_user(db, roles=[("election_committee", home)]),
            "supervision_committee": make_user(db, roles=[("supervision_committee", home)]),
            "street_supervisor": make_user(db, roles=[("street_supervisor", None)], street=street),
            "admin": make_user(db, roles=[("admin", None)]),
        }
        builder = load_actor(db, make_user(db, roles=[("election_committee", home), ("staff", home)]).id)
        voters = [load_actor(db, users["resident"].id)] + [load_actor(db, make_user(db, resident=p).id) for p in people[1:20]]
        election = closed_election(db, builder, home, voters)
        members = recall.sitting_members(db, election)
        request = recall.start_request(db, voters[10], election, home, [members[0]["key"]], REASONS)
        target = recall.targets_of(db, request)[0]
        ids = {"eid": election.public_id, "rid": request.id, "tid": target.id, "chair": members[0]["key"], "member": members[4]["key"]}
    return sessions, users, ids


def as_role(app, users, role) -> Client:
    client = Client(app)
    client.cookies.set("civic_lang", "en")
    if users.get(role) is not None:
        client.login_as(users[role])
    return client


VIEW_ADMIN = {"staff", "election_committee", "supervision_committee", "street_supervisor", "admin"}
OFFICIALS = {"staff", "election_committee", "admin"}
VOTERS = {"resident", "signer", "admin"}

PUBLIC = ["/elections/recalls/{rid}", "/elections/{eid}"]
PROTECTED = [
    ("/elections/{eid}/recall", VOTERS),
    ("/elections/recalls/{rid}/members/{tid}/reply", {"resident"} | OFFICIALS),
    ("/elections/manage/recalls/{rid}", VIEW_ADMIN),
    ("/elections/manage/recalls/{rid}?q=居民", VIEW_ADMIN),
    ("/elections/manage/{eid}/recall", OFFICIALS),
    ("/elections/manage/{eid}/vacancies", VIEW_ADMIN),
]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_recall_pages_answer_everyone(app, world, path):
    _sessions, users, ids = world
    for role in ROLES:
        response = as_role(app, users, role).get(path.format(**ids))
        assert response.status_code == 200, (path, role, response.status_code)
    page = as_role(app, users, "anonymous").get("/elections/recalls/{rid}".format(**ids)).text
    assert REASONS in page
    assert "/elections/recalls/{rid}/sign".format(**ids) not in page  # no sign button for the anonymous


@pytest.mark.parametrize("path,allowed", PROTECTED)
def test_recall_route_role_matrix(app, world, path, allowed):
    _sessions, users, ids = world
    url = path.format(**ids)
    for role in ROLES:
        response = as_role(app, users, role).get(url)
        if role in allowed:
            assert response.status_code == 200, (url, role, response.status_code)
        elif role == "anonymous":
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), (url, role)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
            main = response.text.split("<main", 1)[-1].split("</main>", 1)[0]
            assert REASONS not in main and "居民01" not in main, (url, role)


POSTS = [
    ("/elections/recalls/{rid}/sign", {}, VOTERS),
    ("/elections/recalls/{rid}/members/{tid}/reply", {"reply": "我一直认真履职。"}, {"resident"} | OFFICIALS),
    ("/elections/{eid}/recall", {"members": "{member}", "reasons": REASONS}, VOTERS),
    ("/elections/manage/{eid}/recall", {"members": "{member}", "reasons": REASONS}, OFFICIALS),
    ("/elections/manage/recalls/{rid}/paper", {"signer": "3"}, OFFICIALS),
    ("/elections/manage/recalls/{rid}/schedule", {"title": "罢免", "polling_day": "2099-01-01"}, OFFICIALS),
    ("/elections/manage/{eid}/vacancies/resignation", {"member": "{member}", "note": "书面辞职已批准"}, OFFICIALS),
    ("/elections/manage/{eid}/by-election", {"title": "补选", "polling_day": "2099-01-01"}, OFFICIALS),
    ("/elections/manage/{eid}/finish", {}, {"election_committee", "admin"}),
]


def _writes(sessions) -> tuple:
    with sessions() as db:
        counts = tuple(db.scalar(select(func.count()).select_from(m)) for m in (Election, RecallRequest, RecallSignature, Vacancy))
        return counts + tuple(db.execute(select(RecallTarget.reply)).scalars())


@pytest.mark.parametrize("path,data,allowed", POSTS)
def test_recall_posts_refused_without_permission(app, world, path, data, allowed):
    sessions, users, ids = world
    url = path.format(**ids)
    data = {k: v.format(**ids) for k, v in data.items()}
    before = _writes(sessions)
    for role in ROLES:
        if role in allowed:
            continue
        response = as_role(app, users, role).post_form(url, data)
        if role == "anonymous":
            assert response.status_code == 303 and "/login" in response.headers["location"], (url, role, response.status_code)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
    assert _writes(sessions) == before
    for role in allowed:
        response = as_role(app, users, role).post_form(url, data)
        assert response.status_code < 500, (url, role, response.status_code)


def test_csrf_is_required(app, world):
    _sessions, users, ids = world
    client = as_role(app, users, "signer")
    response = client.post("/elections/recalls/{rid}/sign".format(**ids), data={})
    assert response.status_code == 403


def test_bad_input_is_422_and_changes_nothing(app, world, english):
    sessions, users, ids = world
    before = _writes(sessions)
    signer = as_role(app, users, "signer")
    response = signer.post_form("/elections/{eid}/recall".format(**ids), {"reasons": "短"})
    assert response.status_code == 422 and "Choose the members" in response.text and "at least 10 characters" in response.text
    response = signer.post_form("/elections/{eid}/recall".format(**ids), {"members": "c999", "reasons": REASONS})
    assert response.status_code == 422 and "Choose the members" in response.text
    response = signer.post_form("/elections/{eid}/recall".format(**ids), {"members": ids["chair"], "reasons": REASONS})
    assert response.status_code == 422 and "already under way" in response.text
    member = as_role(app, users, "resident")
    response = member.post_form("/elections/recalls/{rid}/members/{tid}/reply".format(**ids), {"reply": "x"})
    assert response.status_code == 422 and "at least 4 characters" in response.text
    staff = as_role(app, users, "staff")
    response = staff.post_form("/elections/manage/recalls/{rid}/schedule".format(**ids), {"title": "罢免", "polling_day": "soon"})
    assert response.status_code == 422 and "YYYY-MM-DD" in response.text
    response = staff.post_form("/elections/manage/recalls/{rid}/schedule".format(**ids), {"title": "罢免", "polling_day": "0001-01-01"})
    assert response.status_code == 422 and "YYYY-MM-DD" in response.text  # not a date of any election
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    response = staff.post_form("/elections/manage/recalls/{rid}/schedule".format(**ids), {"title": "罢免", "polling_day": yesterday})
    assert response.status_code == 422 and "from today on" in response.text
    later = (clock.today() + dt.timedelta(days=40)).isoformat()
    response = staff.post_form("/elections/manage/recalls/{rid}/schedule".format(**ids), {"title": "罢免", "polling_day": later})
    assert response.status_code == 422 and "enough signatures" in response.text  # threshold not met yet
    response = staff.post_form("/elections/manage/recalls/{rid}/paper".format(**ids), {"signer": "abc"})
    assert response.status_code == 422 and "Tick the voters" in response.text
    response = staff.post_form("/elections/manage/{eid}/by-election".format(**ids), {"title": "补选", "polling_day": later})
    assert response.status_code == 422 and "vacant" in response.text
    response = staff.post_form("/elections/manage/{eid}/vacancies/resignation".format(**ids), {"member": ids["member"], "note": ""})
    assert response.status_code == 422 and "at least 4 characters" in response.text
    assert _writes(sessions) == before


def test_sign_reply_and_schedule_over_http(app, world, english):
    sessions, users, ids = world
    signer = as_role(app, users, "signer")
    response = signer.post_form("/elections/recalls/{rid}/sign".format(**ids))
    assert response.status_code == 303
    page = signer.get("/elections/recalls/{rid}".format(**ids)).text
    assert "You signed this recall request." in page and "2 of the 3 signatures" in page  # 24 voters: 1/10 → 3
    assert signer.post_form("/elections/recalls/{rid}/sign".format(**ids)).status_code == 409  # once
    fragment = signer.get("/elections/recalls/{rid}".format(**ids), headers={"HX-Request": "true"}).text
    assert "recall-count" in fragment and "<html" not in fragment
    member = as_role(app, users, "resident")
    assert member.post_form("/elections/recalls/{rid}/members/{tid}/reply".format(**ids), {"reply": "我一直认真履职，欢迎监督。"}).status_code == 303
    assert "我一直认真履职，欢迎监督。" in as_role(app, users, "anonymous").get("/elections/recalls/{rid}".format(**ids)).text
    staff = as_role(app, users, "staff")
    assert staff.post_form("/elections/manage/recalls/{rid}/paper".format(**ids), {"signer": "4"}).status_code == 303
    assert "3 of the 3 signatures" in staff.get("/elections/manage/recalls/{rid}".format(**ids)).text
    day = (clock.today() + dt.timedelta(days=40)).isoformat()
    response = staff.post_form("/elections/manage/recalls/{rid}/schedule".format(**ids), {"title": "罢免投票", "polling_day": day, "online_enabled": "1"})
    assert response.status_code == 303, response.text.split("<main", 1)[-1][:3000]
    with sessions() as db:
        vote = db.execute(select(Election).where(Election.purpose == "recall")).scalar_one()
        assert vote.status == "setup" and vote.title == "罢免投票"
    dashboard = as_role(app, users, "election_committee").get(response.headers["location"]).text
    assert "The recall request" in dashboard


def test_resignation_and_by_election_over_http(app, world, english):
    sessions, users, ids = world
    staff = as_role(app, users, "staff")
    response = staff.post_form("/elections/manage/{eid}/vacancies/resignation".format(**ids), {"member": ids["member"], "note": "书面辞职已批准"})
    assert response.status_code == 303
    day = (clock.today() + dt.timedelta(days=40)).isoformat()
    response = staff.post_form("/elections/manage/{eid}/by-election".format(**ids), {"title": "补选委员", "polling_day": day})
    assert response.status_code == 303
    with sessions() as db:
        by = db.execute(select(Election).where(Election.purpose == "by_election")).scalar_one()
    public = as_role(app, users, "anonymous").get("/elections/{eid}".format(**ids)).text
    assert "补选委员" in public and "resigned" in public
    page = as_role(app, users, "anonymous").get(f"/elections/{by.public_id}").text
    assert "By-election" in page and by.term_ends_on.isoformat()[:4] in page


def test_vacancies_page_offers_a_paper_recall_only_during_the_term(app, world):
    """After the term has ended nobody sits and a recall request is refused: the page says so instead of
    offering to record one."""
    sessions, users, ids = world
    with sessions() as db:
        ends = byelection.term_ends_on(db.execute(select(Election).where(Election.public_id == ids["eid"])).scalar_one())
    url = "/elections/manage/{eid}/vacancies".format(**ids)
    link = 'href="/elections/manage/{eid}/recall"'.format(**ids)
    for lang, ended in (("en", "so a recall can no longer be requested"), ("zh_CN", "因此不能再提出罢免要求")):
        staff = as_role(app, users, "staff")
        staff.cookies.set("civic_lang", lang)
        with clock.frozen(ends - dt.timedelta(days=1)):
            page = staff.get(url).text
        assert link in page and ended not in page
        with clock.frozen(ends):
            page = staff.get(url).text
        assert link not in page and ended in page
        with clock.frozen(ends):  # what the link led to is refused indeed
            assert staff.post_form(url.replace("vacancies", "recall"), {"members": ids["member"], "reasons": REASONS}).status_code == 422


def test_recall_ballot_pages_say_agree_or_disagree(app, world, english):
    sessions, users, ids = world
    from tests.elections.recall_factories import recall_vote_open

    with sessions() as db:
        home = db.execute(select(Election)).scalars().first()
        from civic.registry.models import Community

        community = db.get(Community, home.community_id)
        committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
        request = db.get(RecallRequest, ids["rid"])
        from civic.elections.roll import entry_for

        entries = [entry_for(db, home, resident_id).id for resident_id in (2, 3)]
        recall.record_paper_signatures(db, committee, request, community, entries)
        vote, _round = recall_vote_open(db, committee, community, request, clock.today())
        vote_id = vote.public_id
    client = as_role(app, users, "anonymous")
    paper = client.get(f"/elections/{vote_id}/rounds/1/paper-ballot").text
    assert "Agree to recall" in paper and "Another person" not in paper
    ballot = as_role(app, users, "signer").get(f"/elections/{vote_id}/rounds/1/ballot").text
    assert "Agree to recall" in ballot and 'name="w-' not in ballot
    page = client.get(f"/elections/{vote_id}").text
    assert f"/elections/recalls/{ids['rid']}" in page


def test_huge_ids_are_not_found(app, world):
    _sessions, users, _ids = world
    staff = as_role(app, users, "staff")
    assert staff.get("/elections/recalls/99999999999999999999").status_code == 404
    assert staff.get("/elections/recalls/1/members/99999999999999999999/reply").status_code == 404
    assert staff.post_form("/elections/manage/recalls/1/paper", {"signer": "99999999999999999999"}).status_code == 422
