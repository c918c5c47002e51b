"""Demo assessment data: Yantai's community set — three classes (基础、品牌、底线) and forty indicators — over the
city the demo `leader` account covers; the last two complete months computed for every community, the manual
scores filled from a seeded random generator, and the earlier month published, so the later month's ranking
shows change. Idempotent: a second run adds nothing."""

from __future__ import annotations

import random
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.accounts.service import principal_for
from gongzhi.assessment import repository as repo
from gongzhi.assessment import service
from gongzhi.assessment.models import IndicatorSet
from gongzhi.core.auth import Principal
from gongzhi.dashboard.rollup import refresh as refresh_rollups
from gongzhi.regions.models import Region

assessment_app = typer.Typer(help="考核 / assessment", no_args_is_help=True)
console = Console()
SET_NAME = "烟台社区“三类四十项”考核"
DESCRIPTION = ("参照烟台市社区分类考核办法：基础指标70分、品牌指标30分，底线指标实行扣分或一票否决；按月考核，"
               "前3名上红榜、后3名上黄榜，结果月度通报。")
# code, name, points, metric (computed) with full-score line, zero-score line, no data → full?; guidance
BASIC: list[tuple[Any, ...]] = [
    ("A01", "社区党组织班子建设（“两委”健全、分工明确）", 2, None, "查阅班子分工、会议记录"),
    ("A02", "“三会一课”等组织生活落实", 2, None, "按月抽查会议记录和党员参加情况"),
    ("A03", "社区大党委运行（成员单位履职、联席会议）", 3, None, "双月联席会议召开、议定事项落实"),
    ("A04", "网格党支部（党小组）覆盖", 2, None, "网格、小区党组织应建尽建"),
    ("A05", "网格力量配备率", 3, ("grid_staff_coverage", 1.0, 0.6, False), "系统按网格力量台账自动计算"),
    ("A06", "网格员巡查走访", 2, None, "巡查走访记录、重点人群走访到位"),
    ("A07", "在职党员“双报到”报到率", 3, ("party_reporting_rate", 0.5, 0.1, False), "报到人数与登记党员数之比"),
    ("A08", "在职党员认岗位、认对子、认难题", 2, None, "认领记录与服务记录相符"),
    ("A09", "接诉即办：诉求响应率", 3, ("appeal_response_rate", 0.98, 0.8, True), "系统按诉求台账自动计算"),
    ("A10", "接诉即办：诉求解决率", 3, ("appeal_resolution_rate", 0.9, 0.6, True), "系统按诉求台账自动计算"),
    ("A11", "接诉即办：群众满意率", 4, ("appeal_satisfaction_rate", 0.95, 0.7, True), "系统按群众评价自动计算"),
    ("A12", "接诉即办：按时办结率", 3, ("appeal_on_time_rate", 0.95, 0.7, True), "按工作日时限自动计算"),
    ("A13", "共建需求对接率", 3, ("needs_matched_rate", 0.8, 0.3, False), "需求库中已立项或完成的比例"),
    ("A14", "微心愿实现率", 2, ("wishes_fulfilled_rate", 0.9, 0.5, False), "当月发布的微心愿实现比例"),
    ("A15", "志愿服务时长", 3, ("service_hours", 200.0, 0.0, False), "经确认的志愿服务时长，200小时满分"),
    ("A16", "物业服务覆盖（红色物业、无物业小区兜底）", 3, None, "物业覆盖台账、兜底服务记录"),
    ("A17", "业委会（物管会）组建", 2, None, "符合条件的小区组建业委会或物管会"),
    ("A18", "民主协商（议事会、“民情流水线”提议办评）", 3, None, "议题提出、协商、办理、评议全过程记录"),
    ("A19", "矛盾纠纷排查调处", 2, None, "排查台账、调解成功率"),
    ("A20", "党群服务阵地开放与运营", 2, None, "开放时间、活动场次"),
    ("A21", "15分钟便民服务圈建设", 2, None, "服务设施覆盖情况"),
    ("A22", "积分超市运营（积分兑换、线上兑换）", 2, None, "兑换记录、商品种类"),
    ("A23", "社区事务准入清单执行", 2, None, "清单外事项拒收记录"),
    ("A24", "基础台账（人、地、事、物、组织）更新", 3, None, "台账按月更新、数据准确"),
    ("A25", "重点人群关爱（独居老人、残疾人、低保户）", 3, None, "走访记录、帮扶措施"),
    ("A26", "社区工作者队伍建设（持证、培训）", 2, None, "持证率、培训记录"),
    ("A27", "文明创建与环境整治", 2, None, "现场检查"),
    ("A28", "平安建设（安全隐患排查整改）", 2, None, "隐患台账、整改闭环"),
]
BRAND: list[tuple[str, str, float, str]] = [
    ("B01", "党建品牌创建（一社区一品牌）", 6, "品牌有载体、有活动、有成效"),
    ("B02", "“红色物业”示范小区", 4, "物业党组织建设、物业纳入社区治理"),
    ("B03", "共驻共建特色项目", 4, "驻区单位参与项目的数量与成效"),
    ("B04", "志愿服务品牌（“啄木鸟”等队伍）", 4, "队伍规模、活动频次、群众评价"),
    ("B05", "“五社联动”项目", 4, "社会组织、社工、慈善资源引入"),
    ("B06", "创新经验获上级推广", 4, "区级以上推广或交流发言"),
    ("B07", "上级媒体宣传报道", 4, "市级以上媒体报道"),
]
BOTTOM: list[tuple[str, str, float | None, str]] = [
    ("C01", "发生重大安全生产事故", None, "一票否决"),
    ("C02", "发生越级上访、群体性事件", 10, "每起扣10分"),
    ("C03", "意识形态领域出现严重问题", None, "一票否决"),
    ("C04", "党员干部违规违纪被查处", 10, "每起扣10分"),
    ("C05", "发生重大负面舆情", 5, "每起扣5分"),
]
EVIDENCE = ("查阅台账，资料齐全", "现场查看，符合要求", "抽查记录，基本落实", "群众走访，反映良好",
            "部分资料不全，已督促整改")


