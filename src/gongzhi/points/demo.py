"""Demo points store: shops, a property company and a dozen believable items in the demo community, points
earned by the demo resident, volunteer and Party member through the rules, a redemption waiting to be picked
up and one handed over, and the accounts `shop` (the supermarket's clerk) and `wuye` (the property company).
Idempotent: a second run finds everything in place and changes nothing."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.demo import demo_scopes
from gongzhi.accounts.models import User
from gongzhi.accounts.service import create_user, principal_for
from gongzhi.orgs.models import Unit
from gongzhi.points import service
from gongzhi.points.models import StoreItem
from gongzhi.regions.models import Region

points_app = typer.Typer(help="积分与积分超市", no_args_is_help=True)

UNITS = (  # name, kind, address
    ("幸福里便民超市", "商铺", "幸福路18号"),
    ("鑫兴粮油店", "商铺", "幸福路22号"),
    ("巧手理发店", "商铺", "和平街5号"),
    ("邻里家电维修部", "商铺", "和平街11号"),
    ("安居物业服务有限公司", "物业公司", "幸福路18号物业服务中心"),
)
ITEMS = (  # unit, kind, name, price, stock, per-person limit, period, fee_yuan, description
    ("鑫兴粮油店", "goods", "东北大米 5kg", 120, 30, 1, "month", None, "当季新米，凭取件码到店领取。"),
    ("鑫兴粮油店", "goods", "花生油 1.8L", 150, 20, 1, "month", None, "压榨一级花生油。"),
    ("幸福里便民超市", "goods", "洗衣液 2kg", 80, 40, 2, "month", None, "薰衣草香型。"),
    ("幸福里便民超市", "goods", "抽纸 10包装", 50, 60, 2, "month", None, "三层加厚。"),
    ("幸福里便民超市", "goods", "牙膏牙刷套装", 40, 50, 2, "month", None, ""),
    ("幸福里便民超市", "goods", "酱油醋组合", 60, 25, 1, "month", None, "生抽 500ml + 陈醋 500ml。"),
    ("幸福里便民超市", "goods", "儿童绘本（3本）", 70, 15, 1, "month", None, "适合 3–8 岁，随机款式。"),
    ("巧手理发店", "service", "理发券（单次）", 60, 40, 1, "month", None, "到店出示取件码，洗剪吹一次。"),
    ("巧手理发店", "service", "老人上门理发", 80, 10, 1, "month", None, "70 岁以上老人可预约上门，电话约时间。"),
    ("邻里家电维修部", "service", "空调/油烟机清洗券", 200, 15, 1, "year", None, "师傅上门清洗一台。"),
    ("邻里家电维修部", "service", "小家电维修券", 100, 20, 1, "month", None, "电饭煲、电风扇等小家电免工时费一次。"),
    ("安居物业服务有限公司", "property_fee", "物业费抵扣 20 元", 200, 200, 3, "month", 20,
     "抵扣本小区住宅物业费，物业服务中心核销后计入所选月份。"),
    ("安居物业服务有限公司", "property_fee", "物业费抵扣 50 元", 450, 100, 1, "month", 50, "同上。"),
)
EARNED = {  # username → (rule, ref, quantity)
    "resident": (("report_verified", "demo:1", 1), ("report_verified", "demo:2", 1), ("civic_act", "demo:1", 3),
                 ("service_hour", "demo:1", 8), ("meeting_attended", "demo:1", 2), ("wish_fulfilled", "demo:1", 1)),
    "volunteer": (("service_hour", "demo:1", 8), ("wish_fulfilled", "demo:1", 1), ("wish_fulfilled", "demo:2", 1),
                  ("civic_act", "demo:1", 2)),
    "party": (("service_hour", "demo:1", 6), ("meeting_attended", "demo:1", 2), ("wish_fulfilled", "demo:1", 1)),
}
ACCOUNTS = (("shop", "幸福里便民超市", "超市店员"), ("wuye", "安居物业服务有限公司", "物业客服"))


def _unit(session: Session, community: Region, name: str, kind: str, address: str) -> Unit:
    found = session.scalars(select(Unit).where(Unit.name == name, Unit.scope_path == community.path)).first()
    if found is None:
        found = Unit(name=name, kind=kind, address=address, contact_name="", region_id=community.id,
                     scope_path=community.path, lon=community.center_lon, lat=community.center_lat)
        session.add(found)
        session.flush()
    return found


def load(session: Session, password: str) -> list[tuple[str, str, str]]:
    """Put the demo store in place; the accounts it made or found, as (username, role, unit)."""
    community = demo_scopes(session)["community"]
    units = {name: _unit(session, community, name, kind, address) for name, kind, address in UNITS}
    for unit, kind, name, price, stock, limit, period, fee, text in ITEMS:
        if session.scalars(select(StoreItem).where(StoreItem.community_id == community.id,
                                                   StoreItem.name == name)).first() is None:
            session.add(StoreItem(community_id=community.id, scope_path=community.path, unit_id=units[unit].id,
                                  kind=kind, name=name, description=text, price=price, stock=stock,
                                  per_person_limit=limit, limit_period=period, fee_yuan=fee, cancel_hours=72,
                                  active=True))
    session.flush()
    rows = []
    for username, unit_name, display in ACCOUNTS:
        if session.scalars(select(User).where(User.username == username)).first() is None:
            create_user(session, username=username, password=password, role="department_handler",
                        scope_code=community.code, display_name=display, unit_id=units[unit_name].id)
        rows.append((username, "部门经办人（商户）", unit_name))
    for username, awards in EARNED.items():
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            continue
        for rule, ref, qty in awards:
            service.award(session, community_id=community.id, user_id=user.id, rule=rule, ref=ref, quantity=qty,
                          note="演示数据")
    _redemptions(session, community)
    return rows


def _redemptions(session: Session, community: Region) -> None:
    """The resident's toothbrush set, handed over, and tissues waiting with their code (once only: keyed)."""
    user = session.scalars(select(User).where(User.username == "resident")).first()
    if user is None:
        return
    resident = principal_for(session, user)
    shop = session.scalars(select(User).where(User.username == "shop")).one()
    picks: list[tuple[str, str, bool]] = [("牙膏牙刷套装", "demo-redeem-0001", True),
                                          ("抽纸 10包装", "demo-redeem-0002", False)]
    for name, key, hand_over in picks:
        item = session.scalars(select(StoreItem).where(StoreItem.community_id == community.id,
                                                       StoreItem.name == name)).one()
        r = service.redeem(session, resident, item, key=key)
        if hand_over and r.status == "open":
            service.hand_over(session, principal_for(session, shop), r.code)


@points_app.command("demo")
def demo(password: str = "gongzhi2024") -> None:
    """Load the demo points store (idempotent) and print the shop accounts."""
    from rich.console import Console
    from rich.table import Table

    from gongzhi.core import audit
    from gongzhi.core.db import session_scope

    with audit.acting_as(audit.Actor(None, "demo")), session_scope() as session:
        rows = load(session, password)
        balances: dict[str, Any] = {}
        for username in EARNED:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is not None:
                balances[username] = service.my_account(session, principal_for(session, user)).balance
    table = Table(title=f"积分超市演示账号（密码 {password}）")
    for col in ("用户名", "角色", "单位"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    Console().print("积分余额：" + "，".join(f"{k} {v}" for k, v in balances.items()))
