"""What the appeal API reads and writes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gongzhi.appeals.models import CHANNELS

Channel = Literal["hotline", "mailbox", "visit", "patrol", "volunteer", "h5", "transfer", "open311"]
assert set(CHANNELS) == set(Channel.__args__)  # type: ignore[attr-defined]


class AppealCreate(BaseModel):
    """A new appeal from any channel. Location: a point (lat/lon in `crs`), or an address plus a region
    code, or — for a resident — their own grid."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=2, max_length=120)
    description: str = Field(default="", max_length=4000)
    channel: Channel = "h5"
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    address: str = Field(default="", max_length=200)
    region_code: str | None = Field(default=None, max_length=20)
    matter_code: str | None = Field(default=None, max_length=20)
    category_code: str | None = Field(default=None, max_length=20)
    priority: Literal["normal", "urgent"] = "normal"
    anonymous: bool = False
    reporter_name: str = Field(default="", max_length=40)
    reporter_phone: str | None = Field(default=None, max_length=20)
    location_consent: bool = False
    external_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _point(self) -> AppealCreate:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat 和 lon 须同时提供")
        return self

    @field_validator("description")
    @classmethod
    def _no_html(cls, v: str) -> str:
        if "<" in v and ">" in v and any(t in v.lower() for t in ("<script", "<a ", "<img", "<iframe", "<div")):
            raise ValueError("描述不能包含HTML")
        return v


class ActionBody(BaseModel):
    """The body of `POST /api/v1/appeals/{id}/{action}`. Each action reads the fields it needs (docs/appeals.md);
    `version`, when given, must equal the appeal's current version or the request fails with 409."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    note: str = Field(default="", max_length=2000)
    reason: str = Field(default="", max_length=2000)
    matter_code: str | None = Field(default=None, max_length=20)
    priority: Literal["normal", "urgent"] | None = None
    parent_id: int | None = Field(default=None, ge=1)
    tier: Literal["grid", "community", "street", "department"] | None = None
    region_code: str | None = Field(default=None, max_length=20)
    department_code: str | None = Field(default=None, max_length=20)
    department_codes: list[str] = Field(default_factory=list, max_length=20)
    task: str = Field(default="", max_length=2000)
    days: int | None = Field(default=None, ge=1, le=60)
    approve: bool | None = None
    reply: str = Field(default="", max_length=4000)
    report: str = Field(default="", max_length=4000)
    passed: bool | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str = Field(default="", max_length=2000)
    photo_ids: list[int] = Field(default_factory=list, max_length=9)


class EventRead(BaseModel):
    seq: int
    at: dt.datetime
    actor_name: str
    actor_role: str
    action: str
    from_status: str | None
    to_status: str
    note: str
    data: dict[str, Any]
