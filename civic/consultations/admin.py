"""Staff pages (/consultations/manage/…): decide topics, prepare and run meetings, answer opinions,
publish outcomes and progress, moderate comments, call formal meetings. Thin: parse, one service, redirect."""
from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.routing import Route

from civic.consultations import comments, formal, forms, queries, rules, services
from civic.accounts.models import User
from civic.consultations.models import AgendaItem
from civic.consultations.views import community_from_query, consultation_from_path, formal_context, int_param
from civic.errors import Conflict, DomainError, Invalid, NotFound
from civic.i18n import N_, _
from civic.markdown import render_markdown
from civic.registry import queries as registry
from civic.registry.models import Resident
from civic.security import ensure_permission
from civic.templating import render
from civic.uploads import store
from civic.web import actor, db, form, redirect, view

DONE = {
    "recorded": N_("The topic was recorded."),
    "decide": N_("The decision on the topic was published."),
    "plan": N_("Participants and meeting saved."),
    "agenda": N_("Agenda item added."),
    "agenda_remove": N_("Agenda item removed."),
    "attachment": N_("Material attached."),
    "announce": N_("The notice was published and eligible residents were told."),
    "remind": N_("Reminders were sent."),
    "participant": N_("Participant registered."),
    "select": N_("The hearing representatives were selected and told."),
    "open": N_("The meeting is open: check-in and the speaker list work now."),
    "checkin": N_("Checked in."),
    "speaker": N_("Speaker list updated."),
    "opinion": N_("The opinion was recorded."),
    "close": N_("The meeting is closed. Answer every opinion before the deadline."),
    "minutes": N_("The minutes were published."),
    "answer": N_("The answer was published and the resident told."),
    "party": N_("The party organisation's discussion was recorded."),
    "refer": N_("The matter was put on the formal meeting's agenda."),
    "outcome": N_("The outcome was published."),
    "progress": N_("Progress published; participants were told."),
    "moderated": N_("Moderation recorded in the audit log."),
    "called": N_("The meeting was called and the members told."),
    "attendance": N_("Attendance recorded."),
    "item": N_("Item added."),
    "votes": N_("Decision recorded."),
}


def _done(request: Request) -> str:
    key = request.query_params.get("done", "")
    return _(DONE[key]) if key in DONE else ""


# -- dashboard --------------------------------------------------------------------------------------
def _staff_community(request: Request, permission: str = "consultations:consultation:manage"):
    who = actor(request)
    community = community_from_query(request, required=False)
    if community is None and who.authenticated and who.community_id:
        community = registry.community_by_id(db(request), who.community_id)
    if community is None:
        ensure_permission(who, permission)  # log in first; then pick a community
        raise NotFound(_("No such community."))
    ensure_permission(who, permission, community)
    return community


@view
def dashboard(request: Request):
    community = _staff_community(request)
    session = db(request)
    rows = queries.consultations_of(session, community, "", 1)[0]
    waiting = [r for r in rows if r.status not in ("done", "declined")]
    return render(request, "consultations/manage/index.html", {
        "community": community, "rows": waiting, "rules": rules, "done": _done(request),
        "queue": len(queries.moderation_queue(session, community)), "meetings": queries.meetings_of(session, community)[:10],
    })


@view
def record_topic(request: Request):
    community = _staff_community(request, "consultations:topic:record")
    ctx = {"community": community, "values": {}, "errors": {}, "staff": True, "rules": rules, "alias": None}
    if request.method == "GET":
        return render(request, "consultations/propose.html", ctx)
    clean, errors = forms.recorded_topic(form(request))
    if not errors:
        consultation = services.record_topic(db(request), actor(request), community, title=clean["title"], body=clean["body"], source=clean["source"],
                                             source_note=clean["source_note"], proposer_name=clean["proposer_name"])
        return redirect(f"/consultations/manage/{consultation.id}?done=recorded")
    return render(request, "consultations/propose.html", {**ctx, "values": clean, "errors": errors}, status=422)


