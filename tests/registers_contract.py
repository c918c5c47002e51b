"""The behaviour every register shares through the JSON API (one engine, one contract): each register's
test module subclasses `RegisterContract` and so runs the whole suite against its own routes."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core.registers import REGISTRY
from tests import factories as f


class RegisterContract:
    kind: ClassVar[str]
    bad: ClassVar[dict[str, Any]]  # one invalid field value, refused with a Chinese reason
    bad_field: ClassVar[str]

    @property
    def reg(self) -> Any:
        return REGISTRY[self.kind]

    @property
    def base(self) -> str:
        return f"/api/v1/{self.reg.url}"

    def count(self, session: Session) -> int:
        return f.count(session, self.reg.model)

    # ---- list ---------------------------------------------------------------------------------------------

    def test_list_pages_with_total(self, client: Any, auth: Any, session: Session) -> None:
        total = self.count(session)
        r = client.get(self.base, params={"size": 5, "page": 2}, headers=auth("admin"))
        assert r.status_code == 200
        body = r.json()
        assert (body["total"], body["page"], body["size"]) == (total, 2, 5)
        first = client.get(self.base, params={"size": 5, "page": 1}, headers=auth("admin")).json()["items"]
        assert len(body["items"]) == min(5, max(0, total - 5))
        assert not {i["id"] for i in first} & {i["id"] for i in body["items"]}

    def test_list_is_limited_to_the_scope(self, client: Any, auth: Any, session: Session,
                                          city: dict[str, Any]) -> None:
        grid = f.region(session, city["other_grid"])
        f.make_row(session, self.kind, grid)
        r = client.get(self.base, params={"size": 200}, headers=auth("grid2"))
        body = r.json()
        model = self.reg.model
        assert body["total"] == f.count(session, model, model.scope_path.like(grid.path + "%"))
        assert body["total"] >= 1
        ids = set(session.scalars(select(model.id).where(model.scope_path.like(grid.path + "%"))))
        assert {i["id"] for i in body["items"]} <= ids

    def test_search_by_name(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["scopes"]["grid"]))
        column = self.reg.search[0]
        needle = str(getattr(row, column))
        r = client.get(self.base, params={"q": needle, "size": 200}, headers=auth("grid"))
        items = r.json()["items"]
        assert row.id in {i["id"] for i in items}
        assert all(needle in str(i.get(column)) for i in items if column in i)

    def test_page_size_is_capped(self, client: Any, auth: Any) -> None:
        assert client.get(self.base, params={"size": 201}, headers=auth("admin")).status_code == 422
        assert client.get(self.base, params={"page": 0}, headers=auth("admin")).status_code == 422

    # ---- get ----------------------------------------------------------------------------------------------

    def test_get_inside_scope(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["scopes"]["grid"]))
        r = client.get(f"{self.base}/{row.id}", headers=auth("grid"))
        assert r.status_code == 200
        body = r.json()
        assert body["id"] == row.id
        assert body[self.reg.region_field.name] == city["scopes"]["grid"]

    def test_get_outside_scope_is_404(self, client: Any, auth: Any, session: Session,
                                      city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["other_grid"]))
        r = client.get(f"{self.base}/{row.id}", headers=auth("grid"))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"

    def test_get_unknown_id_is_404(self, client: Any, auth: Any) -> None:
        assert client.get(f"{self.base}/999999999", headers=auth("admin")).status_code == 404

    # ---- create -------------------------------------------------------------------------------------------

    def test_create_is_201_and_stored(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        before = self.count(session)
        body = f.payload(self.kind, city["scopes"]["grid"])
        r = client.post(self.base, json=body, headers=auth("community"))
        assert r.status_code == 201, r.text
        created = r.json()
        assert self.count(session) == before + 1
        row = session.get(self.reg.model, created["id"])
        assert row is not None
        assert row.scope_path.endswith(f"/{city['scopes']['grid']}/")
        for name, value in body.items():
            field = self.reg.field(name)
            if not field.sensitive and field.kind not in ("region", "ref", "choice"):
                assert created[name] == value, name

    def test_bad_value_is_422_and_changes_nothing(self, client: Any, auth: Any, session: Session,
                                                  city: dict[str, Any]) -> None:
        before = self.count(session)
        body = {**f.payload(self.kind, city["scopes"]["grid"]), **self.bad}
        r = client.post(self.base, json=body, headers=auth("community"))
        assert r.status_code == 422
        error = r.json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert error["code"] == "validation_failed"
        assert [d["field"] for d in error["details"]] == [self.bad_field]
        assert error["details"][0]["column"] == self.reg.field(self.bad_field).label
        assert error["details"][0]["reason"]
        assert self.count(session) == before

    def test_missing_region_is_422(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        before = self.count(session)
        body = f.payload(self.kind, city["scopes"]["grid"])
        body.pop(self.reg.region_field.name)
        r = client.post(self.base, json=body, headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_failed"
        assert self.count(session) == before

    def test_unknown_field_is_422(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        before = self.count(session)
        body = {**f.payload(self.kind, city["scopes"]["grid"]), "scope_path": "/"}
        r = client.post(self.base, json=body, headers=auth("admin"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "scope_path"
        assert self.count(session) == before

    def test_create_outside_scope_is_refused(self, client: Any, auth: Any, session: Session,
                                             city: dict[str, Any]) -> None:
        before = self.count(session)
        r = client.post(self.base, json=f.payload(self.kind, city["other_grid"]), headers=auth("community"))
        assert r.status_code == 422
        [detail] = r.json()["error"]["details"]
        assert detail["field"] == self.reg.region_field.name
        assert "不在您的管辖范围内" in detail["reason"]
        assert self.count(session) == before

    def test_role_without_write_is_403(self, client: Any, auth: Any, session: Session,
                                       city: dict[str, Any]) -> None:
        before = self.count(session)
        r = client.post(self.base, json=f.payload(self.kind, city["scopes"]["grid"]), headers=auth("leader"))
        assert r.status_code == 403
        assert self.count(session) == before

    # ---- update / delete ----------------------------------------------------------------------------------

    def test_patch_changes_only_what_is_sent(self, client: Any, auth: Any, session: Session,
                                             city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["scopes"]["grid"]))
        before = client.get(f"{self.base}/{row.id}", headers=auth("community")).json()
        change = f.UPDATES[self.kind]
        r = client.patch(f"{self.base}/{row.id}", json=change, headers=auth("community"))
        assert r.status_code == 200, r.text
        after = r.json()
        for name, value in change.items():
            assert after[name] == value
        unchanged = {k: v for k, v in before.items() if k not in change and k != "updated_at"}
        assert {k: after[k] for k in unchanged} == unchanged
        session.expire_all()
        assert getattr(session.get(self.reg.model, row.id), next(iter(change))) == next(iter(change.values()))

    def test_patch_with_a_bad_value_changes_nothing(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["scopes"]["grid"]))
        before = client.get(f"{self.base}/{row.id}", headers=auth("community")).json()
        r = client.patch(f"{self.base}/{row.id}", json=self.bad, headers=auth("community"))
        assert r.status_code == 422
        assert client.get(f"{self.base}/{row.id}", headers=auth("community")).json() == before

    def test_patch_outside_scope_is_404(self, client: Any, auth: Any, session: Session,
                                        city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["other_grid"]))
        r = client.patch(f"{self.base}/{row.id}", json=f.UPDATES[self.kind], headers=auth("community"))
        assert r.status_code == 404

    def test_delete_is_204(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["scopes"]["grid"]))
        row_id = row.id
        r = client.delete(f"{self.base}/{row_id}", headers=auth("community"))
        assert r.status_code == 204
        assert r.content == b""
        assert client.get(f"{self.base}/{row_id}", headers=auth("community")).status_code == 404
        session.expire_all()
        assert session.get(self.reg.model, row_id) is None

    def test_delete_outside_scope_is_404_and_keeps_the_row(self, client: Any, auth: Any, session: Session,
                                                           city: dict[str, Any]) -> None:
        row = f.make_row(session, self.kind, f.region(session, city["other_grid"]))
        assert client.delete(f"{self.base}/{row.id}", headers=auth("community")).status_code == 404
        assert session.get(self.reg.model, row.id) is not None
