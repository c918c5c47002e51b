"""月度工作进展通报 — the monthly bulletin of a region, as the Word document offices circulate and as an Excel
workbook of its figures (docs/dashboard.md §4). Both are built from the same service calls as the dashboard, so
the bulletin shows the dashboard's figures for that month.

Sections: 一、总体情况 (headline figures and change on the month before), 二、排名情况 (the drill-down level ranked
by satisfaction, then on-time rate, with the 红榜 and 黄榜), 三、趋势与分布 (charts as images), 四、超时与督办
(open overdue and supervised cases), 五、高频问题 (top matter types), 六、典型案例 (escalated cases resolved), 七、
共建与积分. Charts are drawn with Pillow (numbers only, so no CJK font is needed on the server); their captions and
the tables beside them carry the names."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.core import audit
from gongzhi.core import excel as core_excel
from gongzhi.core.auth import Principal
from gongzhi.dashboard import excel, service

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIST_TOP = 3  # regions on the 红榜 and on the 黄榜


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _num(v: Any) -> str:
    return "—" if v is None else f"{v:,}"


def _delta_pct(now_v: float | None, before: float | None) -> str:
    if now_v is None or before is None:
        return "—"
    d = (now_v - before) * 100
    return f"{'上升' if d >= 0 else '下降'}{abs(d):.1f}个百分点"


def _change_count(now_v: int, before: int) -> str:
    if not before:
        return "上月无数据"
    d = (now_v - before) / before * 100
    return f"环比{'增长' if d >= 0 else '下降'}{abs(d):.1f}%"


def month_period(month: str | None) -> service.Period:
    """The month asked for, or the last complete month."""
    if month:
        return service.period(month, month)
    first = service.today().replace(day=1)
    last = (first - dt.timedelta(days=1)).replace(day=1)
    return service.Period(last, first)


def gather(session: Session, principal: Principal, code: str | None, month: str | None) -> dict[str, Any]:
    """Everything the bulletin shows, from the dashboard's own service calls."""
    p = month_period(month)
    summary = service.summary(session, principal, code, p)
    region = summary["region"]["code"]
    kids = service.breakdown(session, principal, region, p, "child")
    ranked = ranking(kids["items"])
    return {
        "period": p, "summary": summary, "children": kids, "ranked": ranked,
        "trend": service.trend(session, principal, region, p, "day"),
        "channels": service.breakdown(session, principal, region, p, "channel"),
        "top": service.breakdown(session, principal, region, p, "matter" if kids["level"] != "grid" else "category",
                                 limit=10),
        "overdue": service.open_list(session, principal, region, "overdue", 1, 20, summary["open"]),
        "supervised": service.open_list(session, principal, region, "supervised", 1, 20, summary["open"]),
        "notable": service.cases(session, principal, region, p, service.CaseFilter("escalated"), 1, 5),
        "activity": service.activity(session, principal, region, p)["figures"],
    }


