"""The audit log viewer: supervisors read the trail of every state change, filtered and paged."""
from __future__ import annotations

import json

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.routing import Route

from civic.accounts.models import User
from civic.audit import AuditEntry, verify_audit_chain
from civic.errors import NotFound
from civic.i18n import N_, _
from civic.modules import Module
from civic.registry import queries
from civic.security import can, ensure_permission
from civic.templating import render
from civic.web import actor, db, view

PAGE = 50


@view
def log(request: Request):
    who = actor(request)
    session = db(request)
    code = request.query_params.get("community", "")
    community = queries.community_by_code(session, code) if code else None
    if code and community is None:
        raise NotFound(_("No such community."))
    ensure_permission(who, "audit:log:view", community)
    query = select(AuditEntry)
    if community is not None:
        query = query.where(AuditEntry.community_id == community.id)
    elif not who.has_role("admin"):
        # Without a community chosen: every community the user may supervise (system-wide entries: admins only).
        allowed = [row["community"].id for row in queries.communities_overview(session) if can(who, "audit:log:view", row["community"])]
        query = query.where(AuditEntry.community_id.in_(allowed))
    action = request.query_params.get("action", "").strip()
    if action:
        query = query.where(AuditEntry.action.startswith(action[:80]))
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    entries = list(session.execute(query.order_by(AuditEntry.seq.desc()).limit(PAGE).offset((page - 1) * PAGE)).scalars())
    user_ids = {e.actor_id for e in entries} | {e.on_behalf_of_id for e in entries}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_([u for u in user_ids if u]))).all())
    rows = [{"entry": e, "actor": names.get(e.actor_id, _("system")), "for": names.get(e.on_behalf_of_id), "data": json.loads(e.data or "{}")} for e in entries]
    problems = verify_audit_chain(session) if request.query_params.get("verify") == "1" and who.has_role("admin") else None
    return render(request, "audit/log.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PAGE)), "community": community, "action": action,
        "communities": queries.communities_overview(session), "problems": problems,
    })


MODULE = Module(
    name="audit",
    title=N_("Audit log"),
    description=N_("Every change, who made it and when, in a tamper-evident chain"),
    routes=[Route("/", log, name="log")],
    permissions={"audit:log:view": {"street_supervisor", "supervision_committee"}},
    in_nav=False,
)
