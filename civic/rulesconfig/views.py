"""The rules profile: public read, administrators edit (a new version each time)."""
from __future__ import annotations

import json

from sqlalchemy import select
from starlette.requests import Request
from starlette.routing import Route

from civic.i18n import _
from civic.rulesconfig import services
from civic.rulesconfig.defaults import REGIMES, SPEC, defaults
from civic.rulesconfig.models import RuleProfile, RuleVersion
from civic.rulesconfig.rules import parse_value, show_value
from civic.security import ensure_permission
from civic.templating import render
from civic.web import actor, db, form, redirect, view


def _profile(request: Request) -> RuleProfile | None:
    return db(request).execute(select(RuleProfile).order_by(RuleProfile.id).limit(1)).scalar_one_or_none()


def _defaults_version() -> RuleVersion:
    """Shown before any profile exists: the documented defaults, as an unsaved version 0."""
    return RuleVersion(version=0, legal_regime="2025", values=json.dumps(defaults()), note="")


def _context(request: Request, profile, version, values, errors=None, note=""):
    history = []
    if profile is not None:
        history = db(request).execute(select(RuleVersion).where(RuleVersion.profile_id == profile.id).order_by(RuleVersion.version.desc())).scalars()
    return {"profile": profile, "version": version, "values": values, "spec": SPEC, "regimes": REGIMES, "show_value": show_value,
            "errors": errors or {}, "history": list(history), "note": note}


@view
def show(request: Request):
    profile = _profile(request)
    version = services.current_version(db(request), profile) if profile else _defaults_version()
    return render(request, "rulesconfig/show.html", _context(request, profile, version, services.rules_of(version).values))


@view
def edit(request: Request):
    profile = _profile(request)
    who = actor(request)
    ensure_permission(who, "rules:profile:edit")
    version = services.current_version(db(request), profile) if profile else _defaults_version()
    if request.method == "GET":
        return render(request, "rulesconfig/edit.html", _context(request, profile, version, services.rules_of(version).values))
    data = form(request)
    values, errors = {}, {}
    for key, (_default, kind, _rule, _label) in SPEC.items():
        raw = str(data.get(key, ""))
        try:
            values[key] = parse_value(kind, raw)
        except ValueError:
            values[key] = raw
            errors[key] = _("This is not a valid value.")
    regime = str(data.get("legal_regime", ""))
    note = str(data.get("note", ""))
    if not errors:
        try:
            if profile is None:
                profile = services.ensure_profile(db(request), _("Default rules"), "", None)
            services.save_version(db(request), who, profile, values, regime, note)
            return redirect(request.url_for("rules:show"))
        except services.RulesInvalid as invalid:
            db(request).rollback()
            errors = invalid.errors
    shown = {k: (show_value(SPEC[k][1], v) if isinstance(v, list) else v) for k, v in values.items()}
    return render(request, "rulesconfig/edit.html", _context(request, profile, version, shown, errors, note), status=422)


routes = [Route("/", show, name="show")]
admin_routes = [Route("/", edit, methods=["GET", "POST"], name="edit")]
