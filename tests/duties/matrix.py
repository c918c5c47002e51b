"""What the access matrix (tests/test_access_matrix.py) sends to the duty catalog's routes: the ids and codes
in the path (the admission list of the actor's community inside, of the other community outside) and a valid
body, so that a permitted actor gets the route's success status."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gongzhi.duties.service import ADMISSION_FIELDS, DEPARTMENT_FIELDS, MATTER_TYPE_FIELDS
from tests import factories as f
from tests.duties import factories as df


def _sheet(reg: Any, row: dict[str, Any]) -> dict[str, Any]:
    return {"file": ("data.xlsx", f.register_workbook(reg, [row]), f.XLSX)}


def prepare(session: Session, city: dict[str, Any], body: str | None, place: str, path: str,
            kwargs: dict[str, Any]) -> str:
    community = city["other_community"] if place == "outside" else city["scopes"]["community"]
    path = path.replace("{community_code}", community).replace("{kind}", "matter-types")
    if "{item_id}" in path:
        path = path.replace("{item_id}", str(df.make_admission_item(session, f.region(session, community)).id))
    matter = None
    if "{matter_type_id}" in path:
        matter = df.make_matter_type(session)
        path = path.replace("{matter_type_id}", str(matter.id))
    if "{department_id}" in path:
        path = path.replace("{department_id}", str(df.make_department(session).id))
    if "{category_id}" in path:
        path = path.replace("{category_id}", str(df.make_category(session).id))
    matter_row = df.matter_payload(assist_department_codes="ZJJ", keywords="矩阵")
    admission_row = df.admission_payload()
    bodies: dict[str, dict[str, Any]] = {
        "duty_department": {"json": df.department_payload()},
        "duty_department_update": {"json": {"phone": "0871-7654321"}},
        "duty_category": {"json": {"name": f"矩阵分类{f.unique_code('')}", "parent_code": "C01"}},
        "duty_category_update": {"json": {"name": f"矩阵改名{f.unique_code('')}"}},
        "duty_matter": {"json": df.matter_payload()},
        "duty_matter_update": {"json": {"resolve_days": 7}},
        "duty_matter_form": {"data": {**matter_row, "code": matter.code if matter else matter_row["code"],
                                      "assist_department_codes": ["ZJJ"], "is_active": "是"}},
        "duty_suggest": {"params": {"text": "楼下噪音扰民"}},
        "duty_check": {"params": {"matter_code": "M0102-14"}},
        "duty_admission": {"json": admission_row},
        "duty_admission_update": {"json": {"title": "矩阵改名"}},
        "duty_admission_form": {"data": {**admission_row, "basis": "", "matter_type_code": ""}},
        "duty_import_matters": {"files": _sheet(MATTER_TYPE_FIELDS, matter_row)},
        "duty_import_departments": {"files": _sheet(DEPARTMENT_FIELDS, df.department_payload())},
        "duty_import_admission": {"files": _sheet(ADMISSION_FIELDS, admission_row)},
    }
    if body in bodies:
        kwargs.update(bodies[body])
    return path
