"""Staff pages (mounted at /disclosure/manage): write, review, publish, correct, answer, schedule, oversee."""
from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.routing import Route

from civic import paging
from civic.disclosure import forms, queries, rules, services
from civic.disclosure.models import Disclosure
from civic.errors import DomainError, NotFound
from civic.i18n import _
from civic.registry import queries as registry
from civic.security import can, ensure_permission
from civic.templating import render
from civic.web import actor, db, form, redirect, view

MAX_FILE = services.ATTACHMENT_MAX + 1


def _community(request: Request):
    community = registry.community_by_code(db(request), request.path_params["code"][:40])
    if community is None:
        raise NotFound(_("No such community."))
    return community


def _item(request: Request) -> Disclosure:
    item = queries.load_item(db(request), request.path_params["item_id"])
    if item is None:
        raise NotFound(_("No such notice."))
    ensure_permission(actor(request), services.FULL_DATA, item.community)
    return item


def _upload(request: Request, name: str) -> tuple[str, bytes]:
    upload = form(request).get(name)
    if upload is None or not hasattr(upload, "file"):
        return "", b""
    return upload.filename or "", upload.file.read(MAX_FILE)


def _checked(request: Request, name: str) -> bool:
    return form(request).get(name) in ("1", "on", "true")


# --- overview ---------------------------------------------------------------------------------------------

@view
def home(request: Request):
    who = actor(request)
    ensure_permission(who, services.FULL_DATA)
    session = db(request)
    mine = queries.communities_where(session, who, services.FULL_DATA)
    reviewable = queries.communities_where(session, who, services.REVIEW)
    return render(request, "disclosure/manage/index.html", {
        "communities": mine, "community_ids": tuple(c.id for c in mine), "to_review": queries.in_review(session, reviewable),
        "oversee": bool(queries.communities_where(session, who, services.OVERSIGHT)), "admin": can(who, services.CATEGORIES),
    })


@view
def community_page(request: Request):
    community = _community(request)
    who = actor(request)
    ensure_permission(who, services.FULL_DATA, community)
    session, today = db(request), queries.local_today()
    published, page, pages = queries.published_items(session, community, paging.requested(request))
    pending = queries.pending_objection_counts(session, [i.id for i in published])
    return render(request, "disclosure/manage/community.html", {
        "community": community, "unpublished": queries.unpublished_items(session, community),
        "unanswered": queries.unanswered(session, community), "late": queries.late_objections(session, [community], today),
        "overdue": queries.overdue(session, [community], today), "published": published, "page": page, "pages": pages, "today": today,
        "statuses": {i.id: queries.status_of(i, today, pending.get(i.id, 0)) for i in published},
        "categories": queries.categories(session),
    })


# --- writing ------------------------------------------------------------------------------------------------

def _form_context(request: Request, community, *, item=None, errors=None, raw=None) -> dict:
    session, today = db(request), queries.local_today()
    cats = queries.categories(session)
    r = services.rules_for(session, community)
    periods = {code: queries.period_choices(session, community, code, today) for code in cats}
    if raw is None:
        raw = {"category": "", "title": "", "body": "", "table_text": "", "notice_days": "", "period_start": "", "is_leaving_audit": False}
        if item is not None:
            working = queries.working_copy(item)
            raw.update(category=item.category, title=working.title, body=working.body, is_leaving_audit=item.is_leaving_audit,
                       table_text=rules.table_as_text(queries.render_version(working, "full", full=True).table),
                       notice_days=str(item.notice_days or ""), period_start=item.period_start.isoformat() if item.period_start else "")
    return {
        "community": community, "item": item, "errors": errors or {}, "raw": raw, "categories": cats, "periods": periods,
        "correction": item is not None and item.published_on is not None,
        "notice_defaults": {code: r[c.notice_key] for code, c in cats.items() if c.notice_key},
    }


