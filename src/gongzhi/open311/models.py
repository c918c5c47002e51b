"""Open311 API keys: who may file service requests through the GeoReport v2 endpoint."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now


class ApiKey(Base):
    """Open311 接入密钥 — one client application (a city app, a partner's platform) allowed to POST requests.

    Only the SHA-256 of the key is stored: the key itself is shown once, when it is created, and cannot be
    recovered (a lost key is revoked and replaced). Keys are 256 random bits, so a plain hash is as strong as a
    salted one, and it survives a rotation of the secret key. `prefix` (its first characters) lets an operator
    tell keys apart in lists and logs."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
