"""The anonymous page cache: hits, invalidation by writes (SQLite and PostgreSQL), what is never cached."""
from sqlalchemy import select, update

from civic.db import make_sessionmaker
from civic.pagecache import STATISTIC, Bounded, Generation, scope_of_table, scopes_of_path
from civic.registry.models import Community
from tests.conftest import make_app
from tests.helpers import Client, make_community, make_user


def counters(engine) -> dict:
    with make_sessionmaker(engine)() as db:
        return {g.scope: g.counter for g in db.execute(select(Generation)).scalars()}


def test_scopes():
    assert scope_of_table("elections_ballot") == "elections"
    assert scope_of_table("registry_community") == "core" and scope_of_table("audit_log") == "core"
    assert scopes_of_path("/disclosure/c/anhe") == ("core", "disclosure")
    assert set(scopes_of_path("/")) == {"core", "elections", "consultations", "disclosure", "appraisal"}


def test_a_commit_bumps_only_what_it_wrote_and_a_rollback_nothing(db, engine):
    community = make_community(db, code="gen", name="代数社区")
    before = counters(engine)
    db.execute(update(Community).where(Community.id == community.id).values(name="代数二社区"))
    db.rollback()
    assert counters(engine) == before
    db.execute(update(Community).where(Community.id == community.id).values(name="代数三社区"))
    db.commit()
    after = counters(engine)
    assert after["core"] == before.get("core", 0) + 1
    assert {k: v for k, v in after.items() if k != "core"} == {k: v for k, v in before.items() if k != "core"}
    db.execute(update(Community).where(Community.id == community.id).values(name="代数四社区"), execution_options=STATISTIC)
    db.commit()
    assert counters(engine) == after  # a statistic does not invalidate pages


def test_an_anonymous_page_is_served_again_until_a_write(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    cache = app.state.page_cache
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        community = make_community(db, code="cached", name="缓存社区")
        community_id = community.id
    with Client(app) as client:
        first = client.get("/registry/c/cached")
        assert first.status_code == 200 and "缓存社区" in first.text
        hits = cache.hits
        again = client.get("/registry/c/cached")
        assert again.text == first.text and cache.hits == hits + 1
        assert again.headers["content-security-policy"]  # outer middleware still adds its headers
        with sessions() as db:
            db.execute(update(Community).where(Community.id == community_id).values(name="改名社区"))
            db.commit()
        fresh = client.get("/registry/c/cached")
        assert "改名社区" in fresh.text and cache.hits == hits + 1
        english = client.get("/registry/c/cached", headers={"Accept-Language": "en"})
        assert english.text != fresh.text  # the language is part of the key


def test_a_write_elsewhere_keeps_a_module_page(tmp_path, sqlite_url):
    app = make_app(sqlite_url, tmp_path)
    cache = app.state.page_cache
    with Client(app) as client:
        client.get("/elections/")
        hits = cache.hits
        with make_sessionmaker(app.state.engine, write=True)() as db:
            from civic.disclosure.models import CategorySetting

            db.merge(CategorySetting(code="finance", requires_review=True, names="full", active=True))
            db.commit()
        client.get("/elections/")
        assert cache.hits == hits + 1
        client.get("/")  # the home page shows every module: rendered anew
        client.get("/")
        assert cache.hits == hits + 2


def test_signed_in_pages_and_forms_are_never_cached(tmp_path, sqlite_url):
    app = make_app(sqlite_url, tmp_path)
    cache = app.state.page_cache
    with make_sessionmaker(app.state.engine, write=True)() as db:
        make_community(db, code="private", name="私人社区")
        user = make_user(db, roles=[("admin", None)])
    with Client(app) as client:
        client.login_as(user)
        client.get("/registry/c/private")
        client.get("/registry/c/private")
        assert cache.hits == 0 and cache.misses == 0  # not even looked up
    with Client(app) as anonymous:
        anonymous.get("/login")
        anonymous.get("/login")
        assert cache.hits == 0


def test_the_cache_can_be_switched_off(tmp_path, sqlite_url):
    app = make_app(sqlite_url, tmp_path, page_cache_seconds=0)
    with Client(app) as client:
        client.get("/")
        client.get("/")
    assert app.state.page_cache.hits == 0 and app.state.page_cache.misses == 0


def test_concurrent_misses_render_once(tmp_path, sqlite_url):
    """Requests for a page being rendered wait for that rendering instead of rendering it again."""
    import asyncio

    import httpx

    app = make_app(sqlite_url, tmp_path)
    cache = app.state.page_cache

    async def burst():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get("/elections/") for _ in range(8)))
        return answers

    answers = asyncio.run(burst())
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
    assert cache.misses == 1 and cache.hits == 7


def test_the_stores_are_bounded_in_bytes_and_entries():
    store = Bounded(max_entries=3, max_bytes=100)
    store.put(("a",), "A", 40)
    store.put(("b",), "B", 40)
    assert store.get(("a",)) == "A"  # a is now the most recently used
    store.put(("c",), "C", 40)  # 120 bytes: the least recently used (b) goes
    assert store.get(("b",)) is None and store.get(("a",)) == "A" and store.get(("c",)) == "C" and store.bytes == 80
    store.put(("d",), "D", 10)
    store.put(("e",), "E", 10)  # 4 entries: a goes
    assert len(store) == 3 and store.get(("a",)) is None
    store.put(("huge",), "H", 101)  # larger than the whole budget: not kept, nothing else lost
    assert store.get(("huge",)) is None and len(store) == 3
    store.put(("c",), "C2", 5)  # replacing an entry counts its new size only
    assert store.get(("c",)) == "C2" and store.bytes == 25


def test_an_audit_entry_alone_keeps_every_page(db, engine):
    """Every state change appends to the audit log; the log shows only on staff pages, so it must not count as a
    change of what cached pages show (it would throw all of them away at every write anywhere)."""
    from civic import audit
    from civic.security import Actor

    user = make_user(db, roles=[("admin", None)])
    before = counters(engine)
    audit.record(db, "test.nothing", actor=Actor(user=user), target="nothing")
    db.commit()
    after = counters(engine)
    assert after["audit"] == before.get("audit", 0) + 1
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}
