"""Election flows in Chromium, with and without JavaScript, axe on every page visited.

The demo server may hold no election yet, so each flow builds what it needs through the pages, logged in as
the demo election committee of 安和社区 (13800000011):
- a future election (polling day in 25 days, voter list published today, nominations open today) for the
  resident's roll check, objection and joint nomination;
- an election in resident-representative mode whose polling day is today: the schedule is left blank, so it
  takes the latest legal dates counted back from today (all in the past); the committee records the party
  organisation's nominations and the nominees' written answers after the nomination window, which the
  services allow for paper records until the candidate list is built. Representative mode keeps the voter
  list small (10 in the demo), so a handful of ballots meets the 2/3 turnout.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from e2e.conftest import check_a11y, login, screenshot

COMMITTEE = "13800000011"  # 林国强, election committee and staff of 安和社区
STAFF = "13800000010"  # 陈晓红, staff of 安和社区
RESIDENT = "13900000001"  # a resident of 安和社区
REP = "13900000002"  # a resident representative
PARTY = "13900000003"  # a party-member representative


@pytest.fixture
def sign_in(server):
    """Signs a demo user in by setting their session cookie, as tests/helpers.Client.login_as does: quicker
    than the form (argon2 on every login), which the resident's flow and the foundation flows go through."""
    from sqlalchemy import select

    from civic.accounts.models import User
    from civic.db import make_engine, make_sessionmaker
    from civic.security import SESSION_COOKIE, SessionCookies
    from civic.settings import Settings

    settings = Settings.from_env(server["env"])
    engine = make_engine(settings.database_url)
    cookies = SessionCookies(settings.secret_key, settings.session_hours)

    def sign_in_as(page, phone: str) -> None:
        with make_sessionmaker(engine)() as db:
            user = db.execute(select(User).where(User.phone == phone)).scalar_one()
            value = cookies.dumps(user)
        page.context.add_cookies([{"name": SESSION_COOKIE, "value": value, "url": server["base"]}])

    yield sign_in_as
    engine.dispose()


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def submit(page, selector: str) -> None:
    page.click(selector)
    page.wait_for_load_state()


def step(page, action: str) -> None:
    submit(page, f"form[action$='/step/{action}'] button")
    assert page.locator("p.notice-ok[role=status]").count() == 1, page.locator("main").inner_text()[:1500]


def create_election(page, js: bool, title: str, mode: str, polling_day: dt.date, dates: dict | None = None) -> str:
    page.goto("/elections/manage/new?community=anhe")
    check_a11y(page, js)
    page.fill("#f-title", title)
    page.select_option("#f-mode", mode)
    page.fill("#f-seat_chair", "1")
    page.fill("#f-seat_vice", "1")
    page.fill("#f-seat_member", "3")
    page.fill("#f-polling_day", polling_day.isoformat())
    for field, day in (dates or {}).items():
        page.fill(f"#f-{field}", day.isoformat())
    submit(page, "main form.form button[type=submit]")
    match = re.search(r"/elections/manage/(e-[\w-]+)", page.url)
    assert match, page.locator("main").inner_text()[:2000]
    check_a11y(page, js)
    return match.group(1)


