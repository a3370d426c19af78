"""The election page's cached fragments (templates/elections/election.html): every reader — anonymous, a voter
on the roll, one who has voted, a candidate, a nominee, the committee, a resident of another community — sees
exactly what a fresh rendering without any cache shows them, with only their own CSRF token; a write (a
signature, a statement, a round closing) shows on the very next request. SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from civic import clock
from civic.db import make_sessionmaker
from civic.elections import nominations, polling, roll, setup
from civic.elections.models import Election, Nomination, Round, Section
from civic.registry.models import Community
from civic.security import load_actor
from tests.conftest import make_app
from tests.elections.factories import publish_leaving_audit, setup_config
from tests.helpers import Client, make_community, make_resident, make_user

TOKEN = re.compile(r'name="csrftoken" value="([^"]*)"')


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrftoken" value=""', html)


@pytest.fixture
def site(database_url, tmp_path):
    """安和社区 with an election in its nomination step: nine party nominees on the preliminary candidate list
    (voters 0-8), a joint nomination collecting signatures (started by voter 12 for voter 13) and one waiting
    for its nominee's answer (voter 14)."""
    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    polling_day = dt.date.today() + dt.timedelta(days=40)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        other = make_community(db, code="other", name="和平社区")
        people = [make_resident(db, home, name=f"选民{i:02d}", gender="F" if i % 2 else "M", age=30 + i) for i in range(16)]
        users = {f"voter{i}": make_user(db, resident=p) for i, p in enumerate(people)}
        users["committee"] = make_user(db, roles=[("election_committee", home), ("staff", home)])
        users["stranger"] = make_user(db, resident=make_resident(db, other, name="外区居民"))
        committee = load_actor(db, users["committee"].id)
        schedule = setup.default_schedule(polling_day, setup_config(db))
        publish_leaving_audit(db, home)
        with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
            election = setup.create_election(db, committee, home, setup.ElectionInput(
                title="第十二届居民委员会选举", purpose="general", mode="all-voters", polling_day=polling_day,
                seats={"chair": 1, "vice": 1, "member": 3}, online_enabled=True))
            roll.generate_roll(db, committee, election, home)
        with clock.frozen(schedule["roll_published_on"]):
            roll.publish_roll(db, committee, election, home)
        with clock.frozen(schedule["nominations_open_on"]):
            nominations.open_nominations(db, committee, election, home)
            sections = {s.key: s for s in db.execute(select(Section).where(Section.election_id == election.id)).scalars()}
            pool = iter(people)
            for key, wanted in (("chair", 2), ("vice", 2), ("member", 5)):
                for _ in range(wanted):
                    nomination = nominations.party_nomination(db, committee, election, home, sections[key], next(pool))
                    nomination.status = "accepted"
                    nominations.review_nomination(db, committee, election, home, nomination, True, "")
            nominations.build_candidate_list(db, committee, election, home)
            starter = load_actor(db, users["voter12"].id)
            collecting = nominations.start_joint_nomination(db, starter, election, home, sections["member"], people[13], "愿为大家服务")
            waiting = nominations.start_joint_nomination(db, starter, election, home, sections["member"], people[14], "")
            waiting.status = "submitted"
            db.commit()
        ids = {"election": election.id, "public_id": election.public_id, "collecting": collecting.id, "waiting": waiting.id}
    return app, sessions, users, ids, schedule, database_url, tmp_path


class Fresh:
    """The same pages from an app without any cache (page and fragments off)."""

    def __init__(self, database_url, tmp_path, english=False):
        self.app, self.english = make_app(database_url, tmp_path, page_cache_seconds=0), english

    def page(self, user, url) -> str:
        with Client(self.app) as client:
            if user is not None:
                client.login_as(user)
            if self.english:
                client.cookies.set("civic_lang", "en")
            return without_tokens(client.get(url).text)


def clients(app, users, names, english=False):
    out = {}
    for name in names:
        client = Client(app)
        out[name] = client.login_as(users[name]) if name != "anonymous" else client
        if english:
            client.cookies.set("civic_lang", "en")
    return out


def own_tokens_only(client, html: str) -> None:
    tokens = set(TOKEN.findall(html))
    assert not tokens or tokens == {client.cookies.get("csrftoken")}, tokens


