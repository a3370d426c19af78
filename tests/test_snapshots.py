"""Snapshots (civic.snapshots): a GET page's community, election or appraisal is read once per process while
nothing it shows is written, a write shows on the very next request, and write sessions never see one.
SQLite and PostgreSQL."""
from civic import snapshots
from civic.db import make_sessionmaker
from civic.registry import queries as registry
from civic.registry.models import Community
from tests.conftest import make_app
from tests.helpers import Client, counted, make_community, make_resident, make_user


def of_communities(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM registry_community" in s.replace('"', "")]


def test_a_pages_community_is_read_once_and_a_rename_shows_at_once(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        reader = make_user(db, resident=make_resident(db, home, name="王芳", gender="F"))
        db.commit()
        home_id = home.id
    page = "/disclosure/?community=home"
    with Client(app).login_as(reader) as client:
        assert "安和社区" in client.get(page).text
        with counted(app.state.engine) as reads:
            for _ in range(3):
                assert "安和社区" in client.get(page).text
        assert of_communities(reads) == []
        with sessions() as db:
            db.get(Community, home_id).name = "康宁社区"
            db.commit()
        with counted(app.state.engine) as reads:
            text = client.get(page).text
        assert "康宁社区" in text and "安和社区" not in text
        assert len(of_communities(reads)) == 1
        assert client.get("/disclosure/?community=nowhere").status_code == 404


def test_snapshots_go_to_get_pages_only_and_are_kept_per_generation(database_url, tmp_path):
    """A write session (every POST) gets instances of its own session, which it may change and commit."""
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        home = make_community(db, code="home")
        db.commit()
        assert not snapshots.active(db)
        assert registry.community_by_code(db, "home") in db
        assert registry.community(db, home.id) is db.get(Community, home.id)  # the session's own

    store = snapshots.Snapshots(30)
    with make_sessionmaker(app.state.engine)() as db:
        db.info.update(civic_snapshots=store, civic_generations={"core": 7})
        first = registry.community_by_code(db, "home")
        assert first not in db and first.street.name == "测试街道"
        assert registry.community_by_id(db, home.id).code == "home"
        assert registry.community(db, home.id) is registry.community_by_id(db, home.id) not in db
        assert registry.community_by_code(db, "home") is first  # kept
        assert registry.community_by_code(db, "nowhere") is None
        db.info["civic_generations"] = {"core": 8}  # a write anywhere in the core
        assert registry.community_by_code(db, "home") is not first
    assert store.hits == 3  # by id twice, by code once


def test_a_snapshot_is_kept_for_at_most_the_page_cache_seconds(sqlite_url, tmp_path, monkeypatch):
    now = [1000.0]
    from civic import pagecache

    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    store = snapshots.Snapshots(30)
    loads = []

    def load(_session):
        loads.append(1)
        return len(loads)

    class Session:
        info = {"civic_snapshots": store, "civic_generations": {"core": 1}}

    assert snapshots.kept(Session, "n", (), ("core",), load) == 1
    now[0] += 29
    assert snapshots.kept(Session, "n", (), ("core",), load) == 1
    now[0] += 2
    assert snapshots.kept(Session, "n", (), ("core",), load) == 2


def test_plain_rows_match_the_sessions_rows_with_parameters_in_any_order(database_url, tmp_path):
    from sqlalchemy import bindparam, select

    # Parameters named out of their order in the SQL: positional drivers (sqlite3) get them in SQL order.
    statement = select(Community.id, Community.code).where(
        Community.id.between(bindparam("low"), bindparam("high")), Community.street_id == bindparam("street")).order_by(Community.id)
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        first = make_community(db, code="first")
        second = make_community(db, code="second")  # of another street office
        db.commit()
        params = {"street": first.street_id, "high": second.id, "low": first.id}
        expected = [(first.id, "first")]
        # A write session goes through the session: what is pending is flushed first.
        db.add(Community(street_id=first.street_id, name="新社区", code="third"))
        through_session = snapshots.rows(db, statement, {**params, "high": second.id + 100})
        assert [code for _id, code in through_session] == ["first", "third"]
        db.rollback()
    with make_sessionmaker(app.state.engine)() as db:
        db.info.update(civic_snapshots=snapshots.Snapshots(30), civic_generations={})
        assert snapshots.rows(db, statement, params) == expected
        assert snapshots.plain_rows(db, statement, {**params, "street": -1}) == []


def test_driver_rows_bind_the_statements_own_values_and_process_types(database_url, tmp_path):
    """A statement with values of its own (a LIMIT, a literal in a condition) and typed columns (dates, booleans,
    timestamps): the driver's rows equal the session's, as a GET page's snapshots are loaded from them."""
    from sqlalchemy import bindparam, select

    from civic.registry.models import Resident
    from tests.helpers import make_resident

    statement = (select(Resident.id, Resident.birth_date, Resident.party_member, Resident.created_at)
                 .where(Resident.community_id == bindparam("community"), Resident.gender == "F").order_by(Resident.id).limit(2))
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        community = make_community(db)
        for i in range(4):
            make_resident(db, community, name=f"行{i}", gender="F" if i % 2 else "M", party_member=i == 1)
        expected = [tuple(row) for row in db.execute(statement, {"community": community.id})]
    with make_sessionmaker(app.state.engine)() as db:
        db.info.update(civic_snapshots=snapshots.Snapshots(30), civic_generations={})
        found = snapshots.plain_rows(db, statement, {"community": community.id})
    assert found == expected and len(found) == 2
    assert [type(v) for v in found[0]] == [type(v) for v in expected[0]] and found[0][2] is True


def test_the_communities_and_their_resident_counts_are_kept_until_the_core_changes(database_url, tmp_path):
    """Seven index pages list every community (home and the registry with its number of residents): read once
    per process while nothing of the core changed; a new resident, or a renamed community, shows at once."""
    app = make_app(database_url, tmp_path)
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        make_resident(db, home, name="王芳", gender="F")
        reader = make_user(db, resident=make_resident(db, home, name="李明"))
        db.commit()
        home_id = home.id
    with Client(app).login_as(reader) as client:
        indexes = ("/", "/registry/", "/elections/", "/consultations/", "/disclosure/", "/appraisal/")
        assert "2 名居民" in client.get("/").text
        for page in indexes:  # each page's own snapshots read once
            client.get(page)
        with counted(app.state.engine) as reads:
            for page in indexes:
                assert "安和社区" in client.get(page).text
        assert of_communities(reads) == [] and not [s for s in reads if "count(" in s.lower() and "registry_resident" in s]
        with sessions() as db:
            make_resident(db, db.get(Community, home_id), name="赵强")
            db.get(Community, home_id).name = "康宁社区"
            db.commit()
        text = client.get("/").text
        assert "康宁社区" in text and "安和社区" not in text
        assert "3 名居民" in text
