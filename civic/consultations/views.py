"""Public pages of the consultations module: parse, call one service, render or redirect (303)."""
from __future__ import annotations

import csv
import io
from types import SimpleNamespace

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from civic import paging
from civic.consultations import comments, formal, forms, queries, rules, services
from civic.consultations.models import AgendaItem, Attachment, Consultation
from civic.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from civic.i18n import N_, _, lang_tag
from civic.markdown import plain_text, render_markdown
from civic.registry import queries as registry
from civic.security import can, ensure_permission
from civic.templating import Lazy, Variant, is_htmx, render
from civic.uploads import download_headers, path_of
from civic.web import actor, db, form, redirect, view

# Messages shown after a redirect (?done=key): the page says what just happened.
DONE = {
    "proposed": N_("Your topic was submitted. The committee will accept or decline it with reasons."),
    "supported": N_("You support this topic."),
    "unsupported": N_("You no longer support this topic."),
    "signed_up": N_("You are signed up."),
    "withdrawn": N_("Your sign-up was withdrawn."),
    "checked_in": N_("You are checked in. Welcome!"),
    "speaking": N_("You are on the speaker list."),
    "opinion": N_("Your opinion was submitted; it will be answered."),
    "commented": N_("Your comment was posted."),
    "edited": N_("Your comment was changed; the earlier text stays in its history."),
    "deleted": N_("Your comment was deleted."),
    "reported": N_("Thank you. A moderator will look at the comment."),
    "voted": N_("Your up-vote was counted."),
    "unvoted": N_("Your up-vote was taken back."),
    "alias": N_("Your pseudonym was saved."),
}


def int_param(value, default: int | None = None) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return number if 0 < number < 2**31 else default


def done_message(request: Request) -> str:
    key = request.query_params.get("done", "")
    return _(DONE[key]) if key in DONE else ""


def community_from_query(request: Request, required: bool = True):
    code = request.query_params.get("community", "") or str(form(request).get("community") or "")
    community = registry.community_by_code(db(request), code[:40]) if code else None
    if community is None and (required or code):
        raise NotFound(_("No such community."))
    return community


def consultation_from_path(request: Request):
    cid = int_param(request.path_params.get("cid"))
    if cid is None:
        raise NotFound(_("No such consultation."))
    return services.get_consultation(db(request), cid)


# -- index, feed, open data -----------------------------------------------------------------------
@view
def index(request: Request):
    actor(request)  # the header and the buttons depend on who is looking
    community = community_from_query(request, required=False)
    session = db(request)
    if community is None:
        return render(request, "consultations/index.html", {  # the counts read only if the cached list is rendered
            "community": None, "communities": registry.communities_overview(session), "counts": Lazy(lambda: queries.community_counts(session)),
        })
    stage = request.query_params.get("stage", "")
    rows, total, page, pages = queries.consultations_of(session, community, stage, paging.requested(request))
    return render(request, "consultations/index.html", {
        "community": community, "rows": rows, "total": total, "stage": stage if stage in queries.STAGE_FILTERS else "",
        "page": page, "pages": pages, "comment_counts": queries.comment_counts(session, [r.id for r in rows]),
        "meetings": queries.meetings_of(session, community)[:10], "rules": rules,
    }, block="list")


