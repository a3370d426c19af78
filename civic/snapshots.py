"""Rows that nearly every page reads (a community, an election, an appraisal), kept per process for GET pages.

A snapshot is a model instance in no session, loaded with a statement built once, and shared by every reader
of the page while the write generations of its scopes hold (read when the page's session opened, before any
data: see `civic.web.db` and `civic.pagecache`) and for at most `seconds`. So a change shows on the next
request, in every worker. Pages only read snapshots: they have no session to lazy-load from (relationships are
`lazy="raise"` anyway) and a write path never sees one, because only a GET page's read session carries the
store (`session.info["civic_snapshots"]`); without it, the same loader runs for that request alone.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, configure_mappers

from civic.pagecache import Kept


class Snapshots(Kept):
    def __init__(self, seconds: int, max_entries: int = 20000, max_bytes: int = 32 << 20):
        super().__init__(seconds, max_entries, max_bytes)


def kept(session: Session, name: str, args: tuple, scopes: tuple[str, ...], load):
    """`load(session)` once per process while `scopes` hold, on a GET page; otherwise simply `load(session)`.
    What it returns must be snapshots (see `detached`) or plain values, and may be None (not found)."""
    store = session.info.get("civic_snapshots")
    generations = session.info.get("civic_generations")
    if store is None or generations is None:
        return load(session)
    key = (name, args, tuple(generations.get(s, 0) for s in scopes))
    found = store.get(key)
    if found is None:
        found = (load(session),)  # boxed: "not found" is kept too
        store.put(key, found, 2048)
    return found[0]


def one(session: Session, model, column: str, value):
    """The row of `model` whose `column` is `value` (a unique column), as a snapshot; None if there is none."""
    found = instances(session, model, _one_statement(model, column), {"value": value})
    return found[0] if found else None


def instances(session: Session, model, statement, params: dict) -> list:
    """The rows of `statement` (built on `select_of(model)`) as snapshots: for what a page only shows, where the
    ORM's loading cost more than the query."""
    return [detached(model, row) for row in _execute(session, statement, params)]


@cache
def _one_statement(model, column: str):
    return select_of(model).where(model.__table__.c[column] == bindparam("value"))


def detached(model, row, offset: int = 0):
    """An instance of `model` from the columns of `row` starting at `offset` (in `columns(model)` order),
    filled as the ORM's loader fills one (the constructor fires an attribute event per column)."""
    keys = _keys(model)
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(zip(keys, row[offset:offset + len(keys)]))
    return instance


def columns(model) -> list:
    """The mapped columns of `model`, in the order `detached` reads them."""
    return [prop.columns[0] for prop in _props(model)]


def select_of(*models):
    return select(*(c for model in models for c in columns(model)))


def width(model) -> int:
    return len(_keys(model))


@cache
def _props(model) -> tuple:
    configure_mappers()  # instances are filled through the mapped attributes, which configuration completes
    return tuple(model.__mapper__.column_attrs)


@cache
def _keys(model) -> tuple[str, ...]:
    return tuple(prop.key for prop in _props(model))


def active(session: Session) -> bool:
    """Whether this is a GET page's read session (the only kind that is handed snapshots)."""
    return "civic_snapshots" in session.info


def _execute(session: Session, statement, params: dict):
    """A Core statement: on a GET page's read session straight on its connection (nothing is ever pending there,
    so the session's autoflush and ORM bookkeeping are skipped), elsewhere through the session."""
    if active(session):
        return session.connection().execute(statement, params)
    return session.execute(statement, params)


def rows(session: Session, statement, params: dict) -> list[tuple]:
    """A reader's lookup of plain values (ids, text): on a GET page's read session from the driver's cursor
    (`plain_rows`), elsewhere through the session (which flushes what is pending first)."""
    if active(session):
        return plain_rows(session, statement, params)
    return [tuple(row) for row in session.execute(statement, params)]


def plain_rows(session: Session, statement, params: dict) -> list[tuple]:
    """A Core statement's rows straight from the driver's cursor, in the session's transaction: no result
    object, no type processing. Only for columns whose driver values are already what the caller wants
    (integers, text) — a reader's per-page lookups, where SQLAlchemy's execution cost ten times the query."""
    connection = session.connection()
    sql, names = _compiled(statement, connection.dialect)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(params[n] for n in names) if names is not None else params)
        return cursor.fetchall()
    finally:
        cursor.close()


_COMPILED: dict = {}


def _compiled(statement, dialect) -> tuple[str, tuple[str, ...] | None]:
    """The statement's SQL for this dialect, and the order of its parameters if the driver takes them by
    position (sqlite3), None if by name (psycopg). Statements are the module-level built-once ones."""
    key = (statement, dialect.name)  # the statement itself: kept alive, so its key is never reused
    found = _COMPILED.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        found = _COMPILED[key] = (compiled.string, tuple(compiled.positiontup) if dialect.positional else None)
    return found
