"""Pure rules of public disclosure (DOMAIN.md section 2): categories, notice periods counted per Civil
Code Art 201, the 15-day display minimum (D3), the schedule of what is due (D4), statuses, numbering (O6)
and masking of personal data in public lists (D6, O4). No I/O: everything here is a function of its input.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

from civic.disclosure.holidays import HolidayCalendar
from civic.i18n import N_
from civic.registry.rules import mask_id, mask_name, mask_phone

DAY = dt.timedelta(days=1)


# --- categories -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Category:
    code: str
    title: str  # msgid
    requires_review: bool  # the supervision committee signs off before publication (section 3 of the issue)
    schedule_key: str | None  # rules-profile key giving "at least every … months"; None: published as it happens
    names: str  # "full" or "masked": how personal names appear in public lists
    notice_key: str | None = None  # rules-profile key giving a default notice period (公示期)


CATEGORIES: dict[str, Category] = {c.code: c for c in (
    Category("finance", N_("Finances: income and expenditure"), True, "disclosure.finance_every_months", "masked"),
    Category("dibao", N_("Minimum living allowance (低保)"), True, "disclosure.general_every_months", "full", "disclosure.dibao_notice_days"),
    Category("subsidies", N_("Subsidies and relief"), True, "disclosure.general_every_months", "full"),
    Category("assets", N_("Collective assets and contracts"), True, "disclosure.general_every_months", "full"),
    Category("fees", N_("Fees and charges"), False, "disclosure.general_every_months", "masked"),
    Category("construction", N_("Construction projects"), True, None, "full"),
    Category("decisions", N_("Major decisions"), False, None, "masked"),
    Category("party", N_("Party affairs"), False, "disclosure.general_every_months", "full"),
    Category("services", N_("Government services"), False, "disclosure.general_every_months", "masked"),
    Category("audit", N_("Audit results"), True, None, "full"),
    Category("other", N_("Other matters of general concern"), False, None, "masked"),
)}
NAME_DISPLAYS = ("full", "masked")


# --- notice periods and display (Civil Code Art 201: the first day is not counted) -----------------

def notice_end(start: dt.date, days: int, *, working_days: bool, extend_on_holiday: bool, calendar: HolidayCalendar) -> dt.date:
    """Last day of a period of `days` days that starts on `start` (published that day).

    Counting begins the next day. Counting working days skips weekends and holidays and honours make-up
    working days; otherwise a period ending on a day off ends on the next working day when configured.
    """
    if days < 1:
        raise ValueError("a notice period has at least one day")
    if working_days:
        day, counted = start, 0
        while counted < days:
            day += DAY
            if calendar.is_working_day(day):
                counted += 1
        return day
    end = start + days * DAY
    if extend_on_holiday:
        while not calendar.is_working_day(end):
            end += DAY
    return end


def extend_notice(current_end: dt.date, extra_days: int, *, working_days: bool, extend_on_holiday: bool, calendar: HolidayCalendar) -> dt.date:
    """An extension runs on from the current end, counted the same way."""
    return notice_end(current_end, extra_days, working_days=working_days, extend_on_holiday=extend_on_holiday, calendar=calendar)


def earliest_takedown(display_from: dt.date, min_days: int, notice_ends_on: dt.date | None = None) -> dt.date:
    """First day an item may come down: after `min_days` full days on display (D3) and after its notice period."""
    earliest = display_from + (min_days + 1) * DAY
    if notice_ends_on is not None:
        earliest = max(earliest, notice_ends_on + DAY)
    return earliest


# --- status -------------------------------------------------------------------------------------------

STATUSES = {
    "draft": N_("Draft"),
    "in_review": N_("Awaiting review"),
    "scheduled": N_("Scheduled"),
    "in_notice": N_("In notice period"),
    "objections_pending": N_("Objections pending"),
    "published": N_("On the board"),
    "final": N_("Notice period over"),
    "withdrawn": N_("Taken down"),
}


def disclosure_status(*, published_on: dt.date | None, today: dt.date, notice_ends_on: dt.date | None,
                      pending_objections: int, withdrawn: bool, in_review: bool = False) -> str:
    if withdrawn:
        return "withdrawn"
    if published_on is None:
        return "in_review" if in_review else "draft"
    if today < published_on:
        return "scheduled"
    if notice_ends_on is not None and today <= notice_ends_on:
        return "in_notice"
    if pending_objections:
        return "objections_pending"
    return "final" if notice_ends_on is not None else "published"


def may_object(*, published_on: dt.date | None, today: dt.date, notice_ends_on: dt.date | None, withdrawn: bool) -> bool:
    """Objections (异议) are taken while the notice period runs."""
    return (not withdrawn and published_on is not None and notice_ends_on is not None
            and published_on <= today <= notice_ends_on)


# --- numbering (第N号公告) ---------------------------------------------------------------------------

def next_number(used: list[int]) -> int:
    return max(used, default=0) + 1


# --- the schedule (D4) ----------------------------------------------------------------------------------

ALLOWED_EVERY = (1, 2, 3, 4, 6, 12)  # periods that tile a calendar year


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - DAY


def period_of(day: dt.date, every_months: int) -> Period:
    if every_months not in ALLOWED_EVERY:
        raise ValueError(f"every_months must be one of {ALLOWED_EVERY}")
    first_month = (day.month - 1) // every_months * every_months + 1
    return Period(dt.date(day.year, first_month, 1), _month_end(day.year, first_month + every_months - 1))


def periods(year: int, every_months: int) -> list[Period]:
    return [period_of(dt.date(year, month, 1), every_months) for month in range(1, 13, every_months)]


def due_on(period: Period, grace_days: int) -> dt.date:
    """The period's disclosure is due `grace_days` after it ends (e.g. March's accounts by 10 April)."""
    return period.end + grace_days * DAY


SCHEDULE_STATUSES = {
    "done": N_("Done"),
    "upcoming": N_("Upcoming"),
    "open": N_("Period running"),
    "due": N_("Due"),
    "overdue": N_("Overdue"),
    "not_owed": N_("Before the schedule"),
}


def period_status(period: Period, grace_days: int, covered: bool, today: dt.date, starts_on: dt.date | None = None) -> str:
    """A period that ended before the schedule started is not owed (unless something was published for it)."""
    if covered:
        return "done"
    if starts_on is not None and period.end < starts_on:
        return "not_owed"
    if today < period.start:
        return "upcoming"
    if today <= period.end:
        return "open"
    if today <= due_on(period, grace_days):
        return "due"
    return "overdue"


def period_label_parts(period: Period, every_months: int) -> dict:
    """Data for a translated label: monthly → 2026-03, quarterly → Q1 2026, otherwise a date range."""
    if every_months == 1:
        return {"kind": "month", "year": period.start.year, "month": period.start.month}
    if every_months == 3:
        return {"kind": "quarter", "year": period.start.year, "quarter": (period.start.month - 1) // 3 + 1}
    if every_months == 12:
        return {"kind": "year", "year": period.start.year}
    return {"kind": "range", "year": period.start.year, "first": period.start.month, "last": period.end.month}


# --- tables and masking (D6, O4) ------------------------------------------------------------------------

MAX_COLUMNS, MAX_ROWS, MAX_CELL = 30, 3000, 500

# Header keywords (Chinese and English) → what the column holds. The first match wins, in this order.
_KINDS = (
    ("health", ("病", "健康", "残疾", "诊断", "身体状况", "health", "disab", "illness", "diagnos")),
    ("id", ("身份证", "证件号", "公民身份号码", "id number", "id card", "id_number")),
    ("phone", ("电话", "手机", "联系方式", "phone", "mobile", "tel")),
    ("address", ("地址", "住址", "门牌", "住所", "address")),
    ("name", ("姓名", "名字", "户主", "申请人", "联系人", "收款人", "name")),
)
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def column_kind(header: str) -> str:
    text = (header or "").strip().lower()
    for kind, words in _KINDS:
        if any(word in text for word in words):
            return kind
    return "plain"


def mask_address(value: str) -> str:
    """Keep the street part only: 安和路88号3幢2单元301 → 安和路88号****."""
    value = (value or "").strip()
    if not value:
        return ""
    match = re.search(r"[号弄巷]", value)
    keep = match.end() if match and match.end() < len(value) else max(1, min(6, len(value) // 2))
    return value[:keep] + "****"


def scrub_text(text: str) -> str:
    """ID-card and mobile numbers inside free text are masked wherever they appear."""
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text or "")
    return _MOBILE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def mask_cell(kind: str, value: str, names: str) -> str:
    value = "" if value is None else str(value)
    if kind == "id":
        return mask_id(value) if value.strip() else ""
    if kind == "phone":
        return mask_phone(value.strip())
    if kind == "address":
        return mask_address(value)
    if kind == "name" and names == "masked":
        return mask_name(value.strip())
    return scrub_text(value)


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]

    def to_json(self) -> dict:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows]}

    @classmethod
    def from_json(cls, data: dict | None) -> "Table | None":
        if not data or not data.get("columns"):
            return None
        return cls([str(c) for c in data["columns"]], [[str(c) for c in row] for row in data.get("rows", [])])


def public_table(table: Table | None, names: str) -> Table | None:
    """The table as the public sees it: health columns dropped, IDs, phones, addresses (and names where
    the category says so) masked, stray ID or mobile numbers in other cells masked too."""
    if table is None:
        return None
    kinds = [column_kind(c) for c in table.columns]
    keep = [i for i, kind in enumerate(kinds) if kind != "health"]
    return Table(
        [table.columns[i] for i in keep],
        [[mask_cell(kinds[i], row[i] if i < len(row) else "", names) for i in keep] for row in table.rows],
    )


class TableProblem(ValueError):
    """A reason code and its parameters (translated by the caller)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def _split(line: str) -> list[str]:
    if "\t" in line:
        cells = line.split("\t")
    elif "|" in line:
        cells = line.strip().strip("|").split("|")
    else:
        cells = re.split(r"[,，]", line)
    return [c.strip() for c in cells]


