"""The consultation page's cached fragments (templates/consultations/detail.html): every reader — anonymous,
the proposer, a resident who supported or signed up, another resident, staff, a resident of another
community — sees exactly what a fresh rendering without any cache shows them, with only their own CSRF
token; a support or a sign-up shows on the very next request. SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from civic.consultations import services
from civic.db import make_sessionmaker
from tests.conftest import make_app
from tests.consultations.conftest import build_world
from tests.helpers import Client

TOKEN = re.compile(r'name="csrftoken" value="([^"]*)"')


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrftoken" value=""', html)


@pytest.fixture
def site(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        world = build_world(db, residents=6)
        r, u = world.residents, world.users
        proposed = services.propose_topic(db, r[0], world.home, title="加装电梯", body="五幢老人多，建议**加装电梯**。")
        services.toggle_support(db, r[1], proposed)
        council = services.propose_topic(db, r[0], world.home, title="停车位划线", body="消防通道常被占用，建议重新划线。")
        services.decide_topic(db, world.staff, council, verdict="accept", form="council", reason="同意")
        services.plan(db, world.staff, council, {
            "scope": "all", "scope_groups": "", "scope_buildings": "", "stakeholders_note": "物业公司", "seats": 0, "selection_method": "lot",
            "meeting_mode": "in_person", "meeting_date": dt.date.today() + dt.timedelta(days=12), "meeting_time": "19:00", "place": "议事厅",
            "online_url": "", "capacity": 10, "signup_closes": None})
        services.add_agenda_item(db, world.staff, council, title="划线方案", minutes=20, description="两个方案")
        services.announce(db, world.staff, council)
        services.sign_up(db, r[1], council, stance="for")
        services.submit_opinion(db, r[1], council, body="建议保留两个访客车位。")
        readers = {"anonymous": None, "proposer": u.people[0], "participant": u.people[1], "resident": u.people[2], "staff": u.staff,
                   "stranger": u.stranger}
        ids = {"proposed": proposed.id, "council": council.id}
    return app, readers, ids, database_url


def fresh(database_url, tmp_path, user, url) -> str:
    app = make_app(database_url, tmp_path, page_cache_seconds=0)
    with Client(app) as client:
        if user is not None:
            client.login_as(user)
        return without_tokens(client.get(url).text)


def page_of(client: Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200
    tokens = set(TOKEN.findall(answer.text))
    assert tokens <= {client.cookies.get("csrftoken")}, "only the reader's own token"
    return without_tokens(answer.text)


@pytest.mark.parametrize("which", ["proposed", "council"])
def test_every_reader_sees_the_fresh_page(site, tmp_path, which):
    app, readers, ids, url_db = site
    url = f"/consultations/{ids[which]}"
    fragments = app.state.templates.fragments
    clients = {name: Client(app).login_as(user) if user is not None else Client(app) for name, user in readers.items()}
    try:
        for _round in range(2):
            for name, client in clients.items():
                seen = page_of(client, url)
                assert seen == fresh(url_db, tmp_path, readers[name], url), (name, _round)
        assert fragments.hits > 0
        # The htmx speaker list and the thread still come as fragments.
        for fragment in ("speakers", "thread"):
            answer = clients["resident"].get(f"{url}?fragment={fragment}", headers={"HX-Request": "true"})
            assert answer.status_code == 200 and "<html" not in answer.text
    finally:
        for client in clients.values():
            client.close()


def test_a_support_and_a_sign_up_show_on_the_next_request(site, tmp_path):
    app, readers, ids, url_db = site
    proposed, council = f"/consultations/{ids['proposed']}", f"/consultations/{ids['council']}"
    with Client(app).login_as(readers["resident"]) as resident, Client(app) as anonymous:
        for url in (proposed, council):
            page_of(resident, url), page_of(anonymous, url), page_of(resident, url)
        assert "2 residents support" not in resident.get(proposed, headers={"Accept-Language": "en"}).text
        assert resident.post_form(f"{proposed}/support", {}).status_code in (200, 303)
        assert "2 residents support" in anonymous.get(proposed, headers={"Accept-Language": "en"}).text
        for name in ("resident", "anonymous"):
            client = resident if name == "resident" else anonymous
            assert page_of(client, proposed) == fresh(url_db, tmp_path, readers[name], proposed)

        assert "2 signed up" not in anonymous.get(council, headers={"Accept-Language": "en"}).text
        assert resident.post_form(f"{council}/signup", {"stance": "against", "statement": ""}).status_code in (200, 303)
        assert "2 signed up" in anonymous.get(council, headers={"Accept-Language": "en"}).text
        assert "Withdraw my sign-up" in resident.get(council, headers={"Accept-Language": "en"}).text
        for name in ("resident", "anonymous"):
            client = resident if name == "resident" else anonymous
            assert page_of(client, council) == fresh(url_db, tmp_path, readers[name], council)
