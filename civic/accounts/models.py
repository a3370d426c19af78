"""Accounts, roles scoped to a community or street office, one-time access codes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, UTCDateTime, utcnow

# Roles a resident holds by the registry (derived, not assigned) and roles staff are given.
RESIDENT_ROLES = ("resident", "party_rep", "resident_rep")
ASSIGNED_ROLES = ("staff", "election_committee", "supervision_committee", "street_supervisor", "admin")
ROLES = RESIDENT_ROLES + ASSIGNED_ROLES


class User(Base):
    __tablename__ = "accounts_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("registry_resident.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to end every session of the user at once (logout everywhere, password reset).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    roles: Mapped[list["RoleAssignment"]] = relationship(lazy="raise", back_populates="user")

    @property
    def activated(self) -> bool:
        return self.password_hash is not None


class RoleAssignment(Base):
    __tablename__ = "accounts_role"
    __table_args__ = (UniqueConstraint("user_id", "role", "community_id", "street_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("registry_community.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("registry_street.id"))
    user: Mapped[User] = relationship(lazy="raise", back_populates="roles")


class AccessCode(Base):
    """Activation or reset code: stored hashed, single use, expires."""

    __tablename__ = "accounts_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "activate" | "reset"
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
