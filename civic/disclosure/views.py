"""Public and staff pages of the disclosure module."""
from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from civic.registry import queries
from civic.templating import render
from civic.web import db, view


@view
def index(request: Request):
    return render(request, "disclosure/index.html", {"communities": queries.communities_overview(db(request))})


def _unused_seed(db, demo) -> None:
    """Demo data for this module (none yet)."""


routes = [Route("/", index, name="index")]
admin_routes: list = []
permissions: dict[str, set[str]] = {}
