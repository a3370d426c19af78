"""Passwords, signed session cookies, the current actor, and the one permission check."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cache

from itsdangerous import BadSignature, URLSafeTimedSerializer
from passlib.context import CryptContext
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import Session
from starlette.requests import Request

from civic.accounts.models import RoleAssignment, User
from civic.errors import DomainError, Forbidden
from civic.i18n import _
from civic.registry.models import Community, Resident

# argon2id with OWASP's baseline (19 MiB, 2 passes, 1 lane): ~30 ms a login on this 2-core box, so a
# polling-day morning of logins does not queue, while an offline guess still costs 19 MiB of memory.
# Hashes made with other parameters are re-hashed at the next successful login (needs_update).
PASSWORDS = CryptContext(
    schemes=["argon2"],
    argon2__memory_cost=19456,
    argon2__time_cost=2,
    argon2__parallelism=1,
    deprecated="auto",
)
SESSION_COOKIE = "civic_session"
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def check_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        PASSWORDS.dummy_verify()  # the same time whether or not the account exists
        return False
    return PASSWORDS.verify(password, hashed)


def hash_code(code: str) -> str:
    """Access codes are high-entropy, so a plain SHA-256 is enough to keep them unreadable at rest."""
    return hashlib.sha256(code.strip().upper().replace("-", "").replace(" ", "").encode()).hexdigest()


def new_code() -> str:
    """12 characters from an alphabet without look-alikes, printed in groups of four."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class LoginRequired(DomainError):
    status = 401


@dataclass
class Actor:
    """Who is acting: the user, their roles, and (in assisted mode) the staff member acting for them."""

    user: User | None = None
    resident: Resident | None = None
    roles: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    assisted_by: User | None = None
    assist_reason: str = ""
    assist_expires: float = 0

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    @property
    def user_id(self) -> int | None:
        # The person who pressed the button: in assisted mode the staff member.
        if self.assisted_by is not None:
            return self.assisted_by.id
        return self.user.id if self.user else None

    @property
    def on_behalf_of_id(self) -> int | None:
        return self.user.id if self.assisted_by is not None and self.user else None

    @property
    def community_id(self) -> int | None:
        if self.resident is not None:
            return self.resident.community_id
        for _role, community_id, _street in self.roles:
            if community_id:
                return community_id
        return None

    def has_role(self, role: str, community: Community | None = None) -> bool:
        for name, community_id, street_id in self.roles:
            if name != role:
                continue
            if name == "admin" or community is None:
                return True
            if community_id == community.id or (street_id and street_id == community.street_id):
                return True
        return False

    def role_names(self) -> set[str]:
        return {name for name, _c, _s in self.roles}


ANONYMOUS = Actor()


def roles_for(user: User, resident: Resident | None, assigned: list[tuple[str, int | None, int | None]] | None = None
              ) -> list[tuple[str, int | None, int | None]]:
    """Assigned roles (`assigned`, or read from `user.roles`) plus those a resident holds by the registry."""
    roles = list(assigned) if assigned is not None else [(r.role, r.community_id, r.street_id) for r in user.roles]
    if resident is not None:
        roles.append(("resident", resident.community_id, None))
        if resident.is_resident_rep:
            roles.append(("resident_rep", resident.community_id, None))
        if resident.is_party_rep:
            roles.append(("party_rep", resident.community_id, None))
    return roles


def load_actor(db: Session, user_id: int) -> Actor | None:
    """User, resident and role tuples in ONE Core query (a row per role, the user's columns repeated): this
    runs on every signed-in request the actor cache cannot answer. The rows become plain model instances
    outside any session (ORM loading of the two wide rows was a sixth of a ballot's CPU); nothing writes
    through them."""
    return actor_from_rows(db.connection().execute(_actor_statement(), {"user_id": user_id}).all())


def actor_from_rows(rows) -> Actor | None:
    """The actor from `_actor_statement`'s rows (None: no such active user): the user and resident as
    session-less instances (civic.snapshots: the ORM's loading of the two wide rows was a sixth of a ballot's
    CPU), then the role columns."""
    from civic import snapshots

    if not rows:
        return None
    first, end = rows[0], snapshots.width(User) + snapshots.width(Resident)
    user = snapshots.detached(User, first)
    resident = snapshots.detached(Resident, first, snapshots.width(User)) if user.resident_id is not None else None
    assigned = [tuple(row[end:]) for row in rows if row[end] is not None]
    return Actor(user=user, resident=resident, roles=roles_for(user, resident, assigned))


