"""civic.paging: the page a reader asks for, kept within the list whatever they type."""
import pytest
from starlette.requests import Request

from civic import paging


@pytest.mark.parametrize("page, total, size, expected", [
    (1, 0, 50, (1, 1)),      # an empty list still has its one page
    (3, 120, 50, (3, 3)),
    (4, 120, 50, (3, 3)),    # past the end: the last page
    (0, 120, 50, (1, 3)),
    (-2, 120, 50, (1, 3)),
    (2, 100, 50, (2, 2)),    # exactly full pages
])
def test_clamp(page, total, size, expected):
    assert paging.clamp(page, total, size) == expected


@pytest.mark.parametrize("query, expected", [
    (b"", 1), (b"page=7", 7), (b"page=0", 0), (b"page=-1", 1), (b"page=x", 1), (b"page=1.5", 1),
    (b"page=" + b"9" * 20, 1), (b"page=%C2%B2", 1),  # "²" is a digit int() refuses
    (b"page=%EF%BC%93", 3),  # a full-width 3 is a decimal number
])
def test_requested(query, expected):
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": []})
    assert paging.requested(request) == expected
