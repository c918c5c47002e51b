"""What the access matrix (tests/test_access_matrix.py) sends to the points routes: the objects in the path
(an item, a redemption, an account of the target grid's community, inside or outside the actor's scope) and a
valid body. The demo `handler` acts for no unit, so the hand-over routes answer it 404 (no code of its shop)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.points import ledger, service
from tests import factories as f
from tests.matrix import Endpoint
from tests.points import factories as pf

API = "/api/v1/points"
DEMO = ("admin", "leader", "street", "community", "grid", "handler", "party", "volunteer", "resident")


def _readers(role: str, outside: bool) -> int:
    """Another user's redemption or account: managers over its scope read it; nobody else learns it exists."""
    if role in ("admin", "leader"):
        return 200
    return 200 if role in ("street_staff", "community_staff") and not outside else 404


def _nobody(_role: str, _outside: bool) -> int:
    """Only the holder may see the code or cancel: every actor here is someone else."""
    return 404


def _handover(role: str, _outside: bool) -> int:
    """Only a unit's handler may use a code; the demo handler acts for no unit, so no code is its shop's."""
    return 404 if role == "department_handler" else 403


def _shop_page(role: str, _outside: bool) -> int:
    return 200 if role == "department_handler" else 403


def endpoints() -> list[Endpoint]:
    item, red = f"{API}/items/{{item_id}}", f"{API}/redemptions/{{redemption_id}}"
    manage, read, civic = ("points:manage",), ("points:read",), ("points:civic",)
    return [
        Endpoint("GET", f"{API}/me", "api", ()),
        Endpoint("GET", f"{API}/me/statement", "api", ()),
        Endpoint("GET", f"{API}/accounts", "api", read),
        Endpoint("GET", f"{API}/accounts/{{account_id}}/statement", "api", (), scoped=True, rule=_readers),
        Endpoint("GET", f"{API}/rules/{{community_code}}", "api", read, scoped=True),
        Endpoint("PUT", f"{API}/rules/{{community_code}}/{{rule}}", "api", manage, scoped=True, body="pts_rule"),
        Endpoint("POST", f"{API}/civic-acts", "api", civic, 201, scoped=True, body="pts_civic"),
        Endpoint("GET", f"{API}/items", "api", ()),
        Endpoint("POST", f"{API}/items", "api", manage, 201, body="pts_item"),
        Endpoint("GET", item, "api", (), scoped=True),
        Endpoint("PATCH", item, "api", manage, scoped=True, body="pts_item_update"),
        Endpoint("POST", f"{item}/photos", "api", manage, 201, scoped=True, body="pts_photo"),
        Endpoint("GET", f"{item}/photos/{{photo_id}}", "api", (), scoped=True),
        Endpoint("POST", f"{item}/redeem", "api", (), 201, scoped=True, body="pts_redeem"),
        Endpoint("GET", f"{API}/redemptions/mine", "api", ()),
        Endpoint("GET", f"{API}/redemptions", "api", read),
        Endpoint("GET", f"{API}/redemptions/export", "api", read),
        Endpoint("GET", red, "api", (), scoped=True, rule=_readers),
        Endpoint("GET", f"{red}/qr.svg", "api", (), scoped=True, rule=_nobody),
        Endpoint("POST", f"{red}/cancel", "api", (), scoped=True, rule=_nobody, body="pts_reason"),
        Endpoint("POST", f"{red}/refund", "api", manage, scoped=True, body="pts_reason"),
        Endpoint("GET", f"{API}/handover/{{code}}", "api", (), rule=_handover),
        Endpoint("POST", f"{API}/handover", "api", (), rule=_handover, body="pts_code"),
        # pages
        Endpoint("GET", "/points", "page", ()),
        Endpoint("GET", "/points/items/{item_id}", "page", (), scoped=True),
        Endpoint("POST", "/points/items/{item_id}/redeem", "page", (), 303, scoped=True, body="pts_redeem_form",
                 redirect="/points/redemptions/"),
        Endpoint("GET", "/points/mine", "page", ()),
        Endpoint("GET", "/points/redemptions/{redemption_id}", "page", (), scoped=True, rule=_readers),
        Endpoint("POST", "/points/redemptions/{redemption_id}/cancel", "page", (), scoped=True, rule=_nobody),
        Endpoint("POST", "/points/redemptions/{redemption_id}/refund", "page", manage, 303, scoped=True,
                 body="pts_reason_form", redirect="/points/redemptions/"),
        Endpoint("GET", "/points/statement", "page", ()),
        Endpoint("GET", "/points/statement/export", "page", ()),
        Endpoint("GET", "/points/shop", "page", (), rule=_shop_page),
        Endpoint("POST", "/points/shop/handover", "page", (), rule=_handover, body="pts_code_form"),
        Endpoint("GET", "/points/desk", "page", read),
        Endpoint("GET", "/points/desk/rules", "page", read),
        Endpoint("POST", "/points/desk/rules/{community_code}/{rule}", "page", manage, 303, scoped=True,
                 body="pts_rule_form", redirect="/points/desk/rules"),
        Endpoint("GET", "/points/desk/items", "page", manage),
        Endpoint("GET", "/points/desk/items/new", "page", manage),
        Endpoint("POST", "/points/desk/items/new", "page", manage, 303, body="pts_item_form",
                 redirect="/points/desk/items/"),
        Endpoint("GET", "/points/desk/items/{item_id}", "page", manage, scoped=True),
        Endpoint("POST", "/points/desk/items/{item_id}", "page", manage, 303, scoped=True, body="pts_item_form",
                 redirect="/points/desk/items/"),
        Endpoint("POST", "/points/desk/items/{item_id}/photos", "page", manage, 303, scoped=True,
                 body="pts_photo", redirect="/points/desk/items/"),
        Endpoint("GET", "/points/desk/civic", "page", civic),
        Endpoint("POST", "/points/desk/civic", "page", civic, 303, scoped=True, body="pts_civic_form",
                 redirect="/points/desk/civic"),
    ]


