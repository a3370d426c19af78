"""Use cases against a real database, on SQLite and PostgreSQL: whole procedures, refusals that change
nothing, the audit trail and the notifications residents get."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from civic.audit import AuditEntry, verify_audit_chain
from civic.consultations import comments, formal, queries, services
from civic.consultations.models import Comment, CommentVersion, Consultation, Opinion, Signup
from civic.errors import Conflict, Forbidden, Invalid
from civic.notify import Notification
from civic.security import LoginRequired
from civic.security import Actor
from tests.consultations.conftest import TODAY

MEETING = TODAY + dt.timedelta(days=15)


def actions(db):
    return [a for (a,) in db.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).all()]


def notes_for(db, user_id):
    return list(db.execute(select(Notification.text).where(Notification.user_id == user_id)).scalars())


def plan_values(**overrides):
    values = {"scope": "all", "scope_groups": "", "scope_buildings": "", "stakeholders_note": "业主委员会", "seats": 0,
              "selection_method": "lot", "meeting_mode": "in_person", "meeting_date": MEETING, "meeting_time": "19:00",
              "place": "社区议事厅", "online_url": "", "capacity": 0, "signup_closes": None}
    values.update(overrides)
    return values


def accepted(db, world, form="council", **plan):
    proposer = world.residents[0]
    c = services.propose_topic(db, proposer, world.home, title="加装电梯", body="五幢老人多，上下楼困难，建议加装电梯。")
    services.decide_topic(db, world.staff, c, verdict="accept", form=form, reason="涉及居民切身利益")
    services.plan(db, world.staff, c, plan_values(**({"seats": 15} if form == "hearing" else {}), **plan))
    services.add_agenda_item(db, world.staff, c, title="方案介绍", minutes=15, description="")
    return c


def test_a_full_deliberation_council_from_proposal_to_implemented_outcome(db, world):
    r = world.residents
    c = services.propose_topic(db, r[0], world.home, title="楼道堆物清理", body="楼道堆放杂物，有消防隐患，建议集中清理。")
    assert c.status == "proposed" and c.proposer_name == "居民00"
    for person in r[1:4]:
        services.toggle_support(db, person, c)
    assert db.get(Consultation, c.id).supporters == 3
    services.decide_topic(db, world.staff, c, verdict="accept", form="council", reason="同意")
    assert c.status == "accepted" and c.rules_version_id is None  # no profile: the defaults
    services.plan(db, world.staff, c, plan_values(capacity=5))
    item = services.add_agenda_item(db, world.staff, c, title="清理方案", minutes=20, description="")
    services.announce(db, world.staff, c, today=TODAY)
    assert c.status == "announced" and c.signup_closes == MEETING and len(c.checkin_code) == 6
    signups = [services.sign_up(db, p, c, stance="for", today=TODAY) for p in r[:7]]
    assert [s.status for s in signups] == ["registered"] * 5 + ["waitlisted"] * 2
    services.withdraw(db, r[0], c)  # frees a slot: the first on the waiting list takes it
    assert db.get(Signup, signups[5].id).status == "registered" and db.get(Signup, signups[6].id).status == "waitlisted"
    services.open_meeting(db, world.staff, c, today=MEETING)
    services.check_in(db, r[1], c, c.checkin_code.lower())
    with pytest.raises(Invalid):
        services.check_in(db, r[2], c, "WRONG1")
    services.request_to_speak(db, r[1], c, item.id)
    opinion = services.submit_opinion(db, r[1], c, body="建议每月固定一天集中清理。", stance="for", agenda_item_id=item.id)
    services.record_opinion(db, world.staff, c, author_name="王阿姨", body="希望物业帮忙搬运大件。", signup_id=signups[2].id)
    services.close_meeting(db, world.staff, c, today=MEETING)
    assert c.status == "held" and c.attendance == 1
    with pytest.raises(Conflict):  # not every opinion answered yet, and minutes first
        services.publish_outcome(db, world.staff, c, outcome="集中清理楼道堆物，每月巡查。")
    services.publish_minutes(db, world.staff, c, minutes="会议同意集中清理楼道堆物。")
    services.answer_opinion(db, world.staff, opinion.id, disposition="adopted", answer="采纳，每月第一个周六集中清理。")
    with pytest.raises(Conflict):
        services.publish_outcome(db, world.staff, c, outcome="集中清理楼道堆物，每月巡查。")
    other = db.execute(select(Opinion).where(Opinion.consultation_id == c.id, Opinion.id != opinion.id)).scalar_one()
    assert other.author_user_id == world.users.people[2].id  # recorded on behalf: the resident still gets the answer
    services.answer_opinion(db, world.staff, other.id, disposition="referred", answer="已转物业公司。", referred_to="安和物业")
    services.publish_outcome(db, world.staff, c, outcome="集中清理楼道堆物，楼栋长每月巡查。")
    services.add_progress(db, world.staff, c, progress=50, note="完成1至3幢清理。")
    with pytest.raises(Invalid):
        services.add_progress(db, world.staff, c, progress=40, note="倒退")
    services.add_progress(db, world.staff, c, progress=100, note="全部完成。")
    assert c.status == "done" and c.done_at is not None
    # The resident sees the answer to their opinion and hears about the outcome.
    texts = notes_for(db, world.users.people[1].id)
    assert any("答复" in t for t in texts) and any("结果" in t for t in texts) and any("已落实" in t for t in texts)
    assert any("答复" in t for t in notes_for(db, world.users.people[2].id))
    wanted = ["consultations.topic.propose", "consultations.topic.accept", "consultations.announce", "consultations.signup.join",
              "consultations.meeting.open", "consultations.checkin", "consultations.opinion.submit", "consultations.meeting.close",
              "consultations.minutes.publish", "consultations.opinion.answer", "consultations.outcome.publish", "consultations.progress"]
    logged = actions(db)
    assert all(a in logged for a in wanted)
    assert verify_audit_chain(db) == []


def test_a_full_hearing_with_representatives_drawn_by_lot_and_a_formal_decision(db, world):
    r = world.residents
    c = accepted(db, world, form="hearing")
    assert c.seats == 15
    with pytest.raises(Invalid):
        services.plan(db, world.staff, c, plan_values(seats=3))  # a hearing has at least 15 representatives
    with pytest.raises(Invalid):  # the notice must be at least 10 days before
        services.announce(db, world.staff, c, today=MEETING - dt.timedelta(days=9))
    services.announce(db, world.staff, c, today=TODAY)
    for i, person in enumerate(r[:18]):
        assert services.sign_up(db, person, c, stance=["for", "against", "neutral"][i % 3], today=TODAY).status == "applied"
    services.register_participant(db, world.staff, c, name="物业公司", kind="stakeholder", organisation="安和物业", stance="for")
    with pytest.raises(Conflict):
        services.open_meeting(db, world.staff, c, today=MEETING)  # representatives first
    selected = services.select_representatives(db, world.staff, c, method="lot")
    assert len(selected) == 15 and len(c.selection_seed) == 32
    stances = {s.stance for s in db.execute(select(Signup).where(Signup.id.in_(selected))).scalars()}
    assert stances == {"for", "against", "neutral"}
    from civic.consultations import rules

    applicants = [(s.id, s.stance) for s in db.execute(select(Signup).where(Signup.consultation_id == c.id, Signup.kind == "resident")).scalars()]
    assert sorted(rules.draw(applicants, 15, c.selection_seed)) == selected  # anyone can verify the draw
    with pytest.raises(Conflict):
        services.select_representatives(db, world.staff, c, method="lot")
    with pytest.raises(Invalid):  # opening before the announced day needs a reason
        services.open_meeting(db, world.staff, c, today=TODAY)
    services.open_meeting(db, world.staff, c, early_reason="全体听证代表同意提前", today=TODAY)
    reserve = db.execute(select(Signup).where(Signup.consultation_id == c.id, Signup.status == "reserve")).scalars().first()
    reserve_actor = next(a for a in r if a.user.id == reserve.user_id)
    services.check_in(db, reserve_actor, c, c.checkin_code)
    with pytest.raises(Invalid):  # observers do not speak at a hearing
        services.request_to_speak(db, reserve_actor, c)
    for signup_id in selected[:9]:
        services.staff_check_in(db, world.staff, c, signup_id)
    with pytest.raises(Conflict):  # 9 of 15 is below two thirds: postponed
        services.close_meeting(db, world.staff, c, today=MEETING)
    services.staff_check_in(db, world.staff, c, selected[9])
    speaker = services.add_speaker(db, world.staff, c, selected[0])
    services.speaker_action(db, world.staff, c, speaker.id, "start")
    with pytest.raises(Conflict):
        services.speaker_action(db, world.staff, c, speaker.id, "start")
    services.close_meeting(db, world.staff, c, today=MEETING)
    with pytest.raises(Invalid):  # a hearing publishes its verbatim record
        services.publish_minutes(db, world.staff, c, minutes="听证会纪要，代表充分发表意见。")
    services.publish_minutes(db, world.staff, c, minutes="听证会纪要，代表充分发表意见。", record="主持人：开始听证……", signatories="主持人及听证代表10人")
    # C3: the outcome needs a decision → party organisation → representatives' meeting.
    meeting = formal.call_meeting(db, world.staff, world.home, {
        "kind": "representatives", "title": "居民代表会议", "composition": "", "meeting_date": MEETING + dt.timedelta(days=11),
        "place": "议事厅", "urgent": False, "urgent_reason": "", "requested": False, "requesters": 0, "request_basis": "",
        "members": 5, "representative_members": 4}, today=MEETING)
    with pytest.raises(Conflict):
        formal.refer_to_meeting(db, world.staff, c, meeting)
    services.record_party_discussion(db, world.staff, c, discussed_on=TODAY, note="社区党委同意提交居民代表会议")
    item = formal.refer_to_meeting(db, world.staff, c, meeting)
    with pytest.raises(Conflict):
        services.publish_outcome(db, world.staff, c, outcome="听证结果提交居民代表会议表决。")
    with pytest.raises(Conflict):  # attendance is taken on the day
        formal.record_attendance(db, world.staff, meeting, 4, today=MEETING)
    assert formal.record_attendance(db, world.staff, meeting, 4, today=meeting.meeting_date)
    formal.record_item_votes(db, world.staff, item.id, votes_for=3, votes_against=1, abstentions=0)
    assert db.get(formal.FormalItem, item.id).result == "adopted"
    services.publish_outcome(db, world.staff, c, outcome="经居民代表会议表决通过，实施加装电梯。")
    assert c.status == "decided"
    record = queries.open_record(db, c)
    assert record["participants"]["hearing_representatives"] == 15 and record["formal_decisions"][0]["result"] == "adopted"
    assert record["participants"]["selection_seed"] == c.selection_seed


def test_hearing_decision_by_committee_must_include_opposing_views(db, world):
    c = accepted(db, world, form="hearing", selection_method="decision")
    services.announce(db, world.staff, c, today=TODAY)
    ids = [services.sign_up(db, p, c, stance="against" if i == 0 else "for", today=TODAY).id for i, p in enumerate(world.residents[:5])]
    with pytest.raises(Invalid):
        services.select_representatives(db, world.staff, c, method="decision", chosen=ids[1:], note="")
    with pytest.raises(Invalid):
        services.select_representatives(db, world.staff, c, method="decision", chosen=ids[1:], note="按报名先后")
    assert db.scalar(select(func.count()).select_from(Signup).where(Signup.status == "selected")) == 0
    selected = services.select_representatives(db, world.staff, c, method="decision", chosen=ids[:3], note="兼顾正反意见")
    assert selected == sorted(ids[:3]) and c.selection_note == "兼顾正反意见"


def test_declining_needs_a_public_reason(db, world):
    c = services.propose_topic(db, world.residents[0], world.home, title="外墙广告", body="建议在外墙设置广告牌以增加收入。")
    with pytest.raises(Invalid):
        services.decide_topic(db, world.staff, c, verdict="decline", reason="")
    assert db.get(Consultation, c.id).status == "proposed"
    services.decide_topic(db, world.staff, c, verdict="decline", reason="外墙属业主共有，应由业主大会决定。")
    assert c.status == "declined" and "未被采纳" in notes_for(db, world.users.people[0].id)[-1]
    with pytest.raises(Conflict):
        services.decide_topic(db, world.staff, c, verdict="accept", form="council")


def test_staff_record_topics_from_offline_channels(db, world):
    c = services.record_topic(db, world.staff, world.home, title="路灯不亮", body="3幢门口路灯坏了一个月。", source="mailbox", source_note="第12号来信")
    assert c.source == "mailbox" and c.proposer_user_id is None and c.proposer_name
    with pytest.raises(Invalid):
        services.record_topic(db, world.staff, world.home, title="x", body="y", source="online", source_note="")


def test_permissions_are_scoped_to_the_community(db, world):
    c = services.propose_topic(db, world.residents[0], world.home, title="加装电梯", body="五幢老人多，建议加装电梯。")
    other_staff = world.actor(world.users.other_staff)
    with pytest.raises(Forbidden):
        services.decide_topic(db, other_staff, c, verdict="accept", form="council")
    with pytest.raises(Forbidden):
        services.decide_topic(db, world.residents[1], c, verdict="accept", form="council")
    with pytest.raises(LoginRequired):
        services.toggle_support(db, Actor(), c)
    stranger = world.actor(world.users.stranger)
    with pytest.raises(Forbidden):
        services.toggle_support(db, stranger, c)
    with pytest.raises(Forbidden):
        comments.post_comment(db, stranger, c, body="我也说两句")
    with pytest.raises(Invalid):
        services.toggle_support(db, world.residents[0], c)  # one's own topic
    assert db.get(Consultation, c.id).status == "proposed" and db.get(Consultation, c.id).supporters == 0
    admin = world.actor(world.users.admin)
    services.decide_topic(db, admin, c, verdict="accept", form="online")
    assert c.meeting_mode == "online"


def test_sign_up_follows_the_participant_scope(db, world):
    c = accepted(db, world, scope="buildings", scope_buildings="2幢")
    services.announce(db, world.staff, c, today=TODAY)
    with pytest.raises(Invalid):
        services.sign_up(db, world.residents[0], c, today=TODAY)  # lives in 1幢
    services.sign_up(db, world.residents[-1], c, today=TODAY)
    with pytest.raises(Conflict):
        services.sign_up(db, world.residents[-1], c, today=TODAY)
    with pytest.raises(Conflict):
        services.sign_up(db, world.residents[-2], c, today=MEETING + dt.timedelta(days=1))  # closed
    reps = accepted(db, world, scope="representatives")
    services.announce(db, world.staff, reps, today=TODAY)
    services.sign_up(db, world.residents[0], reps, today=TODAY)  # a resident representative
    with pytest.raises(Invalid):
        services.sign_up(db, world.residents[10], reps, today=TODAY)


def test_online_consultation_has_no_meeting(db, world):
    c = services.propose_topic(db, world.residents[0], world.home, title="广场舞音量", body="晚上九点后音量太大，建议约定时间。")
    services.decide_topic(db, world.staff, c, verdict="accept", form="online")
    services.plan(db, world.staff, c, plan_values(meeting_mode="online", online_url="https://example.cn/m", place=""))
    services.announce(db, world.staff, c, today=TODAY)
    services.submit_opinion(db, world.residents[3], c, body="建议八点半结束。")
    with pytest.raises(Conflict):
        services.open_meeting(db, world.staff, c, today=MEETING)
    services.close_meeting(db, world.staff, c, today=MEETING)
    assert c.status == "held"
    with pytest.raises(Conflict):
        services.submit_opinion(db, world.residents[3], c, body="再补充一条意见。")


def test_answers_need_reasons_and_are_kept_in_order(db, world):
    c = accepted(db, world)
    services.announce(db, world.staff, c, today=TODAY)
    opinion = services.submit_opinion(db, world.residents[2], c, body="反对，费用太高。", stance="against")
    with pytest.raises(Conflict):  # answers come after the meeting
        services.answer_opinion(db, world.staff, opinion.id, disposition="adopted", answer="采纳")
    services.open_meeting(db, world.staff, c, today=MEETING)
    services.close_meeting(db, world.staff, c, today=MEETING)
    with pytest.raises(Invalid):
        services.answer_opinion(db, world.staff, opinion.id, disposition="not_adopted", answer="")
    assert db.get(Opinion, opinion.id).answered_at is None
    services.answer_opinion(db, world.staff, opinion.id, disposition="not_adopted", answer="费用由政府补贴大部分，个人负担较小。")
    with pytest.raises(Forbidden):
        services.answer_opinion(db, world.actor(world.users.other_staff), opinion.id, disposition="adopted", answer="采纳")


def test_alias_is_shown_in_front_and_the_real_name_kept_behind(db, world):
    me = world.residents[5]
    with pytest.raises(Invalid):
        comments.post_comment(db, me, accepted(db, world), body="hi", use_alias=True)
    db.rollback()
    with pytest.raises(Invalid):
        comments.set_alias(db, me, "居民06")  # someone's real name
    comments.set_alias(db, me, "热心邻居")
    with pytest.raises(Invalid):
        comments.set_alias(db, world.residents[6], "热心邻居")
    c = db.execute(select(Consultation)).scalars().first()
    comment = comments.post_comment(db, me, c, body="我支持", use_alias=True)
    assert comment.display_name == "热心邻居" and comment.author_user_id == me.user.id
    comments.set_alias(db, me, "")
    assert queries.alias_of(db, me.user.id) is None


def test_comment_threads_nest_count_and_notify(db, world):
    r = world.residents
    c = accepted(db, world)
    top = comments.post_comment(db, r[0], c, body="**支持**加装电梯", stance="for")
    assert top.path == f"{top.id:010d}" and top.root_id is None and "<strong>" in top.html
    chain = [top]
    for depth in range(1, 6):
        chain.append(comments.post_comment(db, r[depth % 3], c, body=f"第{depth}层回复", parent_id=chain[-1].id))
    assert [x.depth for x in chain] == [0, 1, 2, 3, 4, 5] and all(x.root_id == top.id for x in chain[1:])
    db.expire_all()
    assert db.get(Comment, top.id).replies == 5 and db.get(Comment, chain[2].id).replies == 3
    assert any("回复" in t for t in notes_for(db, world.users.people[0].id))
    mention = comments.post_comment(db, r[4], c, body="@居民00 说得对", stance="for")
    assert any("提到" in t for t in notes_for(db, world.users.people[0].id))
    page = queries.thread(db, c.id, None, sort="discussed")
    assert page.roots[0].comment.id == top.id and page.total_comments == 7 and page.total_roots == 2
    assert len(page.roots[0].children[0].children[0].children) == 1
    with pytest.raises(Invalid):  # replying across threads
        item = services.add_agenda_item(db, world.staff, c, title="第二项", minutes=5, description="")
        comments.post_comment(db, r[1], c, body="错位回复", parent_id=top.id, agenda_item_id=item.id)
    assert mention.id


def test_edit_history_soft_delete_votes_and_reports(db, world, monkeypatch):
    r = world.residents
    c = accepted(db, world)
    comment = comments.post_comment(db, r[0], c, body="第一版")
    with pytest.raises(Forbidden):
        comments.edit_comment(db, r[1], comment, body="改别人的")
    comments.edit_comment(db, r[0], comment, body="第二版")
    comments.edit_comment(db, r[0], comment, body="第三版")
    history = [v.body for v in queries.versions(db, comment)]
    assert history == ["第一版", "第二版"] and comment.body == "第三版" and comment.edited_at
    with pytest.raises(Invalid):
        comments.toggle_vote(db, r[0], comment)
    assert comments.toggle_vote(db, r[1], comment) is True and comment.upvotes == 1
    assert comments.toggle_vote(db, r[1], comment) is False and comment.upvotes == 0
    comments.toggle_vote(db, r[2], comment)
    # Three reports (the default threshold) hide it pending moderation; a fourth from the same person is refused.
    for person in r[3:6]:
        comments.report_comment(db, person, comment, reason="offensive")
    db.refresh(comment)
    assert comment.state == "pending" and comment.reports == 3
    with pytest.raises(Conflict):
        comments.report_comment(db, r[3], comment, reason="spam")
    with pytest.raises(Forbidden):
        comments.moderate_comment(db, r[7], comment, action="restore", reason="我觉得没问题")
    with pytest.raises(Invalid):
        comments.moderate_comment(db, world.staff, comment, action="restore", reason="")
    comments.moderate_comment(db, world.staff, comment, action="restore", reason="未违反规则")
    assert comment.state == "visible" and comment.reports == 0
    supervisor = world.actor(world.users.supervisor)  # the street office may moderate too
    comments.moderate_comment(db, supervisor, comment, action="hide", reason="人身攻击")
    assert comment.state == "hidden" and any("隐藏" in t for t in notes_for(db, world.users.people[0].id))
    with pytest.raises(Conflict):
        comments.post_comment(db, r[1], c, body="回复被隐藏的评论", parent_id=comment.id)
    with pytest.raises(Conflict):
        comments.edit_comment(db, r[0], comment, body="再改")
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "consultations.comment.hide")).scalar_one()
    assert "人身攻击" in entry.data
    other = comments.post_comment(db, r[0], c, body="发错了")
    comments.delete_comment(db, r[0], other)
    assert other.deleted_at and db.scalar(select(func.count()).select_from(CommentVersion)) == 2


def test_comments_close_with_the_outcome(db, world):
    c = accepted(db, world)
    written = comments.post_comment(db, world.residents[1], c, body="结果公布前的评论")
    c.status = "decided"
    db.commit()
    with pytest.raises(Conflict):
        comments.toggle_vote(db, world.residents[0], written)
    with pytest.raises(Conflict):
        comments.post_comment(db, world.residents[0], c, body="还能评论吗")
    assert db.scalar(select(func.count()).select_from(Comment)) == 1


def test_formal_meetings_called_on_request_with_notice_and_quorum(db, world):
    counts = formal.member_counts(db, world.home)
    assert counts["adults"] == 20 and counts["representatives"] == 4
    base = {"kind": "residents", "title": "居民会议", "composition": "adults", "meeting_date": TODAY + dt.timedelta(days=10),
            "place": "广场", "urgent": False, "urgent_reason": "", "requested": True, "requesters": 1, "request_basis": "adults",
            "members": 20, "representative_members": 0}
    with pytest.raises(Invalid):  # 1 of 20 adults is below one tenth
        formal.call_meeting(db, world.staff, world.home, base, today=TODAY)
    with pytest.raises(Invalid):  # nine days' notice
        formal.call_meeting(db, world.staff, world.home, {**base, "requesters": 2, "meeting_date": TODAY + dt.timedelta(days=9)}, today=TODAY)
    formal.call_meeting(db, world.staff, world.home, {**base, "requesters": 2, "meeting_date": TODAY + dt.timedelta(days=2),
                                                      "urgent": True, "urgent_reason": "暴雨预警"}, today=TODAY)
    meeting = formal.call_meeting(db, world.staff, world.home, {**base, "requesters": 2}, today=TODAY)
    assert meeting.request_base == 20
    item = formal.add_formal_item(db, world.staff, meeting, "公共收益使用方案")
    with pytest.raises(Conflict):
        formal.record_item_votes(db, world.staff, item.id, votes_for=8, votes_against=0, abstentions=0)
    assert not formal.record_attendance(db, world.staff, meeting, 10, today=meeting.meeting_date)  # 10 of 20 is not more than half
    assert meeting.status == "inquorate"
    with pytest.raises(Conflict):
        formal.record_item_votes(db, world.staff, item.id, votes_for=8, votes_against=0, abstentions=0)
    second = formal.call_meeting(db, world.staff, world.home, {**base, "requested": False}, today=TODAY)
    item2 = formal.add_formal_item(db, world.staff, second, "公共收益使用方案")
    assert formal.record_attendance(db, world.staff, second, 11, today=second.meeting_date)
    with pytest.raises(Invalid):
        formal.record_item_votes(db, world.staff, item2.id, votes_for=8, votes_against=4, abstentions=0)
    formal.record_item_votes(db, world.staff, item2.id, votes_for=5, votes_against=4, abstentions=2)
    assert db.get(formal.FormalItem, item2.id).result == "rejected"  # 5 of 11 attendees is not a majority
    with pytest.raises(Invalid):  # four fifths representatives (C6)
        formal.call_meeting(db, world.staff, world.home, {**base, "kind": "representatives", "requested": False, "members": 6,
                                                          "representative_members": 4}, today=TODAY)
    with pytest.raises(Forbidden):
        formal.call_meeting(db, world.actor(world.users.other_staff), world.home, base, today=TODAY)


def test_hearing_speakers_follow_the_configured_order(db, world):
    r = world.residents
    c = services.propose_topic(db, r[0], world.home, title="收费听证", body="拟调整停车收费标准，举行听证。")
    services.decide_topic(db, world.staff, c, verdict="accept", form="hearing")
    services.plan(db, world.staff, c, plan_values(seats=15))
    services.add_agenda_item(db, world.staff, c, title="陈述", minutes=30, description="")
    services.announce(db, world.staff, c, today=TODAY)
    for person in r[:4]:
        services.sign_up(db, person, c, today=TODAY)
    expert = services.register_participant(db, world.staff, c, name="李工", kind="expert")
    company = services.register_participant(db, world.staff, c, name="物业公司", kind="stakeholder")
    services.select_representatives(db, world.staff, c, method="lot")
    services.open_meeting(db, world.staff, c, today=MEETING)
    signups = {s.name: s for s in db.execute(select(Signup).where(Signup.consultation_id == c.id)).scalars()}
    for s in signups.values():
        services.staff_check_in(db, world.staff, c, s.id)
    for name in ("李工", "居民02", "物业公司", "居民00"):  # asked in this order
        services.add_speaker(db, world.staff, c, signups[name].id)
    order = [s.signup.name for s in queries.detail(db, c, None).speakers]
    assert order == ["居民00", "物业公司", "居民02", "李工"]  # proposer, stakeholder, representative, expert
    assert expert.id and company.id
