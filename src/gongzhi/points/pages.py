"""HTML pages of the points store: the resident's phone pages (store, redeem, my codes, my statement), the
shop's hand-over page (核销) and the community desk (redemptions, rules, items, civic acts). Thin: each calls
the service and renders; a rejected form comes back with what was typed and the reasons."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import File, Form, Path, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRouter
from sqlalchemy import select

from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.register_api import read_upload, xlsx_response
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, render, require, templates
from gongzhi.people.models import Household
from gongzhi.points import service
from gongzhi.points.api import MANAGE, CurrentItem, CurrentRedemption, _day
from gongzhi.points.models import (
    ITEM_KIND_LABELS,
    LIMIT_PERIOD_LABELS,
    REDEMPTION_STATUS_LABELS,
    RULE_LABELS,
    RULES,
)

router = APIRouter(tags=["积分页面"], include_in_schema=False)
HOLDER_ROLES = ("resident", "volunteer", "party_member")


def points_nav(principal: Principal) -> list[tuple[str, str, str]]:
    """The points pages in the top menu for this role: (url, label, nav key)."""
    out: list[tuple[str, str, str]] = []
    if principal.role in HOLDER_ROLES:
        out += [("/points", N_("积分超市"), "points-store"), ("/points/statement", N_("我的积分"), "points-mine")]
    if principal.can("points:handover") and principal.unit_id is not None:
        out.append(("/points/shop", N_("兑换核销"), "points-shop"))
    if principal.can("points:read"):
        out.append(("/points/desk", N_("积分管理"), "points-desk"))
    elif principal.can("points:civic"):
        out.append(("/points/desk/civic", N_("文明行为"), "points-civic"))
    return out


templates.env.globals["points_nav"] = points_nav


def _labels() -> dict[str, Any]:
    return {"kind_labels": ITEM_KIND_LABELS, "period_labels": LIMIT_PERIOD_LABELS,
            "status_labels": REDEMPTION_STATUS_LABELS, "rule_labels": RULE_LABELS}


def _done(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _errors(exc: AppError) -> dict[str, str]:
    details = exc.details if isinstance(exc.details, dict) else {}
    out = {k: str(v) for k, v in details.items() if isinstance(v, str)}
    if not out:
        out["_"] = exc.message
    return out


# ---- resident: store, item, redeem -------------------------------------------------------------------------

@router.get("/points")
def store(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep,
          kind: str | None = None) -> Response:
    rows, total = service.list_items(session, principal, q=params.q, kind=kind if kind in ITEM_KIND_LABELS else None,
                                     offset=params.offset, limit=params.size)
    return render(request, "points/store.html", {
        "title": "积分超市", "nav": "points-store", "items": rows, "photos": service.photos_of(session, rows),
        "account": service.my_account(session, principal), "total": total, "params": params,
        "pages": max(1, -(-total // params.size)), "kind": kind or "", **_labels()})


def _item_page(request: Request, session: Any, principal: Principal, item: Any, values: dict[str, Any],
               errors: dict[str, str], status: int = 200) -> Response:
    from gongzhi.orgs.models import Unit

    return render(request, "points/item.html", {
        "title": item.name, "nav": "points-store", "item": item, "photos": service.photos_of(session, [item])[item.id],
        "unit": session.get(Unit, item.unit_id), "account": service.my_account(session, principal),
        "values": values, "errors": errors, **_labels()}, status_code=status)


@router.get("/points/items/{item_id}")
def item_page(request: Request, item: CurrentItem, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return _item_page(request, session, principal, item, {"quantity": 1}, {})


@router.post("/points/items/{item_id}/redeem", dependencies=[CsrfChecked])
def redeem(request: Request, item: CurrentItem, session: SessionDep, principal: CurrentPrincipal,
           quantity: Annotated[str, Form()] = "1", household_code: Annotated[str, Form(max_length=32)] = "",
           fee_period: Annotated[str, Form(max_length=7)] = "",
           key: Annotated[str, Form(max_length=80)] = "") -> Response:
    values = {"quantity": quantity, "household_code": household_code, "fee_period": fee_period}
    try:
        try:
            n = int(quantity)
        except ValueError:
            raise ValidationFailed("数量须为整数", details={"quantity": "数量须为整数"}) from None
        household = session.scalars(select(Household).where(Household.code == household_code.strip())).first() \
            if household_code.strip() else None
        if item.kind == "property_fee" and household_code.strip() and household is None:
            raise ValidationFailed("房屋编号不存在", details={"household_code": "房屋编号不存在，请核对"})
        r = service.redeem(session, principal, item, quantity=n, household_id=household.id if household else None,
                           fee_period=fee_period.strip() or None, key=key or None)
    except AppError as exc:
        if exc.status >= 500:
            raise
        errors = _errors(exc)
        if "household_id" in errors:
            errors["household_code"] = errors.pop("household_id")
        return _item_page(request, session, principal, item, values, errors, status=exc.status)
    return _done(request, f"/points/redemptions/{r.id}")


@router.get("/points/mine")
def my_redemptions(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                   status: str | None = None) -> Response:
    status = status if status in REDEMPTION_STATUS_LABELS else None
    rows, total = service.list_redemptions(session, principal, mine=True, status=status, offset=params.offset,
                                           limit=params.size)
    return render(request, "points/mine.html", {
        "title": "我的兑换", "nav": "points-mine", "rows": service.redemption_dicts(session, rows), "total": total,
        "params": params, "pages": max(1, -(-total // params.size)), "status": status or "", **_labels()})


@router.get("/points/redemptions/{redemption_id}")
def redemption_page(request: Request, r: CurrentRedemption, session: SessionDep,
                    principal: CurrentPrincipal) -> Response:
    d = service.redemption_dicts(session, [r])[0]
    own = r.user_id == principal.user_id
    return render(request, "points/redemption.html", {
        "title": "兑换详情", "nav": "points-mine", "r": d, "own": own,
        "qr": service.qr_svg(r.code) if own and r.status == "open" else None,
        "can_cancel": own and r.status == "open" and service.now() <= d["cancel_until"],
        "can_refund": principal.can("points:manage") and principal.covers(r.scope_path)
        and r.status in ("open", "handed_over") and service.now() <= d["cancel_until"],
        "error": request.query_params.get("error", "")[:200], **_labels()})


@router.post("/points/redemptions/{redemption_id}/cancel", dependencies=[CsrfChecked])
def cancel(request: Request, r: CurrentRedemption, session: SessionDep, principal: CurrentPrincipal) -> Response:
    service.cancel(session, principal, r)
    return _done(request, f"/points/redemptions/{r.id}")


@router.post("/points/redemptions/{redemption_id}/refund", dependencies=[CsrfChecked, MANAGE])
def refund(request: Request, r: CurrentRedemption, session: SessionDep, principal: CurrentPrincipal,
           reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    service.refund(session, principal, r, reason)
    return _done(request, f"/points/redemptions/{r.id}")


@router.get("/points/statement")
def my_statement(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                 since: dt.date | None = None, until: dt.date | None = None) -> Response:
    acc = service.my_account(session, principal)
    rows, total = service.statement(session, acc, since=_day(since), until=_day(until, 1), offset=params.offset,
                                    limit=params.size)
    return render(request, "points/statement.html", {
        "title": "我的积分", "nav": "points-mine", "account": acc, "rows": rows, "total": total, "params": params,
        "pages": max(1, -(-total // params.size)), "since": since, "until": until, "label": service.entry_label})


@router.get("/points/statement/export")
def my_statement_export(session: SessionDep, principal: CurrentPrincipal, since: dt.date | None = None,
                        until: dt.date | None = None) -> Response:
    acc = service.my_account(session, principal)
    return xlsx_response(service.export_statement(session, acc, since=_day(since), until=_day(until, 1)),
                         "积分流水.xlsx")


# ---- shop: hand-over (核销) ---------------------------------------------------------------------------------

def _shop_page(request: Request, session: Any, principal: Principal, code: str, error: str = "",
               status: int = 200) -> Response:
    found = None
    if code and not error:
        try:
            found = service.redemption_dicts(session, [service.lookup_code(session, principal, code)])[0]
        except AppError as exc:
            error, status = exc.message, exc.status
    today = dt.datetime.combine(dt.datetime.now(service.SHANGHAI).date(), dt.time(), service.SHANGHAI)
    rows, _ = service.list_redemptions(session, principal, unit_only=True, status="handed_over",
                                       since=today.astimezone(dt.UTC), limit=100)
    done = request.query_params.get("done", "")
    done_row = None
    if done.isdigit():
        try:
            done_row = service.redemption_dicts(session, [service.get_redemption(session, principal, int(done))])[0]
        except AppError:
            done_row = None
    return render(request, "points/shop.html", {
        "title": "兑换核销", "nav": "points-shop", "code": code, "found": found, "error": error,
        "today": service.redemption_dicts(session, [r for r in rows if r.handed_over_at and
                                                    r.handed_over_at >= today]),
        "done_row": done_row, **_labels()}, status_code=status)


@router.get("/points/shop")
def shop(request: Request, session: SessionDep, code: str = "",
         principal: Principal = require("points:handover")) -> Response:
    return _shop_page(request, session, principal, code.strip()[:20])


@router.post("/points/shop/handover", dependencies=[CsrfChecked])
def shop_hand_over(request: Request, session: SessionDep, code: Annotated[str, Form(max_length=20)] = "",
                   principal: Principal = require("points:handover")) -> Response:
    try:
        r = service.hand_over(session, principal, code)
    except AppError as exc:
        if exc.status >= 500:
            raise
        return _shop_page(request, session, principal, code, error=exc.message, status=exc.status)
    return _done(request, f"/points/shop?done={r.id}")


# ---- community desk ---------------------------------------------------------------------------------------

@router.get("/points/desk")
def desk(request: Request, session: SessionDep, params: PageDep, status: str | None = None,
         since: dt.date | None = None, until: dt.date | None = None,
         principal: Principal = require("points:read")) -> Response:
    status = status if status in REDEMPTION_STATUS_LABELS else None
    rows, total = service.list_redemptions(session, principal, status=status, since=_day(since),
                                           until=_day(until, 1), q=params.q, offset=params.offset,
                                           limit=params.size)
    return render(request, "points/desk.html", {
        "title": "积分管理", "nav": "points-desk", "rows": service.redemption_dicts(session, rows), "total": total,
        "params": params, "pages": max(1, -(-total // params.size)), "status": status or "", "since": since,
        "until": until, "export_query": request.url.query, **_labels()})


def _community(session: Any, principal: Principal, code: str | None) -> Any:
    communities = service.manageable_communities(session, principal)
    if code:
        return service.get_community(session, principal, code), communities
    if not communities:
        raise ValidationFailed("您的辖区内没有社区")
    return communities[0], communities


@router.get("/points/desk/rules")
def rules_page(request: Request, session: SessionDep, community: str | None = None,
               principal: Principal = require("points:read")) -> Response:
    region, communities = _community(session, principal, community)
    return render(request, "points/rules.html", {
        "title": "积分规则", "nav": "points-desk", "community": region, "communities": communities,
        "settings": service.rule_settings(session, region), "errors": {}, "saved": request.query_params.get("saved"),
        **_labels()})


@router.post("/points/desk/rules/{community_code}/{rule}", dependencies=[CsrfChecked])
def save_rule(request: Request, community_code: str, rule: Annotated[str, Path(max_length=24)],
              session: SessionDep, enabled: Annotated[str, Form()] = "", points: Annotated[str, Form()] = "",
              daily_cap: Annotated[str, Form()] = "", monthly_cap: Annotated[str, Form()] = "",
              principal: Principal = require("points:manage")) -> Response:
    region = service.get_community(session, principal, community_code)
    if rule not in RULES:
        from gongzhi.core.errors import NotFound

        raise NotFound()
    try:
        service.set_rule(session, principal, region, rule, {"enabled": enabled == "1", "points": points,
                                                             "daily_cap": daily_cap, "monthly_cap": monthly_cap})
    except ValidationFailed as exc:
        _, communities = _community(session, principal, community_code)
        return render(request, "points/rules.html", {
            "title": "积分规则", "nav": "points-desk", "community": region, "communities": communities,
            "settings": service.rule_settings(session, region), "errors": {rule: exc.details}, "saved": None,
            **_labels()}, status_code=422)
    return _done(request, f"/points/desk/rules?community={region.code}&saved={rule}")


@router.get("/points/desk/items")
def desk_items(request: Request, session: SessionDep, params: PageDep,
               principal: Principal = require("points:manage")) -> Response:
    rows, total = service.list_items(session, principal, q=params.q, include_inactive=True, offset=params.offset,
                                     limit=params.size)
    rows = [i for i in rows if principal.covers(i.scope_path)]
    from gongzhi.points import repository as repo

    return render(request, "points/items.html", {
        "title": "积分超市商品", "nav": "points-desk", "items": rows, "total": total, "params": params,
        "units": repo.units_by_id(session, [i.unit_id for i in rows]),
        "pages": max(1, -(-total // params.size)), **_labels()})


def _item_form(request: Request, session: Any, principal: Principal, item: Any, values: dict[str, Any],
               errors: dict[str, str], status: int = 200) -> Response:
    communities = service.manageable_communities(session, principal)
    code = values.get("community_code") or (communities[0].code if communities else "")
    community = next((c for c in communities if c.code == code), None)
    return render(request, "points/item_form.html", {
        "title": "编辑商品" if item else "上架商品", "nav": "points-desk", "item": item, "values": values,
        "errors": errors, "communities": communities,
        "units": service.units_for_items(session, principal, community),
        "photos": service.photos_of(session, [item])[item.id] if item else [], **_labels()}, status_code=status)


ITEM_FORM_FIELDS = ("community_code", "unit_id", "kind", "name", "description", "price", "stock",
                    "per_person_limit", "limit_period", "fee_yuan", "cancel_hours", "starts_at", "ends_at")


async def _form_values(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in ITEM_FORM_FIELDS if k in form}
    values["active"] = "1" if form.get("active") else ""
    return values


@router.get("/points/desk/items/new")
def new_item(request: Request, session: SessionDep, community: str | None = None,
             principal: Principal = require("points:manage")) -> Response:
    return _item_form(request, session, principal, None, {"kind": "goods", "limit_period": "month", "active": "1",
                                                          "cancel_hours": "72", "community_code": community or ""},
                      {})


@router.post("/points/desk/items/new", dependencies=[CsrfChecked])
async def create_item(request: Request, session: SessionDep,
                      principal: Principal = require("points:manage")) -> Response:
    values = await _form_values(request)
    try:
        item = service.create_item(session, principal, values)
    except ValidationFailed as exc:
        return _item_form(request, session, principal, None, values, _errors(exc), status=422)
    return _done(request, f"/points/desk/items/{item.id}")


@router.get("/points/desk/items/{item_id}", dependencies=[MANAGE])
def edit_item(request: Request, item: CurrentItem, session: SessionDep, principal: CurrentPrincipal) -> Response:
    if not principal.covers(item.scope_path):
        from gongzhi.core.errors import NotFound

        raise NotFound()
    community = session.get(service.Region, item.community_id)
    values = {k: getattr(item, k) for k in ITEM_FORM_FIELDS if hasattr(item, k)}
    values.update(community_code=community.code if community else "", active="1" if item.active else "",
                  starts_at=item.starts_at.astimezone(service.SHANGHAI).strftime("%Y-%m-%dT%H:%M")
                  if item.starts_at else "",
                  ends_at=item.ends_at.astimezone(service.SHANGHAI).strftime("%Y-%m-%dT%H:%M") if item.ends_at else "")
    return _item_form(request, session, principal, item, {k: "" if v is None else v for k, v in values.items()},
                      {"_": request.query_params.get("error", "")[:200]} if request.query_params.get("error") else {})


@router.post("/points/desk/items/{item_id}", dependencies=[CsrfChecked, MANAGE])
async def save_item(request: Request, item: CurrentItem, session: SessionDep, principal: CurrentPrincipal) -> Response:
    values = await _form_values(request)
    try:
        service.update_item(session, principal, item, values)
    except ValidationFailed as exc:
        return _item_form(request, session, principal, item, values, _errors(exc), status=422)
    return _done(request, f"/points/desk/items/{item.id}?saved=1")


@router.post("/points/desk/items/{item_id}/photos", dependencies=[CsrfChecked, MANAGE])
async def item_photo(request: Request, item: CurrentItem, session: SessionDep, photo: Annotated[UploadFile, File()],
                     principal: CurrentPrincipal) -> Response:
    data = await read_upload(photo)
    try:
        service.add_item_photo(session, principal, item, data, photo.filename or "photo")
    except (ValidationFailed, AppError) as exc:
        if exc.status >= 500 or exc.status == 404:
            raise
        from urllib.parse import quote

        return _done(request, f"/points/desk/items/{item.id}?error={quote(exc.message)}")
    return _done(request, f"/points/desk/items/{item.id}?saved=1")


@router.get("/points/desk/civic")
def civic_page(request: Request, session: SessionDep, q: str = "",
               principal: Principal = require("points:civic")) -> Response:
    return render(request, "points/civic.html", {
        "title": "文明行为银行", "nav": "points-civic" if not principal.can("points:read") else "points-desk",
        "people": service.residents_for_civic(session, principal, q.strip()[:40] or None), "q": q, "values": {},
        "errors": {}, "done": request.query_params.get("done")})


@router.post("/points/desk/civic", dependencies=[CsrfChecked])
def civic_record(request: Request, session: SessionDep, user_id: Annotated[str, Form()] = "",
                 note: Annotated[str, Form(max_length=200)] = "", quantity: Annotated[str, Form()] = "1",
                 principal: Principal = require("points:civic")) -> Response:
    values = {"user_id": user_id, "note": note, "quantity": quantity}
    try:
        try:
            uid, qty = int(user_id), float(quantity)
        except ValueError:
            raise ValidationFailed("请选择居民并填写次数", details={"user_id": "请选择居民"}) from None
        posting = service.record_civic_act(session, principal, user_id=uid, note=note, quantity=qty)
    except AppError as exc:
        if exc.status >= 500:
            raise
        return render(request, "points/civic.html", {
            "title": "文明行为银行", "nav": "points-desk", "q": "", "values": values, "errors": _errors(exc),
            "people": service.residents_for_civic(session, principal, None), "done": None},
            status_code=exc.status)
    return _done(request, f"/points/desk/civic?done={posting.points}")

