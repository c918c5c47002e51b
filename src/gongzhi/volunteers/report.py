"""双报告 — the community's letter to a Party member's employer unit about the year's service, as a Word
document (python-docx): heading, addressee, the member, the year's figures, the grade and comment, the
community's seal line and date. Several members make several letters in one document, a page each."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from gongzhi.core.web import SHANGHAI

BODY_FONT = "仿宋"
TITLE_FONT = "方正小标宋简体"
FIGURES = (("hours", "服务时长（小时）"), ("logs", "服务次数"), ("posts", "认领岗位"), ("pairs", "结对帮扶户数"),
           ("problems", "认领难题"), ("reports", "啄木鸟上报问题"))


def _font(run: Any, name: str, size: float, *, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(doc: Any, text: str = "", *, size: float = 16, font: str = BODY_FONT, bold: bool = False,
          align: Any = None, indent: bool = False) -> Any:
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.line_spacing = Pt(28)
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    if text:
        _font(p.add_run(text), font, size, bold=bold)
    return p


def _party_name(community: str) -> str:
    """The community's Party committee is named after the community, not its residents' committee:
    文化路社区居委会 → 中共文化路社区委员会."""
    for suffix in ("居民委员会", "村民委员会", "居委会", "村委会"):
        if community.endswith(suffix) and len(community) > len(suffix):
            return community.removesuffix(suffix)
    return community


def _letter(doc: Any, d: dict[str, Any]) -> None:
    _para(doc, "在职党员到社区报到服务情况反馈函", size=22, font=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, f"（{d['year']} 年度）", size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, f"{d['employer']}党组织：")
    _para(doc, f"根据在职党员到社区“双报到”工作要求，现将贵单位党员 {d['name']} 同志 {d['year']} 年度在"
               f"{d['community']}报到服务情况反馈如下：", indent=True)
    f = d["figures"]
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0].cells
    for cell, text in zip(head, ("项目", "情况"), strict=True):
        _font(cell.paragraphs[0].add_run(text), BODY_FONT, 14, bold=True)
    for key, label in FIGURES:
        cells = table.add_row().cells
        _font(cells[0].paragraphs[0].add_run(label), BODY_FONT, 14)
        value = f.get(key, 0)
        _font(cells[1].paragraphs[0].add_run(f"{value:g}" if isinstance(value, float) else str(value)), BODY_FONT, 14)
    _para(doc)
    _para(doc, f"社区党组织评议等次：{d['grade']}", bold=True, indent=True)
    _para(doc, f"评语：{d['comment'] or '无'}", indent=True)
    _para(doc, "请贵单位将此情况作为党员年度评议和评先评优的参考。特此函告。", indent=True)
    _para(doc)
    _para(doc, f"中共{_party_name(d['community'])}委员会（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    when = d["evaluated_at"].astimezone(SHANGHAI) if d.get("evaluated_at") else None
    _para(doc, f"{when.year} 年 {when.month} 月 {when.day} 日" if when else "    年  月  日",
          align=WD_ALIGN_PARAGRAPH.RIGHT)


def build(letters: list[dict[str, Any]]) -> bytes:
    """One letter per member, each starting on a new page."""
    doc = Document()
    section = doc.sections[0]  # A4 with the margins of official documents (GB/T 9704)
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    for i, d in enumerate(letters):
        if i:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _letter(doc, d)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
