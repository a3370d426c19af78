"""Validation of a rules profile: pure functions returning {key: message}."""
from __future__ import annotations

import datetime as dt
import re

from civic.i18n import _
from civic.rulesconfig.defaults import REGIMES, SPEC


SPLIT_DATES = re.compile(r"[\s,，、;；]+")


def parse_dates(raw: str) -> list[str]:
    """ISO dates separated by spaces, commas or new lines → sorted ISO strings (ValueError when one is not a date)."""
    return sorted({dt.date.fromisoformat(token).isoformat() for token in SPLIT_DATES.split(raw or "") if token})


def show_value(kind: str, value) -> str:
    """A value as the edit form shows it."""
    if kind == "fraction" and isinstance(value, list) and len(value) == 2:
        return f"{value[0]}/{value[1]}"
    if kind == "dates" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _is_date_list(value) -> bool:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return False
    try:
        return all(dt.date.fromisoformat(v).isoformat() == v for v in value)
    except ValueError:
        return False


def parse_value(kind: str, raw: str):
    raw = (raw or "").strip()
    if kind == "dates":
        return parse_dates(raw)
    if kind == "bool":
        return raw in ("1", "on", "true", "yes")
    if kind == "fraction":
        num, _sep, den = raw.partition("/")
        return [int(num), int(den)]
    return int(raw)


def validate(values: dict, regime: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if regime not in REGIMES:
        errors["legal_regime"] = _("Choose the 2025 or the 2018 law.")
    for key, (_default, kind, _rule, _label) in SPEC.items():
        value = values.get(key)
        if kind.startswith("int:"):
            low, high = (int(x) for x in kind.split(":")[1:])
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                errors[key] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        elif kind == "percent":
            if not isinstance(value, int) or not 0 <= value <= 100:
                errors[key] = _("Enter a percentage from 0 to 100.")
        elif kind == "fraction":
            if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value) and 0 < value[0] < value[1]):
                errors[key] = _("Enter a fraction such as 1/2.")
        elif kind == "bool" and not isinstance(value, bool):
            errors[key] = _("Choose yes or no.")
        elif kind == "dates" and not _is_date_list(value):
            errors[key] = _("Enter dates such as 2026-10-01, separated by commas.")
    weights = [values.get(k) for k in ("appraisal.weight_street", "appraisal.weight_party_reps", "appraisal.weight_resident_reps")]
    if all(isinstance(w, int) for w in weights) and sum(weights) != 100:
        errors["appraisal.weight_resident_reps"] = _("The three weights must add up to 100 %% (now %(sum)s %%).", sum=sum(weights))
    if isinstance(values.get("elections.vice_chairs_min"), int) and isinstance(values.get("elections.vice_chairs_max"), int):
        if values["elections.vice_chairs_min"] > values["elections.vice_chairs_max"]:
            errors["elections.vice_chairs_max"] = _("The maximum cannot be below the minimum.")
    ints = {k: values.get(k) for k in ("elections.seats_min", "elections.seats_max", "elections.candidate_list_days",
                                        "elections.candidate_final_days") if isinstance(values.get(k), int)}
    if len(ints) == 4 and ints["elections.seats_min"] > ints["elections.seats_max"]:
        errors["elections.seats_max"] = _("The maximum cannot be below the minimum.")
    if len(ints) == 4 and ints["elections.candidate_final_days"] > ints["elections.candidate_list_days"]:
        errors["elections.candidate_final_days"] = _("The backfilled list comes after the first list: at most %(n)s days before.",
                                                     n=ints["elections.candidate_list_days"])
    if isinstance(values.get("elections.margin_member_min"), int) and isinstance(values.get("elections.margin_member_max"), int):
        if values["elections.margin_member_min"] > values["elections.margin_member_max"]:
            errors["elections.margin_member_max"] = _("The maximum cannot be below the minimum.")
    return errors
