import datetime as dt

import pytest
from sqlalchemy import select

from civic.accounts import services
from civic.accounts.models import AccessCode
from civic.errors import DomainError, Invalid
from civic.security import load_actor
from tests.helpers import make_community, make_resident, make_user


@pytest.fixture
def setup(db):
    community = make_community(db)
    staff = make_user(db, roles=[("staff", community)])
    resident = make_resident(db, community, phone="13711112222")
    return community, load_actor(db, staff.id), resident


def test_activation_code_works_once(db, setup):
    _community, staff, resident = setup
    code = services.issue_code(db, staff, resident, "activate")
    user = services.redeem_code(db, code, "a-long-pass", "a-long-pass", "activate")
    assert user.activated and user.resident_id == resident.id
    with pytest.raises(Invalid):
        services.redeem_code(db, code, "another-pass", "another-pass", "activate")
    assert services.authenticate(db, "13711112222", "a-long-pass").id == user.id
    assert services.authenticate(db, resident.id_number.lower(), "a-long-pass").id == user.id
    assert services.authenticate(db, "13711112222", "wrong-pass") is None


def test_expired_code_is_refused(db, setup):
    _community, staff, resident = setup
    code = services.issue_code(db, staff, resident, "activate")
    access = db.execute(select(AccessCode)).scalar_one()
    access.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    db.commit()
    with pytest.raises(Invalid):
        services.redeem_code(db, code, "a-long-pass", "a-long-pass", "activate")


def test_new_code_cancels_the_old_one(db, setup):
    _community, staff, resident = setup
    first = services.issue_code(db, staff, resident, "activate")
    second = services.issue_code(db, staff, resident, "activate")
    with pytest.raises(Invalid):
        services.redeem_code(db, first, "a-long-pass", "a-long-pass", "activate")
    services.redeem_code(db, second, "a-long-pass", "a-long-pass", "activate")


def test_code_expiry_rule():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    code = AccessCode(expires_at=now + dt.timedelta(seconds=1), used_at=None)
    assert services.code_is_usable(code, now)
    assert not services.code_is_usable(AccessCode(expires_at=now, used_at=None), now)
    assert not services.code_is_usable(AccessCode(expires_at=now + dt.timedelta(days=1), used_at=now), now)
    assert not services.code_is_usable(None, now)


@pytest.mark.parametrize("password,confirm", [("short", "short"), ("a-long-pass", "a-long-pas2"), ("11111111", "11111111")])
def test_weak_or_mismatched_passwords(db, setup, password, confirm):
    _community, staff, resident = setup
    code = services.issue_code(db, staff, resident, "activate")
    with pytest.raises(Invalid):
        services.redeem_code(db, code, password, confirm, "activate")


def test_reset_ends_other_sessions(db, setup):
    _community, staff, resident = setup
    code = services.issue_code(db, staff, resident, "activate")
    user = services.redeem_code(db, code, "a-long-pass", "a-long-pass", "activate")
    version = user.session_version
    reset = services.issue_code(db, staff, resident, "reset")
    user = services.redeem_code(db, reset, "new-long-pass", "new-long-pass", "reset")
    assert user.session_version == version + 1
    assert services.authenticate(db, "13711112222", "new-long-pass") is not None


def test_assist_needs_reason_and_staff_of_the_community(db, setup):
    community, staff, resident = setup
    with pytest.raises(Invalid):
        services.start_assist(db, staff, resident, "  ", 30)
    assist = services.start_assist(db, staff, resident, "came to the office without a phone", 30)
    assert assist["r"] and assist["why"].startswith("came")
    other = make_community(db)
    stranger = load_actor(db, make_user(db, roles=[("staff", other)]).id)
    with pytest.raises(DomainError) as error:
        services.start_assist(db, stranger, resident, "a reason here", 30)
    assert error.value.status == 403
