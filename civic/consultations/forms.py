"""Validation only: each function returns (clean values, {field: message}) and never writes."""
from __future__ import annotations

import datetime as dt
import re

from civic.consultations import rules
from civic.i18n import _

Errors = dict[str, str]


def text(data, name: str, *, required: bool = False, max_len: int = 200, min_len: int = 0, errors: Errors, label_required: str = "") -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        errors[name] = label_required or _("This field is required.")
    elif value and len(value) < min_len:
        errors[name] = _("Write at least %(n)s characters.", n=min_len)
    elif len(value) > max_len:
        errors[name] = _("Write at most %(n)s characters.", n=max_len)
    return value


def choice(data, name: str, options: dict, *, errors: Errors, default: str | None = None) -> str:
    value = str(data.get(name) or (default or "")).strip()
    if value not in options:
        errors[name] = _("Choose one of the options.")
    return value


def integer(data, name: str, *, low: int, high: int, errors: Errors, default: int | None = None) -> int:
    raw = str(data.get(name) or "").strip()
    if not raw and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _("Enter a whole number.")
        return default or 0
    if not low <= value <= high:
        errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
    return value


def date(data, name: str, *, errors: Errors, required: bool = True) -> dt.date | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        if required:
            errors[name] = _("Enter a date.")
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None
    if not 2000 <= value.year <= 2100:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None
    return value


def checkbox(data, name: str) -> bool:
    return str(data.get(name) or "") in ("1", "on", "true", "yes")