def check_all(app, fresh, users, readers, url) -> dict[str, str]:
    """Every reader twice (the second time from warm fragments): both equal a fresh page; tokens are theirs."""
    seen = {}
    for _round in range(2):
        for name, client in readers.items():
            answer = client.get(url)
            assert answer.status_code == 200, (name, answer.text[:500])
            own_tokens_only(client, answer.text)
            seen.setdefault(name, []).append(without_tokens(answer.text))
    for name, pages in seen.items():
        expected = fresh.page(users.get(name), url)
        assert pages[0] == pages[1] == expected, name
    return {name: pages[1] for name, pages in seen.items()}


NAMES = ("anonymous", "voter10", "voter11", "voter0", "voter12", "voter14", "committee", "stranger")


def test_nomination_step_every_reader_sees_their_own_page(site):
    app, sessions, users, ids, schedule, url_db, tmp_path = site
    fresh, url = Fresh(url_db, tmp_path, english=True), f"/elections/{ids['public_id']}"
    fragments = app.state.templates.fragments
    readers = clients(app, users, NAMES, english=True)
    with clock.frozen(schedule["nominations_open_on"]):
        hits = fragments.hits
        seen = check_all(app, fresh, users, readers, url)
        assert fragments.hits >= hits + 2 * len(NAMES)  # both blocks from the cache on every second visit

        statement = f"/elections/{ids['public_id']}/candidates/c1/statement"
        assert statement in seen["voter0"] and all(statement not in seen[n] for n in NAMES if n != "voter0")
        manage = f"/elections/manage/{ids['public_id']}"
        assert manage in seen["committee"] and all(manage not in seen[n] for n in NAMES if n != "committee")
        sign = f"/nominations/{ids['collecting']}/sign"
        assert sign in seen["voter10"] and sign in seen["voter11"]
        assert sign not in seen["anonymous"] and sign not in seen["stranger"] and sign not in seen["committee"]
        assert sign not in seen["voter12"] and "You signed" in seen["voter12"] and "You signed" not in seen["voter10"]
        answer = f"/nominations/{ids['waiting']}/answer"
        assert answer in seen["voter14"] and all(answer not in seen[n] for n in NAMES if n != "voter14")
        nominate = f"/elections/{ids['public_id']}/nominate"
        assert nominate in seen["voter10"] and nominate not in seen["anonymous"] and nominate not in seen["stranger"]
        assert 'id="entry-status"' in seen["voter10"] and 'id="entry-status"' not in seen["stranger"]
        assert f"/login?next=/elections/{ids['public_id']}" in seen["anonymous"]


def test_writes_show_on_the_next_request(site):
    app, sessions, users, ids, schedule, url_db, tmp_path = site
    fresh, url = Fresh(url_db, tmp_path), f"/elections/{ids['public_id']}"
    readers = clients(app, users, ("anonymous", "voter10", "voter11", "voter0"))
    with clock.frozen(schedule["nominations_open_on"]):
        for client in readers.values():  # warm
            client.get(url)
            client.get(url)
        sign = f"/elections/{ids['public_id']}/nominations/{ids['collecting']}/sign"
        assert readers["voter10"].post_form(sign, {}).status_code == 303
        mine = readers["voter10"].get(url).text
        assert f'action="{sign}"' not in mine and f'action="{sign}"' in readers["voter11"].get(url).text
        for name, client in readers.items():
            text = client.get(url).text
            own_tokens_only(client, text)
            assert without_tokens(text) == fresh.page(users.get(name), url), name
            assert re.search(r"<td>2 / \d+</td>", text), name  # the signature count went from 1 to 2

        answer = readers["voter0"].post_form(f"/elections/{ids['public_id']}/candidates/c1/statement", {"statement": "新的参选陈述"})
        assert answer.status_code == 303, answer.text[:500]
        for name, client in readers.items():
            text = client.get(url).text
            assert "新的参选陈述" in text, name
            assert without_tokens(text) == fresh.page(users.get(name), url), name


