"""The signed-in actor cache: reused between requests, and exact again on the very next request after
any change to users, roles or residents — in another process too (two apps on one database)."""
from sqlalchemy import delete, event, select, update

from civic.accounts.models import RoleAssignment, User
from civic.db import make_sessionmaker
from civic.pagecache import Generation
from civic.registry.models import Resident
from civic.security import people_generation
from tests.conftest import make_app
from tests.helpers import PASSWORD, Client, make_community, make_resident, make_user


def count_user_loads(engine) -> list:
    loads = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM accounts_user" in statement:
            loads.append(statement)

    return loads


def test_a_kept_actor_is_reused_until_people_change(database_url, tmp_path):
    app, other = make_app(database_url, tmp_path), make_app(database_url, tmp_path / "b")
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        make_community(db, code="ac", name="缓存社区")
        user = make_user(db)
        user_id = user.id
    loads = count_user_loads(other.state.engine)
    with Client(other) as client:
        client.login_as(user)
        assert client.get("/rules/manage/").status_code == 403
        first = len(loads)
        assert client.get("/rules/manage/").status_code == 403
        assert len(loads) == first  # the second request reused the kept actor
        # A role granted through the other "process" counts on the very next request.
        with sessions() as db:
            db.add(RoleAssignment(user_id=user_id, role="admin"))
            db.commit()
        assert client.get("/rules/manage/").status_code == 200
        # ... and so does taking it away.
        with sessions() as db:
            db.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
            db.commit()
        assert client.get("/rules/manage/").status_code == 403


def test_logout_everywhere_and_deactivation_end_a_kept_session(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        user = make_user(db, roles=[("admin", None)])
        user_id = user.id
    with Client(app) as client:
        client.login_as(user)
        assert client.get("/rules/manage/").status_code == 200
        with sessions() as db:
            db.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))
            db.commit()
        assert client.get("/rules/manage/").status_code in (302, 303, 401)
    with sessions() as db:
        user = db.get(User, user_id)
    with Client(app) as client:
        client.login_as(user)
        assert client.get("/rules/manage/").status_code == 200
        with sessions() as db:
            db.execute(update(User).where(User.id == user_id).values(active=False))
            db.commit()
        assert client.get("/rules/manage/").status_code in (302, 303, 401)


def test_a_resident_flag_is_a_role_at_once(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        community = make_community(db, code="flag")
        resident = make_resident(db, community, name="李四")
        user = make_user(db, resident=resident)
        resident_id = resident.id
    with sessions() as db:
        actor = app.state.actors.load(db, user.id)
        assert not actor.has_role("resident_rep", community)
        actor.roles.append(("admin", None, None))  # what a caller does to its copy stays there
    with sessions() as db:
        assert not app.state.actors.load(db, user.id).has_role("admin")
        db.execute(update(Resident).where(Resident.id == resident_id).values(is_resident_rep=True))
        db.commit()
    with sessions() as db:
        assert app.state.actors.load(db, user.id).has_role("resident_rep", community)


def test_a_login_is_a_statistic_for_the_actor_cache(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        make_user(db, phone="13612345678")
        before = people_generation(db)
    with Client(app) as client:
        answer = client.post_form("/login", {"identifier": "13612345678", "password": PASSWORD})
        assert answer.status_code == 303
    with sessions() as db:
        assert people_generation(db) == before
        assert db.scalar(select(User.last_login_at).where(User.phone == "13612345678")) is not None
        scopes = {g.scope for g in db.execute(select(Generation)).scalars()}
    assert "people" in scopes  # written when the user was made


def test_the_unread_count_is_kept_until_a_notification_changes(database_url, tmp_path):
    from civic import notify
    from civic.pagecache import read_generations

    app, other = make_app(database_url, tmp_path), make_app(database_url, tmp_path / "b")
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        make_community(db, code="note", name="通知社区")
        user = make_user(db)
        user_id = user.id
    with Client(app) as client:
        client.login_as(user)
        assert 'class="badge"' not in client.get("/elections/").text
        before = read_generations(app.state.engine)
        with make_sessionmaker(other.state.engine, write=True)() as db:  # another process writes it
            notify.notify(db, [user_id], "您的意见已有答复")
            db.commit()
        after = read_generations(app.state.engine)
        assert after["notify"] == before.get("notify", 0) + 1 and after.get("core") == before.get("core")  # pages stay cached
        assert app.state.unread.entries[user_id][1] == 0
        client.get("/elections/")
        assert app.state.unread.entries[user_id] == (after["notify"], 1)
        with sessions() as db:
            notify.mark_all_read(db, user_id)
        client.get("/elections/")
        assert app.state.unread.entries[user_id][1] == 0


def test_a_kept_session_cookie_still_expires(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        user = make_user(db, roles=[("admin", None)])
    with Client(app) as client:
        client.login_as(user)
        assert client.get("/rules/manage/").status_code == 200
        assert app.state.sessions.verified  # the signature was checked once and kept
        app.state.sessions.max_age = -1  # every session is now too old
        assert client.get("/rules/manage/").status_code in (302, 303, 401)


def test_every_page_shows_the_signed_in_header(database_url, tmp_path):
    # The community page's view never asks who reads it; the header still names the reader.
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        make_community(db, code="hdr", name="页眉社区")
        user = make_user(db)
        name = user.display_name
    with Client(app) as client:
        assert name not in client.get("/registry/c/hdr").text
        client.login_as(user)
        page = client.get("/registry/c/hdr").text
        assert name in page and 'href="/login' not in page.split("<main", 1)[0]


def test_one_query_loads_user_resident_and_every_role(database_url, tmp_path):
    from civic.security import load_actor

    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home, other = make_community(db, code="r1"), make_community(db, code="r2")
        resident = make_resident(db, home, name="王五", is_party_rep=True)
        user = make_user(db, resident=resident, roles=[("staff", home), ("election_committee", other)])
        bare = make_user(db)
    loads = count_user_loads(app.state.engine)
    with sessions() as db:
        actor = load_actor(db, user.id)
        assert len(loads) == 1
        assert actor.resident.name == "王五" and actor.user.id == user.id
        assert sorted(actor.roles) == sorted([("staff", home.id, None), ("election_committee", other.id, None),
                                              ("resident", home.id, None), ("party_rep", home.id, None)])
        plain = load_actor(db, bare.id)
        assert plain.resident is None and plain.roles == []
