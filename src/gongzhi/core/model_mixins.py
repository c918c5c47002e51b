"""Column sets shared by the registers: a place in the region tree, timestamps, personal data at rest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from gongzhi.core.db import UTCDateTime, now


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class Placed:
    """A row that belongs to a node of the region tree. `scope_path` is that node's path, copied here so
    one indexed range test answers "is this inside the actor's scope?" without a join."""

    @declared_attr
    def region_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("regions.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def scope_path(cls) -> Mapped[str]:
        return mapped_column(String(220), index=True)


class HasIdNumber:
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(24), nullable=True)


class HasPhone:
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(24), nullable=True)