# -- one consultation -----------------------------------------------------------------------------
def manage_context(request: Request, consultation, *, errors: dict | None = None, values: dict | None = None, message: str = "") -> dict:
    session = db(request)
    who = actor(request)
    d = queries.detail(session, consultation, None)
    ensure_permission(who, "consultations:consultation:manage", d.community)
    user_ids = [s.user_id for s in d.signups if s.user_id]
    # Staff see the real name behind a pseudonym (O4: real name behind).
    real_names = dict(session.execute(select(User.id, Resident.name).join(Resident, Resident.id == User.resident_id)
                                      .where(User.id.in_(user_ids))).all()) if user_ids else {}
    today = services.local_today()
    settings = services.rules_for(session, consultation, d.community)
    open_meetings = queries.open_meetings(session, d.community)
    return {
        "plan_values": _plan_values(consultation, values or {}),
        "d": d, "c": consultation, "community": d.community, "rules": rules, "settings": settings, "today": today,
        "errors": errors or {}, "values": values or {}, "message": message, "done": _done(request), "md": render_markdown,
        "real_names": real_names, "announce_problems": services.announce_problems(session, consultation, today) if consultation.status == "accepted" else [],
        "open_meetings": open_meetings, "formal_item": services.formal_result(session, consultation),
        # (value, label) pairs for the selects of the staff forms
        "signup_options": [("", "—")] + [(str(s.id), s.name) for s in d.signups if s.status != "withdrawn"],
        "item_options": [("", _("The topic as a whole"))] + [(str(i.id), i.title) for i in d.items],
        "meeting_options": [(str(m.id), f"{m.title} ({m.meeting_date.isoformat()})") for m in open_meetings],
        "answer_due": rules.answer_due(consultation.held_on, settings["consultations.reply_days"]) if consultation.held_on else None,
        "latest_notice": rules.latest_notice_date(consultation.meeting_date, settings["consultations.hearing_notice_days" if consultation.form == "hearing"
                                                                                     else "consultations.meeting_notice_days"]) if consultation.meeting_date else None,
    }


PLAN_FIELDS = ("scope", "scope_groups", "scope_buildings", "stakeholders_note", "seats", "selection_method", "meeting_mode",
               "meeting_date", "meeting_time", "place", "online_url", "capacity", "signup_closes")


def _plan_values(consultation, submitted: dict) -> dict:
    """What the plan form shows: the saved plan, overlaid with what was just submitted (after an error)."""
    values = {name: getattr(consultation, name) for name in PLAN_FIELDS}
    for name in ("meeting_date", "signup_closes"):
        values[name] = values[name].isoformat() if values[name] else ""
    values.update({k: v for k, v in submitted.items() if k in values})
    return values


@view
def manage(request: Request):
    consultation = consultation_from_path(request)
    return render(request, "consultations/manage/consultation.html", manage_context(request, consultation), block=_fragment(request))


def _fragment(request: Request) -> str | None:
    return "meeting" if request.query_params.get("fragment") == "meeting" else None


def _decide(request, c):
    clean, errors = forms.decision(form(request))
    _raise_first(errors)
    services.decide_topic(db(request), actor(request), c, verdict=clean["verdict"], form=clean["form"], reason=clean["reason"])


def _plan(request, c):
    clean, errors = forms.plan(form(request))
    _raise_first(errors)
    services.plan(db(request), actor(request), c, clean)


def _agenda(request, c):
    clean, errors = forms.agenda_item(form(request))
    _raise_first(errors, prefix="agenda_")
    services.add_agenda_item(db(request), actor(request), c, **clean)


def _agenda_remove(request, c):
    item = db(request).get(AgendaItem, int_param(form(request).get("item_id"), 0) or 0)
    if item is None or item.consultation_id != c.id:
        raise NotFound(_("No such agenda item."))
    services.remove_agenda_item(db(request), actor(request), item)


def _attachment(request, c):
    ensure_permission(actor(request), "consultations:consultation:manage", services.community_of(db(request), c))
    upload = form(request).get("file")
    title = str(form(request).get("title") or "").strip()[:120]
    if upload is None or not hasattr(upload, "file"):
        raise Invalid(_("Choose a file to attach."), field="file")
    content = upload.file.read(20 * 1024 * 1024 + 1)
    stored = store(request.app.state.settings.data_dir, upload.filename or "", content)
    services.add_attachment(db(request), actor(request), c, title, stored)


def _participant(request, c):
    clean, errors = forms.participant(form(request))
    _raise_first(errors, prefix="participant_")
    services.register_participant(db(request), actor(request), c, **clean)


def _select(request, c):
    data = form(request)
    chosen = [int_param(v) for v in data.getlist("chosen")]
    services.select_representatives(db(request), actor(request), c, method=str(data.get("method") or ""),
                                    chosen=[i for i in chosen if i], note=str(data.get("note") or ""))


def _open(request, c):
    services.open_meeting(db(request), actor(request), c, early_reason=str(form(request).get("early_reason") or "")[:300])


def _checkin(request, c):
    services.staff_check_in(db(request), actor(request), c, int_param(form(request).get("signup_id"), 0) or 0)


def _speaker(request, c):
    data = form(request)
    if data.get("speaker_id"):
        services.speaker_action(db(request), actor(request), c, int_param(data.get("speaker_id"), 0) or 0, str(data.get("action") or ""))
    else:
        services.add_speaker(db(request), actor(request), c, int_param(data.get("signup_id"), 0) or 0, int_param(data.get("agenda_item_id")))