def normalise_table(columns: list[str], rows: list[list[str]]) -> Table:
    """Trims, pads short rows, drops empty rows, enforces the limits."""
    columns = [str(c if c is not None else "").strip() for c in columns]
    while columns and not columns[-1]:
        columns.pop()
    if not columns:
        raise TableProblem("no_header")
    if len(columns) > MAX_COLUMNS:
        raise TableProblem("too_many_columns", max=MAX_COLUMNS)
    if any(not c for c in columns):
        raise TableProblem("empty_header", column=columns.index("") + 1)
    clean: list[list[str]] = []
    for line, row in enumerate(rows, start=2):
        cells = ["" if c is None else str(c).strip() for c in row]
        if not any(cells):
            continue
        if len(cells) > len(columns) and any(cells[len(columns):]):
            raise TableProblem("too_many_cells", line=line, n=len(columns))
        cells = (cells + [""] * len(columns))[: len(columns)]
        if any(len(c) > MAX_CELL for c in cells):
            raise TableProblem("cell_too_long", line=line, max=MAX_CELL)
        clean.append(cells)
        if len(clean) > MAX_ROWS:
            raise TableProblem("too_many_rows", max=MAX_ROWS)
    return Table(columns, clean)


def parse_pasted_table(text: str) -> Table | None:
    """Rows pasted from a spreadsheet (tabs), or written with | or commas; the first line is the header."""
    lines = [line for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        return None
    return normalise_table(_split(lines[0]), [_split(line) for line in lines[1:]])


def table_as_text(table: Table | None) -> str:
    if table is None:
        return ""
    return "\n".join("\t".join(row) for row in [table.columns, *table.rows])


# --- versions: what a diff compares ---------------------------------------------------------------------

def version_lines(title: str, body: str, table: Table | None, attachments: list[str],
                  title_label: str = "Title: ", attachment_label: str = "Attachment: ") -> list[str]:
    lines = [f"{title_label}{title}"] + (body or "").replace("\r\n", "\n").split("\n")
    if table is not None:
        lines += [""] + [" | ".join(table.columns)] + [" | ".join(row) for row in table.rows]
    if attachments:
        lines += [""] + [f"{attachment_label}{name}" for name in attachments]
    return lines


def diff_lines(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    """[(op, line)] with op in "same", "added", "removed": a line diff (difflib), removals before additions."""
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            out += [("same", line) for line in old[i1:i2]]
            continue
        out += [("removed", line) for line in old[i1:i2]]
        out += [("added", line) for line in new[j1:j2]]
    return out


def search_text(title: str, body_plain: str, table: Table | None, attachment_titles: list[str]) -> str:
    """What full-text search reads: the public rendition only, so search can never reveal masked data."""
    parts = [scrub_text(title), scrub_text(body_plain)]
    if table is not None:
        parts.append(" ".join(table.columns))
        parts += [" ".join(row) for row in table.rows]
    parts += [scrub_text(t) for t in attachment_titles]
    return "\n".join(p for p in parts if p)
