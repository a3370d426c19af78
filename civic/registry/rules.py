"""Pure rules about residents: ID-card numbers (GB 11643-1999), masking, ages."""
from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1\d{10}$")


def id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def normalise_id(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_problem(value: str) -> str | None:
    """None when the 18-digit number is well formed, else a reason code."""
    value = normalise_id(value)
    if not _ID_RE.match(value):
        return "format"
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "birth_date"
    if id_check_digit(value[:17]) != value[17]:
        return "checksum"
    return None


def birth_date_from_id(value: str) -> dt.date:
    value = normalise_id(value)
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_from_id(value: str) -> str:
    """The 17th digit is odd for men, even for women."""
    return "M" if int(normalise_id(value)[16]) % 2 else "F"


def make_id_number(area: str, birth: dt.date, serial: int, gender: str) -> str:
    """A well-formed number (for demo data and tests): serial's last digit fixes the gender."""
    seq = serial % 100 * 10 + (1 if gender == "M" else 0) + (serial // 100 % 5) * 2
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


def mask_id(value: str) -> str:
    """3301**********1234: region prefix and last four only."""
    value = normalise_id(value)
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "*" * len(value)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***."""
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years on `day`; someone born on 29 February turns a year older on 1 March."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years
