"""The dashboards' JSON face and its files: clear errors for bad input (and nothing else), scope, the Excel
exports holding the figures the API shows, the monthly bulletin (Word and Excel, and from the command line)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.orm import Session

API = "/api/v1/dashboard"
YEAR = {"from": "2025-11", "to": "2026-10"}


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2026-13"}, "from"), ({"from": "26-10"}, "from"), ({"to": "2026-00"}, "to"),
    ({"from": "2026-10", "to": "2026-09"}, "to"), ({"from": "2023-01", "to": "2026-10"}, "months"),
])
def test_bad_months_are_refused_clearly(client: Any, auth: Any, query: dict[str, str], field: str) -> None:
    r = client.get(f"{API}/summary", params=query, headers=auth("leader"))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_failed"
    assert err["message"]
    assert field in str(err["details"])


@pytest.mark.parametrize(("path", "query"), [
    ("breakdown", {"dim": "weather"}), ("trend", {"by": "year"}), ("cases", {"metric": "happiness"}),
    ("cases", {"dim": "matter"}), ("cases", {"dim": "matter", "key": "abc"}), ("cases", {"day": "2026-02-30"}),
    ("cases", {"day": "2026-10-01", "dim": "channel", "key": "h5"}), ("cases", {"page": "501", "size": "20"}),
    ("open", {"kind": "later"}), ("export.xlsx", {"table": "everything"}),
])
def test_bad_parameters_are_422_not_500(client: Any, auth: Any, path: str, query: dict[str, str]) -> None:
    r = client.get(f"{API}/{path}", params=query, headers=auth("leader"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_failed"


def test_street_sees_its_own_subtree_only(client: Any, auth: Any, session: Session, city: dict[str, Any],
                                          history: dict[str, Any]) -> None:
    from tests import factories as f

    street = f.ancestor(session, f.region(session, city["scopes"]["grid"]), "street")
    own = client.get(f"{API}/breakdown", params={"dim": "child", **YEAR}, headers=auth("street")).json()
    assert own["region"]["code"] == street.code
    assert own["items"]
    assert all(f.region(session, i["code"]).path.startswith(street.path) for i in own["items"])
    other = f.ancestor(session, f.region(session, city["other_grid"]), "street")
    if other.code != street.code:
        for path in ("summary", "cases", "export.xlsx", "report.docx", "map"):
            r = client.get(f"{API}/{path}", params={"region": other.code}, headers=auth("street"))
            assert r.status_code == 404, (path, r.text)
    # a street's staff drilling into a grid of their street: allowed
    r = client.get(f"{API}/cases", params={"region": city["scopes"]["grid"], **YEAR}, headers=auth("street"))
    assert r.status_code == 200


def test_exports_hold_what_the_api_shows(client: Any, auth: Any, history: dict[str, Any]) -> None:
    h = auth("leader")
    api = client.get(f"{API}/breakdown", params={"dim": "channel", **YEAR}, headers=h).json()
    r = client.get(f"{API}/export.xlsx", params={"table": "breakdown", "dim": "channel", **YEAR}, headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("代码", "渠道", "受理量")
    assert {(row[0], row[2]) for row in rows[1:]} == {(i["key"], i["received"]) for i in api["items"]}
    cases = client.get(f"{API}/cases", params={"metric": "unsatisfied", **YEAR}, headers=h).json()
    r = client.get(f"{API}/export.xlsx", params={"table": "cases", "metric": "unsatisfied", **YEAR}, headers=h)
    listed = [row[0] for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=2, values_only=True)]
    assert len(listed) == cases["total"]
    assert listed[:20] == [c["id"] for c in cases["items"]]
    for table in ("summary", "trend", "grids", "open", "activity"):
        r = client.get(f"{API}/export.xlsx", params={"table": table, "kind": "open", **YEAR}, headers=h)
        assert r.status_code == 200, table
        assert load_workbook(io.BytesIO(r.content)).active.max_row >= 2, table


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_monthly_bulletin_has_the_dashboards_figures(client: Any, auth: Any, history: dict[str, Any]) -> None:
    h = auth("leader")
    s = client.get(f"{API}/summary", params={"from": "2026-09"}, headers=h).json()
    r = client.get(f"{API}/report.docx", params={"month": "2026-09"}, headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessing")
    text = _docx_text(r.content)
    f = s["figures"]
    assert f"{s['region']['name']}接诉即办工作月度通报" in text
    assert "2026年9月" in text
    assert f"共受理群众诉求{f['received']:,}件" in text
    assert f"满意率{f['satisfaction_rate'] * 100:.1f}%" in text
    assert f"按期办结率{f['on_time_rate'] * 100:.1f}%" in text
    kids = client.get(f"{API}/breakdown", params={"dim": "child", "from": "2026-09"}, headers=h).json()["items"]
    assert all(k["name"] in text for k in kids if k["received"])
    assert len(Document(io.BytesIO(r.content)).inline_shapes) >= 1  # the charts
    x = client.get(f"{API}/report.xlsx", params={"month": "2026-09"}, headers=h)
    wb = load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["总体情况", "排名", "每日趋势", "高频问题", "超时与督办", "共建与积分"]
    assert wb["总体情况"]["C2"].value == f["received"]
    assert wb["每日趋势"].max_row == 31  # September's 30 days and the header


def test_report_command_writes_both_files(tmp_path: Any, city: dict[str, Any]) -> None:
    from typer.testing import CliRunner

    from gongzhi.cli import app

    result = CliRunner().invoke(app, ["report", "monthly", "--scope", city["scopes"]["street"], "--month", "2026-09",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.iterdir())
    assert any(n.endswith("月度通报-2026-09.docx") for n in files), files
    assert any(n.endswith("月度通报数据-2026-09.xlsx") for n in files), files
    docx = next(p for p in tmp_path.iterdir() if p.suffix == ".docx")
    assert "月度通报" in _docx_text(docx.read_bytes())
    bad = CliRunner().invoke(app, ["report", "monthly", "--scope", "999999", "--month", "2026-09", "--out",
                                   str(tmp_path)])
    assert bad.exit_code == 2
    assert "未找到" in bad.output
