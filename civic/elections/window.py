"""The online voting window (E26): the election committee switches online voting on or off and sets when it
opens and closes, before polling opens. Times are entered and shown in Asia/Shanghai and stored in UTC."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from civic import audit
from civic.elections import messages, rules, setup
from civic.elections.models import Election
from civic.errors import Invalid
from civic.i18n import TZ, _
from civic.registry.models import Community
from civic.security import Actor, ensure_permission

MANAGE = "elections:election:manage"
BEFORE_POLLING = ("setup", "roll", "nomination", "candidates")


def parse_local(value: str | None) -> dt.datetime | None:
    """A date-time as typed in a datetime-local field (Shanghai time) → an aware UTC datetime, or None."""
    text = (value or "").strip()[:30]
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise ValueError(text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(dt.timezone.utc)


def local_value(moment: dt.datetime | None) -> str:
    """The value of a datetime-local field for a stored UTC time."""
    return moment.astimezone(TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def window_problems(election: Election, enabled: bool, opens: dt.datetime | None, closes: dt.datetime | None) -> dict[str, str]:
    """{field: message} for a window that breaks E26 or the rules the election runs under."""
    config = setup.config_of(election)
    errors: dict[str, str] = {}
    if enabled and not config.get("elections.online_voting", True):
        errors["enabled"] = _("The rules this election runs under do not allow online voting (E26).")
    if enabled and opens is None:
        errors["opens"] = _("Enter when online voting opens.")
    if enabled and closes is None:
        errors["closes"] = _("Enter when online voting closes.")
    if opens and closes and closes <= opens:
        errors["closes"] = _("Online voting must close after it opens.")
    if opens and closes and not errors:
        last_moment = closes - dt.timedelta(microseconds=1)  # closing at midnight ends on the day before
        steps = {"polling_day": election.polling_day, "online_opens": opens.astimezone(TZ).date(),
                 "online_closes": last_moment.astimezone(TZ).date()}
        if election.candidates_published_on:
            steps["candidates_published"] = election.candidates_published_on
        for code, params in rules.check_schedule(steps, config):
            if code.startswith("online-"):
                errors["closes" if code == "online-closes-late" else "opens"] = messages.violation(code, params)
    return errors


def set_online_window(db: Session, actor: Actor, election: Election, community: Community, enabled: bool,
                      opens: dt.datetime | None, closes: dt.datetime | None) -> None:
    ensure_permission(actor, MANAGE, community)
    setup.require_status(election, *BEFORE_POLLING)
    errors = window_problems(election, enabled, opens, closes)
    if errors:
        raise WindowInvalid(errors)
    before = {"enabled": election.online_enabled, "opens": _iso(election.online_opens_at), "closes": _iso(election.online_closes_at)}
    election.online_enabled, election.online_opens_at, election.online_closes_at = enabled, opens, closes
    audit.record(db, "elections.online_window.set", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"enabled": enabled, "opens": _iso(opens), "closes": _iso(closes), "before": before})
    db.commit()


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.timezone.utc).isoformat() if moment else None


class WindowInvalid(Invalid):
    def __init__(self, errors: dict[str, str]):
        super().__init__(_("The online voting window cannot be set like this:") + " " + "；".join(errors.values()))
        self.errors = errors
