"""The region tree (治理单元) and the buildings in it."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base
from gongzhi.core.i18n import N_
from gongzhi.core.model_mixins import Placed, Timestamped


class Level(enum.StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"
    compound = "compound"
    grid = "grid"


LEVEL_ORDER = {lv: i for i, lv in enumerate(Level)}
LEVEL_LABELS = {
    Level.city: N_("市"), Level.district: N_("区县"), Level.street: N_("街道/镇"),
    Level.community: N_("社区/村"), Level.compound: N_("小区"), Level.grid: N_("网格"),
}


class Region(Timestamped, Base):
    """治理单元 — one node of the tree: city, district, street (街道), community (社区/村), compound (小区)
    or grid (网格). Official levels carry the 12-digit statistical division code; compounds and grids
    carry their community's code plus a serial (CJ/T 349 style)."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("level IN ('city','district','street','community','compound','grid')", name="level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    level: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)  # 街道/镇/乡, 社区/村 …
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), nullable=True, index=True)
    path: Mapped[str] = mapped_column(String(220), unique=True)
    geometry: Mapped[str | None] = mapped_column(Text, nullable=True)  # GeoJSON, WGS-84
    center_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    center_lat: Mapped[float | None] = mapped_column(Float, nullable=True)


class Building(Placed, Timestamped, Base):
    """楼栋 — a building, placed in exactly one grid (不留空白)."""

    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    floors: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
