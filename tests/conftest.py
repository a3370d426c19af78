"""Shared test seams: a migrated database per backend (SQLite always, PostgreSQL when reachable),
an app per test over real HTTP (ASGI), factories for the registry and accounts."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from civic.db import make_engine, make_sessionmaker
from civic.migrate import upgrade
from civic.settings import Settings

_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "ALTER", "DROP")


@event.listens_for(Engine, "before_cursor_execute")
def _reads_only_read(conn, cursor, statement, parameters, context, executemany):
    """Sessions that only read run without a transaction on PostgreSQL (civic.db.make_sessionmaker `reads`),
    where a write would commit statement by statement: every test refuses one."""
    if conn.get_execution_options().get("civic_reads"):
        words = statement.lstrip().upper()
        if words.startswith(_WRITES) or "FOR UPDATE" in words:
            raise AssertionError(f"a write through a reads-only session: {statement[:120]}")


PG_ADMIN_URL = os.environ.get("CIVIC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_PG_STATE: dict = {}


def _pg_reachable() -> bool:
    if "ok" not in _PG_STATE:
        try:
            engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _PG_STATE["ok"] = True
        except Exception as error:  # unreachable: say so loudly, once
            _PG_STATE["ok"] = False
            _PG_STATE["why"] = str(error).splitlines()[0]
    return _PG_STATE["ok"]


def pytest_report_header(config):
    if _pg_reachable():
        return "PostgreSQL: reachable at 127.0.0.1:5432 — service tests run on SQLite AND PostgreSQL"
    return f"!!! PostgreSQL UNREACHABLE ({_PG_STATE.get('why')}) — PostgreSQL tests will be SKIPPED !!!"


def pytest_terminal_summary(terminalreporter):
    if not _pg_reachable():
        terminalreporter.write_line("!!! PostgreSQL was unreachable: every PostgreSQL test was SKIPPED !!!", red=True, bold=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file; each test copies it (much faster than migrating again)."""
    path = tmp_path_factory.mktemp("template") / "civic.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database():
    if not _pg_reachable():
        pytest.skip(f"PostgreSQL unreachable: {_PG_STATE.get('why')}")
    name = f"civic_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request, tmp_path, sqlite_template):
    """Every test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "civic.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        _truncate_pg(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    path = tmp_path / "civic.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    """A write session on the test database (services commit for real)."""
    session = make_sessionmaker(engine, write=True)()
    yield session
    session.close()


def make_settings(url: str, tmp_path: Path, **overrides) -> Settings:
    return Settings.from_env({}, database_url=url, data_dir=tmp_path, secret_key="test-secret", htmx_url="/static/vendor/htmx.min.js", **overrides)


def make_app(url: str, tmp_path: Path, **settings):
    """The whole app (page cache, fragments, snapshots and all) on a test database."""
    from civic.app import create_app

    return create_app(make_settings(url, tmp_path, **settings))


@pytest.fixture
def app(sqlite_url, tmp_path):
    return make_app(sqlite_url, tmp_path)


@pytest.fixture
def client(app):
    from tests.helpers import Client

    with Client(app) as c:
        yield c


@pytest.fixture
def english():
    """Messages produced below come out in English (the default is Chinese)."""
    from civic import i18n

    token = i18n.set_locale("en")
    yield
    i18n._current.reset(token)