def test_polling_day_voted_on_the_roll_and_a_round_closing(site):
    app, sessions, users, ids, schedule, url_db, tmp_path = site
    with sessions() as db:
        election = db.get(Election, ids["election"])
        home = db.get(Community, election.community_id)
        committee = load_actor(db, users["committee"].id)
        with clock.frozen(schedule["nominations_open_on"]):
            for nomination in db.execute(select(Nomination).where(Nomination.kind == "joint")).scalars():
                nomination.status = "declined"
            db.commit()
            nominations.build_candidate_list(db, committee, election, home)
        with clock.frozen(schedule["candidates_published_on"]):
            nominations.publish_candidates(db, committee, election, home)
        with clock.frozen(election.polling_day):
            round_ = polling.open_polling(db, committee, election, home, [{"kind": "station", "name": "第一投票站"}])
            voter = load_actor(db, users["voter11"].id)
            polling.cast_online(db, voter, election, home, round_, polling.complete({}, polling.sections_of(round_)))
        day, round_id = election.polling_day, round_.id
    fresh, url = Fresh(url_db, tmp_path, english=True), f"/elections/{ids['public_id']}"
    names = ("anonymous", "voter10", "voter11", "committee", "stranger")
    readers = clients(app, users, names, english=True)
    with clock.frozen(day):
        seen = check_all(app, fresh, users, readers, url)
        ballot = f"/elections/{ids['public_id']}/rounds/1/ballot"
        assert f'href="{ballot}"' in seen["voter10"] and f'href="{ballot}"' not in seen["voter11"]
        assert f'/login?next={ballot}' in seen["anonymous"] and ballot not in seen["stranger"] and ballot not in seen["committee"]
        assert [n for n in names if "You have voted in this round" in seen[n]] == ["voter11"]

        with sessions() as db:
            election = db.get(Election, ids["election"])
            polling.close_polling(db, load_actor(db, users["committee"].id), election, db.get(Community, election.community_id),
                                  db.get(Round, round_id), {b.key: 0 for b in polling.boxes_of(db, db.get(Round, round_id))})
        for name, client in readers.items():
            text = client.get(url).text
            assert 'id="h-vote"' not in text, name
            assert without_tokens(text) == fresh.page(users.get(name), url), name


def test_closed_election_members_recalls_and_a_resignation(database_url, tmp_path):
    """A completed election: members, a recall request, the recall button for voters on its roll only; a
    resignation (a vacancy) shows on the next request."""
    from civic.elections import recall
    from tests.elections.recall_factories import closed_election

    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        other = make_community(db, code="other", name="康宁社区")
        people = [make_resident(db, home, name=f"居民{i:02d}", gender="F" if i % 2 else "M", age=30 + i) for i in range(22)]
        users = {"voter": make_user(db, resident=people[20]), "resident": make_user(db, resident=people[0]),
                 "stranger": make_user(db, resident=make_resident(db, other, name="赵六")),
                 "staff": make_user(db, roles=[("staff", home)]), "committee": make_user(db, roles=[("election_committee", home)])}
        builder = load_actor(db, make_user(db, roles=[("election_committee", home), ("staff", home)]).id)
        voters = [load_actor(db, users["resident"].id)] + [load_actor(db, make_user(db, resident=p).id) for p in people[1:20]]
        election = closed_election(db, builder, home, voters)
        users["late"] = make_user(db, resident=make_resident(db, home, name="新来的居民"))  # not on the (closed) roll
        members = recall.sitting_members(db, election)
        request = recall.start_request(db, voters[10], election, home, [members[0]["key"]], "长期不履行职责，不听取居民意见。")
        eid, rid, member = election.public_id, request.id, members[4]
    fresh, url = Fresh(database_url, tmp_path, english=True), f"/elections/{eid}"
    names = ("anonymous", "voter", "resident", "late", "stranger", "staff", "committee")
    readers = clients(app, users, names, english=True)
    seen = check_all(app, fresh, users, readers, url)
    button = f"/elections/{eid}/recall\""
    assert button in seen["voter"] and button in seen["resident"]
    assert all(button not in seen[n] for n in ("anonymous", "late", "stranger", "staff", "committee"))
    assert all(f"/elections/recalls/{rid}\"" in seen[n] for n in names) and all("Members elected" in seen[n] for n in names)
    manage = f"/elections/manage/{eid}\""
    assert manage in seen["staff"] and manage in seen["committee"] and manage not in seen["voter"]

    answer = readers["staff"].post_form(f"/elections/manage/{eid}/vacancies/resignation", {"member": member["key"], "note": "书面辞职已批准"})
    assert answer.status_code == 303, answer.text[:500]
    for name, client in readers.items():
        text = client.get(url).text
        assert "Vacant seats" in text and "resigned" in text, name
        own_tokens_only(client, text)
        assert without_tokens(text) == fresh.page(users.get(name), url), name

    # Once the term is over nobody sits: the page no longer offers a recall, which would be refused.
    from civic import clock
    from civic.elections import byelection

    with sessions() as db:
        ends = byelection.term_ends_on(db.get(type(election), election.id))
    for day, offered in ((ends - dt.timedelta(days=1), True), (ends, False)):
        with clock.frozen(day):
            text = readers["voter"].get(url).text
        assert (button in text) is offered, day
