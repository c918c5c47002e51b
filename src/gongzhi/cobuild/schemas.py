"""Request and response bodies of the co-building API. Input fields are checked by the service (the same rules as
the forms, with Chinese reasons); these models fix the shape and refuse unknown fields. Lists use the one
generic page shape of gongzhi.duties.schemas."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberCreate(Strict):
    unit_id: int
    signed_on: dt.date
    term_end: dt.date | None = None
    terms: str = ""
    pledged: str = ""


class MemberUpdate(Strict):
    term_end: dt.date | None = None
    terms: str | None = None
    pledged: str | None = None
    is_active: bool | None = None


class OfficerCreate(Strict):
    name: str
    post: str = "兼职委员"
    term_start: dt.date | None = None
    term_end: dt.date | None = None


class RotationEdit(Strict):
    swap: list[int] | None = Field(None, description="调换两个时段，如 [1, 3]")
    slot: int | None = Field(None, description="要替换单位的时段 1–6")
    unit_id: int | None = None


class MeetingCreate(Strict):
    title: str = ""
    held_at: dt.datetime = Field(description="会议时间；不带时区按北京时间")
    place: str = ""
    agenda: list[str]


class AttendanceBody(Strict):
    unit_ids: list[int] = []
    usernames: list[str] = []
    names: list[str] = []


class MinutesBody(Strict):
    minutes: str
    decisions: list[str] = []


class DecisionNeed(Strict):
    need_type: str
    region_code: str | None = None
    beneficiary_count: int | None = None


class NeedCreate(Strict):
    title: str
    need_type: str = Field(description="助老、助残、助学、医疗健康、环境整治、设施维修、文体活动、法律咨询、就业帮扶、"
                                       "其他")
    description: str = ""
    skills: list[str] = []
    beneficiary_count: int = 1
    beneficiaries: str = ""
    urgency: str = "normal"
    wanted_from: dt.date | None = None
    wanted_to: dt.date | None = None
    region_code: str | None = Field(None, description="所在社区、小区或网格；不填为本人所在")
    lat: float | None = None
    lon: float | None = None


class ResourceCreate(Strict):
    title: str
    resource_type: str
    description: str = ""
    skills: list[str] = []
    capacity: int = 1
    windows: list[list[dt.date]] = Field([], description="可服务时间段，如 [[\"2026-12-01\", \"2026-12-31\"]]")
    provider_kind: str | None = None
    provider_name: str | None = None
    unit_id: int | None = None
    region_code: str | None = None
    lat: float | None = None
    lon: float | None = None


class NeedClaim(Strict):
    resource_id: int | None = Field(None, description="用来认领的资源；党员、志愿者认领难题时可不填")
    note: str = ""


class ResourceClaim(Strict):
    need_id: int
    note: str = ""


class PairsBody(Strict):
    pairs: list[tuple[int, int]] = Field(description="[[need_id, resource_id], …]")


class StepCreate(Strict):
    title: str
    due_on: dt.date | None = None


class FinishBody(Strict):
    outcome: str


class RateBody(Strict):
    rating: int
    comment: str = ""


class WishCreate(Strict):
    title: str
    kind: str = "other"
    description: str = ""
    region_code: str | None = None


# ---- responses --------------------------------------------------------------------------------------------

class NeedRead(BaseModel):
    id: int
    title: str
    need_type: str
    description: str
    skills: list[str]
    beneficiary_count: int
    beneficiaries: str
    urgency: str
    urgency_label: str
    wanted_from: dt.date | None
    wanted_to: dt.date | None
    source: str
    status: str
    region_code: str
    region_name: str
    lat: float | None
    lon: float | None
    created_at: dt.datetime


class ClaimRead(BaseModel):
    id: int
    need_id: int
    resource_id: int | None
    kind: str
    status: str
    resource_title: str | None
    provider_name: str | None
    claimant: str | None
    note: str
    score: float | None
    created_at: dt.datetime


class NeedDetail(NeedRead):
    claims: list[ClaimRead]


class ResourceRead(BaseModel):
    id: int
    title: str
    resource_type: str
    description: str
    skills: list[str]
    capacity: int
    capacity_left: int
    provider_kind: str
    provider_name: str
    unit_id: int | None
    windows: list[list[str]]
    region_code: str
    region_name: str
    is_active: bool


class SuggestionRead(BaseModel):
    resource: ResourceRead
    score: float
    parts: dict[str, float] = Field(description="skills 技能, distance 距离, capacity 余量, window 时间, rating 口碑")
    km: float | None


class StepRead(BaseModel):
    id: int
    seq: int
    title: str
    due_on: dt.date | None
    done: bool


class ProjectRead(BaseModel):
    id: int
    title: str
    need_id: int
    need_type: str | None
    resource_id: int | None
    owner_name: str
    unit_id: int | None
    start_on: dt.date
    end_on: dt.date | None
    status: str
    outcome: str
    rating: int | None
    rating_comment: str
    steps: list[StepRead]


class WishEventRead(BaseModel):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    from_: str | None = Field(alias="from")
    to: str
    note: str


class WishRead(BaseModel):
    id: int
    title: str
    kind: str
    kind_label: str
    description: str
    status: str
    poster_name: str
    claimer_name: str | None
    claimed_at: dt.datetime | None
    fulfilled_at: dt.datetime | None
    fulfil_note: str
    thanks: str
    has_photo: bool
    has_fulfil_photo: bool
    created_at: dt.datetime
    timeline: list[WishEventRead] | None = None


class AttendeeRead(BaseModel):
    name: str
    unit_id: int | None
    user_id: int | None


class MeetingRead(BaseModel):
    id: int
    title: str
    held_at: dt.datetime
    held_local: str
    place: str
    agenda: list[str]
    minutes: str
    decisions: list[str]
    status: str
    status_label: str
    chair_unit: str | None
    attendance: list[AttendeeRead]


class ChairTermRead(BaseModel):
    slot: int
    months: tuple[int, int]
    unit_id: int
    unit_name: str
    current: bool


class PairRead(BaseModel):
    need_id: int
    need_title: str
    need_type: str
    resource_id: int
    resource_title: str
    provider_name: str
    score: float


class AssignmentRead(BaseModel):
    community_code: str
    open_needs: int
    matched: int
    greedy_matched: int = Field(description="逐条先到先得（贪心）可匹配的数量，作对照")
    pairs: list[PairRead]
