"""What the message centre's JSON API reads and answers."""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    link: str = Field(description="页面路径，如 /appeals/123")
    appeal_id: int | None
    kind: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool


class MessagePage(BaseModel):
    items: list[MessageRead]
    total: int
    page: int
    size: int
    pages: int
    unread: int = Field(description="全部未读条数")


class MarkRead(BaseModel):
    """Either `ids` (the user's own messages) or `all: true`."""

    model_config = ConfigDict(extra="forbid")

    ids: list[int] | None = Field(None, max_length=500, description="要标为已读的消息编号")
    all: bool = Field(False, description="全部标为已读")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if self.all == (self.ids is not None):
            raise ValueError("give either ids or all=true")
        return self


class MarkReadResult(BaseModel):
    marked: int = Field(description="本次标为已读的条数")
    unread: int = Field(description="剩余未读条数")


class UnreadCount(BaseModel):
    unread: int
