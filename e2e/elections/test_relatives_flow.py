"""Near-relative declarations and the online voting window in Chromium, with and without JavaScript, axe on every
page visited. Uses the demo's open election of 安和社区 (polling today, so the window form is read-only)."""
from __future__ import annotations

from e2e.conftest import check_a11y
from e2e.elections.test_elections_flows import COMMITTEE, sign_in  # noqa: F401 (fixture)


def _two_residents(server, js: bool) -> tuple[str, str, str]:
    """Two residents of 安和社区 (distinct per js variant) and the demo's open election there."""
    from sqlalchemy import select

    from civic.db import make_engine, make_sessionmaker
    from civic.elections.models import Election
    from civic.registry.models import Community, Resident
    from civic.settings import Settings

    engine = make_engine(Settings.from_env(server["env"]).database_url)
    try:
        with make_sessionmaker(engine)() as db:
            anhe = db.execute(select(Community).where(Community.code == "anhe")).scalar_one()
            people = db.execute(select(Resident.name).where(Resident.community_id == anhe.id).order_by(Resident.id)).scalars().all()
            # The demo's own open election (other flows may open more in 安和社区 on the same server).
            eid = db.execute(select(Election.public_id).where(Election.community_id == anhe.id, Election.status == "polling")
                             .order_by(Election.id)).scalars().first()
    finally:
        engine.dispose()
    names = [n for n in dict.fromkeys(people) if people.count(n) == 1]
    offset = 40 + (4 if js else 0)
    return names[offset], names[offset + 1], eid


def test_committee_declares_near_relatives(new_page, js, sign_in, server):  # noqa: F811
    first, second, eid = _two_residents(server, js)
    page = new_page()
    sign_in(page, COMMITTEE)
    page.goto(f"/elections/manage/{eid}/relatives")
    assert page.locator("h1").inner_text().startswith("近亲属")
    check_a11y(page, js)
    page.fill("#f-qa", first)
    page.fill("#f-qb", second)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()
    # Nothing chosen yet: refused with the reason, nothing declared.
    page.click("#declare-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#e-a").count() == 1 and page.locator("#e-kind").count() == 1
    check_a11y(page, js)
    page.locator("#declare-form input[name=a]").first.check()
    page.locator("#declare-form input[name=b]").first.check()
    page.select_option("#f-kind", "sibling")
    page.fill("#f-source", "户口簿")
    page.click("#declare-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("p.notice-ok[role=status]").count() == 1
    row = page.locator("table tbody tr", has_text=first)
    assert row.count() == 1 and second in row.inner_text() and "户口簿" in row.inner_text()
    check_a11y(page, js)
    page.goto(f"/elections/manage/{eid}/online")
    assert page.locator("#online-state").count() == 1
    check_a11y(page, js)