def _new_resident(session: Session, grid_code: str) -> User:
    user = User(username=f"m{uuid.uuid4().hex[:10]}", display_name="矩阵居民", password_hash="x", role="resident",
                scope_region_id=f.region(session, grid_code).id)
    session.add(user)
    session.commit()
    return user


def prepare(session: Session, city: dict[str, Any], ep: Endpoint, place: str, path: str,
            kwargs: dict[str, Any]) -> str:
    grid_code = city["other_grid"] if place == "outside" else city["scopes"]["grid"]
    node = pf.community(session, city, place)
    shop = pf.make_shop(session, node)
    item = pf.make_item(session, node, shop, price=1, stock=5)
    path = path.replace("{item_id}", str(item.id)).replace("{community_code}", node.code) \
        .replace("{rule}", "civic_act").replace("{code}", "12345678")
    if "{photo_id}" in path:
        path = path.replace("{photo_id}", str(service.add_item_photo(
            session, pf.principal_of(session, "admin"), item, f.tiny_png(), "p.png").id))
        session.commit()
    if "{redemption_id}" in path or "{account_id}" in path:
        holder = _new_resident(session, grid_code)
        pf.give(session, holder.username, 10, node)
        if "{account_id}" in path:
            path = path.replace("{account_id}", str(ledger.user_account(session, holder).id))
        else:
            r = service.redeem(session, pf.principal_of(session, holder.username), item)
            session.commit()
            path = path.replace("{redemption_id}", str(r.id))
    if ep.body in ("pts_redeem", "pts_redeem_form"):
        for name in DEMO:  # whoever acts can afford the item
            pf.give(session, name, 5, node)
    form = {"community_code": node.code, "unit_id": str(shop.id), "kind": "goods", "name": "矩阵商品",
            "price": "5", "stock": "3", "limit_period": "month", "cancel_hours": "72", "active": "1"}
    bodies: dict[str, dict[str, Any]] = {
        "pts_rule": {"json": {"enabled": True, "points": 8, "daily_cap": 40}},
        "pts_rule_form": {"data": {"enabled": "1", "points": "8", "daily_cap": "40", "monthly_cap": ""}},
        "pts_item": {"json": {**form, "community_code": pf.community(session, city).code,
                              "unit_id": pf.make_shop(session, pf.community(session, city)).id}},
        "pts_item_update": {"json": {"stock": 9}},
        "pts_item_form": {"data": form},
        "pts_photo": {"files": {"photo": ("p.png", f.tiny_png(), "image/png")}},
        "pts_redeem": {"json": {"quantity": 1}},
        "pts_redeem_form": {"data": {"quantity": "1"}},
        "pts_reason": {"json": {"reason": "矩阵退还"}},
        "pts_reason_form": {"data": {"reason": "矩阵退还"}},
        "pts_code": {"json": {"code": "12345678"}},
        "pts_code_form": {"data": {"code": "12345678"}},
    }
    if ep.body in ("pts_civic", "pts_civic_form"):
        uid = _new_resident(session, grid_code).id
        bodies["pts_civic"] = {"json": {"user_id": uid, "note": "扶老人过马路"}}
        bodies["pts_civic_form"] = {"data": {"user_id": str(uid), "note": "扶老人过马路", "quantity": "1"}}
    if ep.body in bodies:
        kwargs.update(bodies[ep.body])
    return path
