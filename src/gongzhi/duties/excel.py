"""Excel in and out for the duty catalog (事项, 职能部门) and a community's admission list.

Templates and the row reader are the register engine's (`gongzhi.core.excel`: starred required headers,
drop-downs, a help sheet). The import differs in one way: rows are matched by their code and *updated* when the
code exists, added when it does not, so an exported file can be edited and imported back. It stays all or
nothing: every row is checked first, and one bad row stores none (each problem listed by row, column, reason)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core import audit
from gongzhi.core import excel as core_excel
from gongzhi.core.auth import Principal
from gongzhi.core.errors import Forbidden
from gongzhi.core.excel import ImportReport
from gongzhi.core.registers import Lookup, Register
from gongzhi.duties import repository as repo
from gongzhi.duties import service
from gongzhi.duties.models import ADMISSION_LABELS, TIER_LABELS, AdmissionItem, Department, MatterType
from gongzhi.duties.service import ADMISSION_FIELDS, DEPARTMENT_FIELDS, MATTER_TYPE_FIELDS
from gongzhi.regions.models import Region

SHEETS: dict[str, Register] = {"matter_types": MATTER_TYPE_FIELDS, "departments": DEPARTMENT_FIELDS,
                               "admission_items": ADMISSION_FIELDS}


def template(principal: Principal, kind: str) -> bytes:
    if not principal.can(service.READ):
        raise Forbidden()
    return core_excel.template(SHEETS[kind])


def _workbook(reg: Register, rows: Iterable[list[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(reg.label)
    for i, f in enumerate(reg.fields, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 40 if f.kind == "text" else max(10, len(f.label) * 2 + 4)
    ws.append([f.label + ("*" if f.required else "") for f in reg.fields])
    for row in rows:
        ws.append(row)
    return core_excel._save(wb)


def _yes(v: bool) -> str:
    return "是" if v else "否"


def export_matter_types(session: Session, principal: Principal) -> bytes:
    """Every matter type (active or not), with its categories by code and name and departments by code."""
    if not principal.can(service.READ):
        raise Forbidden()
    rows = list(session.scalars(select(MatterType).order_by(MatterType.code)))
    dicts = service.matter_type_dicts(session, rows)
    data = [[d["code"], d["name"], d["category1"]["name"], d["category"]["name"], d["category"]["code"],
             d["lead_department"]["code"] if d["lead_department"] else None,
             "、".join(a["code"] for a in d["assist_departments"]), TIER_LABELS.get(d["tier"], d["tier"]),
             d["accept_hours"], d["resolve_days"], "、".join(d["keywords"]), _yes(d["is_active"])] for d in dicts]
    audit.record(session, "export", "matter_types", summary=f"导出事项 {len(data)} 条")
    return _workbook(MATTER_TYPE_FIELDS, data)


def export_departments(session: Session, principal: Principal) -> bytes:
    if not principal.can(service.READ):
        raise Forbidden()
    dicts = service.department_dicts(session, repo.all_departments(session))
    data = [[d["code"], d["name"], d["region_code"], d["phone"], _yes(d["is_active"])] for d in dicts]
    audit.record(session, "export", "departments", summary=f"导出职能部门 {len(data)} 个")
    return _workbook(DEPARTMENT_FIELDS, data)


def export_admission(session: Session, principal: Principal, community: Region) -> bytes:
    """One community's list (the caller has checked that the actor may open it)."""
    if not principal.can(service.READ):
        raise Forbidden()
    rows = list(session.scalars(repo.admission_items(community).order_by(AdmissionItem.kind, AdmissionItem.code)))
    dicts = service.admission_dicts(session, rows, community)
    data = [[d["code"], ADMISSION_LABELS.get(d["kind"], d["kind"]), d["title"], d["basis"],
             d["matter_type"]["code"] if d["matter_type"] else None] for d in dicts]
    audit.record(session, "export", "admission_items", community.code,
                 summary=f"导出{community.name}准入清单 {len(data)} 项")
    return _workbook(ADMISSION_FIELDS, data)


# ---- import -----------------------------------------------------------------------------------------------

Check = Callable[[dict[str, Any], Any], tuple[dict[str, Any], dict[str, str]]]
Apply = Callable[[Any, dict[str, Any]], Any]


