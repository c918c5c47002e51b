"""Demo co-building data for the demo city: every community's 大党委 with up to eight member units of its area,
agreements and pledges, and the 2026 rotation where it has the six units a rotation needs; in the demo
community two joint meetings with minutes, needs, resources, projects (one rated) and micro-wishes in every
state; and the unit handler account `unit`. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.accounts.service import create_user, principal_for
from gongzhi.cobuild import service
from gongzhi.cobuild.models import CommitteeMembership, Need
from gongzhi.core.auth import Principal
from gongzhi.core.db import prefix_range
from gongzhi.orgs.models import Unit
from gongzhi.regions.models import Region

cobuild_app = typer.Typer(help="共驻共建 / co-building", no_args_is_help=True)
console = Console()
PASSWORD = "gongzhi2024"
AGREEMENTS = {
    "医院": ("每季度进社区义诊一次，为独居老人建立健康档案", "医护志愿者8名、义诊场地"),
    "学校": ("寒暑假开放操场和图书室，组织学生志愿服务", "操场、图书室、大学生志愿者"),
    "机关": ("在职党员到社区报到，认领服务岗位", "党员志愿者、法律咨询"),
    "事业单位": ("开展便民服务进社区活动", "技术人员、便民服务"),
    "国有企业": ("结对帮扶困难家庭，支持老旧小区改造", "维修队、帮扶资金"),
    "民营企业": ("提供就业岗位，参与社区公益", "就业岗位、活动物资"),
    "社会组织": ("承接社区养老、助残服务项目", "社工、专业服务"),
}
NEEDS = (  # title, type, beneficiaries, count, urgency, skills
    ("独居老人每周送菜上门", "助老", "独居老人", 6, "high", "陪伴"),
    ("老年人免费理发", "助老", "70岁以上老人", 20, "normal", "理发"),
    ("失能老人康复指导", "医疗健康", "失能老人", 4, "high", "康复"),
    ("慢病老人血压血糖测量", "医疗健康", "慢病老人", 30, "normal", "护理"),
    ("3号楼楼道灯更换", "设施维修", "3号楼住户", 48, "normal", "电工"),
    ("单元门禁维修", "设施维修", "5号楼住户", 36, "high", "电工"),
    ("小区健身器材维修", "设施维修", "全体居民", 200, "low", "维修"),
    ("背街小巷垃圾清运", "环境整治", "沿街居民", 80, "normal", ""),
    ("楼道堆物清理", "环境整治", "2号楼住户", 40, "low", ""),
    ("外墙小广告清理", "环境整治", "全体居民", 300, "low", ""),
    ("留守儿童暑期作业辅导", "助学", "留守儿童", 12, "normal", "辅导"),
    ("困难家庭学生学习用品", "助学", "困难家庭学生", 8, "normal", ""),
    ("青少年心理健康讲座", "助学", "青少年", 40, "low", "心理"),
    ("残疾人就业技能培训", "就业帮扶", "残疾人", 10, "normal", "培训"),
    ("失业人员招聘对接", "就业帮扶", "失业人员", 25, "normal", ""),
    ("残疾人出行陪同", "助残", "肢体残疾人", 3, "high", "陪伴"),
    ("盲人读报服务", "助残", "视力残疾人", 2, "low", "陪伴"),
    ("邻里纠纷法律咨询", "法律咨询", "居民", 15, "normal", "法律"),
    ("老年人防诈骗讲座", "法律咨询", "老年人", 60, "normal", "法律"),
    ("重阳节文艺汇演", "文体活动", "全体居民", 300, "low", "文艺"),
    ("广场舞队排练场地", "文体活动", "舞蹈队", 30, "low", ""),
    ("社区书法班", "文体活动", "书法爱好者", 20, "low", "书法"),
    ("空巢老人节日探望", "助老", "空巢老人", 15, "normal", "陪伴"),
    ("老旧小区加装扶手", "设施维修", "老年人", 50, "normal", "维修"),
    ("孕产妇健康讲座", "医疗健康", "孕产妇", 10, "low", "护理"),
    ("暑期青少年托管", "助学", "双职工家庭子女", 25, "high", "辅导"),
    ("困难老人助餐", "助老", "困难老人", 12, "high", ""),
    ("雨季排水沟清淤", "环境整治", "低洼片区居民", 120, "high", ""),
    ("残疾儿童康复训练", "助残", "残疾儿童", 4, "normal", "康复"),
    ("退役军人就业指导", "就业帮扶", "退役军人", 8, "low", "培训"),
)
RESOURCES = (  # title, type, skills, capacity, provider kind
    ("医护志愿者义诊", "医疗健康", "护理,康复", 3, "unit"), ("家庭医生签约服务", "医疗健康", "护理", 2, "unit"),
    ("电工维修队", "设施维修", "电工,维修", 3, "unit"), ("物业维修班组", "设施维修", "维修", 2, "unit"),
    ("大学生支教队", "助学", "辅导", 3, "unit"), ("退休教师辅导团", "助学", "辅导,心理", 2, "volunteer"),
    ("爱心理发志愿队", "助老", "理发,陪伴", 3, "volunteer"), ("助老送餐车", "助老", "", 2, "unit"),
    ("党员陪伴小组", "助老", "陪伴", 3, "party_member"), ("律师事务所公益咨询", "法律咨询", "法律", 3, "unit"),
    ("环卫志愿服务队", "环境整治", "", 3, "volunteer"), ("企业清扫车", "环境整治", "", 2, "unit"),
    ("职业技能培训学校", "就业帮扶", "培训", 2, "unit"), ("人力资源公司招聘会", "就业帮扶", "", 2, "unit"),
    ("助残社工站", "助残", "康复,陪伴", 2, "social_org"), ("盲人协会志愿者", "助残", "陪伴", 1, "social_org"),
    ("文化馆文艺辅导", "文体活动", "文艺,书法", 2, "unit"), ("学校操场（周末开放）", "文体活动", "", 3, "unit"),
    ("心理咨询中心", "助学", "心理", 1, "social_org"), ("社区卫生服务站", "医疗健康", "护理", 2, "unit"),
    ("供电所便民服务队", "设施维修", "电工", 2, "unit"), ("党员先锋岗", "环境整治", "", 2, "party_member"),
    ("老年大学书法班", "文体活动", "书法", 1, "unit"), ("餐饮企业爱心餐", "助老", "", 2, "unit"),
    ("法律援助工作站", "法律咨询", "法律", 2, "unit"), ("红十字会急救培训", "医疗健康", "护理", 1, "social_org"),
    ("青年志愿者协会", "助残", "陪伴", 2, "volunteer"), ("妇联巾帼志愿队", "助学", "辅导", 2, "social_org"),
    ("物流公司搬运队", "助老", "", 1, "unit"), ("建筑公司维修队", "设施维修", "维修", 2, "unit"),
)
WISHES = (  # title, kind, final status
    ("想请人陪我去医院复查", "visit", "thanked"), ("家里水龙头漏水想请人修", "repair", "thanked"),
    ("孙子想要一个新书包", "supplies", "fulfilled"), ("想要一套绘画工具", "supplies", "claimed"),
    ("想和人聊聊天", "visit", "claimed"), ("灯泡坏了够不着", "repair", "open"),
    ("想学用智能手机", "visit", "open"), ("想要几本课外书", "supplies", "open"),
    ("轮椅轮子坏了", "repair", "open"), ("想要一台收音机", "daily", "pending"),
    ("过年想吃顿饺子", "daily", "open"), ("孩子想学游泳", "other", "pending"),
    ("想要一副老花镜", "daily", "thanked"), ("窗户关不严想修一下", "repair", "hidden"),
    ("想请人帮忙贴春联", "other", "open"),
)


def _principal(session: Session, username: str) -> Principal | None:
    user = session.scalars(select(User).where(User.username == username)).first()
    return principal_for(session, user) if user else None


OTHER_AGREEMENT = ("参与社区共建活动，为居民提供便民服务", "便民服务、活动场地")


def _member_units(session: Session, community: Region, n: int) -> list[Unit]:
    """Units of the area, the registered member units and the big institutions first (an owners' committee is
    not a unit of the area)."""
    stmt = select(Unit).where(prefix_range(Unit.scope_path, community.path), Unit.kind != "业委会")
    units = list(session.scalars(stmt.order_by(Unit.is_member_unit.desc(), Unit.id)))
    units.sort(key=lambda u: (not u.is_member_unit, u.kind not in AGREEMENTS, u.id))
    return units[:n]


def load_committees(session: Session, admin: Principal, rnd: random.Random) -> int:
    """Each community's 大党委: up to eight member units with agreements and part-time members, the 2026 rotation."""
    joined = 0
    for community in session.scalars(select(Region).where(Region.level == "community").order_by(Region.path)):
        if session.scalar(select(func.count()).select_from(CommitteeMembership)
                          .where(CommitteeMembership.region_id == community.id)):
            continue
        units = _member_units(session, community, 8)
        for i, unit in enumerate(units):
            terms, pledged = AGREEMENTS.get(unit.kind, OTHER_AGREEMENT)
            signed = dt.date(2023 + i % 3, 1 + rnd.randrange(12), 1 + rnd.randrange(28))
            m = service.add_member(session, admin, community, {
                "unit_id": unit.id, "signed_on": signed, "term_end": dt.date(signed.year + 3, signed.month, 1),
                "terms": f"{unit.name}与{community.name}签订共驻共建协议：{terms}。", "pledged": pledged})
            if i < 3:
                service.add_officer(session, admin, community, m.id, {
                    "name": unit.contact_name or f"{unit.name[:2]}委员", "post": "兼职副书记" if i == 0 else "兼职委员",
                    "term_start": "2024-01-01", "term_end": "2026-12-31"})
            joined += 1
        if len(units) >= service.SLOTS:
            service.generate_rotation(session, admin, community, 2026)
    return joined


