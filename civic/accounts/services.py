"""Account use cases: codes, activation, login, password reset, assisted mode."""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from civic import audit
from civic.accounts.models import AccessCode, RoleAssignment, User
from civic.db import utcnow
from civic.pagecache import STATISTIC
from civic.errors import Conflict, Forbidden, Invalid, NotFound
from civic.i18n import _
from civic.registry.models import Community, Resident
from civic.registry.rules import normalise_id
from civic.security import MIN_PASSWORD, PASSWORDS, Actor, check_password, ensure_permission, hash_code, hash_password, new_code

CODE_DAYS = {"activate": 30, "reset": 3}


def account_for_resident(db: Session, resident: Resident) -> User:
    user = db.execute(select(User).where(User.resident_id == resident.id)).scalar_one_or_none()
    if user is None:
        user = User(resident_id=resident.id, display_name=resident.name, phone=resident.phone or None)
        db.add(user)
        db.flush()
    return user


def issue_code(db: Session, actor: Actor, resident: Resident, purpose: str) -> str:
    """A one-time code for the resident's letter; earlier unused codes of the same kind stop working."""
    community = db.get(Community, resident.community_id)
    ensure_permission(actor, "registry:residents:codes", community)
    user = account_for_resident(db, resident)
    if purpose == "reset" and not user.activated:
        raise Conflict(_("This account has not been activated yet; print an activation letter instead."))
    now = utcnow()
    db.execute(
        update(AccessCode)
        .where(AccessCode.user_id == user.id, AccessCode.purpose == purpose, AccessCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = new_code()
    db.add(
        AccessCode(
            user_id=user.id,
            purpose=purpose,
            code_hash=hash_code(code),
            issued_by=actor.user_id,
            issued_at=now,
            expires_at=now + dt.timedelta(days=CODE_DAYS[purpose]),
        )
    )
    audit.record(db, f"accounts.code.{purpose}", actor=actor, target=f"resident:{resident.id}", community_id=resident.community_id)
    db.commit()
    return code


def code_is_usable(code: AccessCode | None, now: dt.datetime) -> bool:
    return code is not None and code.used_at is None and code.expires_at > now


def _password_problem(password: str, confirm: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return _("The password must have at least %(n)s characters.", n=MIN_PASSWORD)
    if password != confirm:
        return _("The two passwords are not the same.")
    if password.isdigit() and len(set(password)) <= 2:
        return _("This password is too easy to guess.")
    return None


def redeem_code(db: Session, code: str, password: str, confirm: str, purpose: str) -> User:
    """Activation and reset: the code is used up and the password set in one transaction."""
    problem = _password_problem(password, confirm)
    if problem:
        raise Invalid(problem, field="password")
    now = utcnow()
    access = db.execute(
        select(AccessCode).where(AccessCode.code_hash == hash_code(code), AccessCode.purpose == purpose)
    ).scalar_one_or_none()
    if not code_is_usable(access, now):
        raise Invalid(_("This code is not valid, has expired or was already used. Ask your community office for a new letter."), field="code")
    user = db.get(User, access.user_id)
    access.used_at = now
    user.password_hash = hash_password(password)
    user.session_version += 1
    audit.record(db, f"accounts.{purpose}", actor=Actor(user=user), target=f"user:{user.id}")
    db.commit()
    return user


def find_login(db: Session, identifier: str) -> User | None:
    identifier = identifier.strip()
    by_id = normalise_id(identifier)
    return db.execute(
        select(User)
        .outerjoin(Resident, Resident.id == User.resident_id)
        .where(or_(User.phone == identifier, Resident.id_number == by_id), User.active.is_(True))
        .limit(1)
    ).scalar_one_or_none()


def verify_login(db: Session, identifier: str, password: str) -> int | None:
    """The account id when the password matches. Call it with a read-only session: the deliberately slow
    hash check must not hold SQLite's write lock (a login storm would queue behind it)."""
    user = find_login(db, identifier)
    if not check_password(password, user.password_hash if user else None):
        return None
    return user.id


def record_login(db: Session, user_id: int, password: str) -> User:
    user = db.get(User, user_id)
    # A statistic: it must not end every process's cached actors (civic.security.ActorCache) at each login.
    db.execute(update(User).where(User.id == user_id).values(last_login_at=utcnow()), execution_options=STATISTIC)
    if PASSWORDS.needs_update(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(db, "accounts.login", actor=Actor(user=user), target=f"user:{user.id}")
    db.commit()
    return user


def authenticate(db: Session, identifier: str, password: str) -> User | None:
    user_id = verify_login(db, identifier, password)
    return record_login(db, user_id, password) if user_id is not None else None


def logout_everywhere(db: Session, actor: Actor) -> None:
    user = db.get(User, actor.user_id)
    user.session_version += 1
    audit.record(db, "accounts.logout_everywhere", actor=actor, target=f"user:{user.id}")
    db.commit()


def start_assist(db: Session, actor: Actor, resident: Resident, reason: str, minutes: int) -> dict:
    """Staff act for a resident without a phone: only with a reason, for a limited time, audited."""
    community = db.get(Community, resident.community_id)
    ensure_permission(actor, "accounts:assist:start", community)
    if actor.assisted_by is not None:
        raise Forbidden(_("Leave assisted mode before starting another one."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise Invalid(_("Give the reason for acting on the resident's behalf (at least 4 characters)."), field="reason")
    user = account_for_resident(db, resident)
    if user.id == actor.user_id:
        raise Invalid(_("You cannot assist yourself."))
    expires = time.time() + minutes * 60
    audit.record(
        db, "accounts.assist.start", actor=actor, target=f"user:{user.id}", community_id=resident.community_id,
        data={"reason": reason, "minutes": minutes},
    )
    db.commit()
    return {"r": user.id, "why": reason[:200], "exp": expires}


def end_assist(db: Session, actor: Actor) -> None:
    if actor.assisted_by is None:
        return
    audit.record(db, "accounts.assist.end", actor=actor, target=f"user:{actor.user.id}")
    db.commit()


def grant_role(db: Session, actor: Actor, user: User, role: str, community: Community | None = None, street_id: int | None = None) -> RoleAssignment:
    ensure_permission(actor, "accounts:roles:manage", community)
    assignment = RoleAssignment(user_id=user.id, role=role, community_id=community.id if community else None, street_id=street_id)
    db.add(assignment)
    audit.record(db, "accounts.role.grant", actor=actor, target=f"user:{user.id}", community_id=community.id if community else None, data={"role": role})
    db.commit()
    return assignment


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    return user
