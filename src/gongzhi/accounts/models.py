"""Accounts: who may log in, with which role, over which node of the region tree."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now
from gongzhi.core.model_mixins import Timestamped
from gongzhi.duties import models as _duties  # noqa: F401 - users.department_id points at departments
from gongzhi.orgs import models as _orgs  # noqa: F401 - users.unit_id points at units

ROLES = ("resident", "volunteer", "grid_worker", "community_staff", "street_staff", "department_handler",
         "party_member", "leader", "admin")


class User(Timestamped, Base):
    """An account. `scope_region_id` is the node whose subtree the user sees and changes."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN (" + ",".join(f"'{r}'" for r in ROLES) + ")", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))
    scope_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A department handler's department: they take that department's cases, wherever they lie.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True, index=True)
    # A handler acting for a member unit or shop (驻区单位): its pledges, claims, store items and hand-overs.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)


class LoginAttempt(Base):
    """One login try; failures within a window slow the next try down."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