def _at(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour, 0)).isoformat()


def load_community(session: Session, community: Region, rnd: random.Random) -> dict[str, int]:
    """Meetings, needs, resources, projects and wishes in the demo community (once)."""
    staff = _principal(session, "community")
    resident = _principal(session, "resident")
    party = _principal(session, "party")
    volunteer = _principal(session, "volunteer")
    if not (staff and resident and party and volunteer):
        raise RuntimeError("run `gongzhi demo-accounts` first")
    if session.scalar(select(func.count()).select_from(Need).where(prefix_range(Need.scope_path, community.path))):
        return {}
    grids = list(session.scalars(select(Region).where(prefix_range(Region.path, community.path),
                                                      Region.level == "grid").order_by(Region.path)))
    members = service.repo.memberships(session, community)
    # meetings: the chairs of January–February and March–April convened one each, with minutes
    terms = service.repo.chair_terms(session, community, 2026)
    for slot, (title, agenda, minutes, decisions) in enumerate((
            ("2026年第一次联席会议", ["年度共建项目清单", "双月轮值安排"],
             "会议通报了上年度共建项目完成情况，讨论确定本年度项目清单。",
             ["为独居老人开展助餐服务", "修缮老旧小区楼道扶手"]),
            ("2026年第二次联席会议", ["雨季防汛准备", "暑期青少年托管"],
             "各成员单位认领防汛和暑期托管任务。", ["雨季前完成排水沟清淤"])), start=1):
        day = dt.date(2026, 2 * slot - 1, 20)
        meeting = service.convene_meeting(session, staff, community, {
            "title": title, "held_at": _at(day, 9), "place": f"{community.name}党群服务中心", "agenda": agenda})
        chair = next((t.unit_id for t in terms if t.slot == slot), None)
        meeting.chair_unit_id = chair
        service.record_attendance(session, staff, meeting, {
            "unit_ids": [m.unit_id for m in members[:5]], "usernames": ["community", "party"],
            "names": ["居民代表王阿姨", "网格长李明"]})
        service.record_minutes(session, staff, meeting, {"minutes": minutes, "decisions": decisions})
    # resources offered by member units, social organisations, volunteers and Party members
    windows = "2026-11-01,2027-01-31"
    resources = []
    for i, (title, rtype, skills, capacity, kind) in enumerate(RESOURCES):
        unit = service.repo.units_by_id(session, [members[i % len(members)].unit_id]).popitem()[1] \
            if members and kind == "unit" else None
        actor = {"party_member": party, "volunteer": volunteer}.get(kind, staff)
        raw: dict[str, Any] = {"title": title, "resource_type": rtype, "skills": skills, "capacity": capacity,
                               "windows": windows if i % 4 else "", "region_code": community.code,
                               "provider_kind": kind, "unit_id": unit.id if unit else "",
                               "provider_name": {"social_org": "社区社会组织联合会"}.get(kind, "")}
        resources.append(service.create_resource(session, actor, raw))
    # needs from residents, grid workers and the community
    needs = []
    for i, (title, ntype, who, count, urgency, skills) in enumerate(NEEDS):
        grid = grids[i % len(grids)]
        actor = resident if i % 5 == 0 else staff
        start = dt.date(2026, 11, 20) + dt.timedelta(days=rnd.randrange(20))
        needs.append(service.create_need(session, actor, {
            "title": title, "need_type": ntype, "beneficiaries": who, "beneficiary_count": count,
            "urgency": urgency, "skills": skills, "wanted_from": start, "wanted_to": start + dt.timedelta(days=14),
            "region_code": grid.code if actor is staff else None,
            "lat": grid.center_lat, "lon": grid.center_lon}))
    # a few projects: accepted suggestions, two done, one rated; and pending claims both ways
    done = 0
    for need in needs[:6]:
        best = service.suggestions(session, need, limit=1)
        if not best:
            continue
        claim = service.claim_resource(session, staff, best[0]["resource"]["id"], need_id=need.id)
        project = service.accept_claim(session, staff, claim)
        service.add_step(session, staff, project, {"title": "对接服务对象", "due_on": "2026-12-05"})
        service.add_step(session, staff, project, {"title": "上门服务", "due_on": "2026-12-20"})
        if done < 2:
            for step in service.repo.steps(session, project):
                service.complete_step(session, staff, project, step.id)
            outcome = f"已完成：{need.title}，服务{need.beneficiary_count}人。"
            service.finish_project(session, staff, project, {"outcome": outcome})
            if done == 0:
                service.rate_project(session, staff, project, {"rating": 5, "comment": "服务周到，老人很满意"})
            done += 1
    service.claim_need(session, party, needs[22].id, note="我周末可以去探望")
    # micro-wishes in every state
    for title, kind, final in WISHES:
        wish = service.post_wish(session, resident, {"title": title, "kind": kind})
        if final == "pending":
            continue
        service.wish_action(session, staff, wish, "hide" if final == "hidden" else "approve", {})
        if final in ("open", "hidden"):
            continue
        claimer = party if rnd.random() < 0.5 else volunteer
        if service.repo.open_claims_of(session, claimer.user_id) >= service.get_settings_limit():
            claimer = volunteer if claimer is party else party
        service.wish_action(session, claimer, wish, "claim", {})
        if final == "claimed":
            continue
        service.wish_action(session, claimer, wish, "fulfil", {"note": "已帮居民实现心愿"}, _demo_photo())
        if final == "thanked":
            service.wish_action(session, resident, wish, "thank", {"note": "谢谢你们，真暖心！"})
    return {"needs": len(needs), "resources": len(resources), "wishes": len(WISHES)}


