"""The audit log, for admins: a page and a JSON list, filtered by entity, action and user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.core.audit import AuditEvent
from gongzhi.core.i18n import N_
from gongzhi.core.web import PageDep, PageParams, SessionDep, render, require

router = APIRouter(dependencies=[require("audit:read")])
ACTIONS = {"create": N_("新增"), "update": N_("修改"), "delete": N_("删除"), "reveal": N_("查看敏感信息"),
           "import": N_("导入"), "export": N_("导出"), "login": N_("登录")}


def search(session: Session, params: PageParams, *, entity: str | None, action: str | None,
           actor: str | None) -> tuple[list[AuditEvent], int]:
    stmt = select(AuditEvent)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor_name == actor)
    if params.q:
        stmt = stmt.where(AuditEvent.summary.contains(params.q) | (AuditEvent.entity_id == params.q))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(AuditEvent.id.desc()).offset(params.offset).limit(params.size)))
    return rows, total


def _dict(e: AuditEvent) -> dict[str, Any]:
    return {"id": e.id, "at": e.at.isoformat(), "actor_id": e.actor_id, "actor": e.actor_name, "ip": e.ip,
            "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "summary": e.summary,
            "before": e.before, "after": e.after}


@router.get("/api/v1/audit", tags=["审计"], summary="审计日志")
def audit_api(session: SessionDep, params: PageDep, entity: str | None = None, action: str | None = None,
              actor: str | None = None) -> dict[str, Any]:
    rows, total = search(session, params, entity=entity, action=action, actor=actor)
    return {"items": [_dict(e) for e in rows], "total": total, "page": params.page, "size": params.size}


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, session: SessionDep, params: PageDep, entity: str | None = None,
               action: str | None = None, actor: str | None = None) -> Response:
    rows, total = search(session, params, entity=entity or None, action=action or None, actor=actor or None)
    return render(request, "audit/list.html", {
        "title": "审计日志", "nav": "audit", "rows": rows, "total": total, "params": params,
        "pages": max(1, -(-total // params.size)), "actions": ACTIONS,
        "chosen": {"entity": entity or "", "action": action or "", "actor": actor or ""}})
