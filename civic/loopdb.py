"""Reads awaited on the worker's event loop, opened by the app's lifespan on the loop that serves.

For the one hot path whose few reads cost more through a session than they take: a confirmed ballot's checks
(the voter, the election, the round, the roll entry). PostgreSQL: psycopg's asynchronous connections in a
small pool, so the loop serves other requests during the round trips (in a thread they waited for the GIL).
SQLite: the engine's own pooled connection, read at once (calls into a local file, as the loop's pages are).
Either way no SQLAlchemy session or result object: the statements are the module-level Core ones built once
elsewhere, compiled once per dialect, and their values pass through the columns' own result processors, so
the caller gets what SQLAlchemy would give (dates, booleans, aware timestamps). Autocommit, as the web's other
reading sessions (civic.db `reads`)."""
from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.engine import URL, Engine

from civic.snapshots import arguments, compiled, processed

POOL_SIZE = 4  # PostgreSQL connections per worker; a check holds one for three round trips
WAIT_SECONDS = 2  # for a pooled connection; past it (the database unreachable) the caller takes the usual path


class LoopReads:
    def __init__(self, engine: Engine, size: int = POOL_SIZE):
        self.engine, self.dialect, self.pool = engine, engine.dialect, None
        if engine.dialect.name == "postgresql":
            self.pool = AsyncConnectionPool(conninfo(engine.url), min_size=1, max_size=size, open=False, kwargs={"autocommit": True},
                                            timeout=WAIT_SECONDS, name="civic-loop-reads")

    async def open(self) -> None:
        if self.pool is not None:
            await self.pool.open()

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    @asynccontextmanager
    async def connection(self):
        """`async with reads.connection() as conn:` — one connection for a request's few statements."""
        if self.pool is not None:
            async with self.pool.connection() as connection:
                yield Connection(connection, self.dialect)
            return
        pooled = self.engine.raw_connection()
        try:
            yield Connection(pooled.driver_connection, self.dialect)
        finally:
            pooled.close()


# What a read may raise when the database is unreachable or refuses: the caller then takes the usual path,
# whose error handling answers the reader (503 "try again").
FAILURES = (sqlite3.Error, psycopg.Error, PoolTimeout)


def conninfo(url: URL) -> str:
    """libpq's connection string for a SQLAlchemy PostgreSQL URL (psycopg's own connections take no dialect)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Connection:
    """A driver connection (psycopg asynchronous, or sqlite3) with the dialect its statements compile for."""

    def __init__(self, driver, dialect):
        self.driver, self.dialect = driver, dialect

    async def fetch(self, statement, params: dict, *, named: bool = False) -> list:
        """A built-once Core statement's rows: tuples, or named tuples where its column names are unique."""
        sql, names, processors, row = compiled(statement, self.dialect)
        rows = processed(await self.fetch_sql(sql, arguments(statement, self.dialect, names, params)), processors)
        return [row._make(r) for r in rows] if named else rows

    async def fetch_sql(self, sql: str, params=()) -> list:
        if isinstance(self.driver, sqlite3.Connection):
            cursor = self.driver.execute(sql, params)
            try:
                return cursor.fetchall()
            finally:
                cursor.close()
        async with self.driver.cursor() as cursor:
            await cursor.execute(sql, params or None)
            return await cursor.fetchall()
