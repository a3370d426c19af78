"""Resident import from .xlsx / .csv: read rows, validate every row, import only a clean file."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook

from civic.i18n import N_, _
from civic.registry.rules import PHONE_RE, birth_date_from_id, gender_from_id, id_problem, normalise_id

# Column headers accepted (Chinese as staff write them, English for the exported template).
COLUMNS = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "公民身份号码", "id_number"),
    "phone": ("手机", "电话", "phone"),
    "group": ("居民小组", "小组", "group"),
    "household": ("户号", "household"),
    "building": ("楼栋", "building"),
    "unit": ("单元", "unit"),
    "room": ("室", "房号", "room"),
    "hukou_here": ("户籍在本社区", "hukou_here"),
    "lives_here": ("居住在本社区", "lives_here"),
    "party_member": ("党员", "party_member"),
    "deprived": ("剥夺政治权利", "deprived_of_political_rights"),
    "household_head": ("户代表", "household_head"),
}
REQUIRED = ("name", "id_number", "group", "household")
EXPORT_HEADERS = ["姓名", "身份证号", "手机", "居民小组", "户号", "楼栋", "单元", "室", "户籍在本社区", "居住在本社区", "党员", "剥夺政治权利", "户代表"]
MAX_ROWS = 200_000
YES = {"是", "y", "yes", "true", "1", "√", "x"}
NO = {"否", "n", "no", "false", "0", ""}

ID_MESSAGES = {
    "format": N_("the ID number must have 17 digits and a digit or X"),
    "birth_date": N_("the ID number contains an impossible birth date"),
    "checksum": N_("the ID number's check digit is wrong"),
}


class FileProblem(Exception):
    """The file as a whole cannot be read (wrong type, no header, too many rows)."""


@dataclass
class RowReport:
    line: int
    errors: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def read_rows(filename: str, content: bytes) -> list[dict]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many types for a broken file
            raise FileProblem(_("The .xlsx file could not be read.")) from error
        sheet = book.worksheets[0]
        rows = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise FileProblem(_("The .csv file is neither UTF-8 nor GB18030 text."))
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise FileProblem(_("Only .xlsx and .csv files can be imported."))
    rows = [row for row in rows if any(row)]
    if not rows:
        raise FileProblem(_("The file is empty."))
    if len(rows) > MAX_ROWS + 1:
        raise FileProblem(_("The file has more than %(n)s rows; split it.", n=MAX_ROWS))
    header = rows[0]
    keys = {}
    for index, title in enumerate(header):
        for key, names in COLUMNS.items():
            if title.strip().lower() in {n.lower() for n in names}:
                keys[index] = key
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in keys.values()]
    if missing:
        raise FileProblem(_("Missing columns: %(cols)s", cols="、".join(missing)))
    return [{keys[i]: (row[i] if i < len(row) else "") for i in keys} for row in rows[1:]]


def _flag(value: str) -> bool | None:
    value = (value or "").strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


def validate_rows(rows: list[dict], group_numbers: dict[str, int], known_ids: set[str]) -> list[RowReport]:
    """Every row checked; line numbers as staff see them in the spreadsheet (header is line 1)."""
    reports, seen = [], {}
    for offset, row in enumerate(rows):
        report = RowReport(line=offset + 2)
        name = row.get("name", "").strip()
        if not name or len(name) > 50:
            report.errors.append(_("name missing or longer than 50 characters"))
        number = normalise_id(row.get("id_number", ""))
        problem = id_problem(number)
        if problem:
            report.errors.append(_(ID_MESSAGES[problem]))
        elif number in seen:
            report.errors.append(_("duplicate ID number (same as line %(line)s)", line=seen[number]))
        elif number in known_ids:
            report.errors.append(_("this resident is already in the registry"))
        seen.setdefault(number, report.line)
        group = row.get("group", "").strip()
        if group not in group_numbers:
            report.errors.append(_("unknown residents' group “%(group)s”", group=group))
        phone = row.get("phone", "").strip()
        if phone and not PHONE_RE.match(phone):
            report.errors.append(_("the mobile number must have 11 digits starting with 1"))
        if not row.get("household", "").strip():
            report.errors.append(_("household number missing"))
        flags = {}
        for key in ("hukou_here", "lives_here", "party_member", "deprived", "household_head"):
            flag = _flag(row.get(key, ""))
            if flag is None:
                report.errors.append(_("“%(value)s” is not 是 or 否", value=row.get(key, "")))
            flags[key] = bool(flag)
        if "hukou_here" not in row:
            flags["hukou_here"] = True
        if "lives_here" not in row:
            flags["lives_here"] = True
        if not report.errors:
            report.data = {
                "name": name,
                "id_number": number,
                "gender": gender_from_id(number),
                "birth_date": birth_date_from_id(number),
                "phone": phone,
                "group_id": group_numbers[group],
                "household": row["household"].strip(),
                "building": row.get("building", "").strip(),
                "unit": row.get("unit", "").strip(),
                "room": row.get("room", "").strip(),
                **flags,
            }
        reports.append(report)
    return reports


def workbook_bytes(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    sheet.append(EXPORT_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"


