"""The duty catalog's rules: the demo catalog built from the real taxonomy, routing, suggestion at intake, the
admission check, catalog writes with Chinese reasons, Excel round trips (all or nothing), and who may do what."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.core.errors import Forbidden, NotFound, ValidationFailed
from gongzhi.duties import catalog, excel, service
from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.regions.models import Region
from tests import factories as f
from tests.duties import factories as df


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _sheet(data: bytes) -> list[list[Any]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def _xlsx(rows: list[list[Any]]) -> bytes:
    return f.workbook(rows[0], rows[1:])


# ---- the demo catalog -------------------------------------------------------------------------------------

class TestDemoCatalog:
    def test_categories_follow_the_taxonomy(self, session: Session) -> None:
        assert _count(session, DutyCategory, DutyCategory.level == 1) == 15
        # 103 distinct second-level names, but 安全生产 sits under two first levels and each has its own 其他
        assert _count(session, DutyCategory, DutyCategory.level == 2) == 118
        names = set(session.scalars(select(DutyCategory.name).where(DutyCategory.level == 2)))
        assert len(names) == 103

    def test_one_matter_type_per_taxonomy_row_plus_the_certificates(self, session: Session) -> None:
        rows = catalog.read_taxonomy()
        assert len(rows) == 517
        assert len({r[2] for r in rows}) == 390
        assert _count(session, MatterType) == 517 + len(catalog.CERTIFICATES) == 525

    def test_every_matter_type_has_a_lead_a_tier_and_limits(self, session: Session) -> None:
        for mt in session.scalars(select(MatterType)):
            assert mt.lead_department_id is not None, mt.code
            assert mt.tier in ("grid", "community", "street", "department")
            assert mt.accept_hours in (2, 4, 8, 24)
            assert 1 <= mt.resolve_days <= 15
            assert len(mt.assist_department_ids) <= 2
            assert mt.lead_department_id not in mt.assist_department_ids
            assert mt.keywords

    def test_codes_are_stable_and_readable(self, session: Session) -> None:
        assert df.category(session, "C01").name == "城乡建设"
        assert df.category(session, "C0102").name == "城市建设和市政管理"
        env = df.matter(session, "M0102-14")
        assert (env.name, env.tier, env.accept_hours, env.resolve_days) == ("环境卫生", "grid", 4, 3)
        assert env.lead_department_id == df.department(session, "CGJ").id
        noise = df.matter_named(session, "噪音污染")
        assert noise.lead_department_id == df.department(session, "HBJ").id
        assert noise.assist_department_ids == [df.department(session, "GAJ").id, df.department(session, "CGJ").id]

    def test_rules_pick_tiers_and_limits_from_the_names(self) -> None:
        assert catalog.tier_for("噪音污染") == "grid"
        assert catalog.tier_for("物业服务") == "community"
        assert catalog.tier_for("违章建筑") == "street"
        assert catalog.tier_for("行政诉讼") == "department"
        assert catalog.limits_for("城乡建设", "城市建设和市政管理", "燃气供应", "department") == (2, 1)
        assert catalog.limits_for("城乡建设", "安全生产", "安全隐患", "street") == (2, 3)
        assert catalog.limits_for("政法", "诉讼", "民事诉讼", "department") == (24, 15)
        assert catalog.matter_name("城乡建设", "其他", "其他") == "其他城乡建设事项"
        assert catalog.matter_name("城乡建设", "城乡规划", "其他") == "其他城乡规划事项"

    def test_the_plan_is_deterministic(self) -> None:
        rows = catalog.read_taxonomy()
        assert catalog.plan_catalog(rows) == catalog.plan_catalog(rows)

    def test_departments(self, session: Session) -> None:
        codes = set(session.scalars(select(Department.code)))
        assert len(codes) == len(catalog.DEPARTMENTS) == 39
        assert {"CGJ", "ZJJ", "HBJ", "GAJ", "MZJ", "GDGS", "RQGS", "ZLSGS", "XFJ"} <= codes
        used = set(session.scalars(select(MatterType.lead_department_id)))
        assert len(used) >= 30

    def test_every_community_has_the_admission_template(self, session: Session) -> None:
        communities = list(session.scalars(select(Region).where(Region.level == "community")))
        assert communities
        for c in communities:
            kinds = Counter(session.scalars(select(AdmissionItem.kind).where(AdmissionItem.community_id == c.id)))
            assert kinds == {"must_do": 52, "assist": 58, "may_certify": 2, "must_not_certify": 45}

    def test_loading_again_adds_nothing(self, session: Session, city: dict[str, Any]) -> None:
        assert catalog.load_demo(session) == {"departments": 0, "categories": 0, "matter_types": 0,
                                              "admission_items": 0}
        community = f.region(session, city["scopes"]["community"])
        assert catalog.load_demo_admission(session, community) == 0

    def test_a_new_community_gets_the_whole_list(self, session: Session, city: dict[str, Any]) -> None:
        street = f.region(session, city["scopes"]["street"])
        new = Region(code=f.unique_code("R"), name="新社区", level="community", parent_id=street.id,
                     path=street.path + "NEW" + f.unique_code("") + "/")
        session.add(new)
        session.flush()
        assert catalog.load_demo_admission(session, new) == 157
        linked = session.scalars(select(AdmissionItem).where(AdmissionItem.community_id == new.id,
                                                             AdmissionItem.matter_type_id.is_not(None))).all()
        assert {i.code for i in linked} >= {"B01", "B02", "B03", "K01", "K02"}


# ---- routing and suggestion -------------------------------------------------------------------------------

class TestRoute:
    def test_tier_and_lead_department(self, session: Session) -> None:
        mt = df.matter_named(session, "物业服务")
        assert service.route(mt) == ("community", df.department(session, "ZJJ").id)


class TestSuggest:
    def test_noise_text_finds_the_noise_matter_first(self, session: Session) -> None:
        found = service.suggest_matter_types(session, "小区楼下广场舞噪音扰民 晚上十点还在放音乐，太吵了", limit=5)
        assert found[0].name == "噪音污染"

    def test_scores_and_matched_words(self, session: Session) -> None:
        ranked = service.rank_matter_types(session, "路灯不亮好几天了", limit=3)
        assert ranked[0].name == "城市公共设施"
        assert "路灯" in ranked[0].matched
        assert ranked == sorted(ranked, key=lambda s: -s.score)

    def test_certificate_request(self, session: Session) -> None:
        assert service.suggest_matter_types(session, "请社区给我开一个亲属关系证明")[0].name == "开具亲属关系证明"

    def test_nothing_for_unrelated_text(self, session: Session) -> None:
        assert service.suggest_matter_types(session, "？？？") == []

    def test_a_change_to_the_catalog_is_seen_at_once(self, session: Session, principal: Any) -> None:
        mt = service.create_matter_type(session, principal("admin"), df.matter_payload(keywords="独角兽乐园"))
        assert service.suggest_matter_types(session, "独角兽乐园门口积水")[0].id == mt.id
        service.deactivate_matter_type(session, principal("admin"), mt)
        assert mt.id not in {m.id for m in service.suggest_matter_types(session, "独角兽乐园门口积水")}

    def test_limit(self, session: Session) -> None:
        assert len(service.suggest_matter_types(session, "社区 小区 物业 低保 证明", limit=2)) == 2


# ---- the admission check ----------------------------------------------------------------------------------

class TestAdmissionCheck:
    def test_refuses_a_must_not_certify_matter(self, session: Session, city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        mt = df.matter_named(session, "开具亲属关系证明")
        item = service.admission_check(session, community.id, mt.id)
        assert item is not None
        assert (item.kind, item.title, item.code) == ("must_not_certify", "亲属关系证明", "B01")
        assert item.as_reason() == {"code": "B01", "kind": "must_not_certify", "title": "亲属关系证明"}

    def test_admits_what_the_community_may_certify_or_does(self, session: Session, city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        for name in ("开具居住证明", "城镇低保", "噪音污染"):
            assert service.admission_check(session, community.id, df.matter_named(session, name).id) is None

    def test_each_community_has_its_own_list(self, session: Session, city: dict[str, Any]) -> None:
        mine = f.region(session, city["scopes"]["community"])
        other = f.region(session, city["other_community"])
        mt = df.make_matter_type(session, name="开具测试证明", tier="community")
        df.make_admission_item(session, mine, kind="must_not_certify", title="测试证明", matter_type=mt)
        assert service.admission_check(session, mine.id, mt.id) is not None
        assert service.admission_check(session, other.id, mt.id) is None

    def test_an_assist_item_does_not_refuse(self, session: Session, city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        mt = df.make_matter_type(session)
        df.make_admission_item(session, community, kind="assist", matter_type=mt)
        assert service.admission_check(session, community.id, mt.id) is None


# ---- writing the catalog ----------------------------------------------------------------------------------

class TestCreateMatterType:
    def test_creates_with_departments_by_code(self, session: Session, principal: Any) -> None:
        mt = service.create_matter_type(session, principal("admin"), df.matter_payload(
            assist_department_codes="zjj、HBJ", keywords="甲，乙 甲", tier="社区"))
        assert mt.lead_department_id == df.department(session, "CGJ").id
        assert mt.assist_department_ids == [df.department(session, "ZJJ").id, df.department(session, "HBJ").id]
        assert (mt.tier, mt.keywords, mt.is_active) == ("community", "甲、乙", True)

    def test_category_by_names(self, session: Session, principal: Any) -> None:
        body = df.matter_payload(category_code=None, category1="环境保护", category2="环境污染")
        mt = service.create_matter_type(session, principal("admin"), body)
        assert mt.category_id == df.category(session, "C0402").id

    @pytest.mark.parametrize(("field", "value", "reason"), [
        ("tier", "县里", "处置层级只能是"),
        ("accept_hours", 0, "受理时限应为 1–72"),
        ("resolve_days", 61, "办结时限应为 1–60"),
        ("resolve_days", "三天", "办结时限（工作日）应为整数"),
        ("lead_department_code", "NOPE", "牵头部门编码 NOPE 不存在"),
        ("assist_department_codes", ["CGJ"], "协办部门不能包含牵头部门"),
        ("assist_department_codes", ["NOPE1"], "协办部门编码不存在：NOPE1"),
        ("category_code", "C01", "是一级分类"),
        ("category_code", "C9999", "二级分类编码 C9999 不存在"),
        ("code", "M0102-14", "事项编码已存在"),
        ("name", "", "事项名称不能为空"),
    ])
    def test_refuses_with_a_chinese_reason(self, session: Session, principal: Any, field: str, value: Any,
                                           reason: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            service.create_matter_type(session, principal("admin"), df.matter_payload(**{field: value}))
        assert reason in exc.value.message
        assert exc.value.details[0]["field"] == field

    def test_unknown_category_names(self, session: Session, principal: Any) -> None:
        with pytest.raises(ValidationFailed, match="分类“环境保护 / 没有这类”不存在"):
            service.create_matter_type(session, principal("admin"), df.matter_payload(
                category_code=None, category1="环境保护", category2="没有这类"))

    def test_inactive_lead(self, session: Session, principal: Any) -> None:
        dep = df.make_department(session, is_active=False)
        with pytest.raises(ValidationFailed, match="已停用"):
            service.create_matter_type(session, principal("admin"), df.matter_payload(lead_department_code=dep.code))

    @pytest.mark.parametrize("user", ["leader", "street", "community", "grid", "handler", "party", "resident"])
    def test_only_admins_write(self, session: Session, principal: Any, user: str) -> None:
        with pytest.raises(Forbidden):
            service.create_matter_type(session, principal(user), df.matter_payload())


class TestUpdateMatterType:
    def test_partial_update(self, session: Session, principal: Any) -> None:
        mt = df.make_matter_type(session, assists=("ZJJ",))
        service.update_matter_type(session, principal("admin"), mt, {"resolve_days": 7, "tier": "street"})
        assert (mt.resolve_days, mt.tier, mt.accept_hours) == (7, "street", 4)
        assert mt.assist_department_ids == [df.department(session, "ZJJ").id]

    def test_new_lead_may_not_be_an_assistant(self, session: Session, principal: Any) -> None:
        mt = df.make_matter_type(session, assists=("ZJJ",))
        with pytest.raises(ValidationFailed, match="协办部门不能包含牵头部门"):
            service.update_matter_type(session, principal("admin"), mt, {"lead_department_code": "ZJJ",
                                                                         "assist_department_codes": ["ZJJ"]})

    def test_deactivate(self, session: Session, principal: Any) -> None:
        mt = df.make_matter_type(session)
        service.deactivate_matter_type(session, principal("admin"), mt)
        assert mt.is_active is False
        rows, _ = service.list_matter_types(session, principal("grid"), q=mt.code, active=True)
        assert rows == []


class TestListMatterTypes:
    def test_filters(self, session: Session, principal: Any) -> None:
        p = principal("grid")
        rows, total = service.list_matter_types(session, p, category_code="C0102", limit=100)
        assert total == 16
        assert {r.code[:5] for r in rows} == {"M0102"}
        _, total = service.list_matter_types(session, p, category_code="C01", limit=100)
        assert total == len([r for r in catalog.read_taxonomy() if r[0] == "城乡建设"]) + 1  # + 开具无房证明
        rows, _ = service.list_matter_types(session, p, tier="grid", limit=100)
        assert rows
        assert all(r.tier == "grid" for r in rows)
        rows, _ = service.list_matter_types(session, p, department_code="HBJ", limit=100)
        assert rows
        assert all(r.lead_department_id == df.department(session, "HBJ").id for r in rows)
        rows, _ = service.list_matter_types(session, p, q="噪音")
        assert "噪音污染" in {r.name for r in rows}

    def test_unknown_codes_find_nothing(self, session: Session, principal: Any) -> None:
        assert service.list_matter_types(session, principal("grid"), category_code="C99") == ([], 0)
        assert service.list_matter_types(session, principal("grid"), department_code="NOPE") == ([], 0)

    def test_bad_tier(self, session: Session, principal: Any) -> None:
        with pytest.raises(ValidationFailed):
            service.list_matter_types(session, principal("grid"), tier="province")

    @pytest.mark.parametrize("user", ["party", "volunteer", "resident"])
    def test_residents_and_members_do_not_read_the_catalog(self, session: Session, principal: Any, user: str) -> None:
        with pytest.raises(Forbidden):
            service.list_matter_types(session, principal(user))


class TestCategories:
    def test_tree(self, session: Session, principal: Any) -> None:
        tree = service.category_tree(session, principal("handler"))
        assert len(tree) == 15
        assert sum(len(t["children"]) for t in tree) == 118
        assert sum(t["matter_count"] for t in tree) == 525

    def test_create_and_rename(self, session: Session, principal: Any) -> None:
        top = service.create_category(session, principal("admin"), name="测试一级")
        child = service.create_category(session, principal("admin"), name="测试二级", parent_code=top.code)
        assert (top.level, child.level, child.parent_id) == (1, 2, top.id)
        assert top.code == "C16"
        assert child.code == "C1601"
        service.rename_category(session, principal("admin"), child, "改名二级")
        assert child.name == "改名二级"

    def test_names_unique_among_siblings(self, session: Session, principal: Any) -> None:
        with pytest.raises(ValidationFailed, match="同级已有分类"):
            service.create_category(session, principal("admin"), name="环境污染", parent_code="C04")


class TestDepartments:
    def test_create_defaults_to_the_city(self, session: Session, principal: Any) -> None:
        dep = service.create_department(session, principal("admin"), {"code": "tst1", "name": "测试局"})
        assert (dep.code, dep.region_id, dep.is_active) == ("TST1", df.city_root(session).id, True)

    def test_code_form(self, session: Session, principal: Any) -> None:
        with pytest.raises(ValidationFailed, match="部门编码只能包含"):
            service.create_department(session, principal("admin"), {"code": "城管", "name": "测试局"})

    def test_region_must_be_city_or_district(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        with pytest.raises(ValidationFailed, match="应为您管辖范围内的市或区县"):
            service.create_department(session, principal("admin"), df.department_payload(
                region_code=city["scopes"]["street"]))

    def test_cannot_deactivate_while_leading(self, session: Session, principal: Any) -> None:
        with pytest.raises(ValidationFailed, match="仍牵头"):
            service.update_department(session, principal("admin"), df.department(session, "CGJ"),
                                      {"is_active": False})
        dep = df.make_department(session)
        service.update_department(session, principal("admin"), dep, {"is_active": False})
        assert dep.is_active is False


# ---- admission lists --------------------------------------------------------------------------------------

class TestAdmissionScope:
    def test_own_community_and_the_one_above_a_grid(self, session: Session, principal: Any,
                                                    city: dict[str, Any]) -> None:
        code = city["scopes"]["community"]
        for user in ("community", "grid", "street", "admin", "leader", "handler"):
            assert service.get_community(session, principal(user), code).code == code

    def test_other_community_is_404(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        for user in ("community", "grid", "street"):
            with pytest.raises(NotFound):
                service.get_community(session, principal(user), city["other_community"])

    def test_write_scope(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        mine = city["scopes"]["community"]
        assert service.get_community(session, principal("community"), mine, to="write")
        assert service.get_community(session, principal("street"), mine, to="write")
        with pytest.raises(NotFound):
            service.get_community(session, principal("community2"), mine, to="write")
        for user in ("grid", "leader", "handler"):
            with pytest.raises(Forbidden):
                service.get_community(session, principal(user), mine, to="write")

    def test_communities_in_scope(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        assert [c["code"] for c in service.list_communities(session, principal("community"))] == \
            [city["scopes"]["community"]]
        assert [c["code"] for c in service.list_communities(session, principal("grid"))] == \
            [city["scopes"]["community"]]
        assert len(service.list_communities(session, principal("street"))) == 3
        assert len(service.list_communities(session, principal("admin"))) == 6


class TestAdmissionItems:
    def test_crud(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        p = principal("community")
        community = service.get_community(session, p, city["scopes"]["community"], to="write")
        item = service.create_admission_item(session, p, community, df.admission_payload(
            code="z9", kind="不得出具证明事项", matter_type_code="M0102-14"))
        assert (item.code, item.kind, item.matter_type_id) == ("Z9", "must_not_certify",
                                                               df.matter(session, "M0102-14").id)
        service.update_admission_item(session, p, community, item, {"title": "改过的", "matter_type_code": ""})
        assert (item.title, item.matter_type_id) == ("改过的", None)
        service.delete_admission_item(session, p, community, item)
        assert session.get(AdmissionItem, item.id) is None

    def test_code_unique_within_the_community(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        p = principal("community")
        community = service.get_community(session, p, city["scopes"]["community"], to="write")
        with pytest.raises(ValidationFailed, match="编号 B01 在本社区已存在"):
            service.create_admission_item(session, p, community, df.admission_payload(code="B01"))

    def test_list_by_kind_and_search(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        p = principal("grid")
        community = service.get_community(session, p, city["scopes"]["community"])
        rows, total = service.list_admission(session, p, community, kind="must_not_certify", limit=100)
        assert total == 45
        assert all(r.kind == "must_not_certify" for r in rows)
        rows, total = service.list_admission(session, p, community, q="亲属关系")
        assert [r.code for r in rows] == ["B01"]
        assert service.admission_counts(session, community) == {"must_do": 52, "assist": 58, "may_certify": 2,
                                                                "must_not_certify": 45}


# ---- Excel --------------------------------------------------------------------------------------------------

class TestMatterTypesExcel:
    def test_template_has_drop_downs_and_help(self, principal: Any) -> None:
        wb = load_workbook(io.BytesIO(excel.template(principal("admin"), "matter_types")))
        assert wb.sheetnames == ["事项", "填写说明"]
        header = [c.value for c in wb["事项"][1]]
        assert header[:2] == ["事项编码*", "事项名称*"]
        assert "牵头部门编码*" in header
        assert wb["事项"].data_validations.dataValidation

    def test_round_trip_changes_nothing(self, session: Session, principal: Any) -> None:
        data = excel.export_matter_types(session, principal("admin"))
        rows = _sheet(data)
        assert len(rows) == 526
        assert rows[0][0] == "事项编码*"
        before = {m.code: (m.name, m.category_id, m.lead_department_id, list(m.assist_department_ids), m.tier,
                           m.accept_hours, m.resolve_days, m.keywords, m.is_active)
                  for m in session.scalars(select(MatterType))}
        report = excel.import_matter_types(session, principal("admin"), data, dry_run=False)
        assert report.ok, report.errors[:3]
        assert report.imported == 525
        session.expire_all()
        after = {m.code: (m.name, m.category_id, m.lead_department_id, list(m.assist_department_ids), m.tier,
                          m.accept_hours, m.resolve_days, m.keywords, m.is_active)
                 for m in session.scalars(select(MatterType))}
        assert after == before

    def test_edited_rows_are_updated_and_new_rows_added(self, session: Session, principal: Any) -> None:
        rows = _sheet(excel.export_matter_types(session, principal("admin")))
        header = rows[0]
        env = next(r for r in rows if r[0] == "M0102-14")
        env[header.index("办结时限（工作日）*")] = 2
        new = list(env)
        new[0], new[1], new[4] = f.unique_code("M"), "导入新事项", None
        new[2], new[3] = "测试一级类", "测试二级类"
        report = excel.import_matter_types(session, principal("admin"), _xlsx([header, env, new]), dry_run=False)
        assert report.ok, report.errors
        assert report.imported == 2
        assert df.matter(session, "M0102-14").resolve_days == 2
        added = df.matter(session, new[0])
        cat = session.get(DutyCategory, added.category_id)
        assert cat.name == "测试二级类"
        assert session.get(DutyCategory, cat.parent_id).name == "测试一级类"

    def test_one_bad_row_stores_nothing(self, session: Session, principal: Any) -> None:
        rows = _sheet(excel.export_matter_types(session, principal("admin")))
        header = rows[0]
        good = list(rows[1])
        good[0], good[1] = f.unique_code("M"), "好的行"
        bad = list(rows[2])
        bad[0] = f.unique_code("M")
        bad[header.index("牵头部门编码*")] = "NOPE"
        bad[header.index("处置层级*")] = "省里"
        dup = list(good)
        total = _count(session, MatterType)
        report = excel.import_matter_types(session, principal("admin"), _xlsx([header, good, bad, dup]),
                                           dry_run=False)
        assert not report.ok
        assert report.imported == 0
        reasons = {(e["row"], e["column"]): e["reason"] for e in report.errors}
        assert reasons[(3, "牵头部门编码")] == "牵头部门编码 NOPE 不存在或不在您的管辖范围内"
        assert reasons[(3, "处置层级")].startswith("处置层级只能是")
        assert reasons[(4, "事项编码")] == "编号与第 2 行重复"
        assert _count(session, MatterType) == total
        assert session.scalars(select(MatterType).where(MatterType.code == good[0])).first() is None

    def test_dry_run_stores_nothing(self, session: Session, principal: Any) -> None:
        header = _sheet(excel.template(principal("admin"), "matter_types"))[0]
        row = {"事项编码*": f.unique_code("M"), "事项名称*": "试跑", "二级分类编码": "C0102", "牵头部门编码*": "CGJ",
               "处置层级*": "网格", "受理时限（小时）*": 4, "办结时限（工作日）*": 3}
        report = excel.import_matter_types(session, principal("admin"),
                                           _xlsx([header, [row.get(h) for h in header]]), dry_run=True)
        assert report.ok
        assert report.imported == 0
        assert session.scalars(select(MatterType).where(MatterType.name == "试跑")).first() is None

    def test_only_admins_import(self, session: Session, principal: Any) -> None:
        with pytest.raises(Forbidden):
            excel.import_matter_types(session, principal("street"), b"", dry_run=True)


class TestDepartmentsExcel:
    def test_round_trip(self, session: Session, principal: Any) -> None:
        data = excel.export_departments(session, principal("admin"))
        rows = _sheet(data)
        assert rows[0] == ["部门编码*", "部门名称*", "所属区域代码", "联系电话", "启用"]
        rows.append([df.dep_code(), "导入的部门", None, "0871-12345678", None])
        report = excel.import_departments(session, principal("admin"), _xlsx(rows), dry_run=False)
        assert report.ok, report.errors
        assert report.imported == 40
        assert session.scalars(select(Department).where(Department.name == "导入的部门")).one().is_active


class TestAdmissionExcel:
    def test_round_trip_and_edit(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        p = principal("community")
        community = service.get_community(session, p, city["scopes"]["community"], to="write")
        rows = _sheet(excel.export_admission(session, p, community))
        assert len(rows) == 158
        assert rows[0] == ["编号*", "类别*", "事项名称*", "依据", "关联事项编码"]
        b01 = next(r for r in rows if r[0] == "B01")
        assert b01[1] == "不得出具证明事项"
        assert b01[4] == df.matter_named(session, "开具亲属关系证明").code
        b01[2] = "亲属关系证明（含直系、旁系）"
        rows.append(["Z01", "协助办理事项", "协助开展导入测试", None, None])
        report = excel.import_admission(session, p, community, _xlsx(rows), dry_run=False)
        assert report.ok, report.errors
        assert report.imported == 158
        assert service.admission_counts(session, community)["assist"] == 59
        item = session.scalars(select(AdmissionItem).where(AdmissionItem.community_id == community.id,
                                                           AdmissionItem.code == "B01")).one()
        assert item.title == "亲属关系证明（含直系、旁系）"

    def test_errors_store_nothing(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        p = principal("community")
        community = service.get_community(session, p, city["scopes"]["community"], to="write")
        header = ["编号*", "类别*", "事项名称*", "依据", "关联事项编码"]
        data = _xlsx([header, ["Z02", "协助办理事项", "好的", None, None], ["Z03", "乱写", "", None, "M-NOPE"]])
        report = excel.import_admission(session, p, community, data, dry_run=False)
        assert {e["column"] for e in report.errors} == {"类别", "事项名称", "关联事项编码"}
        assert all(e["row"] == 3 for e in report.errors)
        assert service.admission_counts(session, community)["assist"] == 58

    def test_other_community_refused(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        other = f.region(session, city["other_community"])
        with pytest.raises(Forbidden):
            excel.import_admission(session, principal("community"), other, b"", dry_run=True)
