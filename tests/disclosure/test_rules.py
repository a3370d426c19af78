"""Pure rules: notice periods (Art 201, holidays), display minimum, schedule, statuses, masking, tables, diffs."""
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civic.disclosure import rules
from civic.disclosure.holidays import CHINA, HOLIDAYS, MAKEUP_WORKDAYS, WEEKENDS_ONLY, HolidayCalendar
from civic.registry.rules import make_id_number

D = dt.date
days_2025_2027 = st.dates(min_value=D(2025, 1, 1), max_value=D(2027, 12, 31))


# --- the holiday calendar --------------------------------------------------------------------------

def test_known_holidays_and_makeup_days():
    assert not CHINA.is_working_day(D(2026, 10, 1))  # 国庆 (Thursday)
    assert not CHINA.is_working_day(D(2026, 2, 16))  # 春节 (Monday)
    assert CHINA.is_working_day(D(2026, 2, 14))  # Saturday, a make-up working day
    assert CHINA.is_working_day(D(2026, 10, 10))
    assert not CHINA.is_working_day(D(2026, 11, 28))  # an ordinary Saturday
    assert CHINA.is_working_day(D(2026, 11, 24))  # an ordinary Tuesday
    assert not CHINA.is_working_day(D(2027, 2, 8))  # 2027 statutory Spring Festival day


def test_holiday_lists_are_consistent():
    for year, days in HOLIDAYS.items():
        assert all(d.year == year for d in days)
        assert not set(days) & set(MAKEUP_WORKDAYS.get(year, []))
    for days in MAKEUP_WORKDAYS.values():
        assert all(d.weekday() >= 5 for d in days)  # make-up days are weekend days


# --- notice periods ----------------------------------------------------------------------------------

def test_first_day_is_not_counted():
    # Published Monday 2 March 2026, 7 days: counting starts on the 3rd, ends on the 9th.
    assert rules.notice_end(D(2026, 3, 2), 7, working_days=False, extend_on_holiday=False, calendar=CHINA) == D(2026, 3, 9)


def test_calendar_days_ending_on_a_holiday_extend_only_when_configured():
    # Published 24 September 2026, 7 days → 1 October (国庆).
    start = D(2026, 9, 24)
    assert rules.notice_end(start, 7, working_days=False, extend_on_holiday=False, calendar=CHINA) == D(2026, 10, 1)
    assert rules.notice_end(start, 7, working_days=False, extend_on_holiday=True, calendar=CHINA) == D(2026, 10, 8)


def test_working_days_skip_the_golden_week_and_count_makeup_days():
    # From Friday 25 September 2026 (中秋 25–27), 7 working days: 28, 29, 30 Sep, then 8, 9, 10 (Sat, make-up), 12 Oct.
    assert rules.notice_end(D(2026, 9, 24), 7, working_days=True, extend_on_holiday=False, calendar=CHINA) == D(2026, 10, 12)
    # Weekends only, the same period ends earlier.
    assert rules.notice_end(D(2026, 9, 24), 7, working_days=True, extend_on_holiday=False, calendar=WEEKENDS_ONLY) == D(2026, 10, 5)


def test_a_period_has_at_least_one_day():
    with pytest.raises(ValueError):
        rules.notice_end(D(2026, 3, 2), 0, working_days=False, extend_on_holiday=False, calendar=CHINA)


@given(start=days_2025_2027, days=st.integers(1, 60), working=st.booleans(), extend=st.booleans())
def test_notice_end_properties(start, days, working, extend):
    end = rules.notice_end(start, days, working_days=working, extend_on_holiday=extend, calendar=CHINA)
    assert end > start
    if working:
        counted = sum(CHINA.is_working_day(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1))
        assert counted == days and CHINA.is_working_day(end)
        assert end >= start + dt.timedelta(days=days)
    else:
        plain = start + dt.timedelta(days=days)
        assert end >= plain
        if extend:
            assert CHINA.is_working_day(end)
            assert all(not CHINA.is_working_day(plain + dt.timedelta(days=i)) for i in range((end - plain).days))
        else:
            assert end == plain


@given(start=days_2025_2027, first=st.integers(1, 30), extra=st.integers(1, 30))
def test_extension_equals_one_longer_period_in_calendar_days(start, first, extra):
    kwargs = dict(working_days=False, extend_on_holiday=False, calendar=CHINA)
    end = rules.notice_end(start, first, **kwargs)
    assert rules.extend_notice(end, extra, **kwargs) == rules.notice_end(start, first + extra, **kwargs)


