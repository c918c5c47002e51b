"""JSON routes of the points ledger and store: thin, each calls one service function."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from pydantic import BaseModel, Field

from gongzhi.appeals import media
from gongzhi.core.auth import Principal
from gongzhi.core.register_api import read_upload, xlsx_response
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, Page, PageDep, SessionDep, require
from gongzhi.points import service
from gongzhi.points.models import PointAccount, Redemption, StoreItem

router = APIRouter(prefix="/api/v1/points", tags=["积分"])
MANAGE = require("points:manage")  # checked before an object is loaded: 403 comes before 404


class RuleUpdate(BaseModel):
    enabled: bool = True
    points: int = Field(ge=1, le=100000)
    daily_cap: int | None = Field(default=None, ge=1, le=100000)
    monthly_cap: int | None = Field(default=None, ge=1, le=1000000)


class CivicActCreate(BaseModel):
    user_id: int = Field(ge=1)
    note: str = Field(min_length=1, max_length=200)
    quantity: float = Field(default=1, gt=0, le=10)


class ItemWrite(BaseModel):
    community_code: str | None = Field(default=None, max_length=20)
    unit_id: int | None = None
    kind: str | None = None
    name: str | None = Field(default=None, max_length=60)
    description: str | None = Field(default=None, max_length=2000)
    price: int | None = None
    stock: int | None = None
    per_person_limit: int | None = None
    limit_period: str | None = None
    fee_yuan: int | None = None
    cancel_hours: int | None = None
    active: bool | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


class RedeemBody(BaseModel):
    quantity: int = Field(default=1, ge=1, le=100)
    household_id: int | None = None
    fee_period: str | None = Field(default=None, max_length=7)
    key: str | None = Field(default=None, max_length=80, description="幂等键：重试时带同一个键，只兑换一次")


class ReasonBody(BaseModel):
    reason: str = Field(default="", max_length=200)


class CodeBody(BaseModel):
    code: str = Field(min_length=1, max_length=20)


def _page(items: list[Any], total: int, params: Any) -> dict[str, Any]:
    return Page(items, total, params.page, params.size).to_dict(items)


def _item(session: Any, item: StoreItem) -> dict[str, Any]:
    photos = service.photos_of(session, [item])[item.id]
    return {"id": item.id, "community_id": item.community_id, "unit_id": item.unit_id, "kind": item.kind,
            "name": item.name, "description": item.description, "price": item.price, "stock": item.stock,
            "per_person_limit": item.per_person_limit, "limit_period": item.limit_period,
            "fee_yuan": item.fee_yuan, "cancel_hours": item.cancel_hours, "active": item.active,
            "starts_at": item.starts_at, "ends_at": item.ends_at,
            "photos": [f"/api/v1/points/items/{item.id}/photos/{p.id}" for p in photos]}


def _account(acc: PointAccount) -> dict[str, Any]:
    return {"id": acc.id, "kind": acc.kind, "name": acc.name, "balance": acc.balance, "user_id": acc.user_id,
            "unit_id": acc.unit_id, "household_id": acc.household_id}


def _one(session: Any, r: Redemption) -> dict[str, Any]:
    return service.redemption_dicts(session, [r])[0]


def current_item(item_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal) -> StoreItem:
    return service.get_item(session, principal, item_id)


def current_redemption(redemption_id: Annotated[int, Path(ge=1)], session: SessionDep,
                       principal: CurrentPrincipal) -> Redemption:
    return service.get_redemption(session, principal, redemption_id)


CurrentItem = Annotated[StoreItem, Depends(current_item)]
CurrentRedemption = Annotated[Redemption, Depends(current_redemption)]


# ---- accounts and statements ------------------------------------------------------------------------------

@router.get("/me", summary="我的积分")
def me(session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return _account(service.my_account(session, principal))


@router.get("/me/statement", summary="我的积分流水")
def my_statement(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                 since: dt.date | None = None, until: dt.date | None = None) -> dict[str, Any]:
    acc = service.my_account(session, principal)
    rows, total = service.statement(session, acc, since=_day(since), until=_day(until, 1), offset=params.offset,
                                    limit=params.size)
    return _page([_entry(e) for e in rows], total, params)


@router.get("/accounts", summary="积分账户")
def accounts(session: SessionDep, params: PageDep, principal: Principal = require("points:read"),
             kind: str | None = None) -> dict[str, Any]:
    rows, total = service.list_accounts(session, principal, kind=kind, q=params.q, offset=params.offset,
                                        limit=params.size)
    return _page([_account(a) for a in rows], total, params)


@router.get("/accounts/{account_id}/statement", summary="账户流水（含余额）")
def account_statement(account_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal,
                      params: PageDep, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, Any]:
    acc = service.get_account(session, principal, account_id)
    rows, total = service.statement(session, acc, since=_day(since), until=_day(until, 1), offset=params.offset,
                                    limit=params.size)
    return {**_page([_entry(e) for e in rows], total, params), "account": _account(acc)}


def _day(day: dt.date | None, plus: int = 0) -> dt.datetime | None:
    from gongzhi.core.web import SHANGHAI

    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=plus), dt.time(), SHANGHAI).astimezone(dt.UTC)


def _entry(e: dict[str, Any]) -> dict[str, Any]:
    return {"id": e["id"], "at": e["created_at"], "amount": e["amount"], "balance": e["balance"],
            "kind": e["kind"], "rule": e["rule"], "summary": service.entry_label(e)}


# ---- rules and civic acts ---------------------------------------------------------------------------------

@router.get("/rules/{community_code}", summary="社区积分规则")
def rules(community_code: str, session: SessionDep, principal: Principal = require("points:read")) -> list[Any]:
    community = service.get_community(session, principal, community_code)
    return [dataclasses.asdict(s) for s in service.rule_settings(session, community)]


@router.put("/rules/{community_code}/{rule}", summary="修改积分规则", dependencies=[CsrfChecked])
def set_rule(community_code: str, rule: str, body: RuleUpdate, session: SessionDep,
             principal: Principal = require("points:manage")) -> dict[str, Any]:
    community = service.get_community(session, principal, community_code)
    return dataclasses.asdict(service.set_rule(session, principal, community, rule, body.model_dump()))


@router.post("/civic-acts", summary="记录文明行为（文明行为银行）", status_code=201, dependencies=[CsrfChecked])
def civic_act(body: CivicActCreate, session: SessionDep,
              principal: Principal = require("points:civic")) -> dict[str, Any]:
    posting = service.record_civic_act(session, principal, user_id=body.user_id, note=body.note,
                                       quantity=body.quantity)
    return {"posting_id": posting.id, "points": posting.points}


# ---- store ------------------------------------------------------------------------------------------------

@router.get("/items", summary="积分超市商品")
def items(session: SessionDep, principal: CurrentPrincipal, params: PageDep, kind: str | None = None,
          all: bool = False) -> dict[str, Any]:
    rows, total = service.list_items(session, principal, q=params.q, kind=kind, include_inactive=all,
                                     offset=params.offset, limit=params.size)
    return _page([_item(session, i) for i in rows], total, params)


@router.post("/items", summary="上架商品", status_code=201, dependencies=[CsrfChecked])
def create_item(body: ItemWrite, session: SessionDep,
                principal: Principal = require("points:manage")) -> dict[str, Any]:
    return _item(session, service.create_item(session, principal, body.model_dump(exclude_unset=True)))


@router.get("/items/{item_id}", summary="商品")
def item(item: CurrentItem, session: SessionDep) -> dict[str, Any]:
    return _item(session, item)


@router.patch("/items/{item_id}", summary="修改商品（含库存）", dependencies=[CsrfChecked, MANAGE])
def update_item(item: CurrentItem, body: ItemWrite, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return _item(session, service.update_item(session, principal, item, body.model_dump(exclude_unset=True)))


@router.post("/items/{item_id}/photos", summary="上传商品照片", status_code=201,
             dependencies=[CsrfChecked, MANAGE])
async def add_photo(item: CurrentItem, session: SessionDep, photo: Annotated[UploadFile, File()],
                    principal: CurrentPrincipal) -> dict[str, Any]:
    data = await read_upload(photo)
    p = service.add_item_photo(session, principal, item, data, photo.filename or "photo")
    return {"id": p.id, "url": f"/api/v1/points/items/{item.id}/photos/{p.id}"}


@router.get("/items/{item_id}/photos/{photo_id}", summary="商品照片")
def photo(item: CurrentItem, photo_id: Annotated[int, Path(ge=1)], session: SessionDep,
          thumb: bool = False) -> Response:
    p = service.get_item_photo(session, item, photo_id)
    return Response(media.read(p.thumb_path if thumb else p.path), media_type="image/jpeg" if thumb else
                    p.content_type, headers={"Cache-Control": "private, max-age=86400"})


@router.post("/items/{item_id}/redeem", summary="兑换（线上下单，生成取件码）", status_code=201,
             dependencies=[CsrfChecked])
def redeem(item: CurrentItem, body: RedeemBody, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    r = service.redeem(session, principal, item, quantity=body.quantity, household_id=body.household_id,
                       fee_period=body.fee_period, key=body.key)
    return _one(session, r)


# ---- redemptions ------------------------------------------------------------------------------------------

@router.get("/redemptions/mine", summary="我的兑换")
def my_redemptions(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                   status: str | None = None) -> dict[str, Any]:
    rows, total = service.list_redemptions(session, principal, mine=True, status=status, offset=params.offset,
                                           limit=params.size)
    return _page(service.redemption_dicts(session, rows), total, params)


@router.get("/redemptions", summary="兑换记录（社区）")
def redemptions(session: SessionDep, params: PageDep, principal: Principal = require("points:read"),
                status: str | None = None, item_id: int | None = None,
                since: dt.date | None = None, until: dt.date | None = None) -> dict[str, Any]:
    rows, total = service.list_redemptions(session, principal, status=status, item_id=item_id, since=_day(since),
                                           until=_day(until, 1), q=params.q, offset=params.offset,
                                           limit=params.size)
    return _page(service.redemption_dicts(session, rows), total, params)


@router.get("/redemptions/export", summary="导出兑换记录（Excel）")
def export(session: SessionDep, principal: Principal = require("points:read"), status: str | None = None,
           since: dt.date | None = None, until: dt.date | None = None,
           q: Annotated[str | None, Query(max_length=60)] = None) -> Response:
    data = service.export_redemptions(session, principal, status=status, since=_day(since), until=_day(until, 1),
                                      q=q)
    return xlsx_response(data, "积分兑换.xlsx")


@router.get("/redemptions/{redemption_id}", summary="兑换详情")
def redemption(r: CurrentRedemption, session: SessionDep) -> dict[str, Any]:
    return _one(session, r)


@router.get("/redemptions/{redemption_id}/qr.svg", summary="取件码二维码")
def qr(r: CurrentRedemption, principal: CurrentPrincipal) -> Response:
    if r.status != "open" or r.user_id != principal.user_id:
        from gongzhi.core.errors import NotFound

        raise NotFound("取件码已使用或不可查看")
    return Response(service.qr_svg(r.code), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/redemptions/{redemption_id}/cancel", summary="取消兑换（本人）", dependencies=[CsrfChecked])
def cancel(r: CurrentRedemption, session: SessionDep, principal: CurrentPrincipal,
           body: ReasonBody | None = None) -> dict[str, Any]:
    return _one(session, service.cancel(session, principal, r, body.reason if body else ""))


@router.post("/redemptions/{redemption_id}/refund", summary="退还（工作人员）", dependencies=[CsrfChecked, MANAGE])
def refund(r: CurrentRedemption, body: ReasonBody, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return _one(session, service.refund(session, principal, r, body.reason))


# ---- hand-over (核销) -------------------------------------------------------------------------------------

@router.get("/handover/{code}", summary="查询取件码（商户）")
def lookup(code: Annotated[str, Path(max_length=20)], session: SessionDep,
           principal: Principal = require("points:handover")) -> dict[str, Any]:
    return _one(session, service.lookup_code(session, principal, code))


@router.post("/handover", summary="核销取件码（商户）", dependencies=[CsrfChecked])
def hand_over(body: CodeBody, session: SessionDep,
              principal: Principal = require("points:handover")) -> dict[str, Any]:
    return _one(session, service.hand_over(session, principal, body.code))