def test_resident_checks_the_roll_objects_and_signs_a_nomination(new_page, js, sign_in):
    committee = new_page()
    sign_in(committee, COMMITTEE)
    day = today()
    polling = day + dt.timedelta(days=25)
    eid = create_election(committee, js, f"第十二届居民委员会选举（提名{'甲' if js else '乙'}）", "all-voters", polling, {
        "roll_published_on": day, "objections_close_on": day + dt.timedelta(days=5), "nominations_open_on": day})
    step(committee, "generate-roll")
    step(committee, "publish-roll")

    # The resident checks their own entry and files an objection.
    resident = new_page()
    login(resident, RESIDENT)  # through the login form (the others sign in by cookie)
    resident.goto(f"/elections/{eid}")
    check_a11y(resident, js)
    assert resident.locator("#entry-status.notice-ok").count() == 1
    resident.click(f"a[href='/elections/{eid}/objection']")
    resident.wait_for_load_state()
    check_a11y(resident, js)
    resident.check("#s-me")
    resident.check("#k-wrong")
    resident.fill("#f-reason", "我的居民小组登记有误")
    submit(resident, "main form.form button[type=submit]")
    assert resident.locator("p.notice-ok[role=status]").count() == 1

    # The committee decides it with a reason, then opens nominations.
    committee.goto(f"/elections/manage/{eid}/roll")
    check_a11y(committee, js)
    committee.locator("input[name=upheld][value='0']").first.check()
    committee.locator("textarea[name=decision]").first.fill("经核对户籍资料，登记无误")
    submit(committee, "form[action*='/decide'] button[type=submit]")
    assert "经核对户籍资料" in committee.locator("#objections").evaluate("e => e.parentElement.innerText")
    committee.goto(f"/elections/manage/{eid}")
    step(committee, "open-nominations")

    # The resident starts a joint nomination of the party-member representative (search, then pick).
    resident.goto(f"/elections/{eid}")
    assert "经核对户籍资料" in resident.locator("#my-entry").inner_text()
    resident.click(f"a[href='/elections/{eid}/nominate']")
    resident.wait_for_load_state()
    check_a11y(resident, js)
    nominee = "贾欣怡"
    resident.fill("#f-q", nominee)
    resident.click("form[role=search] button")
    resident.wait_for_selector("#results input[name=nominee]")
    resident.locator("#results input[name=nominee]").first.check()
    resident.fill("#f-statement", "长期参与社区**志愿服务**")
    submit(resident, "form.form button.primary")
    assert resident.locator("p.notice-ok[role=status]").count() == 1
    check_a11y(resident, js)

    # Another voter signs it online.
    rep = new_page()
    sign_in(rep, REP)
    rep.goto(f"/elections/{eid}#nominations")
    rep.locator("form[action$='/sign'] button").first.click()
    rep.wait_for_load_state()
    assert rep.locator("p.notice-ok[role=status]").count() == 1
    check_a11y(rep, js)

    # Staff record eight signatures from the paper form: the threshold of 10 is met.
    committee.goto(f"/elections/manage/{eid}/nominations")
    check_a11y(committee, js)
    committee.locator("a[href$='/paper']").first.click()
    committee.wait_for_load_state()
    check_a11y(committee, js)
    boxes = committee.locator("#results input[name=signer]")
    for index in range(8):
        boxes.nth(index).check()
    submit(committee, "form.form button.primary")
    assert "10 / 10" in committee.locator("main table").inner_text()

    # The nominee accepts online.
    party = new_page()
    sign_in(party, PARTY)
    party.goto(f"/elections/{eid}")
    submit(party, "form[action$='/answer'] input[value='1'] + button")
    assert party.locator("p.notice-ok[role=status]").count() == 1
    check_a11y(party, js)
    if js:
        screenshot(party, "elections-nominations")