@given(start=days_2025_2027, first=st.integers(1, 20), extra=st.integers(1, 20))
def test_extension_equals_one_longer_period_in_working_days(start, first, extra):
    kwargs = dict(working_days=True, extend_on_holiday=False, calendar=CHINA)
    end = rules.notice_end(start, first, **kwargs)
    assert rules.extend_notice(end, extra, **kwargs) == rules.notice_end(start, first + extra, **kwargs)


# --- display minimum (D3) ---------------------------------------------------------------------------------

def test_items_stay_up_fifteen_full_days():
    assert rules.earliest_takedown(D(2026, 3, 1), 15) == D(2026, 3, 17)


def test_items_stay_up_until_their_notice_period_is_over():
    assert rules.earliest_takedown(D(2026, 3, 1), 15, notice_ends_on=D(2026, 3, 31)) == D(2026, 4, 1)


@given(start=days_2025_2027, min_days=st.integers(15, 90), notice=st.one_of(st.none(), st.integers(1, 60)))
def test_takedown_never_before_minimum(start, min_days, notice):
    notice_end = start + dt.timedelta(days=notice) if notice else None
    earliest = rules.earliest_takedown(start, min_days, notice_end)
    assert (earliest - start).days > min_days
    if notice_end:
        assert earliest > notice_end


# --- statuses -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("published,today,notice_end,pending,withdrawn,review,expected", [
    (None, D(2026, 3, 1), None, 0, False, False, "draft"),
    (None, D(2026, 3, 1), None, 0, False, True, "in_review"),
    (D(2026, 3, 5), D(2026, 3, 1), D(2026, 3, 12), 0, False, False, "scheduled"),
    (D(2026, 3, 1), D(2026, 3, 1), D(2026, 3, 8), 0, False, False, "in_notice"),
    (D(2026, 3, 1), D(2026, 3, 8), D(2026, 3, 8), 2, False, False, "in_notice"),  # the last day is still in
    (D(2026, 3, 1), D(2026, 3, 9), D(2026, 3, 8), 2, False, False, "objections_pending"),
    (D(2026, 3, 1), D(2026, 3, 9), D(2026, 3, 8), 0, False, False, "final"),
    (D(2026, 3, 1), D(2026, 3, 9), None, 0, False, False, "published"),
    (D(2026, 3, 1), D(2026, 3, 9), None, 0, True, False, "withdrawn"),
])
def test_status(published, today, notice_end, pending, withdrawn, review, expected):
    assert rules.disclosure_status(published_on=published, today=today, notice_ends_on=notice_end,
                                   pending_objections=pending, withdrawn=withdrawn, in_review=review) == expected


def test_objections_only_during_the_notice_period():
    kwargs = dict(published_on=D(2026, 3, 1), notice_ends_on=D(2026, 3, 8), withdrawn=False)
    assert rules.may_object(today=D(2026, 3, 1), **kwargs)
    assert rules.may_object(today=D(2026, 3, 8), **kwargs)
    assert not rules.may_object(today=D(2026, 3, 9), **kwargs)
    assert not rules.may_object(today=D(2026, 2, 28), **kwargs)
    assert not rules.may_object(today=D(2026, 3, 2), published_on=D(2026, 3, 1), notice_ends_on=None, withdrawn=False)


def test_numbers_follow_on():
    assert rules.next_number([]) == 1
    assert rules.next_number([1, 2, 5]) == 6


# --- schedule (D4) ----------------------------------------------------------------------------------------

@given(year=st.integers(2020, 2035), every=st.sampled_from(rules.ALLOWED_EVERY))
def test_periods_tile_the_year(year, every):
    found = rules.periods(year, every)
    assert len(found) == 12 // every
    assert found[0].start == D(year, 1, 1) and found[-1].end == D(year, 12, 31)
    for before, after in zip(found, found[1:]):
        assert after.start - before.end == dt.timedelta(days=1)


@given(day=st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)), every=st.sampled_from(rules.ALLOWED_EVERY))
def test_period_of_contains_the_day(day, every):
    period = rules.period_of(day, every)
    assert period.contains(day)
    assert period in rules.periods(day.year, every)


def test_period_of_refuses_uneven_periods():
    with pytest.raises(ValueError):
        rules.period_of(D(2026, 1, 1), 5)