@cache
def _actor_statement():
    """Built once (the parameter is bound per call): building it per request cost more than running it."""
    from civic import snapshots

    users, residents, roles = User.__table__, Resident.__table__, RoleAssignment.__table__
    return (snapshots.select_of(User, Resident).add_columns(roles.c.role, roles.c.community_id, roles.c.street_id)
            .select_from(users.outerjoin(residents, residents.c.id == users.c.resident_id)
                         .outerjoin(roles, roles.c.user_id == users.c.id))
            .where(users.c.id == bindparam("user_id"), users.c.active.is_(True)))


@cache
def _people_generation():
    from civic.pagecache import Generation

    table = Generation.__table__
    return select(table.c.counter).where(table.c.scope == "people").scalar_subquery().label("people_generation")


@cache
def _actor_width() -> int:
    return len(_actor_statement().selected_columns)


@cache
def _actor_along(along):
    """The actor's rows, the "people" counter and `along`'s columns: one statement, so one snapshot."""
    extra = along.subquery("along")
    return _actor_statement().add_columns(_people_generation(), *extra.c).join(extra, true())


@cache
def _generation_along(along):
    extra = along.subquery("along")
    return select(_people_generation(), *extra.c).select_from(extra)


class SessionCookies:
    """The session is a signed cookie: user id, session version (for logout everywhere), a nonce."""

    def __init__(self, secret_key: str, max_age_hours: int):
        self.serializer = URLSafeTimedSerializer(secret_key, salt="civic-session")
        self.max_age = max_age_hours * 3600
        self.verified: dict[str, tuple[dict, float]] = {}

    def dumps(self, user: User, assist: dict | None = None) -> str:
        payload = {"u": user.id, "v": user.session_version, "n": secrets.token_hex(8)}
        if assist:
            payload["a"] = assist
        return self.serializer.dumps(payload)

    def loads(self, value: str | None) -> dict | None:
        if not value:
            return None
        # A browser sends the same cookie with every request: its signature is checked once, its age every time.
        kept = self.verified.get(value)
        if kept is not None:
            payload, signed_at = kept
            return payload if time.time() - signed_at <= self.max_age else None
        try:
            payload, signed_at = self.serializer.loads(value, max_age=self.max_age, return_timestamp=True)
        except BadSignature:
            return None
        if len(self.verified) >= 10_000:
            self.verified.clear()
        self.verified[value] = (payload, signed_at.timestamp())
        return payload


class ActorCache:
    """Signed-in actors by user id, kept while nobody changed users, roles or residents.

    Loading the actor costs two queries on every signed-in request. Any committed write to those tables
    bumps the "people" generation in the same transaction (civic.pagecache), in every process and on
    every host sharing the database; one read of that counter tells whether a kept actor is still exact.
    An entry also lives at most `seconds`. Callers get a copy: assisted mode sets fields on it."""

    def __init__(self, seconds: float = 60, max_entries: int = 10_000):
        self.seconds, self.max_entries = seconds, max_entries
        self.entries: OrderedDict[int, tuple[int, float, Actor]] = OrderedDict()
        self.lock = threading.Lock()

    def load(self, db: Session, user_id: int, generation: int | None = None) -> Actor | None:
        """`generation`: the "people" counter if the request read it already (civic.web.db), else read here.
        Either way it is read BEFORE loading: a write after it makes the entry stale, never wrong."""
        if generation is None:
            generation = people_generation(db)
        kept = self.kept(user_id, generation)
        if kept is not None:
            return kept
        actor = load_actor(db, user_id)  # its instances belong to no session: no commit ever expires them
        return self.keep(user_id, generation, actor)

    async def load_on_loop(self, connection, user_id: int, along, params: dict) -> tuple[Actor | None, tuple | None]:
        """`load` on the event loop through the loop's reads (civic.loopdb), in ONE statement with `along` (a
        built-once select keyed by the bound `user_id`, with `params`): the actor (a kept one if the "people"
        counter, read in the same statement, still holds) and `along`'s row; (None, None) if either is missing."""
        arguments = {**params, "user_id": user_id}
        if user_id in self.entries:
            rows = await connection.fetch(_generation_along(along), arguments)
            if not rows:
                return None, None
            kept = self.kept(user_id, rows[0][0] or 0)
            if kept is not None:
                return kept, tuple(rows[0][1:])
        rows = await connection.fetch(_actor_along(along), arguments)
        if not rows:
            return None, None
        width = _actor_width()
        actor = self.keep(user_id, rows[0][width] or 0, actor_from_rows([row[:width] for row in rows]))
        return actor, tuple(rows[0][width + 1:])

    def kept(self, user_id: int, generation: int) -> Actor | None:
        """A copy of the kept actor if it is still exact (the "people" generation read before loading held)."""
        with self.lock:
            kept = self.entries.get(user_id)
            if kept is not None and kept[0] == generation and time.monotonic() - kept[1] < self.seconds:
                self.entries.move_to_end(user_id)
                return _copy(kept[2])
        return None

    def keep(self, user_id: int, generation: int, actor: Actor | None) -> Actor | None:
        if actor is None:
            return None
        with self.lock:
            self.entries[user_id] = (generation, time.monotonic(), actor)
            self.entries.move_to_end(user_id)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return _copy(actor)