def topic(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    clean = {
        "title": text(data, "title", required=True, min_len=4, max_len=120, errors=errors, label_required=_("Give the topic a title.")),
        "body": text(data, "body", required=True, min_len=10, max_len=10000, errors=errors, label_required=_("Describe the matter and what you propose.")),
        "use_alias": checkbox(data, "use_alias"),
    }
    return clean, errors


def recorded_topic(data) -> tuple[dict, Errors]:
    clean, errors = topic(data)
    clean["source"] = choice(data, "source", {k: v for k, v in rules.SOURCES.items() if k != "online"}, errors=errors)
    clean["source_note"] = text(data, "source_note", required=True, max_len=200, errors=errors,
                                label_required=_("Say where the topic came from (letter number, grid, caller)."))
    clean["proposer_name"] = text(data, "proposer_name", max_len=50, errors=errors)
    return clean, errors


def decision(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    verdict = choice(data, "verdict", {"accept": 1, "decline": 1}, errors=errors)
    clean = {"verdict": verdict, "form": "", "reason": text(data, "reason", max_len=2000, errors=errors)}
    if verdict == "accept":
        clean["form"] = choice(data, "form", rules.FORMS, errors=errors)
    elif verdict == "decline" and len(clean["reason"]) < 4 and "reason" not in errors:
        errors["reason"] = _("A topic is only declined with a public reason.")
    return clean, errors


TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def plan(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    clean = {
        "scope": choice(data, "scope", rules.SCOPES, errors=errors),
        "scope_groups": text(data, "scope_groups", max_len=200, errors=errors),
        "scope_buildings": text(data, "scope_buildings", max_len=200, errors=errors),
        "stakeholders_note": text(data, "stakeholders_note", max_len=300, errors=errors),
        "seats": integer(data, "seats", low=0, high=500, errors=errors, default=0),
        "selection_method": choice(data, "selection_method", {"lot": 1, "decision": 1}, errors=errors, default="lot"),
        "meeting_mode": choice(data, "meeting_mode", rules.MODES, errors=errors, default="in_person"),
        "meeting_date": date(data, "meeting_date", errors=errors),
        "meeting_time": text(data, "meeting_time", max_len=5, errors=errors),
        "place": text(data, "place", max_len=200, errors=errors),
        "online_url": text(data, "online_url", max_len=300, errors=errors),
        "capacity": integer(data, "capacity", low=0, high=100000, errors=errors, default=0),
        "signup_closes": date(data, "signup_closes", errors=errors, required=False),
    }
    if clean["meeting_time"] and not TIME.fullmatch(clean["meeting_time"]):
        errors["meeting_time"] = _("Enter the time as HH:MM, e.g. 19:00.")
    if clean["scope"] == "groups" and not [g for g in rules.split_list(clean["scope_groups"]) if g.isdecimal()]:
        errors["scope_groups"] = _("List the numbers of the residents' groups, e.g. 1, 3.")
    if clean["scope"] == "buildings" and not rules.split_list(clean["scope_buildings"]):
        errors["scope_buildings"] = _("List the buildings, e.g. 1幢, 2幢.")
    if clean["online_url"] and not clean["online_url"].startswith(("https://", "http://")):
        errors["online_url"] = _("Enter a web address starting with https://.")
    if clean["meeting_mode"] in ("online", "both") and not clean["online_url"]:
        errors["online_url"] = _("Give the address of the online meeting.")
    if clean["meeting_mode"] in ("in_person", "both") and not clean["place"]:
        errors["place"] = _("Say where the meeting takes place.")
    if clean["signup_closes"] and clean["meeting_date"] and clean["signup_closes"] > clean["meeting_date"]:
        errors["signup_closes"] = _("Sign-up must close on or before the day of the meeting.")
    return clean, errors


def agenda_item(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    clean = {
        "title": text(data, "title", required=True, max_len=120, errors=errors),
        "minutes": integer(data, "minutes", low=1, high=480, errors=errors, default=15),
        "description": text(data, "description", max_len=5000, errors=errors),
    }
    return clean, errors


def signup(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    return {
        "stance": choice(data, "stance", rules.STANCES, errors=errors, default="neutral"),
        "statement": text(data, "statement", max_len=500, errors=errors),
        "use_alias": checkbox(data, "use_alias"),
    }, errors


def participant(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    return {
        "name": text(data, "name", required=True, max_len=50, errors=errors),
        "kind": choice(data, "kind", rules.PARTICIPANT_KINDS, errors=errors),
        "organisation": text(data, "organisation", max_len=100, errors=errors),
        "stance": choice(data, "stance", rules.STANCES, errors=errors, default="neutral"),
    }, errors


def opinion(data, *, staff: bool = False) -> tuple[dict, Errors]:
    errors: Errors = {}
    clean = {
        "body": text(data, "body", required=True, min_len=4, max_len=5000, errors=errors, label_required=_("Write your opinion.")),
        "stance": choice(data, "stance", rules.STANCES, errors=errors, default="neutral"),
        "agenda_item_id": _optional_id(data, "agenda_item_id", errors),
        "use_alias": checkbox(data, "use_alias"),
    }
    if staff:
        clean["author_name"] = text(data, "author_name", required=True, max_len=50, errors=errors,
                                    label_required=_("Whose opinion is it? Give the name."))
        clean["signup_id"] = _optional_id(data, "signup_id", errors)
    return clean, errors


def _optional_id(data, name: str, errors: Errors) -> int | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 12:
        errors[name] = _("Choose one of the options.")
        return None
    return int(raw)


def comment(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    return {
        "body": text(data, "body", required=True, max_len=5000, errors=errors, label_required=_("Write a comment first.")),
        "stance": choice(data, "stance", rules.STANCES, errors=errors, default="neutral"),
        "parent_id": _optional_id(data, "parent_id", errors),
        "use_alias": checkbox(data, "use_alias"),
    }, errors


def report(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    clean = {"reason": choice(data, "reason", rules.REPORT_REASONS, errors=errors), "details": text(data, "details", max_len=500, errors=errors)}
    if clean["reason"] == "other" and not clean["details"] and "details" not in errors:
        errors["details"] = _("Say what is wrong with the comment.")
    return clean, errors


def moderation(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    return {
        "action": choice(data, "action", {"hide": 1, "restore": 1}, errors=errors),
        "reason": text(data, "reason", required=True, min_len=2, max_len=300, errors=errors, label_required=_("Give the reason for the audit log.")),
    }, errors


def answer(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    clean = {
        "disposition": str(data.get("disposition") or ""),
        "answer": text(data, "answer", max_len=5000, errors=errors),
        "referred_to": text(data, "referred_to", max_len=100, errors=errors),
    }
    problem = rules.answer_problem(clean["disposition"], clean["answer"], clean["referred_to"])
    if problem and problem[0] not in errors:
        errors[problem[0]] = _(problem[1])
    return clean, errors


def formal_meeting(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    clean = {
        "kind": choice(data, "kind", rules.FORMAL_KINDS, errors=errors),
        "title": text(data, "title", required=True, max_len=120, errors=errors),
        "composition": str(data.get("composition") or ""),
        "meeting_date": date(data, "meeting_date", errors=errors),
        "place": text(data, "place", required=True, max_len=200, errors=errors),
        "urgent": checkbox(data, "urgent"),
        "urgent_reason": text(data, "urgent_reason", max_len=300, errors=errors),
        "requested": checkbox(data, "requested"),
        "requesters": integer(data, "requesters", low=0, high=1000000, errors=errors, default=0),
        "request_basis": str(data.get("request_basis") or ""),
        "members": integer(data, "members", low=1, high=1000000, errors=errors),
        "representative_members": integer(data, "representative_members", low=0, high=1000000, errors=errors, default=0),
    }
    if clean["kind"] == "residents" and clean["composition"] not in rules.COMPOSITIONS:
        errors["composition"] = _("Choose who makes up the residents' meeting.")
    if clean["urgent"] and len(clean["urgent_reason"]) < 4:
        errors["urgent_reason"] = _("Say why the meeting is urgent.")
    if clean["requested"]:
        if clean["request_basis"] not in rules.REQUEST_BASES:
            errors["request_basis"] = _("Choose who asked for the meeting.")
        if clean["requesters"] <= 0:
            errors["requesters"] = _("Enter how many asked for the meeting.")
    return clean, errors


def formal_votes(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    return {
        "votes_for": integer(data, "votes_for", low=0, high=1000000, errors=errors),
        "votes_against": integer(data, "votes_against", low=0, high=1000000, errors=errors),
        "abstentions": integer(data, "abstentions", low=0, high=1000000, errors=errors, default=0),
    }, errors


def progress(data) -> tuple[dict, Errors]:
    errors: Errors = {}
    return {
        "progress": integer(data, "progress", low=0, high=100, errors=errors),
        "note": text(data, "note", required=True, min_len=4, max_len=3000, errors=errors, label_required=_("Say what was done.")),
    }, errors
