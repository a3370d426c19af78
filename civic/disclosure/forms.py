"""Validation of disclosure forms: clean values and {field: message}; nothing here writes."""
from __future__ import annotations

import datetime as dt

from civic.disclosure import rules
from civic.disclosure.services import ItemValues, table_problem_message
from civic.i18n import _

MAX_TITLE, MAX_BODY = 200, 50_000


def _date(raw: str | None) -> dt.date | None:
    """None when empty; ValueError when not YYYY-MM-DD."""
    raw = (raw or "").strip()
    return dt.date.fromisoformat(raw) if raw else None


def parse_int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 6:
        raise ValueError
    return int(raw)


def parse_item(form, categories: dict, *, correction: bool = False) -> tuple[ItemValues | None, dict[str, str], dict]:
    """Returns (values or None, errors, the raw values to show again)."""
    raw = {k: (form.get(k) or "") for k in ("category", "title", "body", "table_text", "notice_days", "period_start")}
    raw["is_leaving_audit"] = form.get("is_leaving_audit") in ("1", "on", "true")
    errors: dict[str, str] = {}
    title = raw["title"].strip()
    if not title:
        errors["title"] = _("Give the notice a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("Keep the title to %(n)s characters.", n=MAX_TITLE)
    body = raw["body"].replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        errors["body"] = _("Keep the text to %(n)s characters.", n=f"{MAX_BODY:,}")
    category = raw["category"]
    if not correction and (category not in categories or not categories[category].active):
        errors["category"] = _("Choose one of the categories.")
    table = None
    try:
        table = rules.parse_pasted_table(raw["table_text"])
    except rules.TableProblem as problem:
        errors["table_text"] = table_problem_message(problem)
    notice_days = period_start = None
    try:
        notice_days = parse_int(raw["notice_days"])
        if notice_days is not None and not 1 <= notice_days <= 60:
            raise ValueError
    except ValueError:
        errors["notice_days"] = _("Enter a notice period of 1 to 60 days, or leave it empty.")
    try:
        period_start = _date(raw["period_start"])
    except ValueError:
        errors["period_start"] = _("Choose a period from the list.")
    if errors:
        return None, errors, raw
    return ItemValues(category, title, body, table, notice_days, period_start, bool(raw["is_leaving_audit"])), {}, raw


def parse_date_field(form, name: str) -> tuple[dt.date | None, str | None]:
    try:
        return _date(form.get(name)), None
    except ValueError:
        return None, _("Enter a date as YYYY-MM-DD.")