def test_vote_count_publish_and_runoff(new_page, js, sign_in):
    committee = new_page()
    sign_in(committee, COMMITTEE)
    eid = create_election(committee, js, f"居民代表选举（{'甲' if js else '乙'}）", "representatives", today())
    step(committee, "generate-roll")
    step(committee, "publish-roll")
    step(committee, "open-nominations")

    # The party organisation's nominations, recorded by staff: 2 for chair, 2 for vice-chair, 4 for 3 member seats.
    committee.goto(f"/elections/manage/{eid}/nominations?q=")
    check_a11y(committee, js)
    labels = committee.locator("#results label.inline-label").all_inner_texts()
    values = committee.locator("#results input[name=nominee]").evaluate_all("els => els.map(e => e.value)")
    pool = [v for v, label in zip(values, labels) if "乔鹏" not in label][:8]
    assert len(pool) == 8, labels
    offices = ["主任", "主任", "副主任", "副主任", "委员", "委员", "委员", "委员"]
    for value, office in zip(pool, offices):
        committee.goto(f"/elections/manage/{eid}/nominations?q=")
        committee.check(f"#n-{value}")
        committee.select_option("#f-section", label=office)
        submit(committee, "form[action$='/nominations/party'] button.primary")
        assert committee.locator("p.notice-ok[role=status]").count() == 1
    while committee.locator("form[action$='/answer'] input[value='1'] + button").count():
        submit(committee, "form[action$='/answer'] input[value='1'] + button")
    while committee.locator("form.review-form button[value='1']").count():
        submit(committee, "form.review-form button[value='1']")
    check_a11y(committee, js)
    committee.goto(f"/elections/manage/{eid}")
    step(committee, "build-candidates")
    step(committee, "publish-candidates")
    committee.fill("#f-stations", "第一投票站")
    submit(committee, "form[action$='/polling/open'] button")
    check_a11y(committee, js)

    # A resident representative votes online: an overvote is refused, the choices are checked, a receipt is shown.
    voter = new_page()
    sign_in(voter, REP)
    voter.goto(f"/elections/{eid}")
    check_a11y(voter, js)
    voter.click(f"a[href='/elections/{eid}/rounds/1/ballot']")
    voter.wait_for_load_state()
    check_a11y(voter, js)
    member_radios = voter.locator("#sec-member input[value=approve]")
    for index in range(4):
        member_radios.nth(index).check()
    voter.locator("#sec-chair input[value=approve]").first.check()
    voter.locator("#sec-vice input[value=approve]").first.check()
    submit(voter, "form.ballot button[type=submit]")
    assert voter.locator("#ballot-problems").is_visible()
    assert voter.locator("#sec-chair input[value=approve]").first.is_checked()  # choices kept
    check_a11y(voter, js)
    for index in (1, 2, 3):
        voter.locator("#sec-member input[value=abstain]").nth(index).check()
    voter.locator("#sec-vice input[value=oppose]").nth(1).check()
    if js:
        screenshot(voter, "elections-ballot")
        voter.set_viewport_size({"width": 360, "height": 740})  # an old phone
        check_a11y(voter, js)
        screenshot(voter, "elections-ballot-phone")
        voter.set_viewport_size({"width": 1200, "height": 900})
    submit(voter, "form.ballot button[type=submit]")
    check_a11y(voter, js)
    if js:
        screenshot(voter, "elections-ballot-review")
    submit(voter, "button[value=confirm]")
    code = voter.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    check_a11y(voter, js)
    if js:
        screenshot(voter, "elections-receipt")
    voter.goto(f"/elections/{eid}/rounds/1/track")
    voter.fill("#f-code", code)
    voter.click("form[role=search] button")
    voter.wait_for_selector("#track-result")
    assert voter.locator("#track-result").get_attribute("data-found") == "yes"
    check_a11y(voter, js)

    # An official issues paper ballots at the polling station to six other representatives.
    official = new_page()
    sign_in(official, STAFF)
    official.goto(f"/elections/manage/{eid}/rounds/1/boxes/box-1")
    check_a11y(official, js)
    surnames = committee_roll_names(committee, eid)
    issued = 0
    for name in surnames:
        if issued == 6 or name == "乔鹏":
            continue
        official.fill("#f-q", name)
        official.click("form[role=search] button")
        official.wait_for_selector("#results table")
        button = official.locator("#results form[action$='/issue'] button.primary")
        if button.count() != 1:
            continue
        button.click()
        official.wait_for_selector("#results p.notice-ok[role=status]")
        issued += 1
    assert issued == 6
    check_a11y(official, js)

    # Polling closes; the official enters the six ballots (唱票), the committee confirms them.
    committee.goto(f"/elections/manage/{eid}")
    committee.fill("#f-returned-box-1", "6")
    submit(committee, "form[action$='/close-polling'] button")
    check_a11y(committee, js)
    if js:
        screenshot(committee, "elections-dashboard")
    count_url = f"/elections/manage/{eid}/rounds/1/boxes/box-1/count"
    official.goto(count_url)
    check_a11y(official, js)
    for entered, members in enumerate(("1", "2", "3", "4", "2", "3 -1"), start=1):
        official.fill("#f-n-chair", "1")
        official.fill("#f-n-vice", "1")
        official.fill("#f-n-member", members)
        official.press("#f-n-member", "Enter")
        expect(official.locator(".pending-list li")).to_have_count(entered)
        if js:
            expect(official.locator("#f-n-chair")).to_be_focused()  # ready for the next ballot
    official.fill("#f-n-chair", "9")
    official.press("#f-n-chair", "Enter")
    official.wait_for_selector("#e-n-chair")
    expect(official.locator(".pending-list li")).to_have_count(6)  # waits: the refused entry re-renders the list
    check_a11y(official, js)
    if js:
        screenshot(official, "elections-count")
    committee.goto(count_url)
    for left in range(5, -1, -1):
        committee.locator(".pending-list button[value='1']").first.click()
        expect(committee.locator(".pending-list li")).to_have_count(left)
    expect(committee.locator("#live p.notice-ok[role=status]")).to_have_count(1)  # waits for the last page to load
    check_a11y(committee, js)

    # The committee closes the round, publishes with the count record's signatories, starts a run-off.
    committee.goto(f"/elections/manage/{eid}")
    submit(committee, "form[action$='/rounds/1/close'] button")
    committee.goto(f"/elections/{eid}/rounds/1")
    check_a11y(committee, js)
    assert committee.locator("svg.chart").count() == 3
    assert committee.locator(".warning-too-few-seated").count() == 1
    if js:
        screenshot(committee, "elections-results")
    committee.goto(f"/elections/manage/{eid}")
    committee.fill("#f-presiding", "林国强")
    committee.fill("#f-callers", "王明")
    committee.fill("#f-counters", "李华")
    committee.fill("#f-scrutineers", "张强, 赵敏")
    submit(committee, "form[action$='/publish'] button")
    assert committee.locator("p.notice-ok[role=status]").count() == 1
    committee.goto(f"/elections/{eid}/rounds/1/announcement")
    check_a11y(committee, js)
    assert "林国强" in committee.locator("main").inner_text()
    if js:
        committee.emulate_media(media="print")
        screenshot(committee, "elections-announcement-print")
        committee.emulate_media(media="screen")
    committee.goto(f"/elections/manage/{eid}")
    committee.fill("#f-stations", "第一投票站")
    submit(committee, "form[action$='/runoff'] button")
    assert committee.locator("p.notice-ok[role=status]").count() == 1
    assert committee.locator("#round-2").count() == 1
    check_a11y(committee, js)
    board = committee.request.get(f"/elections/{eid}/rounds/1/board.json")
    assert board.status == 200 and code in board.text()


def committee_roll_names(page, eid: str) -> list[str]:
    page.goto(f"/elections/manage/{eid}/roll")
    return page.locator("#results tbody tr td:first-child").all_inner_texts()
