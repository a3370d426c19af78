"""Every elections route × role: allowed (200), refused (403 with no data of the community), or sent to log in;
POSTs refused for everyone without the permission and nothing changes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.db import make_sessionmaker
from civic.elections.models import Election, Nomination, Objection, PaperDraft, Proxy, Relation, RollMark
from civic.registry.models import StreetOffice
from civic.security import load_actor
from tests.elections.factories import election_at_polling
from tests.helpers import Client, make_community, make_resident, make_user

ROLES = ["anonymous", "resident", "other_staff", "other_resident", "staff", "election_committee", "supervision_committee",
         "street_supervisor", "admin"]
SECRET = "第十二届居民委员会选举"  # the election's title: never shown to a refused user


@pytest.fixture
def world(app):
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        street = db.get(StreetOffice, home.street_id)
        other = make_community(db, code="other", name="康宁社区", street=street)
        far = make_community(db, code="far", name="远方社区")
        people = [make_resident(db, home, name=f"居民{i:02d}", gender="F" if i % 2 else "M", age=30 + i) for i in range(14)]
        other_person = make_resident(db, other, name="赵六")
        users = {
            "anonymous": None,
            "resident": make_user(db, resident=people[0]),
            "other_resident": make_user(db, resident=other_person),
            "staff": make_user(db, roles=[("staff", home)]),
            "other_staff": make_user(db, roles=[("staff", other)]),
            "election_committee": make_user(db, roles=[("election_committee", home)]),
            "supervision_committee": make_user(db, roles=[("supervision_committee", home)]),
            "street_supervisor": make_user(db, roles=[("street_supervisor", None)], street=street),
            "far_supervisor": make_user(db, roles=[("street_supervisor", None)], street=db.get(StreetOffice, far.street_id)),
            "admin": make_user(db, roles=[("admin", None)]),
        }
        builder = load_actor(db, make_user(db, roles=[("election_committee", home), ("staff", home)]).id)
        election, round_ = election_at_polling(db, builder, home)
        nomination = db.execute(select(Nomination.id).where(Nomination.election_id == election.id)).scalars().first()
        ids = {"eid": election.public_id, "nid": nomination, "cid": "c5"}  # c1 is the resident who logs in
    return sessions, users, ids


def as_role(app, users, role) -> Client:
    client = Client(app)
    if users.get(role) is not None:
        client.login_as(users[role])
    return client


EVERYONE = set(ROLES)
VIEW_ADMIN = {"staff", "election_committee", "supervision_committee", "street_supervisor", "admin"}
OFFICIALS = {"staff", "election_committee", "admin"}
VOTERS = {"resident", "admin"}  # admin: allowed by the permission check, the ballot page then says they are not on the list

PUBLIC = [
    "/elections/", "/elections/?community=home", "/elections/{eid}", "/elections/{eid}/rounds/1", "/elections/{eid}/rounds/1/track",
    "/elections/{eid}/rounds/1/track?code=AAAA-BBBB-CCCC", "/elections/{eid}/rounds/1/head", "/elections/{eid}/rounds/1/paper-ballot",
]
PROTECTED = [
    ("/elections/{eid}/objection", {"resident", "staff", "admin"}),
    ("/elections/{eid}/objection?q=居民", {"resident", "staff", "admin"}),
    ("/elections/{eid}/nominate", {"resident", "admin"}),
    ("/elections/{eid}/nominate?q=居民", {"resident", "admin"}),
    ("/elections/{eid}/rounds/1/ballot", VOTERS),
    ("/elections/{eid}/candidates/{cid}/statement", {"election_committee", "admin"}),
    ("/elections/manage/?community=home", VIEW_ADMIN),
    ("/elections/manage/new?community=home", {"election_committee", "admin"}),
    ("/elections/manage/{eid}", VIEW_ADMIN),
    ("/elections/manage/{eid}/roll", VIEW_ADMIN),
    ("/elections/manage/{eid}/roll?q=居民01", VIEW_ADMIN),
    ("/elections/manage/{eid}/nominations", VIEW_ADMIN),
    ("/elections/manage/{eid}/nominations?q=", VIEW_ADMIN),
    ("/elections/manage/{eid}/nominations/{nid}/paper", OFFICIALS),
    ("/elections/manage/{eid}/proxies", VIEW_ADMIN),
    ("/elections/manage/{eid}/relatives", VIEW_ADMIN),
    ("/elections/manage/{eid}/relatives?qa=居民01&qb=居民02", VIEW_ADMIN),
    ("/elections/manage/{eid}/online", VIEW_ADMIN),
    ("/elections/manage/{eid}/rounds/1/boxes/box-1", OFFICIALS),
    ("/elections/manage/{eid}/rounds/1/boxes/box-1?q=居民", OFFICIALS),
    ("/elections/manage/{eid}/rounds/1/boxes/box-1/count", OFFICIALS | {"supervision_committee"}),
]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_answer_everyone(app, world, path):
    _sessions, users, ids = world
    for role in ROLES:
        response = as_role(app, users, role).get(path.format(**ids))
        assert response.status_code == 200, (path, role, response.status_code)


@pytest.mark.parametrize("path,allowed", PROTECTED)
def test_route_role_matrix(app, world, path, allowed):
    _sessions, users, ids = world
    url = path.format(**ids)
    for role in ROLES + ["far_supervisor"]:
        response = as_role(app, users, role).get(url)
        if role in allowed:
            assert response.status_code == 200, (url, role, response.status_code)
        elif role == "anonymous":
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), (url, role)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
            main = response.text.split("<main", 1)[-1].split("</main>", 1)[0]
            assert SECRET not in main and "居民01" not in main, (url, role)


def test_board_json_only_once_closed_and_announcement_only_once_published(app, world):
    _sessions, users, ids = world
    client = as_role(app, users, "anonymous")
    assert client.get("/elections/{eid}/rounds/1/board.json".format(**ids)).status_code == 404
    assert client.get("/elections/{eid}/rounds/1/announcement".format(**ids)).status_code == 409
    assert client.get("/elections/{eid}/rounds/2/head".format(**ids)).status_code == 404


def test_other_communities_never_see_the_election_in_their_lists(app, world):
    _sessions, users, ids = world
    page = as_role(app, users, "other_staff").get("/elections/manage/")
    assert page.status_code == 200 and SECRET not in page.text and "康宁社区" in page.text
    assert SECRET not in as_role(app, users, "other_resident").get("/elections/").text


# POSTs: (path, form, roles allowed to reach the service). Everyone else: 403 (or log in) and nothing is written.
POSTS = [
    ("/elections/{eid}/objection", {"kind": "wrong", "subject": "me", "reason": "写错了写错了"}, {"resident", "staff", "admin"}),
    ("/elections/{eid}/nominate", {"section": "1", "nominee": "1"}, {"resident", "admin"}),
    ("/elections/{eid}/nominations/{nid}/sign", {}, {"resident", "admin"}),
    ("/elections/{eid}/nominations/{nid}/answer", {"accept": "1"}, {"resident", "staff", "election_committee", "admin"}),  # the resident is its nominee
    ("/elections/{eid}/rounds/1/ballot", {"action": "confirm"}, VOTERS),
    ("/elections/{eid}/candidates/{cid}/statement", {"statement": "x"}, {"election_committee", "admin"}),
    ("/elections/manage/new?community=home", {"title": "x"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/step/generate-roll", {}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/polling/open", {"stations": "站"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/roll/1/absence", {"absent": "1"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/objections/1/decide", {"upheld": "1", "decision": "理由理由"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/nominations/party", {"section": "1", "nominee": "1"}, OFFICIALS),
    ("/elections/manage/{eid}/nominations/{nid}/paper", {"signer": "1"}, OFFICIALS),
    ("/elections/manage/{eid}/nominations/{nid}/review", {"approve": "1"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/nominations/{nid}/answer", {"accept": "1"}, OFFICIALS),
    ("/elections/manage/{eid}/proxies", {"principal": "居民01", "holder": "居民02", "reason": "外出务工"}, OFFICIALS),
    ("/elections/{eid}/candidates/{cid}/relatives", {"relative": "1", "kind": "spouse"}, OFFICIALS),
    ("/elections/manage/{eid}/relatives", {"a": "1", "b": "2", "kind": "spouse"}, OFFICIALS),
    ("/elections/manage/{eid}/relatives/1/remove", {}, OFFICIALS),
    ("/elections/manage/{eid}/online", {"enabled": "1", "opens": "2026-06-13T07:00", "closes": "2026-06-13T18:00"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/rounds/1/close-polling", {"returned-box-1": "0"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/rounds/1/close", {}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/rounds/1/publish", {"presiding": "x"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/rounds/1/runoff", {"stations": "站"}, {"election_committee", "admin"}),
    ("/elections/manage/{eid}/rounds/1/boxes/box-1/issue", {"voter": "1"}, OFFICIALS),
    ("/elections/manage/{eid}/rounds/1/boxes/box-1/count", {"n-chair": "1"}, OFFICIALS),
    ("/elections/manage/{eid}/rounds/1/boxes/box-1/tally", {"returned": "0"}, OFFICIALS),
    ("/elections/manage/{eid}/rounds/1/drafts/1", {"accept": "1"}, {"election_committee", "supervision_committee", "admin"}),
]


def _writes(sessions) -> tuple:
    with sessions() as db:
        return tuple(db.scalar(select(func.count()).select_from(model)) for model in (Election, Nomination, Objection, Proxy, RollMark, PaperDraft, Relation))


@pytest.mark.parametrize("path,data,allowed", POSTS)
def test_posts_refused_without_permission(app, world, path, data, allowed):
    sessions, users, ids = world
    url = path.format(**ids)
    before = _writes(sessions)
    for role in ROLES:
        if role in allowed:
            continue
        response = as_role(app, users, role).post_form(url, data)
        if role == "anonymous":
            assert response.status_code == 303 and "/login" in response.headers["location"], (url, role, response.status_code)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
            assert SECRET not in response.text.split("<main", 1)[-1]
    assert _writes(sessions) == before
    for role in allowed:
        response = as_role(app, users, role).post_form(url, data)
        assert response.status_code < 500 and response.status_code != 403 or role == "admin", (url, role, response.status_code)