def _principal(session: Session, username: str) -> Principal | None:
    user = session.scalars(select(User).where(User.username == username)).first()
    return principal_for(session, user) if user else None


def _home(session: Session, leader: Principal | None) -> Region:
    """The region the demo leader covers (the demo city when there is no leader account)."""
    if leader is not None:
        region = session.get(Region, leader.scope_region_id)
        if region is not None:
            return region
    city = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()
    assert city is not None, "the database holds no city: run `gongzhi generate` first"
    return city


def build_set(session: Session, admin: Principal, region: Region) -> IndicatorSet:
    """The Yantai community set, built through the service (so its weights are checked) and activated."""
    s = service.create_set(session, admin, {"name": SET_NAME, "description": DESCRIPTION, "level": "community",
                                            "period_kind": "month", "region_code": region.code, "red_count": 3,
                                            "yellow_count": 3})
    basic = service.add_class(session, admin, s, {"name": "基础指标"})
    brand = service.add_class(session, admin, s, {"name": "品牌指标"})
    bottom = service.add_class(session, admin, s, {"name": "底线指标"})
    for code, name, points, metric, guidance in BASIC:
        raw: dict[str, Any] = {"class_id": basic.id, "code": code, "name": name, "max_score": points,
                               "guidance": guidance, "method": "manual"}
        if metric is not None:
            key, full, zero, full_if_none = metric
            raw.update(method="computed", metric=key, full_at=full, zero_at=zero,
                       if_no_data="full" if full_if_none else "zero")
        service.add_indicator(session, admin, s, raw)
    for code, name, points, guidance in BRAND:
        service.add_indicator(session, admin, s, {"class_id": brand.id, "code": code, "name": name,
                                                  "max_score": points, "method": "manual", "guidance": guidance})
    for code, name, deduction, guidance in BOTTOM:
        service.add_indicator(session, admin, s, {"class_id": bottom.id, "code": code, "name": name,
                                                  "method": "veto", "deduction": deduction, "guidance": guidance})
    return service.activate(session, admin, s)


def fill_manual(session: Session, scorer: Principal, s: IndicatorSet, period: str, seed: int) -> int:
    """Every community's manual and bottom-line scores not yet given, drawn from a generator seeded by the
    period and the community (the same every run). Returns how many were written."""
    indicators = [i for i in repo.indicators(session, s) if i.method != "computed"]
    written = 0
    for region in repo.ranked_regions(session, s):
        given = {x.indicator_id for x in repo.scores(session, s, period, region)}
        rnd = random.Random(f"{seed}:{period}:{region.code}")
        strength = rnd.uniform(0.6, 0.98)  # how well this community does this month
        items: list[tuple[str, dict[str, Any]]] = []
        for ind in indicators:
            draw = rnd.random()
            if ind.id in given:
                continue
            if ind.method == "manual":
                share = min(1.0, max(0.3, strength + (draw - 0.5) * 0.3))
                items.append((ind.code, {"score": round(ind.max_score * share * 2) / 2,
                                         "evidence": EVIDENCE[int(draw * len(EVIDENCE)) % len(EVIDENCE)]}))
            else:
                failed = draw < 0.015
                items.append((ind.code, {"failed": failed, "evidence": f"{period} 发生1起，已核实" if failed else ""}))
        if items:
            service.enter_scores(session, scorer, s, period, region.code, items)
            written += len(items)
    return written


def load_demo(session: Session, seed: int = 20241) -> dict[str, Any]:
    leader = _principal(session, "leader")
    admin = _principal(session, "admin")
    region = _home(session, leader)
    if admin is None:  # no demo accounts: act as an admin of the whole city, recorded as the CLI
        admin = Principal(user_id=0, username="cli", display_name="系统", role="admin", scope_region_id=region.id,
                          scope_path=region.path, scope_code=region.code, scope_name=region.name)
    s = repo.set_by_name(session, SET_NAME, region)
    created = s is None
    if s is None:
        s = build_set(session, admin, region)
    scorer = leader or admin
    refresh_rollups(session)  # appeal figures are read from the dashboard's roll-ups: bring them up to date
    earlier, later = service.complete_periods(s.period_kind, service.today(), 2)
    scores = 0
    for period in (earlier, later):
        row = repo.get_period(session, s, period)
        if row is not None and row.status == "published":
            continue
        before = repo.score_count(session, s, period)
        service.compute_period(session, scorer, s, period)
        fill_manual(session, scorer, s, period, seed)
        scores += repo.score_count(session, s, period) - before
        if period == earlier:
            service.publish_period(session, scorer, s, period)
    return {"set": s, "created": created, "scores": scores, "periods": (earlier, later),
            "communities": len(repo.ranked_regions(session, s))}


@assessment_app.command("demo")
def demo(seed: int = 20241) -> None:
    """Load the demo assessment (Yantai's 3 classes and 40 indicators, two months scored; safe to run again)."""
    from gongzhi.core import audit
    from gongzhi.core.db import session_scope

    with audit.acting_as(audit.Actor(None, "cli")), session_scope() as session:
        result = load_demo(session, seed)
        name = result["set"].name
    earlier, later = result["periods"]
    console.print(f"[green]考核演示数据：{name}（{'新建' if result['created'] else '已有'}），"
                  f"{result['communities']} 个社区，新增得分 {result['scores']} 条；"
                  f"{earlier} 已发布，{later} 评分中[/green]")
