"""PostgreSQL reads awaited on the worker's event loop: psycopg's asynchronous connections, in a small pool the
app's lifespan opens on the loop that serves (and closes with it).

For the one hot path whose few reads would otherwise block the loop for their round trips or hop to a thread
and wait for the GIL: a confirmed ballot's checks (the voter, the election, the round, the roll entry). The
statements are the module-level Core ones built once elsewhere, compiled once for PostgreSQL; the rows come as
psycopg returns them, which for these columns (integers, text, booleans, dates, timestamps with time zone) are
the values SQLAlchemy would give. Autocommit, as the web's other reading sessions (civic.db `reads`)."""
from __future__ import annotations

from functools import cache

from psycopg.rows import namedtuple_row, tuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import URL

POOL_SIZE = 4  # per worker; a check holds a connection for three round trips


class LoopReads:
    def __init__(self, url: URL, size: int = POOL_SIZE):
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.pool = AsyncConnectionPool(conninfo, min_size=1, max_size=size, open=False, kwargs={"autocommit": True},
                                        name="civic-loop-reads")

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    def connection(self):
        """`async with reads.connection() as conn:` — one connection for a request's few statements."""
        return self.pool.connection()


async def fetch(connection, statement, params: dict, *, named: bool = False) -> list:
    """A built-once Core statement's rows (tuples, or named tuples where the column names are unique)."""
    async with connection.cursor(row_factory=namedtuple_row if named else tuple_row) as cursor:
        await cursor.execute(_compiled(statement), params)
        return await cursor.fetchall()


async def generations(connection) -> dict[str, int]:
    from civic.pagecache import GENERATIONS_SQL

    async with connection.cursor() as cursor:
        await cursor.execute(GENERATIONS_SQL)
        return dict(await cursor.fetchall())


_COMPILED: dict = {}


def _compiled(statement) -> str:
    found = _COMPILED.get(statement)  # the statement itself is the key: built once, kept alive
    if found is None:
        found = _COMPILED[statement] = statement.compile(dialect=_dialect()).string
    return found


@cache
def _dialect():
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    return PGDialect_psycopg()
