"""Today's date and the current time, with one seam to set them (demo data, tests of deadlines).

Procedures check their windows against `today()`; the demo walks an election through its past steps
with `frozen(date)` so that every step is taken through the same services, on the dates the law allows.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar

from civic.i18n import TZ

_frozen: ContextVar[dt.datetime | None] = ContextVar("civic_clock", default=None)


def now() -> dt.datetime:
    return _frozen.get() or dt.datetime.now(dt.timezone.utc)


def today() -> dt.date:
    """The date in Shanghai."""
    return now().astimezone(TZ).date()


@contextmanager
def frozen(at: dt.date | dt.datetime):
    if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
        at = dt.datetime.combine(at, dt.time(10, 0), TZ)
    token = _frozen.set(at)
    try:
        yield
    finally:
        _frozen.reset(token)
