"""Secret ballots, shared by elections and appraisal: who took part is recorded apart from what they chose.

The pattern, by construction:
- the participation register (who, by which channel) and the anonymous store (what) share no key;
- anonymous rows get a random primary key in a table without SQLite's rowid (`ANONYMOUS_TABLE_ARGS`),
  so neither key nor storage order follows the casting order;
- no precise time is kept on either side (`coarse_day`), nothing is logged or audited per cast;
- both rows are written in one transaction, so neither can exist without the other.
"""
from __future__ import annotations

import datetime as dt
import secrets

from civic.i18n import TZ

# For tables of anonymous content: SQLite stores WITHOUT ROWID tables in primary-key order.
ANONYMOUS_TABLE_ARGS = {"sqlite_with_rowid": False}


def random_id() -> str:
    """128 random bits as the key of an anonymous row (never a sequence)."""
    return secrets.token_hex(16)


def coarse_day(now: dt.datetime | None = None) -> dt.date:
    """The day in Shanghai time: precise enough for turnout by day, too coarse to order casts."""
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(TZ).date()


def tracking_code() -> str:
    """A receipt shown to the voter: 60 random bits in three groups (7K3M-Q9TX-2HWD)."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
    # One draw below 30**12 (as uniform as twelve choices, one system call instead of a dozen).
    number = secrets.randbelow(len(alphabet) ** 12)
    raw = ""
    for _ in range(12):
        number, digit = divmod(number, len(alphabet))
        raw += alphabet[digit]
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