@view
def feed(request: Request):
    community = registry.community_by_code(db(request), request.path_params["code"])
    if community is None:
        raise NotFound(_("No such community."))
    rows = queries.recent_for_feed(db(request), community)
    base = str(request.base_url).rstrip("/")
    updated = max((r.created_at for r in rows), default=None)
    body = request.app.state.templates.get_template("consultations/feed.xml").render(
        community=community, rows=rows, base=base, updated=updated, rules=rules, plain=lambda text: plain_text(text, 400),
        lang_tag=lang_tag(),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@view
def record_json(request: Request):
    return JSONResponse(queries.open_record(db(request), consultation_from_path(request)), headers={"Access-Control-Allow-Origin": "*"})


CSV_COLUMNS = ["consultation_id", "title", "community", "status", "form", "proposed_at", "meeting_date", "participants", "attendance",
               "opinion_id", "agenda_item", "stance", "opinion", "disposition", "answer", "referred_to", "answered_at", "outcome", "progress"]


@view
def record_csv(request: Request):
    data = queries.open_record(db(request), consultation_from_path(request))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    common = [data["id"], data["title"], data["community"]["code"], data["status"], data["form"] or "", data["proposed_at"],
              data["meeting"]["date"] or "", data["participants"]["signed_up"], data["participants"]["attendance"]]
    tail = [data["outcome"] or "", data["progress"]]
    for o in data["opinions"] or [None]:
        row = ["", "", "", "", "", "", "", ""] if o is None else [
            o["id"], o["agenda_item"] or "", o["stance"], o["text"], o["disposition"] or "", o["answer"] or "", o["referred_to"] or "", o["answered_at"] or ""]
        writer.writerow(common + row + tail)
    # A byte-order mark so that spreadsheet programs read the Chinese text as UTF-8.
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="consultation-{data["id"]}.csv"', "Access-Control-Allow-Origin": "*"})


@view
def attachment(request: Request):
    item = db(request).get(Attachment, int(request.path_params["aid"]))
    if item is None:
        raise NotFound(_("No such file."))
    path = path_of(request.app.state.settings.data_dir, item.storage_name)
    if not path.exists():
        raise NotFound(_("No such file."))
    return FileResponse(path, media_type=item.media_type, headers=download_headers(item.original_name))


# -- proposing ------------------------------------------------------------------------------------
@view
def propose(request: Request):
    community = community_from_query(request)
    who = actor(request)
    ensure_permission(who, "consultations:topic:propose", community)
    ctx = {"community": community, "values": {}, "errors": {}, "alias": queries.alias_of(db(request), who.user.id), "staff": False, "rules": rules}
    if request.method == "GET":
        return render(request, "consultations/propose.html", ctx)
    clean, errors = forms.topic(form(request))
    if not errors:
        try:
            consultation = services.propose_topic(db(request), who, community, title=clean["title"], body=clean["body"], use_alias=clean["use_alias"])
            return redirect(f"/consultations/{consultation.id}?done=proposed")
        except Invalid as error:
            db(request).rollback()
            errors = {error.field or "title": error.message}
    return render(request, "consultations/propose.html", {**ctx, "values": clean, "errors": errors}, status=422)


@view
def alias(request: Request):
    who = actor(request)
    ensure_permission(who, "consultations:comment:post")
    session = db(request)
    current = queries.alias_of(session, who.user.id) or ""
    back = request.query_params.get("next", "")
    back = back if back.startswith("/consultations/") and not back.startswith("//") else "/consultations/"
    if request.method == "GET":
        return render(request, "consultations/alias.html", {"alias": current, "errors": {}, "next": back, "done": done_message(request)})
    value = str(form(request).get("alias") or "").strip()
    try:
        comments.set_alias(session, who, value)
    except Invalid as error:
        session.rollback()
        return render(request, "consultations/alias.html", {"alias": value, "errors": {"alias": error.message}, "next": back, "done": ""}, status=422)
    return redirect(back + ("&" if "?" in back else "?") + "done=alias")


# -- the consultation page --------------------------------------------------------------------------
def detail_context(request: Request, consultation, *, item: AgendaItem | None = None, errors: dict | None = None, values: dict | None = None,
                   message: str = "") -> dict:
    session = db(request)
    who = actor(request)
    user_id = who.user.id if who.authenticated else None
    d = queries.detail(session, consultation, user_id)  # each part loaded on first use: the shared parts may come from the cache
    community = d.community
    settings = services.rules_for(session, consultation, community)
    today = services.local_today()
    is_resident = bool(who.authenticated and who.resident is not None and who.resident.community_id == community.id)
    refusal = rules.join_refusal(consultation.scope, community.id, consultation.scope_groups, consultation.scope_buildings,
                                 services.resident_facts(session, who.resident) if is_resident else None)
    my = d.my_signup
    active_signup = my is not None and my.status != "withdrawn"
    meeting_open = consultation.status == "announced" and consultation.meeting_opened_at is not None
    sort = request.query_params.get("sort", "best")
    # Loaded only if a cached part of the thread has to be rendered (see templates/consultations/_thread.html).
    thread = Lazy(lambda: queries.thread(session, consultation.id, item.id if item else None, sort=sort,
                                         page=int_param(request.query_params.get("page"), 1), user_id=user_id))
    if consultation.status == "declined":
        timeline = [("proposed", "done"), ("declined", "current")]
    else:
        reached = rules.TIMELINE.index(consultation.status)
        timeline = [(s, "done" if i < reached else "current" if i == reached else "todo") for i, s in enumerate(rules.TIMELINE)]
    answer_due = rules.answer_due(consultation.held_on, settings["consultations.reply_days"]) if consultation.held_on else None
    return {
        "d": d, "c": consultation, "community": community, "item": item, "rules": rules, "settings": settings, "today": today,
        "errors": errors or {}, "values": values or {}, "message": message, "done": done_message(request),
        "thread": thread, "personalize": _personal_comments(request, who, is_resident and rules.is_open_for_comments(consultation.status)),
        # Only a resident of the community sees a form offering their pseudonym (sign-up, opinion, comment).
        "md": render_markdown, "alias": d.alias if is_resident else None,
        "is_resident": is_resident, "refusal": refusal and _(refusal),
        "can_support": is_resident and consultation.status == "proposed" and consultation.proposer_user_id != user_id,
        "can_signup": is_resident and refusal is None and not active_signup and not consultation.meeting_opened_at
                      and rules.signup_is_open(today, consultation.signup_closes, consultation.status),
        "can_withdraw": active_signup and consultation.status == "announced" and not consultation.meeting_opened_at,
        "can_comment": is_resident and rules.is_open_for_comments(consultation.status),
        "can_opinion": is_resident and rules.is_open_for_opinions(consultation.status) and (active_signup or refusal is None),
        "meeting_open": meeting_open,
        "can_checkin": meeting_open and active_signup and my.checked_in_at is None and my.status != "waitlisted",
        "can_speak": meeting_open and active_signup and rules.may_speak(consultation.form, my.kind, my.status, my.checked_in_at is not None),
        "is_staff": can(who, "consultations:consultation:manage", community),
        "answer_due": answer_due, "timeline": timeline,
        "opinions_by_item": Lazy(lambda: _group_opinions(d.opinions)),
        "thread_url": f"/consultations/{consultation.id}/comments" + (f"?item={item.id}&" if item else "?"),
        "page_url": f"/consultations/{consultation.id}" + (f"/items/{item.id}" if item else ""),
    }


def _personal_comments(request: Request, who, can_comment: bool):
    """The comment controls of a cached thread that differ for this reader: their own comments (edit, no
    vote, no report) and the ones they up-voted; the others stay as rendered for a neutral reader. Each is
    the same for every reader in that state, so it is rendered once per cached thread (`Variant`)."""
    def personalize(holes: tuple, context) -> dict | None:
        if not who.authenticated:
            return None
        me = who.user.id
        voted = queries.my_votes(db(request), me, [args[0] for kind, args in holes if kind == "comment"]) if can_comment else set()
        return {number: Variant((args[0] in voted, args[1] == me), _actions_of(context, args, args[0] in voted, args[1] == me, can_comment))
                for number, (kind, args) in enumerate(holes) if kind == "comment" and (args[1] == me or args[0] in voted)}

    return personalize


def _actions_of(context, args, voted: bool, own: bool, can_comment: bool):
    comment_id, _author_id, upvotes, display_name = args

    def render():
        # The thread's own import of the macro (a new module cost a tenth of the page).
        macro = context.get("comment_actions") or context.environment.get_template(
            "consultations/_comments.html").make_module(context.get_all()).comment_actions
        return macro(SimpleNamespace(id=comment_id, upvotes=upvotes, display_name=display_name), voted, own, can_comment, rules)

    return render


def _group_opinions(opinions) -> dict:
    grouped: dict = {}
    for opinion in opinions:
        grouped.setdefault(opinion.agenda_item_id, []).append(opinion)
    return grouped


@view
def detail(request: Request):
    consultation = consultation_from_path(request)
    return render(request, "consultations/detail.html", detail_context(request, consultation), block=_fragment(request))


def _fragment(request: Request) -> str | None:
    """htmx asks for one part of the page: the thread (sorting, paging) or the live speaker list."""
    wanted = request.query_params.get("fragment", "")
    return wanted if wanted in ("thread", "speakers") else None


@view
def agenda_item(request: Request):
    consultation = consultation_from_path(request)
    item = db(request).get(AgendaItem, int(request.path_params["item_id"]))
    if item is None or item.consultation_id != consultation.id:
        raise NotFound(_("No such agenda item."))
    return render(request, "consultations/item.html", detail_context(request, consultation, item=item), block=_fragment(request))


def _item_of(request: Request, consultation) -> AgendaItem | None:
    item_id = int_param(request.query_params.get("item") or form(request).get("agenda_item_id"))
    if item_id is None:
        return None
    item = db(request).get(AgendaItem, item_id)
    if item is None or item.consultation_id != consultation.id:
        raise NotFound(_("No such agenda item."))
    return item


def _page_after_error(request: Request, consultation, error: DomainError, values: dict | None = None):
    """Re-render the page the form was on, with the message next to the field (422) or on top (409)."""
    db(request).rollback()
    item = _item_of(request, consultation)
    errors = {error.field: error.message} if error.field else {}
    template = "consultations/item.html" if item else "consultations/detail.html"
    ctx = detail_context(request, consultation, item=item, errors=errors, values=values, message=error.message)
    return render(request, template, ctx, status=error.status)


def _back_to(request: Request, consultation, done: str, anchor: str = "") -> Response:
    item = _item_of(request, consultation)
    base = f"/consultations/{consultation.id}/items/{item.id}" if item else f"/consultations/{consultation.id}"
    return redirect(f"{base}?done={done}{anchor}")


def _act(request: Request, action, done: str, anchor: str = "", values: dict | None = None):
    consultation = consultation_from_path(request)
    try:
        result = action(consultation)
    except (Invalid, Conflict) as error:
        return _page_after_error(request, consultation, error, values)
    return _back_to(request, consultation, result if isinstance(result, str) else done, anchor)


@view
def support(request: Request):
    return _act(request, lambda c: "supported" if services.toggle_support(db(request), actor(request), c) else "unsupported", "supported", "#support")


@view
def signup(request: Request):
    clean, errors = forms.signup(form(request))
    if errors:
        return _page_after_error(request, consultation_from_path(request), Invalid(next(iter(errors.values())), field=next(iter(errors))), clean)
    return _act(request, lambda c: services.sign_up(db(request), actor(request), c, stance=clean["stance"], statement=clean["statement"],
                                                    use_alias=clean["use_alias"]), "signed_up", "#participate", clean)


@view
def withdraw(request: Request):
    return _act(request, lambda c: services.withdraw(db(request), actor(request), c), "withdrawn", "#participate")


@view
def checkin(request: Request):
    code = str(form(request).get("code") or "")
    return _act(request, lambda c: services.check_in(db(request), actor(request), c, code), "checked_in", "#meeting", {"code": code})


@view
def speak(request: Request):
    item_id = int_param(form(request).get("agenda_item_id"))
    return _act(request, lambda c: services.request_to_speak(db(request), actor(request), c, item_id), "speaking", "#speakers")


@view
def opinion(request: Request):
    clean, errors = forms.opinion(form(request))
    consultation = consultation_from_path(request)
    if errors:
        field = next(iter(errors))
        return _page_after_error(request, consultation, Invalid(errors[field], field=f"opinion_{field}"), clean)

    def submit(c):
        try:
            services.submit_opinion(db(request), actor(request), c, body=clean["body"], stance=clean["stance"],
                                    agenda_item_id=clean["agenda_item_id"], use_alias=clean["use_alias"])
        except Invalid as error:
            raise Invalid(error.message, field=f"opinion_{error.field or 'body'}") from error

    return _act(request, submit, "opinion", "#opinions", clean)


# -- comments ---------------------------------------------------------------------------------------
@view
def thread_page(request: Request):
    """The thread on its own page: sorting and paging without JavaScript; htmx "load more" gets one block."""
    consultation = consultation_from_path(request)
    if request.method == "POST":
        return post_comment(request, consultation)
    item = _item_of(request, consultation)
    ctx = detail_context(request, consultation, item=item)
    block = "more" if request.query_params.get("fragment") == "more" else "thread" if request.query_params.get("fragment") == "thread" else None
    return render(request, "consultations/thread.html", ctx, block=block)


def post_comment(request: Request, consultation):
    clean, errors = forms.comment(form(request))
    item = _item_of(request, consultation)
    if errors:
        field = next(iter(errors))
        return _comment_error(request, consultation, Invalid(errors[field], field=field), clean)
    try:
        comment = comments.post_comment(db(request), actor(request), consultation, body=clean["body"], stance=clean["stance"],
                                        agenda_item_id=item.id if item else None, parent_id=clean["parent_id"], use_alias=clean["use_alias"])
    except (Invalid, Conflict) as error:
        return _comment_error(request, consultation, error, clean)
    if clean["parent_id"]:
        return redirect(f"/consultations/comments/{clean['parent_id']}?done=commented#comment-{comment.id}")
    return _back_to(request, consultation, "commented", f"#comment-{comment.id}")


def _comment_error(request: Request, consultation, error: DomainError, values: dict):
    if values.get("parent_id"):
        db(request).rollback()
        parent = comments.get_comment(db(request), values["parent_id"])
        return render(request, "consultations/comment.html", comment_context(request, parent, errors={"body": error.message}, values=values),
                      status=error.status)
    field = "comment_body" if error.field in ("body", None) else f"comment_{error.field}"
    return _page_after_error(request, consultation, Invalid(error.message, field=field) if error.status == 422 else error, values)


def comment_context(request: Request, comment, *, errors: dict | None = None, values: dict | None = None) -> dict:
    session = db(request)
    who = actor(request)
    user_id = who.user.id if who.authenticated else None
    consultation = services.get_consultation(session, comment.consultation_id)
    community = services.community_of(session, consultation)
    node, my_votes = queries.subtree(session, comment, user_id)
    is_resident = bool(who.authenticated and who.resident is not None and who.resident.community_id == community.id)
    item = session.get(AgendaItem, comment.agenda_item_id) if comment.agenda_item_id else None
    return {
        "comment": comment, "node": node, "my_votes": my_votes, "c": consultation, "community": community, "item": item,
        "versions": queries.versions(session, comment), "errors": errors or {}, "values": values or {}, "done": done_message(request),
        "can_comment": is_resident and rules.is_open_for_comments(consultation.status),
        "alias": queries.alias_of(session, user_id), "rules": rules,
        "thread_url": f"/consultations/{consultation.id}/comments" + (f"?item={item.id}&" if item else "?"),
    }


def comment_from_path(request: Request):
    comment_id = int_param(request.path_params.get("comment_id"))
    if comment_id is None:
        raise NotFound(_("No such comment."))
    return comments.get_comment(db(request), comment_id)


@view
def comment_page(request: Request):
    comment = comment_from_path(request)
    block = "reply_form" if request.query_params.get("fragment") == "reply" else None
    return render(request, "consultations/comment.html", comment_context(request, comment), block=block)


@view
def comment_edit(request: Request):
    comment = comment_from_path(request)
    who = actor(request)
    consultation, community = comments.comment_community(db(request), comment)
    ensure_permission(who, "consultations:comment:post", community)
    ctx = {"comment": comment, "c": consultation, "errors": {}, "body": comment.body, "versions": queries.versions(db(request), comment)}
    if request.method == "GET":
        if comment.author_user_id != who.user.id:
            raise Forbidden(_("Only the author can change a comment."))
        return render(request, "consultations/comment_edit.html", ctx)
    body = str(form(request).get("body") or "")
    try:
        comments.edit_comment(db(request), who, comment, body=body)
    except (Invalid, Conflict) as error:
        db(request).rollback()
        return render(request, "consultations/comment_edit.html", {**ctx, "body": body, "errors": {"body": error.message}}, status=error.status)
    return redirect(f"/consultations/comments/{comment.id}?done=edited")


@view
def comment_delete(request: Request):
    comment = comment_from_path(request)
    comments.delete_comment(db(request), actor(request), comment)
    return redirect(f"/consultations/comments/{comment.id}?done=deleted")


@view
def comment_vote(request: Request):
    comment = comment_from_path(request)
    try:
        voted = comments.toggle_vote(db(request), actor(request), comment)
    except (Invalid, Conflict) as error:
        db(request).rollback()
        if is_htmx(request):
            who = actor(request)
            voted = comment.id in queries.my_votes(db(request), who.user.id if who.authenticated else None, [comment.id])
            return render(request, "consultations/comment.html", {"comment": comment, "voted": voted, "rules": rules, "vote_error": error.message},
                          block="vote", status=error.status)
        raise
    if is_htmx(request):
        return render(request, "consultations/comment.html", {"comment": comment, "voted": voted, "rules": rules}, block="vote")
    back = str(form(request).get("next") or "")
    if back.startswith("/consultations/") and not back.startswith("//"):
        return redirect(back.split("#")[0] + ("&" if "?" in back else "?") + f"done={'voted' if voted else 'unvoted'}#comment-{comment.id}")
    return redirect(f"/consultations/comments/{comment.id}?done={'voted' if voted else 'unvoted'}")


@view
def comment_report(request: Request):
    comment = comment_from_path(request)
    who = actor(request)
    consultation, community = comments.comment_community(db(request), comment)
    ensure_permission(who, "consultations:comment:report", community)
    ctx = {"comment": comment, "c": consultation, "errors": {}, "values": {}, "rules": rules}
    if request.method == "GET":
        return render(request, "consultations/comment_report.html", ctx)
    clean, errors = forms.report(form(request))
    if not errors:
        try:
            comments.report_comment(db(request), who, comment, reason=clean["reason"], details=clean["details"])
            return redirect(f"/consultations/{consultation.id}?done=reported")
        except (Invalid, Conflict) as error:
            db(request).rollback()
            errors = {error.field or "reason": error.message}
    return render(request, "consultations/comment_report.html", {**ctx, "values": clean, "errors": errors}, status=422)


@view
def formal_page(request: Request):
    actor(request)
    meeting = formal.get_meeting(db(request), int(request.path_params["mid"]))
    community = registry.community_by_id(db(request), meeting.community_id)
    return render(request, "consultations/formal.html", formal_context(request, meeting, community))


def formal_context(request: Request, meeting, community) -> dict:
    session = db(request)
    items = queries.meeting_items(session, meeting)
    linked = {i.consultation_id for i in items if i.consultation_id}
    titles = {}
    if linked:
        titles = dict(session.execute(select(Consultation.id, Consultation.title).where(Consultation.id.in_(linked))).all())
    quorate = rules.quorum_met(meeting.kind, meeting.attendees, meeting.members) if meeting.attendees is not None else None
    return {"m": meeting, "community": community, "items": items, "titles": titles, "rules": rules, "quorate": quorate,
            "needed": _quorum_needed(meeting), "errors": {}, "message": ""}


def _quorum_needed(meeting) -> int:
    """The smallest attendance that makes the quorum (shown so the arithmetic can be checked)."""
    for n in range(0, meeting.members + 1):
        if rules.quorum_met(meeting.kind, n, meeting.members):
            return n
    return meeting.members


routes = [
    Route("/", index, name="index"),
    Route("/feed/{code}.atom", feed, name="feed"),
    Route("/propose", propose, methods=["GET", "POST"], name="propose"),
    Route("/alias", alias, methods=["GET", "POST"], name="alias"),
    Route("/{cid:int}", detail, name="detail"),
    Route("/{cid:int}.json", record_json, name="json"),
    Route("/{cid:int}.csv", record_csv, name="csv"),
    Route("/{cid:int}/items/{item_id:int}", agenda_item, name="item"),
    Route("/{cid:int}/comments", thread_page, methods=["GET", "POST"], name="comments"),
    Route("/{cid:int}/support", support, methods=["POST"], name="support"),
    Route("/{cid:int}/signup", signup, methods=["POST"], name="signup"),
    Route("/{cid:int}/withdraw", withdraw, methods=["POST"], name="withdraw"),
    Route("/{cid:int}/checkin", checkin, methods=["POST"], name="checkin"),
    Route("/{cid:int}/speak", speak, methods=["POST"], name="speak"),
    Route("/{cid:int}/opinions", opinion, methods=["POST"], name="opinion"),
    Route("/attachments/{aid:int}", attachment, name="attachment"),
    Route("/comments/{comment_id:int}", comment_page, name="comment"),
    Route("/comments/{comment_id:int}/edit", comment_edit, methods=["GET", "POST"], name="comment_edit"),
    Route("/comments/{comment_id:int}/delete", comment_delete, methods=["POST"], name="comment_delete"),
    Route("/comments/{comment_id:int}/vote", comment_vote, methods=["POST"], name="comment_vote"),
    Route("/comments/{comment_id:int}/report", comment_report, methods=["GET", "POST"], name="comment_report"),
    Route("/formal/{mid:int}", formal_page, name="formal"),
]
