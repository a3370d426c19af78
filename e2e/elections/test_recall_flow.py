"""A recall (罢免, E39) in Chromium, with and without JavaScript, axe on every page visited.

The origin is a closed election of 安和社区 in resident-representative mode (10 representatives on the
demo's roll), built through the services on the server's database (polling day 30 days ago, paper ballots
counted as a box tally). Then, through the pages: a representative requests the recall of one member with
reasons and signs first; staff record three paper signatures (threshold: 1/3 of 10 → 4) and the member's
written reply; staff schedule the recall vote for today; the committee publishes its voter list and ballot
and opens polling; the representative votes "agree to recall" online; the committee closes and publishes:
one ballot of ten is not the 2/3 turnout (E31), so the recall does not pass and the pages say so.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest

from e2e.conftest import check_a11y, screenshot
from e2e.elections.test_elections_flows import COMMITTEE, REP, STAFF, sign_in, step, submit, today  # noqa: F401 (sign_in: fixture)


@pytest.fixture
def origin(server, js):
    """A closed representative-mode election of 安和社区, every seat filled; returns (public id, member key, name)."""
    from sqlalchemy import select

    from civic import clock
    from civic.accounts.models import User
    from civic.db import make_engine, make_sessionmaker
    from civic.elections import polling, recall
    from civic.registry.models import Community
    from civic.security import load_actor
    from civic.settings import Settings
    from tests.elections.factories import election_at_polling

    engine = make_engine(Settings.from_env(server["env"]).database_url)
    try:
        with make_sessionmaker(engine, write=True)() as db:
            def actor(phone):
                return load_actor(db, db.execute(select(User.id).where(User.phone == phone)).scalar_one())

            committee, second = actor(COMMITTEE), actor("13800000012")
            anhe = db.execute(select(Community).where(Community.code == "anhe")).scalar_one()
            day = today() - dt.timedelta(days=30)
            election, round_ = election_at_polling(db, committee, anhe, polling_day=day, mode="representatives", online=False,
                                                   candidates_per_section={"chair": 2, "vice": 2, "member": 4},
                                                   title=f"居民代表选举（罢免测试{'甲' if js else '乙'}）")
            with clock.frozen(day):
                box = polling.boxes_of(db, round_)[0]
                entries = db.execute(select(polling.RollEntry).where(polling.RollEntry.election_id == election.id)
                                     .order_by(polling.RollEntry.id)).scalars().all()
                for entry in entries[:8]:
                    polling.issue_paper_ballot(db, committee, election, anhe, round_, box, entry)
                polling.close_polling(db, committee, election, anhe, round_, {box.key: 8})
                votes = {"chair": ["c1"], "vice": ["c3"], "member": ["c5", "c6", "c7"]}
                tally = {"returned": 8, "invalid": 0, "sections": {
                    sid: {"invalid": 0, "votes": {c: 8 for c in ids}, "write_in": {}} for sid, ids in votes.items()}}
                draft = polling.enter_box_tally(db, committee, anhe, round_, box, tally)
                polling.confirm_draft(db, second, anhe, round_, draft, True)
                polling.close_round(db, committee, election, anhe, round_)
                polling.publish_round(db, committee, election, anhe, round_, {"presiding": "林国强"})
            member = recall.sitting_members(db, election)[2 if js else 3]
            return election.public_id, member["key"], member["name"]
    finally:
        engine.dispose()


def test_recall_request_signed_replied_and_voted(new_page, js, sign_in, origin):
    eid, member_key, member_name = origin
    rep = new_page()
    sign_in(rep, REP)
    rep.goto(f"/elections/{eid}")
    check_a11y(rep, js)
    submit(rep, f"a[href='/elections/{eid}/recall']")
    check_a11y(rep, js)
    rep.fill("#f-reasons", "太短")
    submit(rep, "main form.form button[type=submit]")  # no member, reasons too short: refused, explained
    assert rep.locator("#e-members").is_visible() and rep.locator("#e-reasons").is_visible()
    check_a11y(rep, js)
    rep.check(f"input[name=members][value='{member_key}']")
    rep.fill("#f-reasons", "长期不参加居委会工作，居民反映的问题无人处理。")
    submit(rep, "main form.form button[type=submit]")
    match = re.search(r"/elections/recalls/(\d+)", rep.url)
    assert match, rep.locator("main").inner_text()[:1500]
    rid = match.group(1)
    assert rep.locator("p.notice-ok[role=status]").count() == 1
    assert "长期不参加居委会工作" in rep.locator("main").inner_text()
    check_a11y(rep, js)
    if js:
        screenshot(rep, "elections-recall-request")

    # Staff record three paper signatures (4 of 10 representatives: the threshold) and the member's written reply.
    staff = new_page()
    sign_in(staff, STAFF)
    for name in ("任伟", "姜刚", "贺家豪"):
        staff.goto(f"/elections/manage/recalls/{rid}?q={name}")
        check_a11y(staff, js)
        staff.locator("#results input[name=signer]").first.check()
        submit(staff, f"form[action$='/recalls/{rid}/paper'] button.primary")
        assert staff.locator("p.notice-ok[role=status]").count() == 1, staff.locator("main").inner_text()[:1500]
    submit(staff, f"a[href^='/elections/recalls/{rid}/members/']")
    check_a11y(staff, js)
    staff.fill("#f-reply", "本人一直按时参加工作，欢迎居民监督。")
    submit(staff, "main form.form button[type=submit]")
    check_a11y(staff, js)
    assert "本人一直按时参加工作" in staff.locator("main").inner_text()

    # The threshold is met: staff schedule the vote for today; the committee takes its steps.
    staff.goto(f"/elections/manage/recalls/{rid}")
    staff.fill("#f-polling_day", today().isoformat())
    submit(staff, f"form[action$='/recalls/{rid}/schedule'] button")
    vote = re.search(r"/elections/manage/(e-[\w-]+)", staff.url)
    assert vote, staff.locator("main").inner_text()[:1500]
    vote = vote.group(1)
    committee = new_page()
    sign_in(committee, COMMITTEE)
    committee.goto(f"/elections/manage/{vote}")
    check_a11y(committee, js)
    step(committee, "generate-roll")
    step(committee, "publish-roll")
    step(committee, "publish-recall-ballot")
    committee.fill("#f-stations", "第一投票站")
    submit(committee, "form[action$='/polling/open'] button")
    check_a11y(committee, js)

    # The representative votes online: agree to recall.
    rep.goto(f"/elections/{vote}")
    check_a11y(rep, js)
    submit(rep, f"a[href='/elections/{vote}/rounds/1/ballot']")
    check_a11y(rep, js)
    assert rep.locator("input[name^='w-']").count() == 0  # no write-ins on a recall ballot
    rep.locator("#sec-recall-1 input[value=approve]").check()
    submit(rep, "form.ballot button[type=submit]")
    check_a11y(rep, js)
    submit(rep, "button[value=confirm]")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", rep.locator("#tracking-code").inner_text().strip())
    check_a11y(rep, js)

    # Close, count and publish: 1 of 10 representatives voted — no valid vote, the recall does not pass.
    committee.goto(f"/elections/manage/{vote}")
    committee.fill("#f-returned-box-1", "0")
    submit(committee, "form[action$='/close-polling'] button")
    submit(committee, "form[action$='/close'] button")
    for field in ("presiding", "callers", "counters", "scrutineers"):
        committee.fill(f"#f-{field}", "林国强")
    submit(committee, "form[action$='/publish'] button")
    assert committee.locator("p.notice-ok[role=status]").count() == 1, committee.locator("main").inner_text()[:1500]
    assert committee.locator("form[action$='/runoff']").count() == 0
    check_a11y(committee, js)
    rep.goto(f"/elections/recalls/{rid}")
    check_a11y(rep, js)
    text = rep.locator("main").inner_text()
    assert "罢免未通过" in text and "本人一直按时参加工作" in text and member_name in text
    submit(rep, f"a[href='/elections/{vote}/rounds/1']")
    check_a11y(rep, js)
    assert "罢免未通过" in rep.locator("main").inner_text()
    if js:
        screenshot(rep, "elections-recall-results")
