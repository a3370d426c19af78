"""Form parsing for the election pages: validation only, returning (clean values, {field: message})."""
from __future__ import annotations

import datetime as dt
import re

from starlette.datastructures import FormData

from civic.elections import rules
from civic.elections.models import MODES, PURPOSES
from civic.elections.setup import SCHEDULE_FIELDS, ElectionInput, default_schedule
from civic.i18n import _

CHOICES = ("approve", "oppose", "abstain")
SPLIT_NAMES = re.compile(r"[,，、;；\n]+")
SPLIT_NUMBERS = re.compile(r"[\s,，、;；.。]+")


def to_int(value, default: int | None = None, *, low: int | None = None, high: int | None = None) -> int | None:
    """An int from user input, or `default` (never raises: bad input is the user's, not a 500)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    if (low is not None and number < low) or (high is not None and number > high):
        return default
    return number


def to_date(value) -> dt.date | None:
    """A date of an election's procedure; None when it is not one (or absurdly far off: deadlines counted
    from year 9999 would overflow)."""
    try:
        day = dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2200 else None


def election_form(form: FormData, config: dict) -> tuple[ElectionInput | None, dict, dict[str, str]]:
    """The set-up form: blank schedule dates take the latest legal date counted back from polling day."""
    values = {k: (form.get(k) or "").strip() for k in ("title", "purpose", "mode", "polling_day", "seat_chair", "seat_vice", "seat_member",
                                                      *[f for f in SCHEDULE_FIELDS if f != "polling_day"])}
    values["online_enabled"] = form.get("online_enabled") == "1"
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Give the election a title.")
    if values["purpose"] not in PURPOSES:
        errors["purpose"] = _("Choose a purpose from the list.")
    if values["mode"] not in MODES:
        errors["mode"] = _("Choose an election mode from the list.")
    polling_day = to_date(values["polling_day"])
    if polling_day is None:
        errors["polling_day"] = _("Enter polling day as a date.")
    seats = {}
    for key in ("chair", "vice", "member"):
        raw = values[f"seat_{key}"]
        number = to_int(raw, None, low=0, high=9) if raw else 0
        if number is None:
            errors[f"seat_{key}"] = _("Enter a whole number from 0 to 9.")
        seats[key] = number or 0
    if values["purpose"] == "general" and not any(seats.values()) and "seat_member" not in errors:
        errors["seat_member"] = _("Enter the number of seats.")
    chosen: dict[str, dt.date] = {}
    for field in SCHEDULE_FIELDS:
        if field == "polling_day" or not values[field]:
            continue
        day = to_date(values[field])
        if day is None:
            errors[field] = _("Enter a date, or leave it blank for the latest legal date.")
        else:
            chosen[field] = day
    if errors:
        return None, values, errors
    schedule = {**default_schedule(polling_day, config), **chosen}
    data = ElectionInput(title=values["title"], purpose=values["purpose"], mode=values["mode"], polling_day=polling_day,
                         seats={k: v for k, v in seats.items() if v}, online_enabled=values["online_enabled"], schedule=schedule)
    return data, values, errors


def ballot_from_form(form: FormData, sections: list[dict]) -> tuple[dict, dict]:
    """The online ballot: per section, approve/oppose/abstain per candidate (abstain when unmarked) and the
    write-ins. Returns the ballot and the choices as the form should show them again."""
    ballot, choices = {}, {}
    for section in sections:
        approve, oppose = [], []
        for candidate in section["candidates"]:
            value = form.get(f"v-{section['id']}-{candidate['id']}", "abstain")
            value = value if value in CHOICES else "abstain"
            choices[f"v-{section['id']}-{candidate['id']}"] = value
            if value == "approve":
                approve.append(candidate["id"])
            elif value == "oppose":
                oppose.append(candidate["id"])
        writes = [w.strip()[:50] for w in form.getlist(f"w-{section['id']}")[: section["seats"] * 2] if w and w.strip()]
        choices[f"w-{section['id']}"] = writes
        ballot[section["id"]] = {"approve": approve, "oppose": oppose, "write_in": writes}
    return ballot, choices


def count_entry(form: FormData, sections: list[dict]) -> tuple[dict | None, dict, dict[str, str]]:
    """One paper ballot as read out (唱票): per section the numbers of the candidates marked approve
    ("1 3 4"; "-2" or "x2" for oppose) and write-in names separated by commas. `invalid` = the whole
    ballot is invalid. Overvoted sections are entered as read: the count invalidates them."""
    values = {}
    if form.get("invalid") == "1":
        return None, values, {}
    errors: dict[str, str] = {}
    ballot = {}
    for section in sections:
        raw = (form.get(f"n-{section['id']}") or "").strip()[:200]
        writes_raw = (form.get(f"w-{section['id']}") or "").strip()[:500]
        values[f"n-{section['id']}"], values[f"w-{section['id']}"] = raw, writes_raw
        approve, oppose = [], []
        for token in (t for t in SPLIT_NUMBERS.split(raw) if t):
            negative = token[0] in "-xX×✕"
            number = to_int(token[1:] if negative else token, None, low=1, high=len(section["candidates"]))
            if number is None:
                errors[f"n-{section['id']}"] = _("“%(token)s” is not a candidate number of %(office)s (1 to %(n)s).",
                                                 token=token, office=section["title"], n=len(section["candidates"]))
                break
            candidate = section["candidates"][number - 1]["id"]
            (oppose if negative else approve).append(candidate)
        writes = [w.strip()[:50] for w in SPLIT_NAMES.split(writes_raw) if w.strip()]
        ballot[section["id"]] = {"approve": sorted(set(approve)), "oppose": sorted(set(oppose)), "write_in": writes}
        if not errors.get(f"n-{section['id']}") and set(approve) & set(oppose):
            errors[f"n-{section['id']}"] = _("A candidate cannot be both approved and opposed (%(office)s).", office=section["title"])
    return ballot, values, errors


def tally_form(form: FormData, sections: list[dict]) -> tuple[dict | None, dict, dict[str, str]]:
    """A box counted as a whole: ballots returned and invalid, and per section the invalid parts, the votes
    per candidate and write-ins ("name: votes" per line)."""
    values = {k: (v or "").strip()[:2000] for k, v in form.items() if k != "csrftoken" and isinstance(v, str)}
    errors: dict[str, str] = {}
    returned = to_int(values.get("returned"), None, low=0, high=10**6)
    invalid = to_int(values.get("invalid") or "0", None, low=0, high=10**6)
    if returned is None:
        errors["returned"] = _("Enter a whole number.")
    if invalid is None:
        errors["invalid"] = _("Enter a whole number.")
    tally = {"returned": returned, "invalid": invalid, "sections": {}}
    for section in sections:
        sid = section["id"]
        part_invalid = to_int(values.get(f"{sid}-invalid") or "0", None, low=0, high=10**6)
        if part_invalid is None:
            errors[f"{sid}-invalid"] = _("Enter a whole number.")
        votes = {}
        for candidate in section["candidates"]:
            key = f"{sid}-{candidate['id']}"
            number = to_int(values.get(key) or "0", None, low=0, high=10**6)
            if number is None:
                errors[key] = _("Enter a whole number.")
            elif number:
                votes[candidate["id"]] = number
        write_in = {}
        for line in (values.get(f"{sid}-write") or "").splitlines():
            if not line.strip():
                continue
            name, sep, count = line.replace("：", ":").rpartition(":")
            number = to_int(count, None, low=1, high=10**6) if sep else None
            if not sep or number is None or not rules.normalise_name(name):
                errors[f"{sid}-write"] = _("Write one “name: votes” per line.")
                break
            key = rules.normalise_name(name)
            write_in[key] = write_in.get(key, 0) + number
        tally["sections"][sid] = {"invalid": part_invalid or 0, "votes": votes, "write_in": write_in}
    if errors:
        return None, values, errors
    return tally, values, errors


def boxes_form(form: FormData) -> tuple[list[dict], dict, dict[str, str]]:
    """Polling stations (one name per line) and mobile boxes (one per line: name | escorting staff, comma separated)."""
    values = {"stations": (form.get("stations") or "").strip()[:2000], "mobile": (form.get("mobile") or "").strip()[:2000]}
    boxes = [{"kind": "station", "name": line.strip()[:100]} for line in values["stations"].splitlines() if line.strip()]
    errors: dict[str, str] = {}
    for line in values["mobile"].splitlines():
        if not line.strip():
            continue
        name, sep, escorts = line.replace("｜", "|").partition("|")
        if not sep or len([e for e in re.split(r"[,，、]", escorts) if e.strip()]) < 3:
            errors["mobile"] = _("A mobile box is escorted by at least 3 staff; write “name | staff, staff, staff” (E25).")
            break
        boxes.append({"kind": "mobile", "name": name.strip()[:100], "escorts": "，".join(e.strip() for e in re.split(r"[,，、]", escorts) if e.strip())})
    if not errors and not any(b["kind"] == "station" for b in boxes):
        errors["stations"] = _("Set up at least one polling station: paper ballots are always available.")
    return boxes, values, errors


SIGNATORY_ROLES = ("presiding", "callers", "counters", "scrutineers")


def signatories_form(form: FormData) -> tuple[dict, dict[str, str]]:
    values = {k: (form.get(k) or "").strip()[:300] for k in SIGNATORY_ROLES}
    errors = {}
    for key in SIGNATORY_ROLES:
        if not values[key]:
            errors[key] = _("Name who signs the count record in this role (E36).")
    return values, errors


def recall_form(form: FormData) -> tuple[dict, dict[str, str]]:
    """A recall request: the members (keys of the original result) and the reasons."""
    values = {"members": [m[:60] for m in form.getlist("members")][:20], "reasons": (form.get("reasons") or "")[:4000]}
    errors = {}
    if not values["members"]:
        errors["members"] = _("Choose the members whose recall you request.")
    if len(values["reasons"].strip()) < 10:
        errors["reasons"] = _("Give the reasons for the recall (at least %(n)s characters).", n=10)
    return values, errors


def vote_form(form: FormData) -> tuple[dict, dict[str, str]]:
    """A recall vote or a by-election: title, polling day, online voting."""
    values = {"title": (form.get("title") or "").strip()[:200], "polling_day": (form.get("polling_day") or "").strip()[:10],
              "online_enabled": form.get("online_enabled") == "1"}
    errors = {}
    if not values["title"]:
        errors["title"] = _("Give the election a title.")
    day = to_date(values["polling_day"])
    if day is None:
        errors["polling_day"] = _("Enter the polling day as a date (YYYY-MM-DD).")
    else:
        from civic import clock

        today = clock.today()
        if day < today or day.year > today.year + 10:
            errors["polling_day"] = _("Choose a polling day from today on, within the term.")
    return values, errors