def test_monthly_finance_due_dates_and_statuses():
    march = rules.period_of(D(2026, 3, 15), 1)
    assert (march.start, march.end) == (D(2026, 3, 1), D(2026, 3, 31))
    assert rules.due_on(march, 10) == D(2026, 4, 10)
    assert rules.period_status(march, 10, False, D(2026, 2, 20)) == "upcoming"
    assert rules.period_status(march, 10, False, D(2026, 3, 20)) == "open"
    assert rules.period_status(march, 10, False, D(2026, 4, 10)) == "due"
    assert rules.period_status(march, 10, False, D(2026, 4, 11)) == "overdue"
    assert rules.period_status(march, 10, True, D(2026, 5, 1)) == "done"


@given(day=st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 12, 31)), every=st.sampled_from(rules.ALLOWED_EVERY),
       grace=st.integers(0, 60), today=st.dates(min_value=D(2024, 1, 1), max_value=D(2029, 12, 31)))
def test_overdue_exactly_after_the_due_date(day, every, grace, today):
    period = rules.period_of(day, every)
    status = rules.period_status(period, grace, False, today)
    assert (status == "overdue") == (today > rules.due_on(period, grace))
    assert rules.period_status(period, grace, True, today) == "done"


def test_period_labels():
    assert rules.period_label_parts(rules.period_of(D(2026, 5, 2), 3), 3) == {"kind": "quarter", "year": 2026, "quarter": 2}
    assert rules.period_label_parts(rules.period_of(D(2026, 5, 2), 1), 1) == {"kind": "month", "year": 2026, "month": 5}
    assert rules.period_label_parts(rules.period_of(D(2026, 5, 2), 6), 6) == {"kind": "range", "year": 2026, "first": 1, "last": 6}


# --- masking -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header,kind", [
    ("姓名", "name"), ("户主姓名", "name"), ("身份证号码", "id"), ("公民身份号码", "id"), ("联系电话", "phone"), ("手机", "phone"),
    ("家庭住址", "address"), ("健康状况", "health"), ("残疾类别", "health"), ("保障金额（元）", "plain"), ("Name", "name"),
    ("Mobile", "phone"), ("家庭人口", "plain"),
])
def test_column_kinds(header, kind):
    assert rules.column_kind(header) == kind


id_numbers = st.builds(
    lambda birth, serial, gender: make_id_number("330102", birth, serial, gender),
    st.dates(min_value=D(1930, 1, 1), max_value=D(2010, 12, 31)), st.integers(1, 499), st.sampled_from("FM"),
)
mobiles = st.from_regex(r"\A1[3-9]\d{9}\Z", fullmatch=True)


@given(number=id_numbers)
def test_masked_id_keeps_only_region_and_last_four(number):
    masked = rules.mask_cell("id", number, "full")
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert masked[4:-4] == "*" * 10
    assert number[6:14] not in masked  # the birth date never shows


@given(phone=mobiles)
def test_masked_phone_hides_the_middle(phone):
    masked = rules.mask_cell("phone", phone, "full")
    assert masked == phone[:3] + "****" + phone[-4:]


@given(number=id_numbers, phone=mobiles, words=st.text(alphabet="安和社区低保公示名单 ", max_size=20))
def test_numbers_inside_free_text_are_scrubbed(number, phone, words):
    text = f"{words}身份证{number}，电话{phone}。{words}"
    scrubbed = rules.scrub_text(text)
    assert number not in scrubbed and phone not in scrubbed
    assert rules.mask_id(number) in scrubbed and rules.mask_phone(phone) in scrubbed
    assert rules.scrub_text(scrubbed) == scrubbed  # masking twice changes nothing more


def test_names_masked_only_where_the_category_says():
    assert rules.mask_cell("name", "欧阳娜娜", "masked") == "欧***"
    assert rules.mask_cell("name", "王芳", "full") == "王芳"


def test_address_keeps_the_street_only():
    assert rules.mask_address("安和路88号3幢2单元301") == "安和路88号****"
    assert "301" not in rules.mask_address("3幢2单元301室")
    assert rules.mask_address("") == ""


@given(rows=st.lists(st.tuples(st.text(alphabet="王李张芳强", min_size=2, max_size=4), id_numbers, mobiles,
                                st.sampled_from(["高血压", "肢体残疾", "无"]), st.integers(1, 5000)), max_size=8),
       names=st.sampled_from(rules.NAME_DISPLAYS))