def _demo_photo() -> tuple[bytes, str]:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 320), (250, 236, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 20, 460, 300), outline=(192, 0, 0), width=6)
    draw.ellipse((190, 110, 290, 210), fill=(192, 0, 0))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue(), "demo.jpg"


def ensure_unit_account(session: Session, community: Region) -> tuple[str, str] | None:
    """The demo unit handler `unit`: acts for the first member unit of the demo community."""
    members = service.repo.memberships(session, community)
    if not members:
        return None
    unit = session.get(Unit, members[0].unit_id)
    assert unit is not None
    if session.scalars(select(User).where(User.username == "unit")).first() is None:
        create_user(session, username="unit", password=PASSWORD, role="department_handler",
                    scope_code=community.code, display_name=f"{unit.name}经办人", unit_id=unit.id)
    return "unit", unit.name


def load_demo(session: Session, seed: int = 20241) -> dict[str, Any]:
    from gongzhi.accounts.demo import demo_scopes

    rnd = random.Random(seed)
    admin = _principal(session, "admin")
    assert admin is not None, "run `gongzhi demo-accounts` first"
    community = demo_scopes(session)["community"]
    joined = load_committees(session, admin, rnd)
    account = ensure_unit_account(session, community)
    counts = load_community(session, community, rnd)
    return {"members": joined, "account": account, **counts}


@cobuild_app.command("demo")
def demo(seed: int = 20241) -> None:
    """Load the demo co-building data (safe to run again) and print the unit account."""
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope

    with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
        result = load_demo(session, seed)
    console.print(f"[green]共驻共建演示数据：新增成员单位 {result['members']} 家，需求 {result.get('needs', 0)} 项，"
                  f"资源 {result.get('resources', 0)} 项，微心愿 {result.get('wishes', 0)} 个[/green]")
    if result["account"]:
        console.print(f"驻区单位账号：[b]{result['account'][0]}[/b]（{result['account'][1]}），密码 {PASSWORD}")
