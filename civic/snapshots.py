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
    """A Core statement's rows: on a GET page's read session from the driver's cursor (`plain_rows`: nothing is
    ever pending there, and SQLAlchemy's execution cost more than the query), elsewhere through the session."""
    if active(session):
        return plain_rows(session, statement, params)
    return session.execute(statement, params)


def rows(session: Session, statement, params: dict) -> list[tuple]:
    """A reader's lookup of plain values (ids, text): on a GET page's read session from the driver's cursor
    (`plain_rows`), elsewhere through the session (which flushes what is pending first)."""
    if active(session):
        return plain_rows(session, statement, params)
    return [tuple(row) for row in session.execute(statement, params)]


def plain_rows(session: Session, statement, params: dict) -> list[tuple]:
    """A built-once Core statement's rows straight from the driver's cursor, in the session's transaction: no
    result object; each value through its column's result processor (`compiled`), so they are what SQLAlchemy
    would give (dates, booleans)."""
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        return fetch_compiled(cursor, statement, params, connection.dialect)
    finally:
        cursor.close()


def fetch_compiled(cursor, statement, params: dict, dialect) -> list[tuple]:
    """`statement` run on a synchronous driver's `cursor`, its values processed (see plain_rows)."""
    sql, names, processors, _row = compiled(statement, dialect)
    cursor.execute(sql, arguments(statement, dialect, names, params))
    return processed(cursor.fetchall(), processors)


def arguments(statement, dialect, names, params: dict):
    """The driver's parameters: `params` plus the values the statement binds itself (a LIMIT, a literal in a
    condition), in the compiled order for a positional driver."""
    fixed = _FIXED.get((statement, dialect.name))
    if fixed:
        params = {**fixed, **params}
    return tuple(params[n] for n in names) if names is not None else params


def processed(rows: list, processors: tuple) -> list:
    if not any(processors):
        return rows
    return [tuple(p(v) if p else v for p, v in zip(processors, row)) for row in rows]


_COMPILED: dict = {}


def compiled(statement, dialect) -> tuple:
    """The statement's SQL for this dialect, the order of its parameters if the driver takes them by position
    (sqlite3; None for psycopg, which takes them by name), each column's result processor, and a named-tuple
    type of its columns (None where names repeat). Statements are the module-level built-once ones: kept
    alive, so the statement itself is a safe key."""
    from collections import namedtuple

    key = (statement, dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        done = statement.compile(dialect=dialect)
        columns = list(statement.selected_columns)
        processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        keys = [c.key for c in columns]
        row = namedtuple("Row", keys) if len(set(keys)) == len(keys) and all(k.isidentifier() for k in keys) else None
        _FIXED[key] = {name: value for name, value in done.params.items() if value is not None}
        found = _COMPILED[key] = (done.string, tuple(done.positiontup) if dialect.positional else None, processors, row)
    return found


_FIXED: dict = {}  # (statement, dialect name) -> the values the statement binds itself