def _opinion(request, c):
    clean, errors = forms.opinion(form(request), staff=True)
    _raise_first(errors, prefix="opinion_")
    services.record_opinion(db(request), actor(request), c, author_name=clean["author_name"], body=clean["body"], stance=clean["stance"],
                            agenda_item_id=clean["agenda_item_id"], signup_id=clean["signup_id"])


def _close(request, c):
    raw = str(form(request).get("attendance") or "").strip()
    attendance = int_param(raw) if raw else None
    if raw and attendance is None and raw != "0":
        raise Invalid(_("Enter a whole number."), field="attendance")
    services.close_meeting(db(request), actor(request), c, attendance=attendance)


def _minutes(request, c):
    data = form(request)
    services.publish_minutes(db(request), actor(request), c, minutes=str(data.get("minutes") or "")[:50000],
                             record=str(data.get("record") or "")[:200000], signatories=str(data.get("signatories") or "")[:300])


def _answer(request, c):
    clean, errors = forms.answer(form(request))
    opinion_id = int_param(form(request).get("opinion_id"), 0) or 0
    _raise_first(errors, prefix=f"answer_{opinion_id}_")
    try:
        services.answer_opinion(db(request), actor(request), opinion_id, **clean)
    except Invalid as error:
        raise Invalid(error.message, field=f"answer_{opinion_id}_{error.field}") from error


def _party(request, c):
    errors: dict = {}
    day = forms.date(form(request), "party_discussed_on", errors=errors)
    _raise_first(errors)
    services.record_party_discussion(db(request), actor(request), c, discussed_on=day, note=str(form(request).get("party_note") or "")[:5000])


def _refer(request, c):
    meeting = formal.get_meeting(db(request), int_param(form(request).get("meeting_id"), 0) or 0)
    formal.refer_to_meeting(db(request), actor(request), c, meeting)


def _outcome(request, c):
    services.publish_outcome(db(request), actor(request), c, outcome=str(form(request).get("outcome") or "")[:20000])


def _progress(request, c):
    clean, errors = forms.progress(form(request))
    _raise_first(errors, prefix="progress_")
    services.add_progress(db(request), actor(request), c, **clean)


def _remind(request, c):
    services.remind(db(request), actor(request), c)


def _announce(request, c):
    services.announce(db(request), actor(request), c)


def _raise_first(errors: dict, prefix: str = "") -> None:
    if errors:
        field = next(iter(errors))
        raise Invalid(errors[field], field=prefix + field)


ACTIONS = {
    "decide": _decide, "plan": _plan, "agenda": _agenda, "agenda_remove": _agenda_remove, "attachment": _attachment,
    "announce": _announce, "remind": _remind, "participant": _participant, "select": _select, "open": _open, "checkin": _checkin,
    "speaker": _speaker, "opinion": _opinion, "close": _close, "minutes": _minutes, "answer": _answer, "party": _party,
    "refer": _refer, "outcome": _outcome, "progress": _progress,
}
ANCHORS = {"checkin": "#meeting", "speaker": "#meeting", "opinion": "#meeting", "answer": "#opinions", "agenda": "#agenda",
           "agenda_remove": "#agenda", "attachment": "#materials", "participant": "#participants", "select": "#participants"}


@view
def act(request: Request):
    consultation = consultation_from_path(request)
    name = request.path_params["action"]
    handler = ACTIONS.get(name)
    if handler is None:
        raise NotFound(_("The page you asked for does not exist."))
    try:
        handler(request, consultation)
    except (Invalid, Conflict) as error:
        return _after_error(request, consultation, error)
    if request.headers.get("HX-Request") == "true" and name in ("checkin", "speaker"):
        return render(request, "consultations/manage/consultation.html", manage_context(request, consultation), block="meeting")
    return redirect(f"/consultations/manage/{consultation.id}?done={name}{ANCHORS.get(name, '')}")


def _after_error(request: Request, consultation, error: DomainError):
    db(request).rollback()
    consultation = services.get_consultation(db(request), consultation.id)
    errors = {error.field: error.message} if error.field else {}
    ctx = manage_context(request, consultation, errors=errors, values=dict(form(request)), message=error.message)
    return render(request, "consultations/manage/consultation.html", ctx, status=error.status)


# -- moderation -------------------------------------------------------------------------------------
@view
def moderation(request: Request):
    community = _staff_community(request, "consultations:comment:moderate")
    session = db(request)
    return render(request, "consultations/manage/moderation.html", {
        "community": community, "queue": queries.moderation_queue(session, community), "hidden": queries.hidden_comments(session, community),
        "rules": rules, "done": _done(request), "errors": {}, "error_for": None,
    })


