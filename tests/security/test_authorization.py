"""Authorisation across the whole application, discovered rather than listed: every page a role of
安和社区 can reach is requested by anonymous users, residents, and staff of another community.
Public pages answer everyone; everything else answers 403 or a login redirect — never another
community's data."""
from __future__ import annotations

import pytest

from tests.helpers import Client
from tests.security.crawl import crawl
from tests.security.test_fuzz_forms import STARTS, _login, demo_app  # noqa: F401  (the demo app fixture)

INSIDERS = {"staff": "13800000010", "election_committee": "13800000011", "supervision_committee": "13800000012",
            "street_supervisor": "13800000001", "resident": "13900000001", "resident_rep": "13900000002", "admin": "13800000000"}
ANHE_OFFICIALS = {"staff", "election_committee", "supervision_committee"}
OUTSIDERS = {"kangning_staff": "13800000020", "heping_staff": "13800000030", "anhe_resident": "13900000001"}


@pytest.fixture(scope="module")
def reachable(demo_app):  # noqa: F811
    public, _forms = crawl(Client(demo_app), STARTS)
    pages = {}
    for role, phone in INSIDERS.items():
        found, _forms = crawl(_login(demo_app, phone), STARTS)
        for page in found:
            pages.setdefault(page, set()).add(role)
    private = {p: r for p, r in pages.items() if p not in set(public)}
    return set(public), private


def test_the_crawl_reaches_private_pages_of_every_module(reachable):
    _public, private = reachable
    prefixes = {p.split("/")[1] for p in private}
    assert {"registry", "me"} <= prefixes, prefixes


STAFF_ONLY = ("/me", "/audit", "/registry/manage", "/elections/manage", "/consultations/manage", "/disclosure/manage",
              "/appraisal/manage", "/rules/manage", "/assist/")


def test_anonymous_users_get_a_login_redirect_on_every_private_page(demo_app, reachable):  # noqa: F811
    # Pages outside these areas may be public even when only logged-in pages link to them (permalinks).
    _public, private = reachable
    client = Client(demo_app)
    wrong = {}
    for page in [p for p in private if p.startswith(STAFF_ONLY)]:
        response = client.get(page)
        if response.status_code not in (303, 401, 403, 404):
            wrong[page] = response.status_code
    assert not wrong, wrong


def test_staff_of_other_communities_never_see_anhe_private_pages(demo_app, reachable):  # noqa: F811
    _public, private = reachable
    # Pages only 安和's own officials reach (not merely a street supervisor or an administrator).
    # A module's own dashboard (/disclosure/manage/ …) answers every official with *their* communities.
    dashboards = {p for p in private if p.count("/") == 3 and p.endswith("/manage/")}
    anhe_only = [p for p, roles in private.items() if roles & ANHE_OFFICIALS and not p.startswith("/me") and p not in dashboards]
    assert anhe_only
    wrong = {}
    for who in ("kangning_staff", "heping_staff"):
        client = _login(demo_app, OUTSIDERS[who])
        for page in anhe_only:
            response = client.get(page)
            if response.status_code == 200:
                wrong[(who, page)] = response.status_code
        for page in dashboards:
            response = client.get(page)
            if response.status_code == 200 and "安和社区" in response.text:
                wrong[(who, page)] = "names 安和社区"
    assert not wrong, sorted(wrong)[:30]


def test_residents_get_403_on_staff_pages(demo_app, reachable):  # noqa: F811
    _public, private = reachable
    client = _login(demo_app, OUTSIDERS["anhe_resident"])
    wrong = {}
    for page in private:
        if "/manage/" in page or page.startswith(("/audit", "/registry/manage")):
            status = client.get(page).status_code
            if status == 200:
                wrong[page] = status
    assert not wrong, sorted(wrong)[:30]