def _import(session: Session, reg: Register, data: bytes, *, dry_run: bool, filename: str, what: str,
            existing: dict[str, Any], normalize: Callable[[str], str], check: Check, apply: Apply) -> ImportReport:
    rows = core_excel._read_rows(reg, data)
    report = ImportReport(total=len(rows), dry_run=dry_run)
    labels = {f.name: f.label for f in reg.fields}
    seen: dict[str, int] = {}
    planned: list[tuple[Any, dict[str, Any]]] = []
    for n, raw in rows:
        code = normalize(str(raw.get("code") or "").strip())
        current = existing.get(code) if code else None
        values, errors = check(raw, current)
        if code and "code" not in errors:
            if code in seen:
                errors["code"] = f"编号与第 {seen[code]} 行重复"
            else:
                seen[code] = n
        for name, reason in errors.items():
            report.errors.append({"row": n, "column": labels.get(name, name), "field": name, "reason": reason})
        planned.append((current, values))
    if report.errors or dry_run:
        return report
    added = sum(1 for current, _ in planned if current is None)
    with audit.muted():
        for current, values in planned:
            apply(current, values)
        session.flush()
    report.imported = len(planned)
    audit.record(session, "import", reg.model.__tablename__,
                 summary=f"导入{what} {len(planned)} 条（新增 {added}，更新 {len(planned) - added}） {filename}"[:300])
    return report


def import_matter_types(session: Session, principal: Principal, data: bytes, *, dry_run: bool,
                        filename: str = "") -> ImportReport:
    """Matter types by code; a category named by its two names that does not exist yet is created."""
    if not principal.can(service.WRITE):
        raise Forbidden()
    lookup = Lookup(session, principal)
    lookup.preload(Department, "code", [d.code for d in repo.all_departments(session)])
    existing = {m.code: m for m in session.scalars(select(MatterType))}
    for code, m in existing.items():
        lookup.cache[(MatterType, "code", code)] = m
    categories = service.CategoryIndex.load(session)
    for c in categories.by_names.values():
        lookup.cache[(type(c), "code", c.code)] = c

    def check(raw: dict[str, Any], current: Any) -> tuple[dict[str, Any], dict[str, str]]:
        lookup.cache.setdefault((MatterType, "code", str(raw.get("code") or "").strip()), None)
        return service.check_matter_type(session, principal, raw, current=current, lookup=lookup,
                                         categories=categories, create_categories=True)

    def apply(current: MatterType | None, values: dict[str, Any]) -> None:
        mt = current or MatterType(assist_department_ids=[], keywords="")
        service.apply_matter_type(session, mt, values)
        if current is None:
            session.add(mt)

    report = _import(session, MATTER_TYPE_FIELDS, data, dry_run=dry_run, filename=filename, what="事项",
                     existing=existing, normalize=str, check=check, apply=apply)
    service.invalidate_suggestions()
    return report


def import_departments(session: Session, principal: Principal, data: bytes, *, dry_run: bool,
                       filename: str = "") -> ImportReport:
    if not principal.can(service.WRITE):
        raise Forbidden()
    lookup = Lookup(session, principal)
    existing = {d.code: d for d in repo.all_departments(session)}
    for code, d in existing.items():
        lookup.cache[(Department, "code", code)] = d

    def check(raw: dict[str, Any], current: Any) -> tuple[dict[str, Any], dict[str, str]]:
        lookup.cache.setdefault((Department, "code", str(raw.get("code") or "").strip().upper()), None)
        return service.check_department(session, principal, raw, current=current, lookup=lookup)

    def apply(current: Department | None, values: dict[str, Any]) -> None:
        columns = service.columns(values, Department)
        if current is None:
            session.add(Department(**columns))
        else:
            for k, v in columns.items():
                setattr(current, k, v)

    return _import(session, DEPARTMENT_FIELDS, data, dry_run=dry_run, filename=filename, what="职能部门",
                   existing=existing, normalize=str.upper, check=check, apply=apply)


def import_admission(session: Session, principal: Principal, community: Region, data: bytes, *, dry_run: bool,
                     filename: str = "") -> ImportReport:
    """Items of one community's list by code (codes are per community)."""
    if not service.can_edit_admission(principal, community):
        raise Forbidden("您无权修改该社区的准入清单")
    lookup = Lookup(session, principal)
    existing = repo.admission_by_code(session, community)

    def check(raw: dict[str, Any], current: Any) -> tuple[dict[str, Any], dict[str, str]]:
        return service.check_admission_item(session, principal, community, raw, current=current, lookup=lookup,
                                            codes=existing)

    def apply(current: AdmissionItem | None, values: dict[str, Any]) -> None:
        columns = service.columns(values, AdmissionItem)
        if current is None:
            session.add(AdmissionItem(**{"basis": "", **columns}))
        else:
            for k, v in columns.items():
                setattr(current, k, v)

    return _import(session, ADMISSION_FIELDS, data, dry_run=dry_run, filename=filename,
                   what=f"{community.name}准入清单", existing=existing, normalize=str.upper, check=check, apply=apply)
