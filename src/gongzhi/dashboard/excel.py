"""Excel exports of every dashboard table: the same service call as the page (same region, months, filters and
scope), written with Chinese headers; rates as percentages Excel can sum and chart."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gongzhi.core import audit
from gongzhi.core import excel as core_excel
from gongzhi.core.auth import Principal
from gongzhi.core.errors import ValidationFailed
from gongzhi.dashboard import service

FIGURE_HEADERS = [("received", "受理量"), ("registered", "立案"), ("responded", "已响应"), ("resolved", "已办结"),
                  ("on_time", "按期办结"), ("rated", "已评价"), ("satisfied", "满意"), ("ever_overdue", "曾超时"),
                  ("supervised", "督办"), ("escalated", "上提"), ("response_rate", "响应率"),
                  ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率"), ("on_time_rate", "按期办结率"),
                  ("median_hours", "办理时长中位数(小时)"), ("mean_hours", "平均办理时长(小时)")]
CASE_HEADERS = ["编号", "诉求", "状态", "渠道", "受理时间", "办结时间", "评价", "是否超时", "督办", "地址"]
TABLES = ("summary", "trend", "breakdown", "grids", "cases", "open", "activity")
ACTIVITY_LABELS = {"needs_posted": "发布需求", "needs_matched": "已对接需求", "projects_done": "完成项目",
                   "wishes_fulfilled": "实现微心愿", "members_reported": "报到党员（累计）",
                   "members_reported_new": "新报到党员", "service_hours": "服务时长（小时）",
                   "points_earned": "发放积分", "points_redeemed": "兑换积分"}


def figure_cells(f: dict[str, Any]) -> list[Any]:
    return [f.get(k) for k, _ in FIGURE_HEADERS]


def figure_headers() -> list[str]:
    return [h for _, h in FIGURE_HEADERS]


def percent_columns(ws: Any, headers: list[str]) -> None:
    for i, h in enumerate(headers, start=1):
        if h.endswith("率"):
            for row in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                row[0].number_format = "0.0%"


def case_cells(c: dict[str, Any]) -> list[Any]:
    import datetime as dt

    def at(v: str | None) -> Any:
        return dt.datetime.fromisoformat(v) if v else None

    return [c["id"], c["title"], c["status_label"], c["channel"], at(c["created_at"]), at(c["resolved_at"]),
            c["rating"], "是" if c["ever_overdue"] else "", "是" if c["supervised"] else "", c["address"]]


def export(session: Session, principal: Principal, code: str | None, p: service.Period, *, table: str,
           dim: str | None = None, by: str = "day", kind: str = "overdue", metric: str | None = None,
           key: str | None = None, day: str | None = None) -> tuple[bytes, str]:
    """One dashboard table as a workbook: `dim` is the breakdown's slice (default the next level down), or for
    `cases` the slice drilled into, with `metric`, `key` and `day` as on the cases page."""
    if table not in TABLES:
        raise ValidationFailed("table 只能是 " + "、".join(TABLES), details={"table": table})
    f = service.case_filter(metric, dim, key, day) if table == "cases" else service.CaseFilter()
    dim = dim or "child"
    wb = core_excel.new_workbook()
    if table == "summary":
        s = service.summary(session, principal, code, p)
        title, name = "总体情况", s["region"]["name"]
        headers = ["区域", "时段", *figure_headers(), "在办", "超时", "预警", "督办中"]
        rows = [[name, p.label, *figure_cells(s["figures"]), *(s["open"][k] for k in service.OPEN_LABELS)],
                [name, s["previous_period"]["label"], *figure_cells(s["previous"]), None, None, None, None]]
    elif table == "trend":
        t = service.trend(session, principal, code, p, by)
        title, name = "趋势", t["region"]["name"]
        headers = ["日期" if by != "month" else "月份", *figure_headers()]
        rows = [[pt["period"], *figure_cells(pt)] for pt in t["points"]]
    elif table == "breakdown":
        b = service.breakdown(session, principal, code, p, dim)
        title, name = f"按{b['dim_label']}", b["region"]["name"]
        headers = ["代码", b["dim_label"] or "名称", *figure_headers()]
        rows = [[r["key"], r["name"], *figure_cells(r)] for r in b["items"]]
    elif table == "grids":
        g = service.grid_load(session, principal, code, p)
        title, name = "网格负荷", g["region"]["name"]
        headers = ["网格代码", "网格", "户数", "每百户受理量", *figure_headers()]
        rows = [[r["code"], r["name"], r["households"], r["per_100_households"], *figure_cells(r)] for r in g["items"]]
    elif table == "activity":
        a = service.activity(session, principal, code, p)
        title, name = "共建与积分", a["region"]["name"]
        headers = ["指标", "数值"]
        rows = [[ACTIVITY_LABELS[k], v] for k, v in a["figures"].items()]
    else:
        title, name, rows = _case_rows(session, principal, code, p, table, kind, f)
        headers = CASE_HEADERS
    ws = core_excel.add_table(wb, title, headers, rows, wide={"诉求", "地址", "网格", "事项"})
    percent_columns(ws, headers)
    audit.record(session, "export", "dashboard", summary=f"导出驾驶舱「{title}」{len(rows)} 行（{name}，{p.label}）")
    return core_excel.save(wb), f"{name}-{title}-{p.key_from}至{p.key_to}.xlsx"


def _case_rows(session: Session, principal: Principal, code: str | None, p: service.Period, table: str, kind: str,
               f: service.CaseFilter) -> tuple[str, str, list[list[Any]]]:
    """Every case of the list (page by page, up to the list's limit)."""
    rows: list[list[Any]] = []
    page, size = 1, 200
    while True:
        if table == "cases":
            chunk = service.cases(session, principal, code, p, f, page, size)
            title = f"下钻-{chunk['metric_label']}"
        else:
            chunk = service.open_list(session, principal, code, kind, page, size)
            title = chunk["kind_label"]
        rows += [case_cells(c) for c in chunk["items"]]
        if len(chunk["items"]) < size or page * size >= service.MAX_CASE_ROWS:
            return title, chunk["region"]["name"], rows
        page += 1
