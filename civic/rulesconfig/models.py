"""Rule profiles (province/city) and their immutable versions: a running election keeps its version."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import Base, UTCDateTime, utcnow


class RuleProfile(Base):
    __tablename__ = "rules_profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("registry_district.id"), unique=True)


class RuleVersion(Base):
    __tablename__ = "rules_version"
    __table_args__ = (UniqueConstraint("profile_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("rules_profile.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    legal_regime: Mapped[str] = mapped_column(String(4), default="2025")
    values: Mapped[str] = mapped_column(Text)  # JSON of every key in defaults.SPEC
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
