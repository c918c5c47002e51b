"""Excel export of the co-building desk's lists (需求库、资源库、项目清单、微心愿).

Each export runs the list's own service query — the same search, filters and data scope as the page — so a user
exports exactly the rows they may see. Chinese headers, dates as Excel dates (local time), one sheet; the
workbook is saved by the register engine (`gongzhi.core.excel`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.cobuild import service
from gongzhi.cobuild.models import NEED_SOURCES, NEED_STATUSES, PROJECT_STATUSES, PROVIDER_KINDS, WISH_STATUSES
from gongzhi.core import audit
from gongzhi.core import excel as core_excel
from gongzhi.core.auth import Principal
from gongzhi.core.errors import Forbidden

NEED_HEADERS = ["编号", "需求", "类型", "说明", "所需技能", "受益人数", "受益对象", "紧急程度", "期望开始",
                "期望结束", "来源", "状态", "地点", "区划代码", "登记时间"]
RESOURCE_HEADERS = ["编号", "资源", "类型", "说明", "技能", "容量", "余量", "提供方类型", "提供方", "可服务时间",
                    "地点", "区划代码", "是否有效"]
PROJECT_HEADERS = ["编号", "项目", "类型", "负责方", "开始日期", "结束日期", "已完成步骤", "步骤总数", "状态",
                   "实施成效", "评分", "评价"]
WISH_HEADERS = ["编号", "心愿", "类型", "说明", "状态", "心愿人", "认领人", "认领时间", "实现时间", "发布时间"]
WIDE = {"需求", "资源", "项目", "心愿", "说明", "实施成效", "评价", "可服务时间"}


def _workbook(title: str, headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    return core_excel.table(title, headers, rows, wide=WIDE)


def _may_export(principal: Principal) -> None:
    if not principal.can(service.READ):
        raise Forbidden("导出供社区、街道工作人员使用")


def export_needs(session: Session, principal: Principal, *, q: str | None = None, status: str | None = None,
                 need_type: str | None = None, mine: bool = False) -> bytes:
    _may_export(principal)
    rows, _ = service.list_needs(session, principal, q=q, status=status, need_type=need_type, mine=mine,
                                 limit=core_excel.MAX_ROWS)
    data = [[d["id"], d["title"], d["need_type"], d["description"], "、".join(d["skills"]), d["beneficiary_count"],
             d["beneficiaries"], d["urgency_label"], d["wanted_from"], d["wanted_to"],
             NEED_SOURCES.get(d["source"], d["source"]), NEED_STATUSES.get(d["status"], d["status"]),
             d["region_name"], d["region_code"], d["created_at"]] for d in service.need_dicts(session, rows)]
    audit.record(session, "export", "cobuild_needs", summary=f"导出需求库 {len(data)} 条")
    return _workbook("需求库", NEED_HEADERS, data)


def export_resources(session: Session, principal: Principal, *, q: str | None = None,
                     resource_type: str | None = None) -> bytes:
    _may_export(principal)
    rows, _ = service.list_resources(session, principal, q=q, resource_type=resource_type, limit=core_excel.MAX_ROWS)
    data = [[d["id"], d["title"], d["resource_type"], d["description"], "、".join(d["skills"]), d["capacity"],
             d["capacity_left"], PROVIDER_KINDS.get(d["provider_kind"], d["provider_kind"]), d["provider_name"],
             "；".join(f"{w[0]}–{w[1]}" for w in d["windows"] or []) or "不限", d["region_name"], d["region_code"],
             "是" if d["is_active"] else "否"] for d in service.resource_dicts(session, rows)]
    audit.record(session, "export", "cobuild_resources", summary=f"导出资源库 {len(data)} 条")
    return _workbook("资源库", RESOURCE_HEADERS, data)


def export_projects(session: Session, principal: Principal, *, q: str | None = None,
                    status: str | None = None) -> bytes:
    _may_export(principal)
    rows, _ = service.list_projects(session, principal, q=q, status=status, limit=core_excel.MAX_ROWS)
    data = []
    for p in rows:
        d = service.project_dict(session, p)
        data.append([d["id"], d["title"], d["need_type"], d["owner_name"], d["start_on"], d["end_on"],
                     sum(1 for s in d["steps"] if s["done"]), len(d["steps"]),
                     PROJECT_STATUSES.get(d["status"], d["status"]), d["outcome"], d["rating"], d["rating_comment"]])
    audit.record(session, "export", "cobuild_projects", summary=f"导出项目清单 {len(data)} 条")
    return _workbook("项目清单", PROJECT_HEADERS, data)


def export_wishes(session: Session, principal: Principal, *, q: str | None = None, status: str | None = None,
                  mine: bool = False, claimed: bool = False) -> bytes:
    _may_export(principal)
    rows, _ = service.list_wishes(session, principal, q=q, status=status, mine=mine, claimed_by_me=claimed,
                                  limit=core_excel.MAX_ROWS)
    data = []
    for w in rows:
        d = service.wish_dict(session, w)
        data.append([d["id"], d["title"], d["kind_label"], d["description"],
                     WISH_STATUSES.get(d["status"], d["status"]), d["poster_name"], d["claimer_name"],
                     d["claimed_at"], d["fulfilled_at"], d["created_at"]])
    audit.record(session, "export", "cobuild_wishes", summary=f"导出微心愿 {len(data)} 条")
    return _workbook("微心愿", WISH_HEADERS, data)