@view
def new_item(request: Request):
    community = _community(request)
    who = actor(request)
    ensure_permission(who, services.MANAGE, community)
    if request.method == "GET":
        ctx = _form_context(request, community)
        category = request.query_params.get("category", "")
        if category in ctx["categories"]:
            ctx["raw"]["category"] = category
            ctx["raw"]["notice_days"] = str(ctx["notice_defaults"].get(category, ""))
        return render(request, "disclosure/manage/form.html", ctx)
    values, errors, raw = forms.parse_item(form(request), queries.categories(db(request)))
    if values is not None:
        try:
            item = services.create_item(db(request), who, community, values)
            return redirect(f"/disclosure/manage/d/{item.id}")
        except DomainError as error:
            if error.status in (401, 403):
                raise
            db(request).rollback()
            errors = {error.field or "title": error.message}
    return render(request, "disclosure/manage/form.html", _form_context(request, community, errors=errors, raw=raw), status=422)


@view
def edit_item(request: Request):
    item = _item(request)
    who = actor(request)
    ensure_permission(who, services.MANAGE, item.community)
    if queries.working_copy(item) is None or queries.working_copy(item).state != "draft":
        return redirect(f"/disclosure/manage/d/{item.id}")
    if request.method == "GET":
        return render(request, "disclosure/manage/form.html", _form_context(request, item.community, item=item))
    correction = item.published_on is not None
    values, errors, raw = forms.parse_item(form(request), queries.categories(db(request)), correction=correction)
    if values is not None:
        if correction:
            values.category = item.category
        try:
            services.update_draft(db(request), who, item.id, values)
            return redirect(f"/disclosure/manage/d/{item.id}#draft")
        except DomainError as error:
            if error.status in (401, 403):
                raise
            db(request).rollback()
            errors = {error.field or "title": error.message}
            item = _item(request)
    return render(request, "disclosure/manage/form.html", _form_context(request, item.community, item=item, errors=errors, raw=raw), status=422)


def item_context(request: Request, item: Disclosure, errors: dict | None = None) -> dict:
    session, who, today = db(request), actor(request), queries.local_today()
    cats = queries.categories(session)
    current, working = queries.current_version(item), queries.working_copy(item)
    feedback = queries.feedback_of(session, item.id)
    pending = sum(1 for f in feedback if f.kind == "objection" and f.answered_at is None)
    authors = queries.display_names(session, {f.author_id for f in feedback} | {f.recorded_by for f in feedback})
    r = services.rules_for(session, item.community, item)
    return {
        "item": item, "community": item.community, "category": cats[item.category], "today": today,
        "current": queries.render_version(current, cats[item.category].names, full=True) if current else None,
        "working": queries.render_version(working, cats[item.category].names, full=True) if working else None,
        "status": queries.status_of(item, today, pending, working), "pending": pending, "feedback": feedback, "authors": authors,
        "extensions": queries.extensions_of(session, item.id), "errors": errors or {},
        "may_manage": can(who, services.MANAGE, item.community), "may_review": can(who, services.REVIEW, item.community),
        "may_answer": can(who, services.ANSWER, item.community),
        "earliest_takedown": rules.earliest_takedown(item.display_from or item.published_on, int(r["disclosure.min_display_days"]), item.notice_ends_on) if item.published_on else None,
        "may_object": rules.may_object(published_on=item.published_on, today=today, notice_ends_on=item.notice_ends_on, withdrawn=item.withdrawn_on is not None),
    }


@view
def item_page(request: Request):
    item = _item(request)
    return render(request, "disclosure/manage/item.html", item_context(request, item), block="feedback")


def _act(request: Request, action, form_name: str, *, item_id: int | None = None, anchor: str = "", block: str | None = None):
    """Run one service; on a refusal the user can fix, show the staff page again with the message (422)."""
    item_id = item_id or request.path_params.get("item_id")
    try:
        result = action()
    except DomainError as error:
        if error.status in (401, 403, 404):
            raise
        db(request).rollback()
        item = queries.load_item(db(request), item_id)
        if item is None:  # a discarded draft: nothing left to show
            raise
        return render(request, "disclosure/manage/item.html", item_context(request, item, {form_name: error.message}), block=block, status=422)
    if isinstance(result, str) and result.startswith("/"):
        return redirect(result)
    return redirect(f"/disclosure/manage/d/{item_id}" + (f"#{anchor}" if anchor else ""))


