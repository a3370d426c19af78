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


def test_every_elections_default_is_editable():
    """Every number the election rules read (civic.elections.rules.DEFAULTS) is a key of the profile."""
    from civic.elections.rules import DEFAULTS

    assert set(DEFAULTS) <= set(SPEC)
    for key, value in DEFAULTS.items():
        assert defaults()[key] == (list(value) if isinstance(value, tuple) else value), key


def test_dates_kind():
    assert parse_value("dates", " 2026-10-02, 2026-10-01；2026-10-01\n2026-10-03 ") == ["2026-10-01", "2026-10-02", "2026-10-03"]
    assert parse_value("dates", "") == []
    import pytest

    with pytest.raises(ValueError):
        parse_value("dates", "2026-13-01")
    values = defaults()
    values["elections.holidays"] = ["2026-10-01", "not a date"]
    values["elections.working_weekend_days"] = "2026-10-10"
    assert set(validate(values, "2025")) == {"elections.holidays", "elections.working_weekend_days"}


def test_new_election_keys_are_validated():
    values = defaults()
    values.update({"elections.seats_min": 7, "elections.seats_max": 6, "elections.candidate_final_days": 6,
                   "elections.handover_days": 11, "elections.online_days_before": -1, "elections.extend_on_holiday": "yes"})
    errors = validate(values, "2025")
    assert set(errors) == {"elections.seats_max", "elections.candidate_final_days", "elections.handover_days",
                           "elections.online_days_before", "elections.extend_on_holiday"}
    values = defaults()
    values["elections.seats_min"] = 4  # the law says 5 to 9
    assert set(validate(values, "2025")) == {"elections.seats_min"}


def test_stored_holidays_extend_election_periods():
    """A profile stores dates as ISO strings; the election rules read them as dates."""
    import datetime as dt

    from civic.elections import rules

    config = {**defaults(), "elections.extend_on_holiday": True, "elections.holidays": ["2026-10-06"]}
    assert rules.period_end(dt.date(2026, 10, 1), 5, config) == dt.date(2026, 10, 7)
    assert rules.period_end(dt.date(2026, 10, 5), 5, config) == dt.date(2026, 10, 12)  # Saturday 10-10 → Monday
    config["elections.working_weekend_days"] = ["2026-10-10"]  # 调休: that Saturday is a working day
    assert rules.period_end(dt.date(2026, 10, 5), 5, config) == dt.date(2026, 10, 10)


def test_versions_are_read_once_and_a_new_version_is_current_at_once(db):
    """rules_by_version keeps versions per engine (they never change); current_rules still finds the newest."""
    from civic.rulesconfig.services import current_rules, ensure_profile, rules_by_version, save_version
    from civic.security import load_actor
    from tests.helpers import make_user

    admin = load_actor(db, make_user(db, roles=[("admin", None)]).id)
    profile = ensure_profile(db, "测试规则", "", None)
    db.commit()
    first = current_rules(db)
    first.values["turnout_min"] = "changed by a caller"  # callers get copies: the kept version is untouched
    assert rules_by_version(db, first.version_id).values != first.values
    values = dict(rules_by_version(db, first.version_id).values)
    key = next(k for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool) and k.endswith("_days"))
    values[key] += 1
    second = save_version(db, admin, profile, values, first.legal_regime, "one more day")
    assert current_rules(db).version_id == second.id != first.version_id
    assert current_rules(db)[key] == values[key]
    assert rules_by_version(db, first.version_id)[key] == values[key] - 1


def test_a_pages_current_rules_are_kept_while_the_core_generation_holds(engine):
    """A page's read session carries the generations it read first (civic.web.db): current_rules is kept per
    engine under the "core" generation, and a new version (a committed write: core bumped) is seen next time."""
    from civic.db import make_sessionmaker
    from civic.rulesconfig.services import current_rules, ensure_profile, save_version
    from civic.security import load_actor
    from civic.pagecache import GENERATIONS_SQL
    from tests.helpers import make_user

    writes, reads = make_sessionmaker(engine, write=True), make_sessionmaker(engine)
    with writes() as db:
        admin_id = make_user(db, roles=[("admin", None)]).id
        profile_id = ensure_profile(db, "测试规则", "", None).id
        db.commit()

    def page_rules():
        with reads() as db:
            db.info["civic_generations"] = dict(db.connection().exec_driver_sql(GENERATIONS_SQL).all())
            return current_rules(db)

    first = page_rules()
    first.values.clear()  # a caller's copy
    assert page_rules().values and page_rules().version_id == first.version_id
    with writes() as db:
        from civic.rulesconfig.models import RuleProfile

        values = dict(page_rules().values)
        key = next(k for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool) and k.endswith("_days"))
        values[key] += 1
        second = save_version(db, load_actor(db, admin_id), db.get(RuleProfile, profile_id), values, first.legal_regime, "one more day")
    now = page_rules()
    assert now.version_id == second.id != first.version_id and now[key] == values[key]
