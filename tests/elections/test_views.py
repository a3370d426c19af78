"""The whole election procedure through the web pages (real ASGI stack, CSRF, sessions), without a browser:
set-up → roll → objection filed and decided → joint nomination signed by 10 voters → candidates → online vote
with an overvote refused → receipt → paper ballot at a station → count entry and confirmation → close →
publish → board.json verified → run-off. Then bad input on every form: 4xx with a message, never 500."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from civic import clock
from civic.db import make_sessionmaker
from civic.elections import board, setup
from civic.elections.models import Candidate, Election, Nomination, RollEntry, Round
from civic.registry.models import Community, Resident
from civic.rulesconfig.services import current_rules
from tests.elections.factories import publish_leaving_audit
from tests.helpers import Client, make_community, make_resident, make_user

D = dt.date.today() + dt.timedelta(days=40)


@pytest.fixture
def world(app):
    sessions = make_sessionmaker(app.state.engine, write=True)
    with sessions() as db:
        home = make_community(db, code="home", name="安和社区")
        publish_leaving_audit(db, home)  # D8
        people = [make_resident(db, home, name=f"选民{i:02d}", gender="F" if i % 2 else "M", age=25 + i) for i in range(24)]
        make_resident(db, home, name="少年甲", age=16)
        users = {
            "voters": [make_user(db, resident=p) for p in people],
            "committee": make_user(db, roles=[("election_committee", home), ("staff", home)]),
            "second": make_user(db, roles=[("election_committee", home)]),
            "staff": make_user(db, roles=[("staff", home)]),
        }
        schedule = setup.default_schedule(D, dict(current_rules(db).values))
    return sessions, users, schedule


def client_for(app, user, english=True) -> Client:
    client = Client(app)
    client.login_as(user)
    if english:
        client.cookies.set("civic_lang", "en")
    return client


def election_row(sessions) -> Election:
    with sessions() as db:
        return db.execute(select(Election)).scalars().one()


def roll_ids(sessions, election_id) -> dict[str, int]:
    with sessions() as db:
        return {e.name: e.id for e in db.execute(select(RollEntry).where(RollEntry.election_id == election_id)).scalars()}


def location(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    return response.headers["location"]


def checked(html: str, name: str) -> str | None:
    match = re.search(r'<input type="radio" id="[^"]+" name="%s" value="(\w+)" checked>' % re.escape(name), html)
    return match.group(1) if match else None


def test_whole_procedure_in_the_browserless_client(app, world):
    sessions, users, schedule = world
    committee, second, staff = (client_for(app, users[k]) for k in ("committee", "second", "staff"))
    voters = [client_for(app, u) for u in users["voters"]]

    # --- Set-up: a schedule that breaks the law is explained next to the form, not fixed silently.
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
        page = committee.get("/elections/manage/new?community=home")
        assert page.status_code == 200 and 'name="polling_day"' in page.text
        form = {"title": "第十二届居民委员会选举", "purpose": "general", "mode": "all-voters", "polling_day": D.isoformat(),
                "seat_chair": "1", "seat_vice": "1", "seat_member": "3", "online_enabled": "1"}
        bad = committee.post_form("/elections/manage/new?community=home", {**form, "roll_published_on": (D - dt.timedelta(days=10)).isoformat()})
        assert bad.status_code == 422 and "20 days" in bad.text and "E15" in bad.text
        assert committee.post_form("/elections/manage/new?community=home", {**form, "seat_member": "x"}).status_code == 422
        dashboard = location(committee.post_form("/elections/manage/new?community=home", form))
        election = election_row(sessions)
        eid = election.public_id
        assert dashboard.startswith(f"/elections/manage/{eid}")
        assert "生成选民名单" not in committee.get(dashboard).text  # English on request
        location(committee.post_form(f"/elections/manage/{eid}/step/generate-roll"))
    entries = roll_ids(sessions, election.id)
    assert len(entries) == 24 and "少年甲" not in entries

    # --- Roll published; a resident checks their entry and objects; the committee decides with a reason.
    with clock.frozen(schedule["roll_published_on"]):
        location(committee.post_form(f"/elections/manage/{eid}/step/publish-roll"))
        page = voters[0].get(f"/elections/{eid}")
        assert "You are on the voter list" in page.text and "24 registered voters" in page.text
        assert voters[0].post_form(f"/elections/{eid}/objection", {"kind": "wrong", "subject": "me", "reason": "x"}).status_code == 422
        location(voters[0].post_form(f"/elections/{eid}/objection", {"kind": "wrong", "subject": "me", "reason": "我的居民小组写错了"}))
        roll_page = committee.get(f"/elections/manage/{eid}/roll")
        assert roll_page.status_code == 200 and "我的居民小组写错了" in roll_page.text
        oid = re.search(r"/objections/(\d+)/decide", roll_page.text).group(1)
        assert committee.post_form(f"/elections/manage/{eid}/objections/{oid}/decide", {"upheld": "0", "decision": ""}).status_code == 422
        location(committee.post_form(f"/elections/manage/{eid}/objections/{oid}/decide", {"upheld": "0", "decision": "经核对户籍资料，小组无误"}))
        assert "经核对户籍资料，小组无误" in voters[0].get(f"/elections/{eid}").text
        # E14: a voter who gave notice of absence leaves the turnout base.
        location(committee.post_form(f"/elections/manage/{eid}/roll/{entries['选民23']}/absence", {"absent": "1"}))

    # --- Nominations: a joint nomination signed by 10 voters, accepted by the nominee; party nominations for the rest.
    with clock.frozen(schedule["nominations_open_on"]):
        location(committee.post_form(f"/elections/manage/{eid}/step/open-nominations"))
        with sessions() as db:
            sections = {s: db.execute(select(setup.Section.id).where(setup.Section.election_id == election.id, setup.Section.key == s)).scalar_one()
                        for s in ("chair", "vice", "member")}
        search = voters[0].get(f"/elections/{eid}/nominate?q=选民05")
        assert search.status_code == 200 and f'value="{entries["选民05"]}"' in search.text
        location(voters[0].post_form(f"/elections/{eid}/nominate", {"section": sections["chair"], "nominee": entries["选民05"],
                                                                     "statement": "**热心公益**，服务居民"}))
        with sessions() as db:
            nid = db.execute(select(Nomination.id)).scalar_one()
        for voter in voters[1:10]:
            location(voter.post_form(f"/elections/{eid}/nominations/{nid}/sign"))
        assert voters[1].post_form(f"/elections/{eid}/nominations/{nid}/sign").status_code == 409  # signs once
        page = voters[5].get(f"/elections/{eid}")
        assert "10 / 10" in page.text and "I accept the nomination" in page.text
        location(voters[5].post_form(f"/elections/{eid}/nominations/{nid}/answer", {"accept": "1"}))
        wanted = [("chair", "选民06"), ("vice", "选民07"), ("vice", "选民08"), ("member", "选民11"), ("member", "选民12"), ("member", "选民13")]
        for section, name in wanted:
            location(committee.post_form(f"/elections/manage/{eid}/nominations/party",
                                         {"section": sections[section], "nominee": entries[name], "statement": ""}))
        with sessions() as db:
            ids = list(db.execute(select(Nomination.id).order_by(Nomination.id)).scalars())
        for nomination_id in ids[1:]:
            location(committee.post_form(f"/elections/manage/{eid}/nominations/{nomination_id}/answer", {"accept": "1"}))
        assert committee.post_form(f"/elections/manage/{eid}/nominations/{ids[1]}/review", {"approve": "0", "reason": ""}).status_code == 422
        for nomination_id in ids:
            location(committee.post_form(f"/elections/manage/{eid}/nominations/{nomination_id}/review", {"approve": "1", "reason": ""}))
        location(committee.post_form(f"/elections/manage/{eid}/step/build-candidates"))
        refused = committee.post_form(f"/elections/manage/{eid}/step/publish-candidates")
        assert refused.status_code == 422 and "E19" in refused.text  # 3 candidates for 3 member seats: no margin
        location(committee.post_form(f"/elections/manage/{eid}/nominations/party", {"section": sections["member"], "nominee": entries["选民14"]}))
        with sessions() as db:
            last = db.execute(select(Nomination.id).order_by(Nomination.id.desc())).scalars().first()
        location(committee.post_form(f"/elections/manage/{eid}/nominations/{last}/answer", {"accept": "1"}))
        location(committee.post_form(f"/elections/manage/{eid}/nominations/{last}/review", {"approve": "1"}))
        location(committee.post_form(f"/elections/manage/{eid}/step/build-candidates"))
    with clock.frozen(schedule["candidates_published_on"]):
        location(committee.post_form(f"/elections/manage/{eid}/step/publish-candidates"))
        page = voters[0].get(f"/elections/{eid}")
        assert "<strong>热心公益</strong>" in page.text  # the statement, rendered from Markdown

    with sessions() as db:
        cands = {c.name: c.public_id for c in db.execute(select(Candidate)).scalars()}
    chair, vice = cands["选民05"], cands["选民07"]
    members = [cands[n] for n in ("选民11", "选民12", "选民13", "选民14")]

    # --- Polling day: stations and a mobile box; online votes with an overvote refused, a review step, a receipt.
    with clock.frozen(D):
        assert committee.post_form(f"/elections/manage/{eid}/polling/open", {"stations": "", "mobile": ""}).status_code == 422
        assert committee.post_form(f"/elections/manage/{eid}/polling/open", {"stations": "第一投票站", "mobile": "流动票箱 | 甲, 乙"}).status_code == 422
        location(committee.post_form(f"/elections/manage/{eid}/polling/open", {"stations": "第一投票站", "mobile": "流动票箱 | 甲, 乙, 丙"}))
        assert voters[0].get(f"/elections/{eid}/rounds/1/board.json").status_code == 404  # not before the round is closed
        ballot_url = f"/elections/{eid}/rounds/1/ballot"
        page = voters[0].get(ballot_url)
        assert page.status_code == 200 and checked(page.text, f"v-chair-{chair}") == "abstain"
        over = {f"v-chair-{chair}": "approve", f"v-vice-{vice}": "oppose", **{f"v-member-{m}": "approve" for m in members}, "action": "review"}
        refused = voters[0].post_form(ballot_url, over)
        assert refused.status_code == 422 and "more people than there are seats" in refused.text
        assert checked(refused.text, f"v-chair-{chair}") == "approve" and checked(refused.text, f"v-vice-{vice}") == "oppose"
        codes = []
        for index, voter in enumerate(voters[10:23]):
            choice = {f"v-chair-{chair}": "approve", f"v-vice-{vice}": "approve", f"v-member-{members[index % 4]}": "approve",
                      "w-member": "赵六" if index == 0 else ""}
            review = voter.post_form(ballot_url, {**choice, "action": "review"})
            assert review.status_code == 200 and 'value="confirm"' in review.text and "not cast yet" in review.text
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', review.text))
            hidden.pop("csrftoken", None)
            if index == 0:
                assert hidden["w-member"] == "赵六"
                change = voter.post_form(ballot_url, {**hidden, "action": "change"})
                assert change.status_code == 200 and 'value="赵六"' in change.text
            receipt_url = location(voter.post_form(ballot_url, {**hidden, "action": "confirm"}))
            code = receipt_url.split("code=")[1]
            codes.append(code)
            assert code in voter.get(receipt_url).text
        assert "already voted" in voters[10].get(ballot_url).text
        assert voters[10].post_form(ballot_url, {"action": "confirm"}).status_code == 409
        # The confirm step's own path (one query for its facts) refuses like the pages do; the head below
        # proves none of these stored anything.
        overvote = voters[1].post_form(ballot_url, {**over, "action": "confirm"})
        assert overvote.status_code == 422 and "more people than there are seats" in overvote.text
        assert checked(overvote.text, f"v-chair-{chair}") == "approve"
        for wrong in ("7", "x", "0"):
            assert voters[1].post_form(f"/elections/{eid}/rounds/{wrong}/ballot", {"action": "confirm"}).status_code == 404
        assert voters[1].post_form("/elections/nope/rounds/1/ballot", {"action": "confirm"}).status_code == 404
        assert Client(app).post_form(ballot_url, {"action": "confirm"}).status_code in (302, 303, 401)
        track = Client(app).get(f"/elections/{eid}/rounds/1/track?code={codes[0]}")
        assert track.status_code == 200 and 'data-found="yes"' in track.text
        assert 'data-found="no"' in Client(app).get(f"/elections/{eid}/rounds/1/track?code=AAAA-BBBB-CCCC").text
        head = Client(app).get(f"/elections/{eid}/rounds/1/head").json()
        assert head["count"] == 13 and len(head["head"]) == 64
        assert Client(app).get(f"/elections/{eid}/rounds/1/receipt?code=AAAA-BBBB-CCCC").status_code == 404

        # A paper ballot at the station, once only.
        station = f"/elections/manage/{eid}/rounds/1/boxes/box-1"
        page = staff.get(station + "?q=选民00")
        assert page.status_code == 200 and "Issue a ballot" in page.text
        location(staff.post_form(station + "/issue", {"voter": entries["选民00"], "q": "选民00"}))
        assert staff.post_form(station + "/issue", {"voter": entries["选民00"]}).status_code == 409
        assert staff.post_form(station + "/issue", {"voter": entries["选民10"]}).status_code == 409  # voted online
        assert "online" in staff.get(station + "?q=选民10").text
        assert committee.post_form(f"/elections/manage/{eid}/rounds/1/close-polling", {"returned-box-1": "1"}).status_code == 422
        location(committee.post_form(f"/elections/manage/{eid}/rounds/1/close-polling", {"returned-box-1": "1", "returned-box-2": "0"}))

    # --- The count: 唱票 entry by one official, confirmed by a second.
    count_url = f"/elections/manage/{eid}/rounds/1/boxes/box-1/count"
    page = staff.get(count_url)
    assert page.status_code == 200 and "autofocus" in page.text
    assert staff.post_form(count_url, {"n-chair": "7"}).status_code == 422
    assert staff.post_form(count_url, {"n-chair": "1 -1"}).status_code == 422
    location(staff.post_form(count_url, {"n-chair": "1", "n-vice": "2 -1", "n-member": "1 2", "w-member": "赵六"}))
    pending = staff.get(count_url)
    assert "entered by you" in pending.text and "赵六" in pending.text
    htmx = staff.get(count_url, headers={"HX-Request": "true"})
    assert htmx.text.lstrip().startswith('<div id="live">')
    did = re.search(r"/rounds/1/drafts/(\d+)", second.get(count_url).text).group(1)
    assert staff.post_form(f"/elections/manage/{eid}/rounds/1/drafts/{did}", {"accept": "1"}).status_code == 403
    location(second.post_form(f"/elections/manage/{eid}/rounds/1/drafts/{did}", {"accept": "1"}))
    assert "Nothing is waiting" in staff.get(count_url).text

    # --- Close, board, results, publish with signatories, announcement.
    location(committee.post_form(f"/elections/manage/{eid}/rounds/1/close"))
    raw = Client(app).get(f"/elections/{eid}/rounds/1/board.json")
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/json; charset=utf-8"
    with sessions() as db:
        stored = db.execute(select(Round.board).where(Round.number == 1)).scalar_one()
    assert raw.content == stored.encode("utf-8")
    document = json.loads(raw.content)
    ok, _recount, problems = board.verify(document)
    assert ok, problems
    assert {e["tracking_code"] for e in document["entries"] if e["kind"] == "online"} == set(codes)
    result = document["result"]
    assert result["registered"] == 23 and result["returned"] == 14 and result["sections"]["chair"]["elected"] == [chair]
    assert result["sections"]["member"]["unfilled"] == 3
    page = Client(app).get(f"/elections/{eid}/rounds/1")
    assert page.status_code == 200 and "<svg" in page.text and 'role="img"' in page.text and "E35" in page.text
    assert "赵六" in page.text
    assert Client(app).get(f"/elections/{eid}/rounds/1/announcement").status_code == 409  # not signed yet
    refused = committee.post_form(f"/elections/manage/{eid}/rounds/1/publish", {"presiding": "主持人"})
    assert refused.status_code == 422 and "E36" in refused.text
    location(committee.post_form(f"/elections/manage/{eid}/rounds/1/publish",
                                 {"presiding": "林国强", "callers": "王一", "counters": "李二", "scrutineers": "张三, 赵四"}))
    announcement = Client(app).get(f"/elections/{eid}/rounds/1/announcement")
    assert announcement.status_code == 200 and "林国强" in announcement.text and "张三, 赵四" in announcement.text
    assert Client(app).get(f"/elections/{eid}/rounds/1/paper-ballot").status_code == 200

    # --- Run-off for the empty member seats (E34).
    with clock.frozen(D):
        location(committee.post_form(f"/elections/manage/{eid}/rounds/1/runoff", {"tiebreak": "0", "stations": "第一投票站"}))
    with sessions() as db:
        runoff = db.execute(select(Round).where(Round.number == 2)).scalar_one()
        assert [s["id"] for s in json.loads(runoff.sections)] == ["member"] and runoff.kind == "runoff"
    page = voters[0].get(f"/elections/{eid}")
    assert "Round 2" in page.text
    assert Client(app).get(f"/elections/{eid}/rounds/2/head").json()["count"] == 0


def test_bad_input_is_refused_with_a_message_never_500(app, world):
    sessions, users, schedule = world
    committee, resident = client_for(app, users["committee"]), client_for(app, users["voters"][0])
    anonymous = Client(app)
    for url in ("/elections/e-nope", "/elections/e-nope/rounds/1", "/elections/e-nope/rounds/x/board.json", "/elections/manage/e-nope",
                "/elections/?community=nowhere"):
        response = committee.get(url)
        assert response.status_code == 404, (url, response.status_code)
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
        for data in ({}, {"title": "t", "purpose": "x", "mode": "y", "polling_day": "tomorrow"},
                     {"title": "t", "purpose": "general", "mode": "all-voters", "polling_day": D.isoformat(), "seat_chair": "1", "seat_vice": "1",
                      "seat_member": "3", "objections_close_on": "2020-13-45"}):
            response = committee.post_form("/elections/manage/new?community=home", data)
            assert response.status_code == 422, data
        location(committee.post_form("/elections/manage/new?community=home", {
            "title": "t", "purpose": "general", "mode": "all-voters", "polling_day": D.isoformat(), "seat_chair": "1", "seat_vice": "1", "seat_member": "3"}))
    eid = election_row(sessions).public_id
    bad_posts = [
        (committee, f"/elections/manage/{eid}/step/nonsense", {}, 404),
        (committee, f"/elections/manage/{eid}/step/publish-roll", {}, 409),  # nothing generated yet
        (committee, f"/elections/manage/{eid}/step/open-nominations", {}, 409),
        (committee, f"/elections/manage/{eid}/roll/999999/absence", {"absent": "1"}, 404),
        (committee, f"/elections/manage/{eid}/objections/999999/decide", {"upheld": "1"}, 404),
        (committee, f"/elections/manage/{eid}/nominations/999999/review", {"approve": "1"}, 404),
        (committee, f"/elections/manage/{eid}/nominations/party", {"section": "x", "nominee": "y"}, 422),
        (committee, f"/elections/manage/{eid}/proxies", {"principal": "", "holder": "nobody", "reason": ""}, 422),
        (committee, f"/elections/manage/{eid}/rounds/1/close", {}, 404),
        (committee, f"/elections/manage/{eid}/rounds/abc/publish", {}, 404),
        (committee, f"/elections/manage/{eid}/rounds/1/boxes/box-9/count", {"n-chair": "1"}, 404),
        (resident, f"/elections/{eid}/nominations/999999/sign", {}, 404),
        (resident, f"/elections/{eid}/rounds/1/ballot", {"action": "confirm"}, 404),
        (resident, f"/elections/{eid}/objection", {"kind": "nonsense", "subject": "abc", "reason": ""}, 422),
        (resident, f"/elections/{eid}/nominate", {"section": "1", "nominee": "-5"}, 422),
    ]
    for client, url, data, status in bad_posts:
        response = client.post_form(url, data)
        assert response.status_code == status, (url, response.status_code, response.text[:500])
    assert anonymous.get(f"/elections/{eid}/rounds/1/track?code=%00%ff").status_code == 404
    assert committee.get(f"/elections/manage/{eid}/roll?page=-3&q=%25").status_code == 200


def test_csrf_refused_on_an_elections_post(app, world):
    sessions, users, schedule = world
    committee = client_for(app, users["committee"])
    committee.get("/elections/")
    response = committee.post("/elections/manage/new?community=home", data={"title": "t"})
    assert response.status_code == 403
    response = committee.post("/elections/manage/new?community=home", data={"title": "t", "csrftoken": "forged"})
    assert response.status_code == 403
    with sessions() as db:
        assert db.execute(select(Election)).first() is None


def test_proxies_registered_refused_published_and_used_at_the_station(app, world):
    """E24 through the pages: three authorisations for one proxy, the fourth refused with the reason; the
    list is published; at the station the proxy collects the principal's ballot (and only the proxy)."""
    from civic.elections import nominations, polling
    from civic.security import load_actor

    sessions, users, schedule = world
    committee, staff = client_for(app, users["committee"]), client_for(app, users["staff"])
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
        location(committee.post_form("/elections/manage/new?community=home", {
            "title": "委托测试", "purpose": "general", "mode": "all-voters", "polling_day": D.isoformat(),
            "seat_chair": "1", "seat_vice": "1", "seat_member": "3", "online_enabled": "1"}))
        eid = election_row(sessions).public_id
        location(committee.post_form(f"/elections/manage/{eid}/step/generate-roll"))
    with clock.frozen(schedule["roll_published_on"]):
        location(committee.post_form(f"/elections/manage/{eid}/step/publish-roll"))
        proxies_url = f"/elections/manage/{eid}/proxies"
        for principal in ("选民01", "选民02", "选民03"):
            location(staff.post_form(proxies_url, {"principal": principal, "holder": "选民00", "reason": "外出务工，选举日不在本地"}))
        refused = staff.post_form(proxies_url, {"principal": "选民04", "holder": "选民00", "reason": "外出务工，选举日不在本地"})
        assert refused.status_code == 422 and "3 authorisations" in refused.text and "E24" in refused.text
        assert staff.post_form(proxies_url, {"principal": "选民05", "holder": "无此人", "reason": "外出"}).status_code == 422
        listed = Client(app).get(f"/elections/{eid}")
        assert listed.text.count("<td>选民00</td>") == 3
    with sessions() as db:  # the rest of the way to polling, through the services
        election = db.execute(select(Election)).scalars().one()
        community = db.get(Community, election.community_id)
        actor = load_actor(db, users["committee"].id)
        with clock.frozen(schedule["nominations_open_on"]):
            nominations.open_nominations(db, actor, election, community)
            residents = [db.get(Resident, e.resident_id) for e in db.execute(select(RollEntry).where(
                RollEntry.election_id == election.id).order_by(RollEntry.id)).scalars()][10:18]
            sections = {s.key: s for s in db.execute(select(setup.Section).where(setup.Section.election_id == election.id)).scalars()}
            for key, resident in zip(["chair", "chair", "vice", "vice", "member", "member", "member", "member"], residents):
                nomination = nominations.party_nomination(db, actor, election, community, sections[key], resident)
                nominations.answer_nomination(db, actor, election, community, nomination, True)
                nominations.review_nomination(db, actor, election, community, nomination, True, "")
            nominations.build_candidate_list(db, actor, election, community)
        with clock.frozen(schedule["candidates_published_on"]):
            nominations.publish_candidates(db, actor, election, community)
        with clock.frozen(D):
            polling.open_polling(db, actor, election, community, [{"kind": "station", "name": "第一投票站"}])
    entries = roll_ids(sessions, election.id)
    station = f"/elections/manage/{eid}/rounds/1/boxes/box-1"
    with clock.frozen(D):
        page = staff.get(station + "?q=选民02")
        assert "Issue to the proxy 选民00" in page.text
        assert staff.post_form(station + "/issue", {"voter": entries["选民02"], "proxy": entries["选民09"]}).status_code == 422
        location(staff.post_form(station + "/issue", {"voter": entries["选民02"], "proxy": entries["选民00"], "q": "选民02"}))
        assert "has already received or cast a ballot" in staff.get(station + "?q=选民02").text
        voter = client_for(app, users["voters"][3])  # 选民03 authorised a proxy: no online ballot
        page = voter.get(f"/elections/{eid}/rounds/1/ballot")
        assert "your proxy votes for you" in page.text, page.text.split("<main", 1)[1][:800]
