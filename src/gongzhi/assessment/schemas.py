"""Request bodies of the assessment API. The service checks every field (the same rules as the forms, with
Chinese reasons, 422 naming each field); these models fix the shape and refuse unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SetCreate(Strict):
    name: str
    level: str = Field("community", description="street | community | compound | grid")
    period_kind: str = Field("month", description="month | quarter | year")
    region_code: str | None = Field(None, description="所属区域（被考核单位在其之下），默认本人管辖区域")
    red_count: int = 3
    yellow_count: int = 3
    description: str = ""


class SetUpdate(Strict):
    name: str | None = None
    description: str | None = None
    red_count: int | None = None
    yellow_count: int | None = None
    status: str | None = Field(None, description="archived：归档")


class ClassCreate(Strict):
    name: str
    seq: int | None = None


class IndicatorCreate(Strict):
    class_id: int
    code: str
    name: str
    method: str = Field(description="computed | manual | veto")
    max_score: float | None = None
    metric: str | None = None
    full_at: float | None = None
    zero_at: float | None = None
    if_no_data: str | None = None
    deduction: float | None = None
    guidance: str = ""
    seq: int | None = None


class IndicatorUpdate(Strict):
    class_id: int | None = None
    code: str | None = None
    name: str | None = None
    method: str | None = None
    max_score: float | None = None
    metric: str | None = None
    full_at: float | None = None
    zero_at: float | None = None
    if_no_data: str | None = None
    deduction: float | None = None
    guidance: str | None = None
    seq: int | None = None


class ScoreBody(Strict):
    score: float | None = Field(None, description="人工评分：0 到该项分值")
    failed: bool | None = Field(None, description="底线指标：是否触碰底线")
    evidence: str = Field("", description="评分依据（佐证），人工评分和触碰底线时必填")
