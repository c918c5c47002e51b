"""Demo 双报到 and volunteers in the demo community: about twenty in-service Party members of several employer
units reporting there (the demo `party` account among them), service posts, pairs with 独居老人 households,
service logs (some confirmed, with points), a volunteer team with the demo `volunteer` account, a few 啄木鸟
reports through the appeal intake, last year's evaluations, and the `employer` account of one employer unit
that downloads the 双报告. Runs once: a second run finds the demo `party` account reporting and stops."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.accounts.demo import demo_scopes
from gongzhi.accounts.models import User
from gongzhi.accounts.service import create_user, principal_for
from gongzhi.appeals.schemas import AppealCreate
from gongzhi.core.auth import Principal
from gongzhi.core.db import now
from gongzhi.orgs.models import Unit
from gongzhi.people.models import Household, PartyMember, Resident
from gongzhi.regions.models import Region
from gongzhi.volunteers import service
from gongzhi.volunteers.models import Evaluation, Pairing, PostClaim, Reporting, ServiceLog

MEMBERS = 20
POSTS = (("文明劝导岗", 4, "每周六上午", "小区东门、菜市场", "劝导不文明养犬、乱扔垃圾、电动车乱停放"),
         ("助老服务岗", 5, "每周三下午", "社区日间照料中心", "陪伴老人、代购代办、读报聊天"),
         ("政策宣传岗", 3, "每月第一个周六", "党群服务中心", "宣讲惠民政策、反诈知识、垃圾分类"),
         ("四点半课堂辅导岗", 4, "工作日 16:30–18:00", "社区四点半课堂", "辅导小学生作业、开展兴趣活动"),
         ("法律咨询岗", 2, "每月第二个周四晚上", "社区调解室", "提供法律咨询、协助化解邻里纠纷"),
         ("环境整治岗", 6, "每月最后一个周日", "各小区楼道、背街小巷", "清理楼道堆物、小广告"),
         ("义诊服务岗", 3, "每月第三个周六", "党群服务中心", "测血压血糖、健康咨询"),
         ("平安巡逻岗", 4, "周五、周六晚上", "辖区主要街巷", "夜间巡逻、排查安全隐患"))
WHAT = ("上门看望独居老人，帮忙打扫卫生", "在小区门口劝导电动车规范停放", "为居民宣讲反诈知识",
        "辅导四点半课堂学生作业", "清理楼道堆放杂物", "陪同老人到社区医院体检", "参加社区环境整治志愿活动",
        "夜间平安巡逻两小时", "为居民提供法律咨询", "帮独居老人代购米面油")
REPORTS = ("小区东门路灯不亮，晚上行人看不清路", "楼道内堆放大量纸箱杂物，存在消防隐患", "人行道井盖松动，踩上去有响声",
           "绿化带内有积存垃圾，无人清理", "单元门禁损坏，外来人员随意进出")
VOLUNTEERS = (("patrol", "supervise"), ("errand",), ("guard", "patrol"), ("publicity",), ("patrol",),
              ("guard",), ("errand", "publicity"))
COMMENTS = {"优秀": "报到积极，岗位履职认真，结对帮扶耐心细致，群众评价好。",
            "合格": "能按要求参加社区服务，完成认领岗位任务。",
            "基本合格": "参加社区服务次数偏少，希望进一步发挥作用。"}


def _principal(session: Session, username: str) -> Principal | None:
    user = session.scalars(select(User).where(User.username == username)).first()
    return principal_for(session, user) if user else None


def _unit(session: Session, name: str, street: Region) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        unit = Unit(name=name, kind="机关" if name.endswith(("局", "院", "委", "办")) else "事业单位", address="",
                    region_id=street.id, scope_path=street.path)
        session.add(unit)
        session.flush()
    return unit


def _members(session: Session, community: Region, street: Region, rng: random.Random) -> list[PartyMember]:
    """The generated in-service members of the community, linked to their employer units; a few more if short."""
    members = list(session.scalars(select(PartyMember).where(
        PartyMember.scope_path.startswith(community.path), PartyMember.kind == "in_service")
        .order_by(PartyMember.id).limit(MEMBERS)))
    names = ("张建华", "李晓燕", "王志刚", "刘海燕", "陈国强", "杨丽萍", "赵永军", "黄秀兰")
    employers = ("安宁市人民法院", "安宁市税务局", "安宁市第一人民医院", "安宁市供电局")
    while len(members) < MEMBERS:
        m = PartyMember(name=names[len(members) % len(names)], kind="in_service", gender="男",
                        employer_name=employers[len(members) % len(employers)], region_id=community.id,
                        scope_path=community.path)
        session.add(m)
        members.append(m)
    for m in members:
        if m.employer_unit_id is None:
            m.employer_unit_id = _unit(session, m.employer_name or rng.choice(employers), street).id
        m.region_id, m.scope_path = community.id, community.path
    session.flush()
    return members


def _care_households(session: Session, community: Region, limit: int) -> list[Household]:
    ids = select(Resident.household_id).where(Resident.scope_path.startswith(community.path),
                                              Resident.care_tags.contains("独居老人"),
                                              Resident.household_id.is_not(None))
    return list(session.scalars(select(Household).where(Household.id.in_(ids)).order_by(Household.id).limit(limit)))


def load_demo_volunteers(session: Session, *, seed: int = 20241, password: str = "gongzhi2024") -> dict[str, Any]:
    """Load the demo once; returns what was created (empty when it was there already)."""
    party = _principal(session, "party")
    desk = _principal(session, "community")
    volunteer = _principal(session, "volunteer")
    if party is None or desk is None or volunteer is None:
        return {}
    if service.my_reporting(session, party) is not None:
        return {}
    rng = random.Random(seed)
    scopes = demo_scopes(session)
    community, street = scopes["community"], scopes["street"]
    members = _members(session, community, street, rng)
    last_year = service.today().year - 1
    start_last = dt.datetime(last_year, 3, 1, 9, tzinfo=dt.UTC)

    # 报到: all confirmed but three waiting; the demo account is the first member
    reportings = []
    for i, m in enumerate(members):
        r = Reporting(member_id=m.id, user_id=party.user_id if i == 0 else None,
                      status="pending" if i >= len(members) - 3 else "confirmed",
                      skills=rng.choice(("法律咨询", "电工维修", "医疗护理", "文艺宣传", "")),
                      region_id=community.id, scope_path=community.path, created_at=start_last, updated_at=start_last)
        if r.status == "confirmed":
            r.decided_by, r.decided_at = desk.user_id, start_last + dt.timedelta(days=2)
        session.add(r)
        reportings.append(r)
    session.flush()
    confirmed = [r for r in reportings if r.status == "confirmed"]

    # 认岗位: eight posts, each taken up to its slots
    posts = [service.create_post(session, desk, community, name=n, slots=s, time_text=t, places=p, description=d)
             for n, s, t, p, d in POSTS]
    claims: dict[int, list[int]] = {}
    for r in confirmed:
        for post in rng.sample(posts, 2 if r is reportings[0] else 1):
            if len(claims.setdefault(post.id, [])) < post.slots:
                claims[post.id].append(r.id)
                session.add(PostClaim(post_id=post.id, reporting_id=r.id, created_at=start_last))
    # 认对子: pairs with 独居老人 households
    pairs: dict[int, int] = {}
    households = _care_households(session, community, len(confirmed))
    for r, h in zip(confirmed, households, strict=False):
        p = Pairing(reporting_id=r.id, household_id=h.id, care_tags="独居老人", created_at=start_last,
                    region_id=community.id, scope_path=community.path)
        session.add(p)
        session.flush()
        pairs[r.id] = p.id
    # last year's service, confirmed, for the evaluations (historic rows: no points are back-dated)
    for r in confirmed:
        for _k in range(rng.randint(3, 9)):
            day = dt.date(last_year, rng.randint(3, 12), rng.randint(1, 28))
            session.add(ServiceLog(reporting_id=r.id, served_on=day, hours=rng.choice((1, 1.5, 2, 2, 3, 4)),
                                   what=rng.choice(WHAT), status="confirmed", pairing_id=pairs.get(r.id),
                                   decided_by=desk.user_id, decided_at=now(), created_at=now(),
                                   region_id=community.id, scope_path=community.path))
    session.flush()
    for r in confirmed:
        grade = rng.choices(("优秀", "合格", "基本合格"), (3, 6, 1))[0]
        session.add(Evaluation(reporting_id=r.id, year=last_year, grade=grade, comment=COMMENTS[grade],
                               figures=service.figures(session, r, last_year), evaluated_by=desk.user_id,
                               region_id=community.id, scope_path=community.path))

    # this year: the demo member logs service through the service; the community confirms most of it
    grid = session.scalars(select(Region).where(Region.level == "grid", Region.path.startswith(community.path))
                           .order_by(Region.path)).first()
    assert grid is not None
    logs = []
    for k in range(5):
        logs.append(service.log_service(session, party, served_on=service.today() - dt.timedelta(days=3 + 6 * k),
                                        hours=rng.choice((1.5, 2, 2.5)), what=WHAT[k],
                                        pairing_id=pairs.get(reportings[0].id) if k % 2 == 0 else None))
    for log in logs[1:]:
        service.decide_log(session, desk, log, confirm=True)

    # volunteers: the demo account and residents of the community, in one team
    me = service.save_profile(session, volunteer, name="林晓峰", roles=["patrol", "supervise"], skills="摄影、维修")
    team = service.create_team(session, desk, community, name="文化路啄木鸟志愿服务队",
                               description="巡查发现问题、监督整改落实、宣传文明新风")
    service.set_team(session, desk, me, team.id, leader=True)
    residents = list(session.scalars(select(Resident).where(Resident.scope_path.startswith(community.path),
                                                            Resident.care_tags == "").order_by(Resident.id)
                                     .limit(len(VOLUNTEERS))))
    for res, roles in zip(residents, VOLUNTEERS, strict=False):
        v = service.add_resident_volunteer(session, desk, community, resident_id=res.id, roles=roles)
        service.set_team(session, desk, v, team.id)
    for k in range(3):
        log = service.log_service(session, volunteer, served_on=service.today() - dt.timedelta(days=2 + 5 * k),
                                  hours=2, what=rng.choice(("巡查小区消防通道", "清理小广告", "文明养犬宣传")))
        if k:
            service.decide_log(session, desk, log, confirm=True)
    # 啄木鸟 reports through the appeal intake
    for text in REPORTS[:3]:
        service.file_report(session, volunteer, AppealCreate(title=text[:20], description=text,
                                                             region_code=grid.code))
    service.file_report(session, party, AppealCreate(title=REPORTS[3][:20], description=REPORTS[3],
                                                     region_code=grid.code))

    # the employer unit's handler: the unit with the most reporting members
    counts = session.execute(select(PartyMember.employer_unit_id, func.count()).where(
        PartyMember.id.in_([m.id for m in members])).group_by(PartyMember.employer_unit_id)
        .order_by(func.count().desc())).first()
    assert counts is not None
    unit = session.get(Unit, counts[0])
    assert unit is not None
    if session.scalars(select(User).where(User.username == "employer")).first() is None:
        create_user(session, username="employer", password=password, role="department_handler",
                    scope_code=community.code, display_name=f"{unit.name}党务干部", unit_id=unit.id)
    session.flush()
    return {"community": community.name, "members": len(members), "confirmed": len(confirmed), "posts": len(posts),
            "pairs": len(pairs), "volunteers": len(residents) + 1, "employer_unit": unit.name, "year": last_year}
