"""Paged lists: the page a reader asked for, and which page of how many a list then shows."""
from __future__ import annotations

from starlette.requests import Request


def requested(request: Request, name: str = "page") -> int:
    """The page in the query: 1 unless it is a sensible whole number (`clamp` then keeps it within the list).
    `isdecimal`, not `isdigit`: "²" is a digit that int() refuses."""
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdecimal() and len(raw) <= 6 else 1


def clamp(page: int, total: int, size: int) -> tuple[int, int]:
    """The page within 1..pages and the number of pages, for `total` items `size` a page (an empty list has one)."""
    pages = max(1, -(-total // size))
    return min(max(page, 1), pages), pages