@settings(max_examples=60)
def test_public_table_never_shows_ids_phones_or_health(rows, names):
    table = rules.Table(["姓名", "身份证号", "联系电话", "健康状况", "金额"], [[n, i, p, h, str(a)] for n, i, p, h, a in rows])
    public = rules.public_table(table, names)
    assert public.columns == ["姓名", "身份证号", "联系电话", "金额"]
    flat = "\n".join("|".join(r) for r in public.rows)
    for name, number, phone, health, amount in rows:
        assert number not in flat and phone not in flat
        assert str(amount) in flat
        if names == "masked" and len(name) > 1:
            assert name not in [r[0] for r in public.rows]
    assert "高血压" not in flat and "肢体残疾" not in flat


# --- tables ------------------------------------------------------------------------------------------------

def test_pasted_table_with_tabs_bars_and_commas():
    tabs = rules.parse_pasted_table("姓名\t金额\n王芳\t820\n\n李强\t640\n")
    assert tabs.columns == ["姓名", "金额"] and tabs.rows == [["王芳", "820"], ["李强", "640"]]
    bars = rules.parse_pasted_table("| 项目 | 金额 |\n| 水费 | 120 |")
    assert bars.rows == [["水费", "120"]]
    commas = rules.parse_pasted_table("项目，金额\n电费,300")
    assert commas.columns == ["项目", "金额"] and commas.rows == [["电费", "300"]]
    short = rules.parse_pasted_table("a\tb\tc\n1")
    assert short.rows == [["1", "", ""]]
    assert rules.parse_pasted_table("  \n ") is None


@pytest.mark.parametrize("text,code", [
    ("a\t\tc\n1\t2\t3", "empty_header"),
    ("a\tb\n1\t2\t3", "too_many_cells"),
    ("\t".join(f"c{i}" for i in range(31)), "too_many_columns"),
    ("a\n" + "x" * 501, "cell_too_long"),
])
def test_bad_tables_are_refused_with_a_reason(text, code):
    with pytest.raises(rules.TableProblem) as caught:
        rules.parse_pasted_table(text)
    assert caught.value.code == code


@given(cells=st.lists(st.lists(st.text(alphabet="安和12 ab", min_size=1, max_size=6).map(str.strip).filter(bool), min_size=2, max_size=2),
                      min_size=1, max_size=10))
def test_table_text_round_trip(cells):
    table = rules.Table(["项目", "金额"], cells)
    assert rules.parse_pasted_table(rules.table_as_text(table)) == table
    assert rules.Table.from_json(table.to_json()) == table


# --- diffs and search text -------------------------------------------------------------------------------

def test_diff_marks_removed_and_added_lines():
    old = rules.version_lines("低保名单", "第一段", rules.Table(["姓名", "金额"], [["王芳", "820"], ["李强", "640"]]), [])
    new = rules.version_lines("低保名单（更正）", "第一段", rules.Table(["姓名", "金额"], [["王芳", "820"], ["李强", "600"]]), ["名单.pdf"])
    ops = rules.diff_lines(old, new)
    assert ("removed", "Title: 低保名单") in ops and ("added", "Title: 低保名单（更正）") in ops
    assert ("removed", "李强 | 640") in ops and ("added", "李强 | 600") in ops
    assert ("same", "王芳 | 820") in ops and ("added", "Attachment: 名单.pdf") in ops


@given(old=st.lists(st.text(max_size=5), max_size=12), new=st.lists(st.text(max_size=5), max_size=12))
def test_diff_rebuilds_both_sides(old, new):
    ops = rules.diff_lines(old, new)
    assert [line for op, line in ops if op != "added"] == old
    assert [line for op, line in ops if op != "removed"] == new


def test_search_text_holds_only_public_data():
    table = rules.public_table(rules.Table(["姓名", "身份证号"], [["王芳", make_id_number("330102", D(1960, 1, 1), 7, "F")]]), "full")
    text = rules.search_text("低保公示", "联系 13912345678", table, ["低保名单.pdf"])
    assert "王芳" in text and "低保名单.pdf" in text and "13912345678" not in text and "139****5678" in text


def test_every_category_names_a_known_schedule_and_notice_key():
    from civic.rulesconfig.defaults import SPEC

    for category in rules.CATEGORIES.values():
        assert category.schedule_key is None or category.schedule_key in SPEC
        assert category.notice_key is None or category.notice_key in SPEC
        assert category.names in rules.NAME_DISPLAYS