@view
def add_attachment(request: Request):
    filename, content = _upload(request, "file")
    data = form(request)
    return _act(request, lambda: services.add_attachment(
        db(request), actor(request), request.path_params["item_id"], request.app.state.settings.data_dir, filename, content,
        str(data.get("title", "")), not _checked(request, "internal")), "attachment", anchor="draft")


@view
def remove_attachment(request: Request):
    return _act(request, lambda: services.remove_attachment(db(request), actor(request), request.path_params["item_id"],
                                                            request.path_params["attachment_id"]), "attachment", anchor="draft")


@view
def import_table(request: Request):
    filename, content = _upload(request, "table_file")
    return _act(request, lambda: services.import_table(db(request), actor(request), request.path_params["item_id"], filename, content),
                "table", anchor="draft")


@view
def publish(request: Request):
    when, problem = forms.parse_date_field(form(request), "publish_on")
    if problem:
        item = _item(request)
        return render(request, "disclosure/manage/item.html", item_context(request, item, {"publish": problem}), status=422)
    return _act(request, lambda: services.publish(db(request), actor(request), request.path_params["item_id"], when), "publish")


@view
def review(request: Request):
    data = form(request)
    approve = data.get("decision") == "approve"
    if data.get("decision") not in ("approve", "return"):
        item = _item(request)
        return render(request, "disclosure/manage/item.html", item_context(request, item, {"review": _("Choose to approve or to return.")}), status=422)
    return _act(request, lambda: services.review(db(request), actor(request), request.path_params["item_id"], approve, str(data.get("comment", ""))), "review")


@view
def correct(request: Request):
    data = form(request)

    def start():
        services.start_correction(db(request), actor(request), request.path_params["item_id"], str(data.get("reason", "")), _checked(request, "material"))
        return f"/disclosure/manage/d/{request.path_params['item_id']}/edit"

    return _act(request, start, "correct")


@view
def discard(request: Request):
    found = db(request).get(Disclosure, request.path_params["item_id"])
    if found is None:
        raise NotFound(_("No such notice."))
    board = f"/disclosure/manage/c/{registry.community_by_id(db(request), found.community_id).code}"

    def drop():
        gone = services.discard_draft(db(request), actor(request), request.path_params["item_id"])
        return board if gone else None

    return _act(request, drop, "discard")


@view
def extend(request: Request):
    data = form(request)
    try:
        days = forms.parse_int(str(data.get("extra_days", ""))) or 0
    except ValueError:
        days = 0
    return _act(request, lambda: services.extend_notice_period(db(request), actor(request), request.path_params["item_id"], days, str(data.get("reason", ""))), "extend")


@view
def withdraw(request: Request):
    data = form(request)
    return _act(request, lambda: services.withdraw(db(request), actor(request), request.path_params["item_id"], str(data.get("reason", ""))), "withdraw")


@view
def record_feedback(request: Request):
    data = form(request)
    return _act(request, lambda: services.record_feedback(
        db(request), actor(request), request.path_params["item_id"], str(data.get("kind", "")), str(data.get("text", "")),
        str(data.get("channel", "")), str(data.get("received_from", ""))), "record", anchor="feedback")


@view
def answer(request: Request):
    from civic.disclosure.models import Feedback

    feedback = db(request).get(Feedback, request.path_params["feedback_id"])
    if feedback is None:
        raise NotFound(_("No such objection or question."))
    data = form(request)
    return _act(request, lambda: services.answer_feedback(db(request), actor(request), feedback.id, str(data.get("answer", "")), str(data.get("outcome", ""))),
                f"answer-{feedback.id}", item_id=feedback.disclosure_id, anchor="feedback", block="feedback")


# --- schedule, oversight, categories --------------------------------------------------------------------------

