from civic.rulesconfig.defaults import SPEC, defaults
from civic.rulesconfig.rules import parse_value, validate


def test_defaults_are_valid_for_both_regimes():
    assert validate(defaults("2025"), "2025") == {}
    assert validate(defaults("2018"), "2018") == {}
    assert defaults("2018")["elections.term_years"] == 3 and defaults()["elections.term_years"] == 5


def test_weights_must_sum_to_100():
    values = defaults()
    values["appraisal.weight_street"] = 40
    errors = validate(values, "2025")
    assert "appraisal.weight_resident_reps" in errors and "110" in errors["appraisal.weight_resident_reps"]


def test_out_of_range_and_bad_fraction():
    values = defaults()
    values["elections.roll_publication_days"] = 10  # the law says at least 20
    values["elections.quorum"] = [3, 2]
    errors = validate(values, "2025")
    assert set(errors) == {"elections.roll_publication_days", "elections.quorum"}
    assert validate(defaults(), "1999") == {"legal_regime": validate(defaults(), "1999")["legal_regime"]}


def test_parse_value():
    assert parse_value("fraction", "1/3") == [1, 3]
    assert parse_value("bool", "1") is True and parse_value("bool", "0") is False
    assert parse_value("int:1:5", " 4 ") == 4


def test_every_config_point_names_its_rule():
    assert all(rule for _d, _k, rule, _l in SPEC.values())
