"""Reading and versioning rule profiles."""
from __future__ import annotations

import json
import weakref
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civic import audit
from civic.errors import Invalid, NotFound
from civic.i18n import _
from civic.rulesconfig.defaults import SPEC, defaults
from civic.rulesconfig.models import RuleProfile, RuleVersion
from civic.rulesconfig.rules import validate
from civic.security import Actor, ensure_permission


@dataclass(frozen=True)
class Rules:
    """The numbers one procedure runs under, frozen at its start (version_id is stored with it)."""

    version_id: int | None
    legal_regime: str
    values: dict

    def __getitem__(self, key: str):
        return self.values[key]

    def copy(self) -> "Rules":
        """With its own values: a caller may change them without touching a kept version."""
        return Rules(self.version_id, self.legal_regime, dict(self.values))


def current_version(db: Session, profile: RuleProfile) -> RuleVersion:
    return db.execute(
        select(RuleVersion).where(RuleVersion.profile_id == profile.id).order_by(RuleVersion.version.desc()).limit(1)
    ).scalar_one()


def rules_of(version: RuleVersion) -> Rules:
    values = defaults(version.legal_regime)
    values.update(json.loads(version.values))
    return Rules(version.id, version.legal_regime, values)


def current_rules(db: Session, district_id: int | None = None) -> Rules:
    """The newest version of the district's profile (the first profile when no district is given).

    On a page's read session (civic.web.db puts the write generations it read first in `db.info`), the answer
    is kept per engine while the "core" generation holds: any committed write to the rules tables bumps it."""
    core = (db.info.get("civic_generations") or {}).get("core")
    kept = _CURRENT.setdefault(db.get_bind(), {}) if core is not None else {}
    generation, found = kept.get(district_id, (None, None))
    if found is None or generation != core:
        query = select(RuleVersion.id).join(RuleProfile, RuleProfile.id == RuleVersion.profile_id)
        if district_id is not None:
            query = query.where(RuleProfile.district_id == district_id)
        version_id = db.execute(query.order_by(RuleProfile.id, RuleVersion.version.desc()).limit(1)).scalar_one_or_none()
        found = Rules(None, "2025", defaults()) if version_id is None else _version(db, version_id)
        if core is not None:
            kept[district_id] = (core, found)
    return found.copy()


def rules_by_version(db: Session, version_id: int | None) -> Rules:
    if version_id is None:
        return Rules(None, "2025", defaults())
    return _version(db, version_id).copy()


def _version(db: Session, version_id: int) -> Rules:
    """A version is never changed once written (a change is a new version): kept per engine, read once.
    The kept object is shared: callers get copies."""
    kept = _VERSIONS.setdefault(db.get_bind(), {})
    found = kept.get(version_id)
    if found is None:
        version = db.get(RuleVersion, version_id)
        if version is None:
            raise NotFound(_("No such rules version."))
        found = kept[version_id] = rules_of(version)
    return found


_VERSIONS: "weakref.WeakKeyDictionary[object, dict[int, Rules]]" = weakref.WeakKeyDictionary()
_CURRENT: "weakref.WeakKeyDictionary[object, dict[int | None, tuple[int, Rules]]]" = weakref.WeakKeyDictionary()


def ensure_profile(db: Session, name: str, region: str, district_id: int | None, regime: str = "2025") -> RuleProfile:
    profile = db.execute(select(RuleProfile).where(RuleProfile.district_id == district_id)).scalar_one_or_none()
    if profile is None:
        profile = RuleProfile(name=name, region=region, district_id=district_id)
        db.add(profile)
        db.flush()
        db.add(RuleVersion(profile_id=profile.id, version=1, legal_regime=regime, values=json.dumps(defaults(regime)), note="defaults"))
        db.flush()
    return profile


def save_version(db: Session, actor: Actor, profile: RuleProfile, values: dict, regime: str, note: str) -> RuleVersion:
    """A new version; the old one stays for procedures that started under it."""
    ensure_permission(actor, "rules:profile:edit")
    errors = validate(values, regime)
    if errors:
        raise RulesInvalid(errors)
    latest = current_version(db, profile)
    version = RuleVersion(
        profile_id=profile.id, version=latest.version + 1, legal_regime=regime,
        values=json.dumps({k: values[k] for k in SPEC}), note=note[:300], created_by=actor.user_id,
    )
    db.add(version)
    audit.record(db, "rules.version.save", actor=actor, target=f"rules:{profile.id}", data={"version": version.version, "regime": regime})
    db.commit()
    return version


class RulesInvalid(Invalid):
    def __init__(self, errors: dict):
        super().__init__(_("Some values are not acceptable; see the marked fields."))
        self.errors = errors
