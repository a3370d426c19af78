"""Demo data: consultations of 安和社区 at every step, built through the services (so the audit log,
notifications and counters are what real use would produce), plus formal meetings and a lively thread.

Extra resident logins (password civic-demo-2026): 13900000101 … 13900000124, adult residents of 安和社区.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civic.accounts.models import User
from civic.consultations import comments, formal, services
from civic.consultations.models import AgendaItem, Opinion, Signup, Speaker
from civic.registry.models import Community
from civic.security import load_actor

EXTRA_RESIDENTS = 24
FILLER_COMMENTS = 18  # with the discussion above, 23 top-level comments: a second page for "load more"


def seed(db, demo) -> None:
    anhe = demo.communities["anhe"]
    today = demo.today
    staff = load_actor(db, demo.users["13800000010"].id)
    people = _resident_logins(db, demo)
    alice = load_actor(db, demo.users["13900000001"].id)  # the demo resident
    rep = load_actor(db, demo.users["13900000002"].id)
    party = load_actor(db, demo.users["13900000003"].id)
    comments.set_alias(db, people[0], "热心邻居")

    # 1. Proposed, supported, with a discussion (nested replies, votes, a comment awaiting moderation).
    lift = services.propose_topic(db, alice, anhe, title="为老旧楼栋加装电梯征集意见",
                                  body="5幢、6幢住着很多老人，上下楼困难。建议社区牵头，征集住户意见，研究加装电梯的费用分摊办法。")
    for person in people[:6]:
        services.toggle_support(db, person, lift)
    _discussion(db, lift, [alice, rep, party] + people[:8])

    # 2. Declined with a public reason (recorded by staff from the residents' mailbox).
    billboard = services.record_topic(db, staff, anhe, title="在小区外墙设置商业广告牌", source="mailbox",
                                      source_note="民情信箱 2026 年第 14 号来信", body="有商户来信，希望在小区临街外墙设置广告牌，收入用于小区维修。",
                                      proposer_name="一位商户")
    services.decide_topic(db, staff, billboard, verdict="decline",
                          reason="外墙属于全体业主共有部分，设置广告须由业主大会决定，不属于居委会协商事项；已转告业主委员会。")

    # 3. Accepted as a deliberation council, being prepared.
    ramp = services.propose_topic(db, rep, anhe, title="3幢单元门口增设无障碍坡道",
                                  body="3幢1单元门口有三级台阶，轮椅和婴儿车进出不便，建议增设无障碍坡道和扶手。")
    services.decide_topic(db, staff, ramp, verdict="accept", form="council", reason="涉及3幢住户共同利益，提交居民议事会协商。")
    _plan(db, staff, ramp, today + dt.timedelta(days=21), scope="buildings", buildings="3幢", place="安和社区议事厅")
    services.add_agenda_item(db, staff, ramp, title="坡道设计方案介绍", minutes=15, description="施工单位介绍两种坡道方案。")
    services.add_agenda_item(db, staff, ramp, title="住户意见与费用", minutes=30, description="")

    # 4. A hearing announced, sign-up open.
    fee = services.propose_topic(db, party, anhe, title="物业服务费调整听证会",
                                 body="物业公司提出将物业服务费由每月每平方米 1.2 元调整为 1.5 元，需听取居民意见。")
    services.decide_topic(db, staff, fee, verdict="accept", form="hearing", reason="事关全体居民切身利益，依规召开听证会。")
    _plan(db, staff, fee, today + dt.timedelta(days=12), seats=15, stakeholders="业主委员会、安和物业公司")
    services.add_agenda_item(db, staff, fee, title="物业公司说明调价理由", minutes=20, description="")
    services.add_agenda_item(db, staff, fee, title="听证代表发言", minutes=60, description="")
    services.announce(db, staff, fee, today=today)
    services.register_participant(db, staff, fee, name="安和物业公司", kind="stakeholder", organisation="安和物业公司", stance="for")
    for i, person in enumerate(people[:9]):
        services.sign_up(db, person, fee, stance=("for", "against", "neutral")[i % 3], statement="希望参加听证。", today=today)

    # 5. A council held, opinions waiting for answers.
    _held(db, staff, people, "停车位重新划线议事会", "council", today - dt.timedelta(days=5), proposer=rep,
                    body="小区内乱停车严重，消防通道经常被占用，建议重新划定停车位。")
    # 6. A consultation meeting with minutes published, every opinion answered.
    waste = _held(db, staff, people, "垃圾分类投放点调整协商会", "consultation", today - dt.timedelta(days=20), proposer=alice,
                  body="现有垃圾投放点紧挨2幢窗户，夏天气味大，建议调整位置并增加洗手设施。")
    _answer_all(db, staff, waste)
    services.publish_minutes(db, staff, waste, minutes="会议由居委会主任主持，到会居民代表、物业公司和2幢住户共 16 人。\n\n与会者一致同意将投放点移至小区东侧空地，并加装洗手池。")
    # 7. An online consultation with its outcome published.
    _online(db, staff, people, today)
    # 8. A forum being implemented.
    drains = _held(db, staff, people, "老旧小区雨污分流改造座谈会", "forum", today - dt.timedelta(days=60), proposer=party,
                   body="雨季时1至4幢地下室多次返水，建议结合老旧小区改造实施雨污分流。")
    _conclude(db, staff, drains, "同意实施雨污分流改造，由街道城建科和施工单位负责，2026 年内完成。", [(30, "完成管网勘察和设计。"), (60, "1、2幢管网改造完工。")])
    # 9. A council whose outcome was implemented (done).
    stairs = _held(db, staff, people, "楼道堆物清理议事会", "council", today - dt.timedelta(days=90), proposer=alice,
                   body="楼道里堆放杂物，存在消防隐患，建议集中清理并建立长效管理办法。")
    _conclude(db, staff, stairs, "集中清理楼道堆物，楼栋长每月巡查一次。", [(50, "完成1至6幢集中清理。"), (100, "全部楼栋清理完毕，巡查制度已实行。")])
    # 10. A hearing whose outcome needed the representatives' meeting (C3), then implemented in part.
    _hearing_to_formal_meeting(db, staff, people, demo, today)

    # A residents' meeting called on request, not yet held.
    households = formal.member_counts(db, anhe)["households"]
    formal.call_meeting(db, staff, anhe, {
        "kind": "residents", "title": "关于小区公共收益使用的居民会议", "composition": "households", "meeting_date": today + dt.timedelta(days=14),
        "place": "安和社区广场", "urgent": False, "urgent_reason": "", "requested": True, "requesters": -(-households // 10),
        "request_basis": "households", "members": households, "representative_members": 0,
    }, today=today)
    # One topic elsewhere, so every community has something.
    kangning_staff = load_actor(db, demo.users["13800000020"].id)
    services.record_topic(db, kangning_staff, demo.communities["kangning"], title="康宁街口增设人行横道信号灯", source="grid",
                          source_note="第2网格网格长反映", body="康宁街口车流量大，老人和学生过马路危险，建议增设信号灯。", proposer_name="第2网格居民")


def _resident_logins(db, demo) -> list:
    """Accounts for adult residents of 安和社区 (phones 13900000101…), so sign-ups and threads have people."""
    password = demo.users["13900000001"].password_hash
    taken = {u.resident_id for u in demo.users.values() if u.resident_id}
    taken |= set(db.execute(select(User.resident_id).where(User.resident_id.is_not(None))).scalars())
    adults = [p for p in demo.residents["anhe"] if (demo.today - p.birth_date).days > 18 * 366
              and not p.deprived_of_political_rights and p.id not in taken]
    actors = []
    for n, resident in enumerate(adults[:EXTRA_RESIDENTS], start=101):
        phone = f"139{n:08d}"
        resident.phone = phone
        user = User(resident_id=resident.id, display_name=resident.name, phone=phone, password_hash=password)
        db.add(user)
        db.flush()
        demo.users[phone] = user
        actors.append(user.id)
    db.commit()
    return [load_actor(db, uid) for uid in actors]


def _plan(db, staff, consultation, meeting_date, *, scope="all", buildings="", place="安和社区居委会会议室", seats=0, stakeholders="",
          online=False) -> None:
    services.plan(db, staff, consultation, {
        "scope": scope, "scope_groups": "", "scope_buildings": buildings, "stakeholders_note": stakeholders, "seats": seats,
        "selection_method": "lot", "meeting_mode": "online" if online else "in_person", "meeting_date": meeting_date,
        "meeting_time": "" if online else "19:00", "place": "" if online else place,
        "online_url": "https://meeting.example.cn/anhe" if online else "", "capacity": 0 if online else 40, "signup_closes": None,
    })


def _held(db, staff, people, title, form, meeting_date, *, proposer, body):
    """Propose → accept → plan → announce → sign-ups → meeting with check-in, speakers and opinions → closed."""
    consultation = services.propose_topic(db, proposer, db.get(Community, proposer.resident.community_id), title=title, body=body)
    services.decide_topic(db, staff, consultation, verdict="accept", form=form, reason="事关居民共同利益，同意组织协商。")
    announced = meeting_date - dt.timedelta(days=12)
    _plan(db, staff, consultation, meeting_date)
    services.add_agenda_item(db, staff, consultation, title="情况介绍", minutes=10, description="")
    services.add_agenda_item(db, staff, consultation, title="讨论与建议", minutes=40, description="")
    services.announce(db, staff, consultation, today=announced)
    attendees = people[:6]
    for i, person in enumerate(attendees):
        services.sign_up(db, person, consultation, stance=("for", "for", "against", "neutral")[i % 4], today=announced + dt.timedelta(days=1))
    services.register_participant(db, staff, consultation, name="安和物业公司", kind="stakeholder", organisation="安和物业公司")
    services.open_meeting(db, staff, consultation, today=meeting_date)
    for person in attendees[:4]:
        services.check_in(db, person, consultation, consultation.checkin_code)
    items = _items(db, consultation)
    services.request_to_speak(db, attendees[0], consultation, items[1])
    services.request_to_speak(db, attendees[2], consultation, items[1])
    speakers = _speaker_ids(db, consultation)
    services.speaker_action(db, staff, consultation, speakers[0], "start")
    services.speaker_action(db, staff, consultation, speakers[0], "done")
    services.submit_opinion(db, attendees[0], consultation, body="建议先做方案公示，再征求全体住户意见。", stance="for", agenda_item_id=items[1])
    services.submit_opinion(db, attendees[2], consultation, body="担心费用分摊不公平，希望公开预算明细。", stance="against", agenda_item_id=items[1])
    services.record_opinion(db, staff, consultation, author_name="王阿姨（现场口述）", body="希望施工时间避开午休。", stance="neutral")
    services.close_meeting(db, staff, consultation, today=meeting_date)
    return consultation


def _items(db, consultation) -> list[int]:
    return list(db.execute(select(AgendaItem.id).where(AgendaItem.consultation_id == consultation.id).order_by(AgendaItem.position)).scalars())


def _speaker_ids(db, consultation) -> list[int]:
    return list(db.execute(select(Speaker.id).where(Speaker.consultation_id == consultation.id).order_by(Speaker.position)).scalars())


def _answer_all(db, staff, consultation) -> None:
    answers = [("adopted", "采纳。方案将在小区公告栏和线上同时公示 7 天。", ""),
               ("partly", "部分采纳：预算明细将公开，但分摊办法须由业主大会决定。", ""),
               ("referred", "已转物业公司安排施工时间。", "安和物业公司")]
    for opinion, (disposition, text, referred) in zip(db.execute(select(Opinion).where(Opinion.consultation_id == consultation.id).order_by(Opinion.id)).scalars().all(), answers):
        services.answer_opinion(db, staff, opinion.id, disposition=disposition, answer=text, referred_to=referred)


def _conclude(db, staff, consultation, outcome: str, steps: list[tuple[int, str]]) -> None:
    _answer_all(db, staff, consultation)
    services.publish_minutes(db, staff, consultation, minutes="会议充分听取了居民、物业公司和有关部门的意见，形成如下协商意见（见“结果”）。")
    services.publish_outcome(db, staff, consultation, outcome=outcome)
    for progress, note in steps:
        services.add_progress(db, staff, consultation, progress=progress, note=note)


def _online(db, staff, people, today):
    proposer = people[5]
    consultation = services.propose_topic(db, proposer, db.get(Community, proposer.resident.community_id), title="社区广场夜间广场舞音量管理",
                                          body="晚上九点后广场舞音响声音过大，影响周边居民休息，建议协商约定时间和音量。")
    services.decide_topic(db, staff, consultation, verdict="accept", form="online", reason="意见分歧较大，先开展网上协商。")
    _plan(db, staff, consultation, today - dt.timedelta(days=10), online=True)
    services.announce(db, staff, consultation, today=today - dt.timedelta(days=25))
    services.submit_opinion(db, people[6], consultation, body="建议晚上八点半结束，音量不超过 55 分贝。", stance="for")
    services.submit_opinion(db, people[7], consultation, body="跳舞是老人的重要锻炼，希望不要一刀切。", stance="against")
    services.close_meeting(db, staff, consultation, today=today - dt.timedelta(days=10))
    _answer_all(db, staff, consultation)
    services.publish_minutes(db, staff, consultation, minutes="网上协商共收到意见 2 条、评论若干。")
    services.publish_outcome(db, staff, consultation, outcome="广场舞活动时间为 19:00—20:30，使用音量限制器；由广场舞队自我管理，居委会每月回访。")
    return consultation


def _hearing_to_formal_meeting(db, staff, people, demo, today) -> None:
    anhe = demo.communities["anhe"]
    proposer = people[1]
    hearing = services.propose_topic(db, proposer, anhe, title="小区停车收费标准听证会",
                                     body="拟对小区地面停车位实行收费，收入用于停车设施维护，需举行听证。")
    services.decide_topic(db, staff, hearing, verdict="accept", form="hearing", reason="涉及全体居民切身利益，依规举行听证会。")
    meeting_date = today - dt.timedelta(days=30)
    _plan(db, staff, hearing, meeting_date, seats=15, stakeholders="业主委员会、安和物业公司")
    services.add_agenda_item(db, staff, hearing, title="收费方案说明", minutes=20, description="")
    services.add_agenda_item(db, staff, hearing, title="听证代表发言与辩论", minutes=60, description="")
    announced = meeting_date - dt.timedelta(days=15)
    services.announce(db, staff, hearing, today=announced)
    services.register_participant(db, staff, hearing, name="安和物业公司", kind="stakeholder", organisation="安和物业公司", stance="for")
    services.register_participant(db, staff, hearing, name="李工（交通规划专家）", kind="expert")
    for i, person in enumerate(people[:20]):
        services.sign_up(db, person, hearing, stance=("for", "against", "neutral", "against")[i % 4], today=announced + dt.timedelta(days=2))
    services.select_representatives(db, staff, hearing, method="lot")
    services.open_meeting(db, staff, hearing, today=meeting_date)
    selected = list(db.execute(select(Signup).where(Signup.consultation_id == hearing.id, Signup.status == "selected").order_by(Signup.id)).scalars())
    for signup in selected[:12]:
        services.staff_check_in(db, staff, hearing, signup.id)
    for signup in db.execute(select(Signup).where(Signup.consultation_id == hearing.id, Signup.kind != "resident")).scalars().all():
        services.staff_check_in(db, staff, hearing, signup.id)
    services.submit_opinion(db, people[0], hearing, body="收费标准应低于周边小区，老年人和残疾人车辆应减免。", stance="neutral")
    services.record_opinion(db, staff, hearing, author_name="安和物业公司", body="收费收入全部用于停车设施维护，每季度公示收支。", stance="for")
    services.close_meeting(db, staff, hearing, today=meeting_date)
    _answer_all(db, staff, hearing)
    services.publish_minutes(db, staff, hearing, minutes="听证会由居委会主任主持，听证代表 12 人到会，物业公司、专家陈述意见。",
                             record="主持人：现在开始听证……\n\n代表甲：建议对老年人减免……", signatories="主持人 陈晓红；听证代表 12 人签字")
    services.record_party_discussion(db, staff, hearing, discussed_on=meeting_date + dt.timedelta(days=5), note="社区党委会议讨论，同意提交居民代表会议表决。")
    representatives = formal.member_counts(db, anhe)["representatives"]
    members = representatives + representatives // 4  # other members (committee, deputies) keep reps at ≥ 4/5 (C6)
    meeting = formal.call_meeting(db, staff, anhe, {
        "kind": "representatives", "title": "2026 年第二次居民代表会议", "composition": "", "meeting_date": today - dt.timedelta(days=3),
        "place": "安和社区议事厅", "urgent": False, "urgent_reason": "", "requested": False, "requesters": 0, "request_basis": "",
        "members": members, "representative_members": representatives,
    }, today=today - dt.timedelta(days=15))
    item = formal.refer_to_meeting(db, staff, hearing, meeting)
    other = formal.add_formal_item(db, staff, meeting, "2026 年下半年社区公益项目安排")
    attendees = members - 1
    formal.record_attendance(db, staff, meeting, attendees, today=meeting.meeting_date)
    formal.record_item_votes(db, staff, item.id, votes_for=attendees - 1, votes_against=1, abstentions=0)
    formal.record_item_votes(db, staff, other.id, votes_for=attendees // 2 + 1, votes_against=attendees // 2 - 1, abstentions=0)
    services.publish_outcome(db, staff, hearing, outcome="经居民代表会议表决通过：地面停车位每月收费 60 元，老年人和残疾人车辆减半；收入专款用于停车设施维护，每季度公示。")
    services.add_progress(db, staff, hearing, progress=40, note="完成车位编号和收费公示。")


def _discussion(db, consultation, people) -> None:
    """A small but real thread: replies to replies past the collapse depth, up-votes, mentions, an edit,
    a deleted comment, and one comment hidden after reports."""
    a, b, c, d, e, f = people[0], people[1], people[2], people[3], people[4], people[5]
    top = comments.post_comment(db, a, consultation, body="我家住6幢5楼，**非常支持**加装电梯。", stance="for")
    r1 = comments.post_comment(db, b, consultation, body="一楼住户会不会受影响？采光和噪音怎么解决？", stance="neutral", parent_id=top.id)
    r2 = comments.post_comment(db, c, consultation, body=f"@{b.resident.name} 可以参考其他小区的做法，一楼给予适当补偿。", stance="for", parent_id=r1.id)
    r3 = comments.post_comment(db, b, consultation, body="补偿标准谁来定？需要业主共同商量。", stance="neutral", parent_id=r2.id)
    comments.post_comment(db, d, consultation, body="建议请专业机构做一个评估。", stance="neutral", parent_id=r3.id, use_alias=True)
    second = comments.post_comment(db, e, consultation, body="费用太高了，我们家负担不起，**反对**。", stance="against")
    comments.post_comment(db, a, consultation, body="可以申请政府补贴，听说能补一部分。", stance="for", parent_id=second.id)
    third = comments.post_comment(db, f, consultation, body="希望先统计一下每个单元的意愿。", stance="neutral")
    comments.edit_comment(db, f, third, body="希望先统计一下每个单元的意愿，超过三分之二同意再推进。")
    gone = comments.post_comment(db, c, consultation, body="（发错了）", stance="neutral")
    comments.delete_comment(db, c, gone)
    rude = comments.post_comment(db, e, consultation, body="搞这些都是浪费钱，谁支持谁出钱！", stance="against")
    for person in people[6:9]:
        comments.report_comment(db, person, rude, reason="offensive", details="语气攻击他人")
    for person in people[1:8]:
        if person.user.id != top.author_user_id:
            comments.toggle_vote(db, person, top)
    for person in people[2:5]:
        if person.user.id != third.author_user_id:
            comments.toggle_vote(db, person, third)
    # Enough top-level comments for a second page ("load more").
    views = ["支持，越快越好。", "希望公开费用测算。", "一楼住户的意见也要听。", "建议分单元表决。", "能否先做一个试点单元？"]
    for n in range(FILLER_COMMENTS):
        person = people[n % len(people)]
        comments.post_comment(db, person, consultation, body=f"{views[n % len(views)]}（第{n + 1}条）", stance=("for", "neutral", "against")[n % 3])
