"""Excel export of a period's ranking and of one region's scorecard. Each runs the page's own service call, so a
user exports exactly the rows they may see there. Chinese headers, one sheet; saved by `gongzhi.core.excel`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.styles import PatternFill
from sqlalchemy.orm import Session

from gongzhi.assessment import service
from gongzhi.assessment.models import IndicatorSet
from gongzhi.core import audit
from gongzhi.core import excel as core_excel
from gongzhi.core.auth import Principal

RED = PatternFill("solid", fgColor="FDE2E1")
YELLOW = PatternFill("solid", fgColor="FFF4CC")
WIDE = {"被考核单位", "指标", "评分依据", "类别"}


def _workbook(title: str, headers: list[str], rows: Iterable[list[Any]], fills: list[PatternFill | None]) -> bytes:
    """One table (core.excel.add_table), each row coloured by its fill (红榜 red, 黄榜 yellow)."""
    wb = core_excel.new_workbook()
    ws = core_excel.add_table(wb, title, headers, rows, wide=WIDE)
    for n, fill in enumerate(fills, start=2):
        if fill is not None:
            for c in ws[n]:
                c.fill = fill
    return core_excel.save(wb)


def _change(delta: float | int | None, new: bool) -> Any:
    return "新上榜" if new else delta


def export_ranking(session: Session, principal: Principal, indicator_set: IndicatorSet,
                   key: str) -> tuple[bytes, str]:
    view = service.ranking(session, principal, indicator_set, key)
    classes = view["classes"]
    headers = ["名次", "被考核单位", "区划代码", *[c.name for c in classes], "扣分", "总分", "较上期得分",
               "较上期名次", "榜单", "否决"]
    data, fills = [], []
    for r in view["rows"]:
        board = "红榜" if r.red else "黄榜" if r.yellow else ""
        data.append([r.rank if r.rank is not None else "未评分", r.region.name, r.region.code,
                     *[r.by_class.get(c.id, 0.0) if r.total is not None else None for c in classes],
                     round(r.deducted, 2) or None, r.total, _change(r.score_delta, r.is_new),
                     _change(r.rank_delta, r.is_new), board, "是" if r.vetoed else ""])
        fills.append(RED if r.red else YELLOW if r.yellow else None)
    audit.record(session, "export", "assess_scores",
                 summary=f"导出考核排名 {indicator_set.name} {key} {len(data)} 条")
    name = f"{indicator_set.name}-{view['label']}-排名.xlsx"
    return _workbook(f"{view['label']}排名", headers, data, fills), name


def export_scorecard(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str,
                     region_code: str) -> tuple[bytes, str]:
    card = service.scorecard(session, principal, indicator_set, key, region_code)
    headers = ["类别", "编号", "指标", "评分方式", "分值", "数值", "得分", "评分依据", "评分人", "评分时间"]
    data = [[line["class_name"], line["code"], line["name"], line["method_label"],
             line["max_score"] if line["method"] != "veto" else -(line["deduction"] or 0) or "否决",
             line["value"], line["score"], line["evidence"], line["assessor"], line["scored_at"]]
            for line in card["lines"]]
    row = card["row"]
    place = f"第{row.rank}名 / 共{card['ranked']}" if row.rank else "未评分"
    data.append(["", "", "合计", "", 100, None, row.total, place, "", None])
    audit.record(session, "export", "assess_scores",
                 summary=f"导出评分表 {indicator_set.name} {key} {card['region'].name}")
    name = f"{card['region'].name}-{card['label']}-评分表.xlsx"
    return _workbook(f"{card['region'].name}评分表", headers, data, []), name