def ranking(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Regions that received appeals, best first: satisfaction rate, then on-time rate, then fewer overdue."""
    scored = [r for r in items if r["received"]]
    scored.sort(key=lambda r: (-(r["satisfaction_rate"] or 0), -(r["on_time_rate"] or 0), r["ever_overdue"],
                               r["code"]))
    return [{**r, "rank": i + 1} for i, r in enumerate(scored)]


# ---- Word ---------------------------------------------------------------------------------------------------

def monthly_docx(session: Session, principal: Principal, code: str | None, month: str | None) -> tuple[bytes, str]:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    data = gather(session, principal, code, month)
    p, s = data["period"], data["summary"]
    f, before = s["figures"], s["previous"]
    name = s["region"]["name"]
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "仿宋", Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.5)
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(f"{name}接诉即办工作月度通报")
    run.bold, run.font.size = True, Pt(20)
    sub = doc.add_paragraph(f"（{p.label}）")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading("一、总体情况", level=1)
    doc.add_paragraph(
        f"{p.label}，{name}共受理群众诉求{_num(f['received'])}件，{_change_count(f['received'], before['received'])}；"
        f"立案{_num(f['registered'])}件，已办结{_num(f['resolved'])}件。"
        f"响应率{_pct(f['response_rate'])}，解决率{_pct(f['resolution_rate'])}，满意率{_pct(f['satisfaction_rate'])}"
        f"（{_delta_pct(f['satisfaction_rate'], before['satisfaction_rate'])}），"
        f"按期办结率{_pct(f['on_time_rate'])}，办理时长中位数{_hours(f['median_hours'])}。"
        f"截至目前，在办{_num(s['open']['open'])}件，其中超时{_num(s['open']['overdue'])}件、"
        f"临期预警{_num(s['open']['warning'])}件、督办中{_num(s['open']['supervised'])}件。")
    _table(doc, ["指标", "本月", "上月"], [
        ["受理量", _num(f["received"]), _num(before["received"])],
        ["已办结", _num(f["resolved"]), _num(before["resolved"])],
        ["响应率", _pct(f["response_rate"]), _pct(before["response_rate"])],
        ["解决率", _pct(f["resolution_rate"]), _pct(before["resolution_rate"])],
        ["满意率", _pct(f["satisfaction_rate"]), _pct(before["satisfaction_rate"])],
        ["按期办结率", _pct(f["on_time_rate"]), _pct(before["on_time_rate"])],
        ["办理时长中位数", _hours(f["median_hours"]), _hours(before["median_hours"])],
    ])

    doc.add_heading("二、排名情况", level=1)
    ranked = data["ranked"]
    level = data["children"]["dim_label"] or "下级区域"
    if ranked:
        red = "、".join(r["name"] for r in ranked[:LIST_TOP])
        yellow = "、".join(r["name"] for r in ranked[-LIST_TOP:][::-1]) if len(ranked) > LIST_TOP else "无"
        doc.add_paragraph(f"按满意率、按期办结率排序，{level}红榜：{red}；黄榜：{yellow}。")
        _table(doc, ["名次", level, "受理量", "满意率", "按期办结率", "响应率", "曾超时"],
               [[str(r["rank"]), r["name"], _num(r["received"]), _pct(r["satisfaction_rate"]),
                 _pct(r["on_time_rate"]), _pct(r["response_rate"]), _num(r["ever_overdue"])] for r in ranked])
    else:
        doc.add_paragraph(f"本月各{level}均无诉求。")

    doc.add_heading("三、趋势与分布", level=1)
    points = data["trend"]["points"]
    doc.add_picture(io.BytesIO(line_chart([pt["received"] for pt in points], [pt["resolved"] for pt in points])),
                    width=Cm(15))
    caption = doc.add_paragraph(f"图1 {p.label}每日受理量（蓝）与其中已办结（绿），横轴为日期")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if ranked:
        doc.add_picture(io.BytesIO(bar_chart([r["received"] for r in ranked])), width=Cm(15))
        caption = doc.add_paragraph(f"图2 各{level}受理量，横轴为上表名次（红：红榜，黄：黄榜）")
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    channels = data["channels"]["items"]
    if channels:
        doc.add_paragraph("受理渠道：" + "；".join(f"{c['name']}{_num(c['received'])}件" for c in channels) + "。")

    doc.add_heading("四、超时与督办", level=1)
    for title, block in (("超时未办结", data["overdue"]), ("督办中", data["supervised"])):
        doc.add_paragraph(f"{title}诉求{_num(block['total'])}件" + ("，列前20件如下：" if block["items"] else "。"))
        if block["items"]:
            _table(doc, ["编号", "诉求", "状态", "受理时间"],
                   [[str(c["id"]), c["title"], c["status_label"], _local_day(c["created_at"])] for c in block["items"]])

    doc.add_heading("五、高频问题", level=1)
    top = data["top"]["items"]
    if top:
        _table(doc, ["序号", data["top"]["dim_label"], "受理量", "满意率", "按期办结率"],
               [[str(i + 1), r["name"], _num(r["received"]), _pct(r["satisfaction_rate"]), _pct(r["on_time_rate"])]
                for i, r in enumerate(top)])
    else:
        doc.add_paragraph("本月无诉求。")

    doc.add_heading("六、典型案例", level=1)
    notable = data["notable"]["items"]
    if notable:
        for c in notable:
            doc.add_paragraph(f"诉求#{c['id']}「{c['title']}」：逐级上提办理，当前{c['status_label']}。",
                              style="List Bullet")
    else:
        doc.add_paragraph("本月无上提办理的案例。")

    doc.add_heading("七、共建与积分", level=1)
    a = data["activity"]
    doc.add_paragraph(
        f"本月发布共建需求{_num(a['needs_posted'])}个，已对接{_num(a['needs_matched'])}个，完成项目{_num(a['projects_done'])}个，"
        f"实现微心愿{_num(a['wishes_fulfilled'])}个；报到党员累计{_num(a['members_reported'])}名（本月新增"
        f"{_num(a['members_reported_new'])}名），服务时长{a['service_hours']}小时；发放积分{_num(a['points_earned'])}分，"
        f"兑换积分{_num(a['points_redeemed'])}分。")
    doc.add_paragraph(f"数据截至{_stamp(s['refreshed_at'])}。")
    buf = io.BytesIO()
    doc.save(buf)
    audit.record(session, "export", "dashboard_report", summary=f"生成月度通报（{name}，{p.label}）")
    return buf.getvalue(), f"{name}-月度通报-{p.key_from}.docx"


def _hours(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}小时"


def _local_day(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(service.zone()).strftime("%Y-%m-%d")


def _stamp(iso: str | None) -> str:
    if not iso:
        return "最近一次统计"
    return dt.datetime.fromisoformat(iso).astimezone(service.zone()).strftime("%Y年%m月%d日%H:%M")


def _table(doc: Any, headers: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, h in zip(table.rows[0].cells, headers, strict=True):
        cell.text = h
        for r in cell.paragraphs[0].runs:
            r.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, v in zip(cells, row, strict=True):
            cell.text = v


# ---- charts (Pillow) ------------------------------------------------------------------------------------------

W, H, PAD = 1200, 420, 60


def _canvas() -> tuple[Any, Any, Any]:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=18)
    except TypeError:  # Pillow without FreeType: the small bitmap font
        font = ImageFont.load_default()
    return img, draw, font


def _axes(draw: Any, font: Any, top: float, labels: list[str]) -> None:
    draw.line([(PAD, PAD), (PAD, H - PAD), (W - PAD / 2, H - PAD)], fill="#555", width=2)
    for i in range(5):
        y = H - PAD - (H - 2 * PAD) * i / 4
        draw.line([(PAD - 5, y), (W - PAD / 2, y)], fill="#ddd" if i else "#555")
        draw.text((5, y - 9), f"{top * i / 4:,.0f}", fill="#333", font=font)
    step = max(1, len(labels) // 16)
    for i, label in enumerate(labels):
        if i % step == 0:
            x = PAD + (W - 1.5 * PAD) * (i + 0.5) / max(len(labels), 1)
            draw.text((x - 8, H - PAD + 8), label, fill="#333", font=font)


def _png(img: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _top(values: list[int]) -> float:
    peak = max(values, default=0) or 1
    magnitude = 10 ** max(len(str(int(peak))) - 1, 0)
    return float(((peak // magnitude) + 1) * magnitude)


def line_chart(first: list[int], second: list[int]) -> bytes:
    """Two series per day (received, resolved) as lines, the day numbers under them."""
    img, draw, font = _canvas()
    top = _top(first + second)
    _axes(draw, font, top, [str(i + 1) for i in range(len(first))])
    for series, colour in ((first, "#2f6fdb"), (second, "#2da44e")):
        pts = [(PAD + (W - 1.5 * PAD) * (i + 0.5) / max(len(series), 1), H - PAD - (H - 2 * PAD) * v / top)
               for i, v in enumerate(series)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=3)
        for x, y in pts:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    return _png(img)


def bar_chart(values: list[int]) -> bytes:
    """One bar per region, numbered by rank."""
    img, draw, font = _canvas()
    top = _top(values)
    _axes(draw, font, top, [str(i + 1) for i in range(len(values))])
    width = (W - 1.5 * PAD) / max(len(values), 1)
    for i, v in enumerate(values):
        x = PAD + width * i
        y = H - PAD - (H - 2 * PAD) * v / top
        draw.rectangle([x + width * 0.15, y, x + width * 0.85, H - PAD - 1], fill="#c00000" if i < LIST_TOP
                       else "#d4a017" if i >= len(values) - LIST_TOP else "#2f6fdb")
    return _png(img)


# ---- Excel ------------------------------------------------------------------------------------------------------

def monthly_xlsx(session: Session, principal: Principal, code: str | None, month: str | None) -> tuple[bytes, str]:
    data = gather(session, principal, code, month)
    p, s = data["period"], data["summary"]
    name = s["region"]["name"]
    wb = core_excel.new_workbook()
    heads = excel.figure_headers()
    sheets = [
        ("总体情况", ["区域", "时段", *heads],
         [[name, p.label, *excel.figure_cells(s["figures"])],
          [name, s["previous_period"]["label"], *excel.figure_cells(s["previous"])]]),
        ("排名", ["名次", "代码", "名称", *heads],
         [[r["rank"], r["code"], r["name"], *excel.figure_cells(r)] for r in data["ranked"]]),
        ("每日趋势", ["日期", *heads], [[pt["period"], *excel.figure_cells(pt)] for pt in data["trend"]["points"]]),
        ("高频问题", ["代码", "名称", *heads],
         [[r["key"], r["name"], *excel.figure_cells(r)] for r in data["top"]["items"]]),
        ("超时与督办", ["清单", *excel.CASE_HEADERS],
         [["超时", *excel.case_cells(c)] for c in data["overdue"]["items"]]
         + [["督办中", *excel.case_cells(c)] for c in data["supervised"]["items"]]),
        ("共建与积分", ["指标", "数值"], [[excel.ACTIVITY_LABELS[k], v] for k, v in data["activity"].items()]),
    ]
    for title, headers, rows in sheets:
        ws = core_excel.add_table(wb, title, headers, rows, wide={"名称", "诉求", "地址"})
        excel.percent_columns(ws, headers)
    audit.record(session, "export", "dashboard_report", summary=f"导出月度通报数据（{name}，{p.label}）")
    return core_excel.save(wb), f"{name}-月度通报数据-{p.key_from}.xlsx"
