"""Login, logout, activation, reset, assisted mode: thin views over accounts.services."""
from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from civic.accounts import services
from civic.errors import DomainError, Invalid
from civic.i18n import _
from civic.registry.models import Resident
from civic.security import SESSION_COOKIE, ensure_permission
from civic.templating import render
from civic.web import actor, db, form, redirect, safe_next, view


def _start_session(request: Request, user, assist: dict | None = None, target: str = "/"):
    response = redirect(target)
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        request.app.state.sessions.dumps(user, assist),
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )
    return response


def _landing(user) -> str:
    return "/me"


@view
def login(request: Request):
    ctx = {"next": safe_next(request.query_params.get("next"), ""), "identifier": "", "error": None}
    if request.method == "GET":
        return render(request, "accounts/login.html", ctx)
    data = form(request)
    identifier = str(data.get("identifier", "")).strip()
    password = str(data.get("password", ""))
    ctx.update(identifier=identifier, next=safe_next(str(data.get("next", "")), ""))
    if not identifier or not password:
        ctx["error"] = _("Enter your phone number or ID number and your password.")
        return render(request, "accounts/login.html", ctx, status=422)
    ip = request.client.host if request.client else "?"
    if not request.app.state.limiter.allow_login(identifier, ip):
        ctx["error"] = _("Too many attempts. Wait 15 minutes and try again, or ask your community office to reset your password.")
        return render(request, "accounts/login.html", ctx, status=429)
    with request.app.state.read_sessions() as reader:
        user_id = services.verify_login(reader, identifier, password)
    user = services.record_login(db(request), user_id, password) if user_id is not None else None
    if user is None:
        request.app.state.limiter.failed_login(identifier, ip)
        ctx["error"] = _("The phone or ID number and password do not match an activated account.")
        return render(request, "accounts/login.html", ctx, status=422)
    # A fresh cookie with a new nonce: the session identifier rotates at every login.
    return _start_session(request, user, target=ctx["next"] or _landing(user))


@view
def logout(request: Request):
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


@view
def logout_everywhere(request: Request):
    who = actor(request)
    ensure_permission(who, "accounts:self:manage")
    services.logout_everywhere(db(request), who)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


def _redeem(request: Request, purpose: str, template: str):
    ctx = {"code": request.query_params.get("code", ""), "errors": {}}
    if request.method == "GET":
        return render(request, template, ctx)
    data = form(request)
    ctx["code"] = str(data.get("code", "")).strip()
    try:
        user = services.redeem_code(db(request), ctx["code"], str(data.get("password", "")), str(data.get("confirm", "")), purpose)
    except Invalid as error:
        db(request).rollback()
        ctx["errors"] = {error.field or "code": error.message}
        return render(request, template, ctx, status=422)
    return _start_session(request, user, target="/me")


@view
def activate(request: Request):
    return _redeem(request, "activate", "accounts/activate.html")


@view
def reset(request: Request):
    return _redeem(request, "reset", "accounts/reset.html")


@view
def me(request: Request):
    who = actor(request)
    ensure_permission(who, "accounts:self:manage")
    from civic.registry import queries

    community = queries.community_by_id(db(request), who.community_id) if who.community_id else None
    return render(request, "accounts/me.html", {"community": community})


@view
def notifications(request: Request):
    from civic import notify

    who = actor(request)
    ensure_permission(who, "accounts:self:manage")
    if request.method == "POST":
        notify.mark_all_read(db(request), who.user.id)
        return redirect("/me/notifications")
    return render(request, "accounts/notifications.html", {"items": notify.recent(db(request), who.user.id)})


@view
def assist_start(request: Request):
    who = actor(request)
    session = db(request)
    resident = session.get(Resident, int(request.path_params["resident_id"]))
    if resident is None:
        raise DomainError(_("No such resident."), 404)
    if request.method == "GET":
        from civic.security import can
        from civic.registry.models import Community

        ensure_permission(who, "accounts:assist:start", session.get(Community, resident.community_id))
        return render(request, "accounts/assist.html", {"resident": resident, "error": None, "reason": ""})
    reason = str(form(request).get("reason", ""))
    try:
        assist = services.start_assist(session, who, resident, reason, request.app.state.settings.assist_minutes)
    except Invalid as error:
        session.rollback()
        return render(request, "accounts/assist.html", {"resident": resident, "error": error.message, "reason": reason}, status=422)
    return _start_session(request, who.user, assist=assist, target="/me")


@view
def assist_end(request: Request):
    who = actor(request)
    if who.assisted_by is None:
        return redirect("/")
    services.end_assist(db(request), who)
    return _start_session(request, who.assisted_by, target="/registry/")


routes = [
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/logout-everywhere", logout_everywhere, methods=["POST"], name="logout_everywhere"),
    Route("/activate", activate, methods=["GET", "POST"], name="activate"),
    Route("/reset", reset, methods=["GET", "POST"], name="reset"),
    Route("/me", me, name="me"),
    Route("/me/notifications", notifications, methods=["GET", "POST"], name="notifications"),
    Route("/assist/{resident_id:int}", assist_start, methods=["GET", "POST"], name="assist_start"),
    Route("/assist/end", assist_end, methods=["POST"], name="assist_end"),
]
