"""district → street office → community → residents' group / grid → household → resident."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, UTCDateTime, utcnow


class District(Base):
    __tablename__ = "registry_district"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40), unique=True)


class StreetOffice(Base):
    __tablename__ = "registry_street"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("registry_district.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    district: Mapped[District] = relationship(lazy="raise")


class Community(Base):
    __tablename__ = "registry_community"
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("registry_street.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    street: Mapped[StreetOffice] = relationship(lazy="raise")


class ResidentGroup(Base):
    """居民小组."""

    __tablename__ = "registry_group"
    __table_args__ = (UniqueConstraint("community_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))


class Grid(Base):
    """网格."""

    __tablename__ = "registry_grid"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    leader_name: Mapped[str] = mapped_column(String(50), default="")


class Household(Base):
    """户: an address in a building; belongs to one residents' group and one grid."""

    __tablename__ = "registry_household"
    __table_args__ = (UniqueConstraint("community_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("registry_group.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("registry_grid.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    building: Mapped[str] = mapped_column(String(20), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    room: Mapped[str] = mapped_column(String(20), default="")


class Resident(Base):
    __tablename__ = "registry_resident"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("registry_household.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(1))  # "F" / "M", as on the ID card
    birth_date: Mapped[dt.date] = mapped_column(Date)
    # Stored in full (eligibility, login, duplicates) but only ever shown masked.
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    hukou_here: Mapped[bool] = mapped_column(Boolean, default=True)  # 户籍在本社区
    lives_here: Mapped[bool] = mapped_column(Boolean, default=True)  # 实际居住在本社区 (人户分离 when they differ)
    residence_since: Mapped[dt.date | None] = mapped_column(Date)
    works_here_since: Mapped[dt.date | None] = mapped_column(Date)  # community workers (E12)
    party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    deprived_of_political_rights: Mapped[bool] = mapped_column(Boolean, default=False)
    is_resident_rep: Mapped[bool] = mapped_column(Boolean, default=False)  # 居民代表
    is_party_rep: Mapped[bool] = mapped_column(Boolean, default=False)  # 党员代表
    is_group_leader: Mapped[bool] = mapped_column(Boolean, default=False)  # 居民小组长
    is_household_head: Mapped[bool] = mapped_column(Boolean, default=False)  # 户代表
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household | None] = relationship(lazy="raise")
    community: Mapped[Community] = relationship(lazy="raise")


class ImportJob(Base):
    """One uploaded resident file: checked row by row, imported only when every row is clean."""

    __tablename__ = "registry_import"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("registry_community.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="checking")  # checking|rejected|importing|done|failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[str] = mapped_column(String, default="[]")  # JSON: [{"line": 3, "errors": [...]}]
    message: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
