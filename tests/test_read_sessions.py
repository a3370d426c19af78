"""Sessions that only read (civic.db.make_sessionmaker `reads`: the web's pages, a ballot's checks) run
without a transaction on PostgreSQL — no BEGIN and ROLLBACK round trips per request — and inside one on
SQLite, whose deferred BEGIN costs no round trip and gives the page one snapshot."""
import pytest
from sqlalchemy import text

from civic.db import make_engine, make_sessionmaker


def open_transaction(session) -> bool:
    """Whether the database connection under `session` is inside a transaction right now."""
    driver = session.connection().connection.driver_connection
    if hasattr(driver, "info"):  # psycopg
        from psycopg.pq import TransactionStatus

        return driver.info.transaction_status != TransactionStatus.IDLE
    return driver.in_transaction


def test_reads_sessions_hold_no_transaction_on_postgresql(engine):
    with make_sessionmaker(engine, reads=True)() as reader:
        assert reader.execute(text("SELECT 1")).scalar() == 1
        assert open_transaction(reader) is (engine.dialect.name == "sqlite")
    with make_sessionmaker(engine)() as plain:  # the CLI's and services' sessions are unchanged
        plain.execute(text("SELECT 1"))
        assert open_transaction(plain)


def test_reads_session_sees_each_commit_at_its_next_statement(engine, db):
    with make_sessionmaker(engine, reads=True)() as reader:
        before = reader.execute(text("SELECT count(*) FROM core_generation")).scalar()
        db.execute(text("INSERT INTO core_generation (scope, counter) VALUES ('test', 1)"))
        db.commit()
        after = reader.execute(text("SELECT count(*) FROM core_generation")).scalar()
    # PostgreSQL: a statement's own snapshot (as READ COMMITTED in a transaction); SQLite: the page's snapshot.
    assert after == before + (1 if engine.dialect.name == "postgresql" else 0)


@pytest.mark.parametrize("statement", ["INSERT INTO core_generation (scope, counter) VALUES ('x', 1)",
                                       "SELECT * FROM core_generation FOR UPDATE"])
def test_a_write_through_a_reads_session_fails_the_tests(pg_database, statement):
    """Only PostgreSQL's reads sessions run without a transaction: there a write would not be undone."""
    engine = make_engine(pg_database)
    try:
        with make_sessionmaker(engine, reads=True)() as reader, pytest.raises(AssertionError, match="reads-only"):
            reader.execute(text(statement))
    finally:
        engine.dispose()
