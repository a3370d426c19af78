import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from civic.registry import rules


def test_known_valid_id_numbers():
    # Published GB 11643 examples with correct check digits.
    assert rules.id_problem("11010519491231002X") is None
    assert rules.id_problem("440524188001010014") is None


def test_bad_checksum_format_and_date():
    assert rules.id_problem("110105194912310021") == "checksum"
    assert rules.id_problem("11010519491231002") == "format"
    assert rules.id_problem("1101051949123100AX") == "format"
    assert rules.id_problem("110105194902300023") == "birth_date"


def test_lowercase_x_and_spaces_are_normalised():
    assert rules.id_problem(" 11010519491231002x ") is None


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(0, 10_000), st.sampled_from("FM"))
def test_generated_numbers_are_valid_and_carry_birth_and_gender(birth, serial, gender):
    number = rules.make_id_number("330102", birth, serial, gender)
    assert rules.id_problem(number) is None
    assert rules.birth_date_from_id(number) == birth
    assert rules.gender_from_id(number) == gender


def test_masking_never_shows_the_middle():
    assert rules.mask_id("330102199001011234") == "3301**********1234"
    assert rules.mask_phone("13912345678") == "139****5678"
    assert rules.mask_name("张三") == "张*"
    assert rules.mask_name("欧阳娜娜") == "欧***"


def test_age_on_polling_day():
    assert rules.age_on(dt.date(2008, 5, 10), dt.date(2026, 5, 10)) == 18  # birthday on polling day counts
    assert rules.age_on(dt.date(2008, 5, 11), dt.date(2026, 5, 10)) == 17
    assert rules.age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert rules.age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18