def _copy(actor: Actor) -> Actor:
    return replace(actor, roles=list(actor.roles))


def people_generation(db: Session) -> int:
    """On the driver's cursor (civic.pagecache.generations_on): through SQLAlchemy's statement machinery this
    one-row read was a tenth of a confirmed ballot's CPU."""
    from civic.pagecache import generations_on

    return generations_on(db.connection().connection).get("people", 0)


def actor_from_request(request: Request, db: Session) -> Actor:
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    actor = ANONYMOUS
    payload = request.app.state.sessions.loads(request.cookies.get(SESSION_COOKIE))
    if payload:
        actors = getattr(request.app.state, "actors", None)
        generations = getattr(request.state, "generations", None)
        if actors is None:
            load = load_actor
        else:
            def load(db: Session, user_id: int) -> Actor | None:
                return actors.load(db, user_id, generations.get("people", 0) if generations is not None else None)
        loaded = load(db, payload["u"])
        if loaded and loaded.user.session_version == payload.get("v"):
            actor = loaded
            assist = payload.get("a")
            if assist and assist.get("exp", 0) > time.time():
                # Staff acting for a resident: the resident's roles only, the staff member in the audit.
                helped = load(db, assist["r"])
                if helped is not None:
                    helped.assisted_by = loaded.user
                    helped.assist_reason = assist.get("why", "")
                    helped.assist_expires = assist["exp"]
                    actor = helped
    request.state.actor = actor
    return actor


async def actor_on_loop(request: Request, connection, along, params: dict) -> tuple[Actor | None, tuple | None]:
    """actor_from_request on the event loop through the loop's reads (civic.loopdb), with `along`'s row read in
    the same statement (see ActorCache.load_on_loop), for a signed-in request in its own name; (None, None) for
    anything else (anonymous, assisted, stale session): the caller then takes the usual path, which answers it."""
    payload = request.app.state.sessions.loads(request.cookies.get(SESSION_COOKIE))
    if not payload or payload.get("a"):
        return None, None
    loaded, row = await request.app.state.actors.load_on_loop(connection, payload["u"], along, params)
    if loaded is None or loaded.user.session_version != payload.get("v"):
        return None, None
    request.state.actor = loaded
    return loaded, row


# Permission name -> roles granted it. Filled by the module manifests; unknown names are denied.
PERMISSIONS: dict[str, frozenset[str]] = {}


def register_permissions(grants: dict[str, set[str] | frozenset[str]]) -> None:
    for name, roles in grants.items():
        PERMISSIONS[name] = frozenset(roles) | {"admin"}


def _ensure_registered() -> None:
    if not PERMISSIONS:
        from civic.modules import all_modules

        for module in all_modules():
            register_permissions(module.permissions)


def can(actor: Actor, permission: str, community: Community | None = None) -> bool:
    _ensure_registered()
    roles = PERMISSIONS.get(permission)
    if not roles or not actor.authenticated:
        return False
    return any(actor.has_role(role, community) for role in roles)


def ensure_permission(actor: Actor, permission: str, community: Community | None = None) -> None:
    """The one check every route and service uses: deny by default."""
    if not actor.authenticated:
        raise LoginRequired(_("Please log in first."))
    if not can(actor, permission, community):
        raise Forbidden(_("You do not have permission to do this."))


def now_ts() -> float:
    return dt.datetime.now(dt.timezone.utc).timestamp()
