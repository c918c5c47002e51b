"""服务时长 export: every log of the chosen filter on one sheet, and the confirmed hours per person on another,
opening in Excel."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from gongzhi.volunteers.models import LOG_LABELS


def hours_workbook(rows: list[tuple[Any, str]]) -> bytes:
    """`rows`: (ServiceLog, name) pairs as the desk lists them."""
    wb = Workbook()
    ws = wb.active
    ws.title = "服务记录"
    ws.append(["姓名", "类别", "服务日期", "时长（小时）", "服务内容", "状态", "处理意见"])
    per: dict[tuple[str, str], float] = {}
    for log, name in rows:
        kind = "在职党员" if log.reporting_id else "志愿者"
        ws.append([name, kind, log.served_on, log.hours, log.what, LOG_LABELS[log.status], log.reason])
        ws.cell(ws.max_row, 3).number_format = "yyyy-mm-dd"
        if log.status == "confirmed":
            per[(name, kind)] = per.get((name, kind), 0.0) + log.hours
    for col, width in zip("ABCDEFG", (12, 10, 12, 12, 50, 8, 24), strict=True):
        ws.column_dimensions[col].width = width
    total = wb.create_sheet("时长汇总")
    total.append(["姓名", "类别", "已确认时长（小时）"])
    for (name, kind), hours in sorted(per.items(), key=lambda kv: -kv[1]):
        total.append([name, kind, round(hours, 1)])
    for col, width in zip("ABC", (12, 10, 18), strict=True):
        total.column_dimensions[col].width = width
    for sheet in (ws, total):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
