"""Excel in and out for every register: a template, an export, and an all-or-nothing import that names
every bad row, column and reason (in Chinese) before anything is stored."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from gongzhi.core import audit
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, Forbidden
from gongzhi.core.registers import Field, Lookup, Register, clean, readable, to_dict, unique_key

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="C00000")
MAX_ROWS = 200_000
SHANGHAI = ZoneInfo("Asia/Shanghai")

Progress = Callable[[str, int, int], None]


def _header_label(f: Field) -> str:
    return f.label + ("*" if f.required or f.kind == "region" else "")


def _sheet(reg: Register) -> tuple[Workbook, Any]:
    wb = Workbook()
    ws = wb.active
    ws.title = reg.label
    ws.append([_header_label(f) for f in reg.fields])
    for i, f in enumerate(reg.fields, start=1):
        c = ws.cell(row=1, column=i)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = HEADER_FILL
        c.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(f.label) * 2 + 4)
        if f.kind in ("id_number", "phone", "region", "ref", "str"):
            ws.column_dimensions[get_column_letter(i)].number_format = "@"
    ws.freeze_panes = "A2"
    return wb, ws


def template(reg: Register) -> bytes:
    """An empty sheet with the headers (required ones starred), drop-downs for choices, and a help sheet."""
    wb, ws = _sheet(reg)
    for i, f in enumerate(reg.fields, start=1):
        if f.kind in ("choice", "bool"):
            options = tuple(lb for _, lb in f.codes) or f.choices if f.kind == "choice" else ("是", "否")
            dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
            col = get_column_letter(i)
            dv.add(f"{col}2:{col}10001")
            ws.add_data_validation(dv)
    help_ws = wb.create_sheet("填写说明")
    help_ws.append(["列名", "必填", "说明"])
    for f in reg.fields:
        note = f.help or {
            "choice": "可选：" + "、".join(tuple(lb for _, lb in f.codes) or f.choices),
            "tags": "多个用逗号分隔，可选：" + "、".join(f.choices),
            "date": "日期，如 1980-05-01", "bool": "是 / 否", "id_number": "18位身份证号（校验码按 GB 11643 校验）",
            "phone": "11位手机号或带区号座机",
        }.get(f.kind, "")
        help_ws.append([f.label, "是" if f.required or f.kind == "region" else "否", note])
    help_ws.column_dimensions["A"].width = 18
    help_ws.column_dimensions["C"].width = 80
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


save = _save


def local_time(v: Any) -> Any:
    """Excel has no time zones: a moment becomes Shanghai wall-clock time (dates and other values unchanged)."""
    if isinstance(v, dt.datetime):
        aware = v if v.tzinfo else v.replace(tzinfo=dt.UTC)
        return aware.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
    return v


def add_table(wb: Workbook, title: str, headers: list[str], rows: Iterable[list[Any]], *,
              wide: Collection[str] = ()) -> Any:
    """A sheet holding one table: bold headers, the first row frozen, moments in local time with a date format,
    the `wide` columns wide. Returns the sheet (for colours and the like)."""
    ws = wb.create_sheet()
    ws.title = title[:31]
    ws.append(headers)
    for i, h in enumerate(headers, start=1):
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(i)].width = 36 if h in wide else max(10, len(h) * 2 + 4)
    for n, row in enumerate(rows, start=2):
        values = [local_time(v) for v in row]
        ws.append(values)
        for i, v in enumerate(values, start=1):  # only the dates get a format (no second pass over every cell)
            if isinstance(v, dt.date):
                ws.cell(row=n, column=i).number_format = "yyyy-mm-dd hh:mm" if isinstance(v, dt.datetime) \
                    else "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    return ws


def table(title: str, headers: list[str], rows: Iterable[list[Any]], *, wide: Collection[str] = ()) -> bytes:
    """A workbook of one table (see add_table)."""
    wb = new_workbook()
    add_table(wb, title, headers, rows, wide=wide)
    return _save(wb)


def new_workbook() -> Workbook:
    """A workbook without sheets, for add_table."""
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def export(session: Session, principal: Principal, reg: Register, stmt: Any = None,
           progress: Progress | None = None) -> bytes:
    """Every row the user may see (or those `stmt` selects), with masked personal data, as .xlsx."""
    if not principal.can(f"{reg.kind}:read"):
        raise Forbidden()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(reg.label)
    ws.append([f.label for f in reg.fields])
    stmt = (stmt if stmt is not None else readable(reg, principal)).order_by(getattr(reg.model, reg.order_by))
    lookup = Lookup(session, principal)
    batch: list[Any] = []
    done = 0

    def flush_batch() -> None:
        nonlocal done
        for d in to_dict(session, principal, reg, batch, lookup):
            ws.append([_cell(f.label_of(d.get(f.name))) for f in reg.fields])
        done += len(batch)
        batch.clear()
        lookup.cache.clear()
        if progress:
            progress("export", done, 0)

    for row in session.scalars(stmt.execution_options(yield_per=2000)):
        batch.append(row)
        if len(batch) >= 2000:
            flush_batch()
    flush_batch()
    audit.record(session, "export", reg.model.__tablename__, summary=f"导出{reg.label} {done} 条")
    return _save(wb)


def _cell(v: Any) -> Any:
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    dry_run: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "imported": self.imported, "dry_run": self.dry_run, "ok": self.ok,
                "errors": self.errors}


def _read_rows(reg: Register, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise AppError("无法读取文件：请上传 .xlsx 格式的 Excel 文件", code="bad_file", status=422) from exc
    ws = wb[reg.label] if reg.label in wb.sheetnames else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise AppError("文件是空的", code="empty_file", status=422)
    by_label = {}
    for f in reg.fields:
        by_label[f.label] = f.name
        by_label[_header_label(f)] = f.name
    positions: dict[int, str] = {}
    for i, h in enumerate(header):
        name = by_label.get(str(h).strip()) if h is not None else None
        if name:
            positions[i] = name
    missing = [_header_label(f) for f in reg.fields
               if (f.required or f.kind == "region") and f.name not in positions.values()]
    if missing:
        raise AppError(f"表头缺少必填列：{'、'.join(missing)}（请使用下载的模板）", code="bad_header", status=422,
                       details={"missing": missing})
    out: list[tuple[int, dict[str, Any]]] = []
    for n, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append((n, {name: values[i] if i < len(values) else None for i, name in positions.items()}))
        if len(out) > MAX_ROWS:
            raise AppError(f"一次最多导入 {MAX_ROWS} 行，请拆分文件", code="too_many_rows", status=422)
    wb.close()
    return out


def import_rows(session: Session, principal: Principal, reg: Register, data: bytes, *, dry_run: bool,
                filename: str = "", progress: Progress | None = None) -> ImportReport:
    """All or nothing: validate every row first; store them only if none is bad and this is not a dry run."""
    if not principal.can(f"{reg.kind}:write"):
        raise Forbidden()
    rows = _read_rows(reg, data)
    report = ImportReport(total=len(rows), dry_run=dry_run)
    lookup = Lookup(session, principal)
    _preload(reg, lookup, rows)
    seen: dict[str, dict[Any, int]] = {name: {} for name in reg.unique}
    cleaned: list[dict[str, Any]] = []
    for i, (n, raw) in enumerate(rows, start=1):
        values, errors = clean(session, principal, reg, raw, partial=False, lookup=lookup)
        for name in reg.unique:
            if name in errors:
                continue
            _col, key = unique_key(reg, name, values)
            if key is None:
                continue
            if key in seen[name]:
                errors[name] = f"与第 {seen[name][key]} 行重复"
            else:
                seen[name][key] = n
        for name, reason in errors.items():
            report.errors.append({"row": n, "column": reg.field(name).label if name in
                                  {f.name for f in reg.fields} else name, "field": name, "reason": reason})
        cleaned.append(values)
        if progress and (i % 500 == 0 or i == len(rows)):
            progress("validate", i, len(rows))
    if report.errors or dry_run:
        return report
    objs = [reg.model(**{k: v for k, v in values.items() if not k.startswith("_")}) for values in cleaned]
    with audit.muted():
        for i in range(0, len(objs), 1000):
            session.add_all(objs[i:i + 1000])
            session.flush()
            if progress:
                progress("save", min(i + 1000, len(objs)), len(objs))
    report.imported = len(objs)
    ids = [o.id for o in objs]
    audit.record(session, "import", reg.model.__tablename__, summary=f"导入{reg.label} {len(objs)} 条 {filename}"[:300],
                 after={"ids": [min(ids), max(ids)] if ids else [], "count": len(ids)})
    return report


def _preload(reg: Register, lookup: Lookup, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """One query per referenced kind for the whole file, not one per row."""
    from gongzhi.core import crypto
    from gongzhi.regions.models import Region

    def col(name: str) -> list[str]:
        return [str(r[name]).strip() for _, r in rows if r.get(name) not in (None, "")]

    for f in reg.fields:
        if f.kind == "region":
            lookup.preload(Region, "code", col(f.name))
        elif f.kind == "ref" and f.ref is not None:
            lookup.preload(f.ref.model, f.ref.key, col(f.name))
    for name in reg.unique:
        f = reg.field(name)
        if f.sensitive:
            lookup.preload(reg.model, f"{name}_hash", [crypto.blind_index(v) for v in col(name)])
        else:
            lookup.preload(reg.model, name, col(name))