@view
def moderate(request: Request):
    comment = comments.get_comment(db(request), int(request.path_params["comment_id"]))
    consultation, community = comments.comment_community(db(request), comment)
    ensure_permission(actor(request), "consultations:comment:moderate", community)
    clean, errors = forms.moderation(form(request))
    try:
        if errors:
            _raise_first(errors)
        comments.moderate_comment(db(request), actor(request), comment, action=clean["action"], reason=clean["reason"])
    except (Invalid, Conflict) as error:
        db(request).rollback()
        session = db(request)
        return render(request, "consultations/manage/moderation.html", {
            "community": community, "queue": queries.moderation_queue(session, community), "hidden": queries.hidden_comments(session, community),
            "rules": rules, "done": "", "errors": {"reason": error.message}, "error_for": comment.id,
        }, status=error.status)
    return redirect(f"/consultations/manage/moderation?community={community.code}&done=moderated")


# -- formal meetings --------------------------------------------------------------------------------
@view
def formal_new(request: Request):
    community = _staff_community(request, "consultations:formal:manage")
    session = db(request)
    today = services.local_today()
    last = queries.last_representatives_meeting(session, community)
    ctx = {"community": community, "values": {}, "errors": {}, "rules": rules, "counts": formal.member_counts(session, community),
           "settings": services.current_rules(session, services._district_of(session, community)), "today": today,
           "last_representatives": last, "next_due": rules.next_representatives_meeting_due(last, today)}
    if request.method == "GET":
        return render(request, "consultations/manage/formal_new.html", ctx)
    clean, errors = forms.formal_meeting(form(request))
    if not errors:
        try:
            meeting = formal.call_meeting(session, actor(request), community, clean)
            return redirect(f"/consultations/manage/formal/{meeting.id}?done=called")
        except Invalid as error:
            session.rollback()
            errors = {error.field or "title": error.message}
    return render(request, "consultations/manage/formal_new.html", {**ctx, "values": dict(form(request)), "errors": errors}, status=422)


def _meeting_and_community(request: Request):
    meeting = formal.get_meeting(db(request), int(request.path_params["mid"]))
    community = registry.community_by_id(db(request), meeting.community_id)
    ensure_permission(actor(request), "consultations:formal:manage", community)
    return meeting, community


@view
def formal_manage(request: Request):
    meeting, community = _meeting_and_community(request)
    return render(request, "consultations/manage/formal.html", {**formal_context(request, meeting, community), "done": _done(request)})


@view
def formal_act(request: Request):
    meeting, community = _meeting_and_community(request)
    name = request.path_params["action"]
    data = form(request)
    try:
        if name == "item":
            formal.add_formal_item(db(request), actor(request), meeting, str(data.get("title") or ""))
        elif name == "attendance":
            attendees = int_param(data.get("attendees"))
            if attendees is None and str(data.get("attendees") or "").strip() != "0":
                raise Invalid(_("Enter a whole number."), field="attendees")
            formal.record_attendance(db(request), actor(request), meeting, attendees or 0)
        elif name == "votes":
            clean, errors = forms.formal_votes(data)
            item_id = int_param(data.get("item_id"), 0) or 0
            _raise_first(errors, prefix=f"votes_{item_id}_")
            try:
                formal.record_item_votes(db(request), actor(request), item_id, **clean)
            except Invalid as error:
                raise Invalid(error.message, field=f"votes_{item_id}_{error.field}") from error
        else:
            raise NotFound(_("The page you asked for does not exist."))
    except (Invalid, Conflict) as error:
        db(request).rollback()
        meeting = formal.get_meeting(db(request), meeting.id)
        ctx = {**formal_context(request, meeting, community), "done": "", "values": dict(data),
               "errors": {error.field: error.message} if error.field else {}, "message": "" if error.field else error.message}
        return render(request, "consultations/manage/formal.html", ctx, status=error.status)
    return redirect(f"/consultations/manage/formal/{meeting.id}?done={'votes' if name == 'votes' else name}")


routes = [
    Route("/", dashboard, name="index"),
    Route("/record", record_topic, methods=["GET", "POST"], name="record"),
    Route("/moderation", moderation, name="moderation"),
    Route("/comments/{comment_id:int}/moderate", moderate, methods=["POST"], name="moderate"),
    Route("/formal/new", formal_new, methods=["GET", "POST"], name="formal_new"),
    Route("/formal/{mid:int}", formal_manage, name="formal"),
    Route("/formal/{mid:int}/{action}", formal_act, methods=["POST"], name="formal_act"),
    Route("/{cid:int}", manage, name="consultation"),
    Route("/{cid:int}/{action}", act, methods=["POST"], name="act"),
]
