"""Cached fragments of pages (civic.templating.cached): shared by every reader, signed in or not, yet each
reader sees exactly what a fresh rendering shows them — their own edit controls, their up-votes, their CSRF
token — and a write shows on the very next request. SQLite and PostgreSQL."""
import re

import pytest

from civic.consultations import comments, services
from civic.db import make_sessionmaker
from tests.conftest import make_app
from tests.consultations.conftest import build_world
from tests.helpers import Client


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrftoken" value="[^"]*"', 'name="csrftoken" value=""', html)


@pytest.fixture
def thread_site(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        world = build_world(db, residents=4)
        alice, bob = world.residents[1], world.residents[2]
        topic = services.propose_topic(db, world.residents[0], world.home, title="加装电梯", body="五幢老人多，建议加装电梯。")
        first = comments.post_comment(db, alice, topic, body="爱丽丝的意见")
        second = comments.post_comment(db, bob, topic, body="鲍勃的意见")
        comments.post_comment(db, bob, topic, body="鲍勃的回复", parent_id=first.id)
        ids = {"topic": topic.id, "alice_comment": first.id, "bob_comment": second.id}
        users = {"alice": world.users.people[1], "bob": world.users.people[2], "staff": world.users.staff}
    return app, users, ids, database_url


def fresh(database_url, tmp_path, user, url, **headers) -> str:
    """The same page from an app without any cache."""
    app = make_app(database_url, tmp_path, page_cache_seconds=0)
    with Client(app) as client:
        if user is not None:
            client.login_as(user)
        return without_tokens(client.get(url, headers=headers).text)


def test_readers_share_the_thread_but_see_their_own_controls(thread_site, tmp_path):
    app, users, ids, url_db = thread_site
    fragments = app.state.templates.fragments
    page = f"/consultations/{ids['topic']}"
    alice, bob, anonymous = Client(app).login_as(users["alice"]), Client(app).login_as(users["bob"]), Client(app)
    with alice, bob, anonymous:
        seen = {}
        for _round in range(2):
            for name, client in (("alice", alice), ("bob", bob), ("anonymous", anonymous)):
                answer = client.get(page)
                assert answer.status_code == 200
                token = client.cookies.get("csrftoken")
                if 'name="csrftoken"' in answer.text:  # every token on the page is this reader's own
                    assert set(re.findall(r'name="csrftoken" value="([^"]*)"', answer.text)) == {token}
                seen.setdefault(name, []).append(without_tokens(answer.text))
        assert fragments.hits > 0
        edit = f'/consultations/comments/{ids["alice_comment"]}/edit"'
        assert edit in seen["alice"][1] and edit not in seen["bob"][1] and edit not in seen["anonymous"][1]
        assert f'/consultations/comments/{ids["bob_comment"]}/edit"' in seen["bob"][1]
        assert f'/consultations/comments/{ids["alice_comment"]}/report"' in seen["bob"][1]
        assert "/report" not in seen["anonymous"][1]
        for name, user in (("alice", users["alice"]), ("bob", users["bob"]), ("anonymous", None)):
            assert seen[name][0] == seen[name][1] == fresh(url_db, tmp_path, user, page), name

        # Bob up-votes Alice's comment: his next page shows it, Alice's and the others' pages do not.
        bob.post_form(f"/consultations/comments/{ids['alice_comment']}/vote", {})
        assert "Up-voted" in bob.get(page, headers={"Accept-Language": "en"}).text
        assert without_tokens(bob.get(page).text) == fresh(url_db, tmp_path, users["bob"], page)
        assert without_tokens(alice.get(page).text) == fresh(url_db, tmp_path, users["alice"], page)

        # Alice edits her comment: the very next request of anyone shows the new text.
        answer = alice.post_form(f"/consultations/comments/{ids['alice_comment']}/edit", {"body": "爱丽丝改过的意见"})
        assert answer.status_code in (200, 303)
        for client in (bob, anonymous, alice):
            text = client.get(page).text
            assert "爱丽丝改过的意见" in text and "爱丽丝的意见" not in text


def test_the_locale_and_the_kind_of_reader_are_part_of_the_key(thread_site, tmp_path):
    app, users, ids, url_db = thread_site
    page = f"/consultations/{ids['topic']}"
    with Client(app).login_as(users["bob"]) as bob, Client(app).login_as(users["staff"]) as staff:
        chinese = bob.get(page).text
        english = bob.get(page, headers={"Accept-Language": "en"}).text
        assert "Comments (3)" in english and "Comments (3)" not in chinese
        assert without_tokens(english) == fresh(url_db, tmp_path, users["bob"], page, **{"Accept-Language": "en"})
        # Staff of the community are signed in but may not comment: no vote buttons, as a fresh page shows.
        staff_page = without_tokens(staff.get(page).text)
        assert staff_page == fresh(url_db, tmp_path, users["staff"], page)
        assert "/vote" not in staff_page and "/vote" in without_tokens(bob.get(page).text)


def test_switched_off_with_the_page_cache(tmp_path, sqlite_url):
    app = make_app(sqlite_url, tmp_path, page_cache_seconds=0)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        world = build_world(db, residents=2)
        topic = services.propose_topic(db, world.residents[0], world.home, title="加装电梯", body="建议加装电梯。")
        comments.post_comment(db, world.residents[1], topic, body="同意")
        user = world.users.people[1]
    with Client(app).login_as(user) as client:
        client.get(f"/consultations/{topic.id}")
        client.get(f"/consultations/{topic.id}")
    assert app.state.templates.fragments.hits == 0


def test_a_new_notice_shows_on_the_next_board_page(database_url, tmp_path):
    from civic.disclosure import services as disclosure
    from civic.security import load_actor
    from tests.helpers import make_community, make_resident, make_user

    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        reader = make_user(db, resident=make_resident(db, home, name="王芳", gender="F"))
        staff_user = make_user(db, roles=[("staff", home)])
        staff = load_actor(db, staff_user.id)
        first = disclosure.create_item(db, staff, home, disclosure.ItemValues("decisions", "第一份通知", "正文", None, None, None, False))
        disclosure.publish(db, staff, first.id, None)
        staff_id, home_id = staff_user.id, home.id
    page = "/disclosure/?community=home"
    with Client(app).login_as(reader) as resident, Client(app).login_as(staff_user) as staff_client:
        resident.get(page)
        hits = app.state.templates.fragments.hits
        assert "第一份通知" in resident.get(page).text and app.state.templates.fragments.hits > hits
        staff_page = staff_client.get(page).text
        assert "/disclosure/manage/c/home" in staff_page and "/disclosure/manage/c/home" not in resident.get(page).text
        with sessions() as db:
            from civic.registry.models import Community

            staff = load_actor(db, staff_id)
            second = disclosure.create_item(db, staff, db.get(Community, home_id),
                                            disclosure.ItemValues("decisions", "第二份通知", "正文", None, None, None, False))
            disclosure.publish(db, staff, second.id, None)
        assert "第二份通知" in resident.get(page).text
        assert without_tokens(resident.get(page).text) == fresh(database_url, tmp_path, reader, page)


def test_readers_in_the_same_state_share_a_rendered_control_each_with_their_own_token(thread_site, tmp_path):
    """Alice and Carol both up-vote Bob's comment: the "up-voted" control is rendered once for the cached
    thread and served to both, each page with that reader's own CSRF token and equal to a fresh rendering."""
    app, users, ids, url_db = thread_site
    with make_sessionmaker(app.state.engine)() as db:
        from civic.accounts.models import User

        carol = db.get(User, users["bob"].id + 1)
    page = f"/consultations/{ids['topic']}"
    vote = f"/consultations/comments/{ids['bob_comment']}/vote"
    with Client(app).login_as(users["alice"]) as alice, Client(app).login_as(carol) as carol_client:
        for client in (alice, carol_client):
            assert client.post_form(vote, {}).status_code in (200, 303)
        for _round in range(2):
            for client, user in ((alice, users["alice"]), (carol_client, carol)):
                answer = client.get(page, headers={"Accept-Language": "en"})
                tokens = set(re.findall(r'name="csrftoken" value="([^"]*)"', answer.text))
                assert tokens == {client.cookies.get("csrftoken")}
                assert re.search(rf'action="{vote}".*?Up-voted ▲ 2', answer.text, re.S)
                assert without_tokens(answer.text) == fresh(url_db, tmp_path, user, page, **{"Accept-Language": "en"})
    entries = [value for (_at, value), _size in app.state.templates.fragments.entries.data.values() if getattr(value, "variants", None)]
    assert len(entries) == 1  # the English thread list, as both see it
    # One rendering of "up-voted, not mine" for Bob's comment, served to both; and Alice's own comment's controls.
    assert sorted(state for _number, state in entries[0].variants) == [(False, True), (True, False)]


def test_an_anonymous_thread_with_personal_parts_is_still_kept_whole(thread_site):
    """The thread's cached list has personal holes but, for an anonymous reader, no form: serving it must not
    ask for a CSRF token (that sets a cookie, and a page setting one is never kept by the page cache)."""
    app, _users, ids, _url = thread_site
    page = f"/consultations/{ids['topic']}"
    with Client(app) as anonymous:
        first = anonymous.get(page)
        assert "set-cookie" not in first.headers and "爱丽丝的意见" in first.text
        hits = app.state.page_cache.hits
        assert anonymous.get(page).text == first.text and app.state.page_cache.hits == hits + 1


def test_the_comment_form_is_shared_by_readers_with_the_same_pseudonym_only(thread_site, tmp_path):
    app, users, ids, url_db = thread_site
    with make_sessionmaker(app.state.engine, write=True)() as db:
        from civic.security import load_actor

        comments.set_alias(db, load_actor(db, users["alice"].id), "楼下的猫")
    page = f"/consultations/{ids['topic']}"
    with Client(app).login_as(users["alice"]) as alice, Client(app).login_as(users["bob"]) as bob:
        for _round in range(2):
            alice_page, bob_page = alice.get(page).text, bob.get(page).text
            assert "楼下的猫" in alice_page and "楼下的猫" not in bob_page
            assert without_tokens(alice_page) == fresh(url_db, tmp_path, users["alice"], page)
            assert without_tokens(bob_page) == fresh(url_db, tmp_path, users["bob"], page)


def test_a_fragment_spliced_into_the_page_as_utf8_is_the_text_a_reader_gets():
    """render() joins the page in UTF-8 from each fragment's pieces, encoded once (civic.templating._joined): for
    every mix of holes the reader has their own version of, the bytes are the fragment with those holes replaced,
    the others neutral and every marker the reader's token — and so is the text served outside render()."""
    import itertools
    import re

    from civic import templating

    nonce = "n0nce"
    csrf, hole = f"@@csrf-{nonce}@@", lambda n, body: f"@@hole-{nonce}-{n}@@{body}@@/hole-{nonce}@@"
    neutral = {0: f"<form>{csrf}赞</form>", 1: "<b>二</b>", 2: f"{csrf}三{csrf}"}
    html = (f"<p>开头 {csrf}</p>" + hole(0, neutral[0]) + "<p>中间</p>" + hole(1, neutral[1])
            + f"<i>{csrf}</i>" + hole(2, neutral[2]) + "<p>结尾 ✓</p>")
    entry = templating._Entry(html, nonce, [("comment", (1,)), ("comment", (2,)), ("comment", (3,))])
    mine = {0: f"<form>{csrf}已赞</form>", 1: "<b>我的</b>", 2: f"{csrf}自己{csrf}"}
    token = "tök&en"
    for count in range(4):
        for chosen in itertools.combinations(range(3), count):
            expected = re.sub(rf"@@hole-{nonce}-(\d)@@.*?@@/hole-{nonce}@@",
                              lambda m: (mine if int(m.group(1)) in chosen else neutral)[int(m.group(1))], html).replace(csrf, "tök&amp;en")
            context = {"personalize": lambda holes, _context, chosen=chosen: {n: mine[n] for n in chosen}, "csrf_token": lambda: token}
            assert str(templating._serve(entry, context, nonce)) == expected, chosen  # outside render()
            spliced = []
            reset = templating._spliced.set(spliced)
            try:
                placeholder = str(templating._serve(entry, context, nonce))
            finally:
                templating._spliced.reset(reset)
            assert templating._joined(f"<main>{placeholder}</main>", spliced, nonce).decode() == f"<main>{expected}</main>", chosen
