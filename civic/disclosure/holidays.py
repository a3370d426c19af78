"""Chinese public holidays and make-up working days (调休), 2025–2027: the calendar that notice periods
count against when the rules profile says so (disclosure.count_working_days / disclosure.extend_on_holiday).

Kept as data, not code: add a year by adding its lines when the State Council publishes the schedule
(usually in November for the following year). Days outside the listed years count weekends only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def _span(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# 国办发明电〔2024〕12号 (2025) and 国务院办公厅 2025-11-04 (2026): days off, including bridged weekends.
HOLIDAYS: dict[int, list[dt.date]] = {
    2025: _span("2025-01-01", "2025-01-01") + _span("2025-01-28", "2025-02-04") + _span("2025-04-04", "2025-04-06")
    + _span("2025-05-01", "2025-05-05") + _span("2025-05-31", "2025-06-02") + _span("2025-10-01", "2025-10-08"),
    2026: _span("2026-01-01", "2026-01-03") + _span("2026-02-15", "2026-02-23") + _span("2026-04-04", "2026-04-06")
    + _span("2026-05-01", "2026-05-05") + _span("2026-06-19", "2026-06-21") + _span("2026-09-25", "2026-09-27")
    + _span("2026-10-01", "2026-10-07"),
    # 2027: the statutory days of the 2025 holiday rules only (元旦 1, 春节 4, 清明 1, 劳动节 2, 端午 1, 中秋 1,
    # 国庆 3); replace with the State Council's schedule, bridges and make-up days, once it is published.
    2027: _span("2027-01-01", "2027-01-01") + _span("2027-02-05", "2027-02-08") + _span("2027-04-05", "2027-04-05")
    + _span("2027-05-01", "2027-05-02") + _span("2027-06-09", "2027-06-09") + _span("2027-09-15", "2027-09-15")
    + _span("2027-10-01", "2027-10-03"),
}
# Weekend days that are working days (上班) because a holiday was bridged.
MAKEUP_WORKDAYS: dict[int, list[dt.date]] = {
    2025: [dt.date(2025, 1, 26), dt.date(2025, 2, 8), dt.date(2025, 4, 27), dt.date(2025, 9, 28), dt.date(2025, 10, 11)],
    2026: [dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9), dt.date(2026, 9, 20),
           dt.date(2026, 10, 10)],
    2027: [],
}


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def china_calendar() -> HolidayCalendar:
    return HolidayCalendar(
        holidays=frozenset(d for days in HOLIDAYS.values() for d in days),
        workdays=frozenset(d for days in MAKEUP_WORKDAYS.values() for d in days),
    )


CHINA = china_calendar()
WEEKENDS_ONLY = HolidayCalendar()