@view
def schedule(request: Request):
    community = _community(request)
    who = actor(request)
    ensure_permission(who, services.FULL_DATA, community)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data = form(request)
        try:
            if data.get("action") == "defaults":
                services.set_default_schedule(db(request), who, community)
            else:
                starts_on, problem = forms.parse_date_field(data, "starts_on")
                if problem or starts_on is None:
                    raise DomainError(problem or _("Enter a date as YYYY-MM-DD."), 422, field="starts_on")
                try:
                    every, grace = forms.parse_int(str(data.get("every_months", ""))), forms.parse_int(str(data.get("grace_days", "")))
                except ValueError:
                    every = grace = -1
                services.save_obligation(db(request), who, community, str(data.get("category", "")), every if every is not None else -1,
                                         grace if grace is not None else -1, starts_on, _checked(request, "active"))
            return redirect(f"/disclosure/manage/c/{community.code}/schedule")
        except DomainError as error:
            if error.status in (401, 403):
                raise
            db(request).rollback()
            errors, status = {"schedule": error.message}, 422
    session = db(request)
    return render(request, "disclosure/manage/schedule.html", {
        "community": community, "duties": queries.obligations(session, [community.id], active_only=False),
        "categories": queries.categories(session), "errors": errors, "may_edit": can(who, services.SCHEDULE, community),
        "allowed_every": rules.ALLOWED_EVERY, "year_start": dt.date(queries.local_today().year, 1, 1),
    }, status=status)


@view
def oversight(request: Request):
    who = actor(request)
    ensure_permission(who, services.OVERSIGHT)
    session, today = db(request), queries.local_today()
    communities = queries.communities_where(session, who, services.OVERSIGHT)
    return render(request, "disclosure/manage/overdue.html", {
        "communities": communities, "overdue": queries.overdue(session, communities, today),
        "late": queries.late_objections(session, communities, today), "to_review": queries.in_review(session, communities),
        "categories": queries.categories(session), "today": today,
    })


@view
def categories(request: Request):
    who = actor(request)
    ensure_permission(who, services.CATEGORIES)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data = form(request)
        try:
            services.save_category(db(request), who, str(data.get("code", "")), _checked(request, "requires_review"),
                                   str(data.get("names", "")), _checked(request, "active"))
            return redirect("/disclosure/manage/categories")
        except DomainError as error:
            if error.status in (401, 403):
                raise
            db(request).rollback()
            errors, status = {str(data.get("code", "")): error.message}, 422
    return render(request, "disclosure/manage/categories.html", {"categories": queries.categories(db(request)), "errors": errors}, status=status)


admin_routes = [
    Route("/", home, name="home"),
    Route("/overdue", oversight, name="overdue"),
    Route("/categories", categories, methods=["GET", "POST"], name="categories"),
    Route("/c/{code}", community_page, name="community"),
    Route("/c/{code}/new", new_item, methods=["GET", "POST"], name="new"),
    Route("/c/{code}/schedule", schedule, methods=["GET", "POST"], name="schedule"),
    Route("/d/{item_id:int}", item_page, name="item"),
    Route("/d/{item_id:int}/edit", edit_item, methods=["GET", "POST"], name="edit"),
    Route("/d/{item_id:int}/attachments", add_attachment, methods=["POST"], name="attach"),
    Route("/d/{item_id:int}/attachments/{attachment_id:int}/remove", remove_attachment, methods=["POST"], name="detach"),
    Route("/d/{item_id:int}/table", import_table, methods=["POST"], name="table"),
    Route("/d/{item_id:int}/publish", publish, methods=["POST"], name="publish"),
    Route("/d/{item_id:int}/review", review, methods=["POST"], name="review"),
    Route("/d/{item_id:int}/correct", correct, methods=["POST"], name="correct"),
    Route("/d/{item_id:int}/discard", discard, methods=["POST"], name="discard"),
    Route("/d/{item_id:int}/extend", extend, methods=["POST"], name="extend"),
    Route("/d/{item_id:int}/withdraw", withdraw, methods=["POST"], name="withdraw"),
    Route("/d/{item_id:int}/feedback", record_feedback, methods=["POST"], name="record"),
    Route("/feedback/{feedback_id:int}/answer", answer, methods=["POST"], name="answer"),
]
