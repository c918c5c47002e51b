"""Request and response bodies of the duty catalog API. Input is checked field by field by the service (the
same rules as forms and Excel rows, with Chinese reasons); these models only fix the shape."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int
    pages: int


class Ref(BaseModel):
    id: int
    code: str
    name: str


# ---- departments ------------------------------------------------------------------------------------------

class DepartmentRead(BaseModel):
    id: int
    code: str
    name: str
    region_code: str | None
    region_name: str | None
    phone: str | None
    is_active: bool
    lead_matter_count: int | None = None


class DepartmentCreate(Strict):
    code: str
    name: str
    region_code: str | None = Field(None, description="市或区县的区划代码；不填为全市")
    phone: str | None = None
    is_active: bool | None = None


class DepartmentUpdate(Strict):
    code: str | None = None
    name: str | None = None
    region_code: str | None = None
    phone: str | None = None
    is_active: bool | None = None


# ---- categories -------------------------------------------------------------------------------------------

class CategoryNode(BaseModel):
    id: int
    code: str
    name: str
    level: int
    matter_count: int
    children: list[CategoryNode] = []


class CategoryCreate(Strict):
    name: str
    parent_code: str | None = Field(None, description="一级分类编码；不填则新建一级分类")
    code: str | None = Field(None, description="不填则自动编号")


class CategoryUpdate(Strict):
    name: str


class CategoryRead(BaseModel):
    id: int
    code: str
    name: str
    level: int
    parent_code: str | None


# ---- matter types -----------------------------------------------------------------------------------------

class MatterTypeRead(BaseModel):
    id: int
    code: str
    name: str
    category: Ref
    category1: Ref
    lead_department: Ref | None
    assist_departments: list[Ref]
    tier: str
    tier_label: str
    accept_hours: int
    resolve_days: int
    keywords: list[str]
    is_active: bool


class MatterTypeCreate(Strict):
    code: str
    name: str
    category_code: str | None = Field(None, description="二级分类编码；或填写 category1 与 category2 名称")
    category1: str | None = None
    category2: str | None = None
    lead_department_code: str
    assist_department_codes: list[str] | str | None = None
    tier: str = Field(description="grid / community / street / department（或 网格/社区/街道/部门）")
    accept_hours: int
    resolve_days: int
    keywords: list[str] | str | None = None
    is_active: bool | None = None


class MatterTypeUpdate(Strict):
    code: str | None = None
    name: str | None = None
    category_code: str | None = None
    category1: str | None = None
    category2: str | None = None
    lead_department_code: str | None = None
    assist_department_codes: list[str] | str | None = None
    tier: str | None = None
    accept_hours: int | None = None
    resolve_days: int | None = None
    keywords: list[str] | str | None = None
    is_active: bool | None = None


class SuggestionRead(BaseModel):
    id: int
    code: str
    name: str
    score: float
    matched: list[str]
    tier: str
    lead_department: Ref | None


# ---- admission lists --------------------------------------------------------------------------------------

class CommunityRead(BaseModel):
    code: str
    name: str
    street_name: str | None
    items: int


class AdmissionItemRead(BaseModel):
    id: int
    community_code: str
    code: str
    kind: str
    kind_label: str
    title: str
    basis: str
    matter_type: Ref | None


class AdmissionPage(Page[AdmissionItemRead]):
    community: CommunityRead
    counts: dict[str, int]


class AdmissionItemCreate(Strict):
    code: str
    kind: str = Field(description="must_do / assist / may_certify / must_not_certify（或中文类别名）")
    title: str
    basis: str | None = None
    matter_type_code: str | None = None


class AdmissionItemUpdate(Strict):
    code: str | None = None
    kind: str | None = None
    title: str | None = None
    basis: str | None = None
    matter_type_code: str | None = None


class AdmissionCheck(BaseModel):
    refused: bool
    item: AdmissionItemRead | None
    reason: str | None


class ImportResult(BaseModel):
    total: int
    imported: int
    dry_run: bool
    ok: bool
    errors: list[dict[str, object]]
