"""The appeal pages as people use them in a browser: signed in through the login form, forms posted with the
CSRF token; who may open which page; what a refused form keeps; and the whole loop through page posts."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal, AppealPhoto
from tests.web import HTML, sign_in

pytestmark = pytest.mark.usefixtures("catalog")  # a duty catalog, and the demo handler in its department
ROLES = ("admin", "leader", "street", "community", "grid", "handler", "party", "volunteer", "resident")
# page → the demo accounts that may open it (everyone else: 403)
PAGES = {
    "/appeals/new": set(ROLES),
    "/appeals/mine": set(ROLES),
    "/appeals/nearby": {"party", "volunteer", "resident"},
    "/appeals/console": {"admin", "street", "community"},
    "/appeals/inbox": {"admin", "street", "community", "grid", "handler"},
    "/appeals/verify": {"admin", "community", "grid"},
    "/appeals/supervision": {"admin", "leader", "street"},
}


def jpeg(colour: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return buf.getvalue()


class Browser:
    """One signed-in user's cookie jar (a TestClient of its own) and the CSRF token of their session."""

    def __init__(self, client: Any, username: str) -> None:
        self.client = client
        self.username = username
        self.csrf = sign_in(client, username)

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers={**HTML, **kw.pop("headers", {})}, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, files: Any = None, **kw: Any) -> Any:
        body = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(url, data=body, files=files, headers={**HTML, **kw.pop("headers", {})},
                                follow_redirects=False, **kw)

    def act(self, appeal_id: int, action: str, **data: Any) -> Any:
        version = self.version(appeal_id)
        return self.post(f"/appeals/{appeal_id}/{action}", {"version": str(version), **data})

    def version(self, appeal_id: int) -> int:
        page = self.get(f"/appeals/{appeal_id}")
        assert page.status_code == 200, page.text[:500]
        found = re.search(r'name="version" value="(\d+)"', page.text)
        assert found, f"no action form for {self.username} on #{appeal_id}"
        return int(found.group(1))


@pytest.fixture
def as_user(app: Any) -> Iterator[Any]:
    """as_user("community") → a Browser signed in as that demo account."""
    from fastapi.testclient import TestClient

    clients: list[Any] = []
    made: dict[str, Browser] = {}

    def _as(username: str) -> Browser:
        if username not in made:
            c = TestClient(app)
            c.__enter__()
            clients.append(c)
            made[username] = Browser(c, username)
        return made[username]

    yield _as
    for c in clients:
        c.__exit__(None, None, None)


def file_appeal(b: Browser, point: tuple[float, float], *, photos: int = 0, **fields: Any) -> Any:
    form = b.get("/appeals/new")
    assert form.status_code == 200
    idem = re.search(r'name="idem" value="([0-9a-f]*)"', form.text)
    data = {"title": "小区门口路灯不亮", "description": "三号楼前两盏路灯坏了一周，晚上很黑", "lat": str(point[0]),
            "lon": str(point[1]), "address": "三号楼前", "idem": idem.group(1) if idem else "", **fields}
    files = [("photos", (f"p{i}.jpg", jpeg(), "image/jpeg")) for i in range(photos)] or None
    return b.post("/appeals/new", data, files=files)


def new_id(r: Any) -> int:
    assert r.status_code == 303, r.text[:2000]
    m = re.match(r"/appeals/(\d+)\?filed=1$", r.headers["location"])
    assert m, r.headers["location"]
    return int(m.group(1))


# ---- who may open what ----------------------------------------------------------------------------------

class TestAccess:
    @pytest.mark.parametrize("url", list(PAGES))
    def test_anonymous_is_sent_to_login(self, client: Any, url: str) -> None:
        r = client.get(url, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")

    @pytest.mark.parametrize(("url", "user"), [(u, r) for u in PAGES for r in ROLES])
    def test_each_page_answers_its_roles_and_refuses_the_others(self, client: Any, auth: Any, url: str,
                                                                user: str) -> None:
        r = client.get(url, headers={**HTML, **auth(user)})
        want = 200 if user in PAGES[url] else 403
        assert r.status_code == want, r.text[:500]
        assert r.headers["content-type"].startswith("text/html")

    def test_appeal_outside_scope_is_404(self, client: Any, auth: Any, report: Any,
                                         other_point: tuple[float, float]) -> None:
        a = report(tier="grid", user="community2", point=other_point, channel="hotline")
        for user in ("community", "grid", "resident", "volunteer", "handler"):
            r = client.get(f"/appeals/{a['id']}", headers={**HTML, **auth(user)})
            assert r.status_code == 404, user
        assert client.get(f"/appeals/{a['id']}", headers={**HTML, **auth("community2")}).status_code == 200
        r = client.post(f"/appeals/{a['id']}/register", headers={**HTML, **auth("community")}, data={})
        assert r.status_code == 404

    def test_unknown_appeal_and_action(self, client: Any, auth: Any, report: Any) -> None:
        assert client.get("/appeals/99999999", headers={**HTML, **auth("admin")}).status_code == 404
        a = report(tier="grid")
        r = client.post(f"/appeals/{a['id']}/no-such-action", headers={**HTML, **auth("admin")}, data={})
        assert r.status_code == 404

    def test_menu_shows_each_role_its_desks(self, client: Any, auth: Any) -> None:
        def menu(user: str) -> str:
            html = client.get("/", headers={**HTML, **auth(user)}).text
            return html.split('<nav aria-label="主菜单">', 1)[1].split("</nav>", 1)[0]

        assert "/appeals/new" in menu("resident")
        assert "/appeals/console" not in menu("resident")
        assert "/appeals/console" in menu("community")
        assert "/appeals/nearby" not in menu("community")
        assert "/appeals/inbox" in menu("handler")
        assert "/appeals/console" not in menu("handler")
        assert "/appeals/verify" in menu("grid")
        assert "/appeals/supervision" in menu("leader")
        assert "/appeals/inbox" not in menu("leader")


# ---- reporting --------------------------------------------------------------------------------------------

class TestReport:
    def test_form_centres_the_map_on_the_users_grid(self, as_user: Any) -> None:
        html = as_user("resident").get("/appeals/new").text
        assert 'id="pick-map"' in html
        assert "data-center='[" in html
        assert 'accept="image/jpeg,image/png,image/webp"' in html
        assert 'capture="environment"' in html
        assert 'name="channel" value="h5"' in html  # residents file through the H5 channel
        assert "反映人姓名" not in html  # staff-only fields

    def test_resident_files_with_photos(self, as_user: Any, session: Session, grid_point: Any) -> None:
        r = file_appeal(as_user("resident"), grid_point, photos=2, reporter_phone="13900001111",
                        location_consent="1")
        i = new_id(r)
        a = session.get(Appeal, i)
        assert a is not None
        assert a.channel == "h5"
        assert a.grid_id is not None
        assert a.location_consent
        assert a.phone_masked
        assert "1111" in a.phone_masked
        assert len(session.scalars(select(AppealPhoto).where(AppealPhoto.appeal_id == i)).all()) == 2
        page = as_user("resident").get(f"/appeals/{i}")
        assert "已提交" not in page.text  # only right after filing
        filed = as_user("resident").get(f"/appeals/{i}?filed=1")
        assert f"已提交，编号 #{i}" in filed.text
        assert filed.text.count("?thumb=1") == 2

    def test_volunteer_files_through_the_volunteer_channel(self, as_user: Any, session: Session,
                                                           grid_point: Any) -> None:
        i = new_id(file_appeal(as_user("volunteer"), grid_point, anonymous="1"))
        a = session.get(Appeal, i)
        assert a is not None
        assert a.channel == "volunteer"
        assert a.anonymous
        assert a.reporter_name == ""

    def test_staff_take_a_phone_call(self, as_user: Any, session: Session, city: dict[str, Any],
                                     catalog: Any) -> None:
        b = as_user("community")
        html = b.get("/appeals/new").text
        assert "热线电话" in html
        assert "反映人姓名" in html
        i = new_id(b.post("/appeals/new", {"title": "来电反映噪音扰民", "channel": "hotline",
                                           "reporter_name": "王先生", "reporter_phone": "13800001234",
                                           "region_code": city["scopes"]["grid"],
                                           "matter_code": catalog.matters["community"].code}))
        a = session.get(Appeal, i)
        assert a is not None
        assert a.channel == "hotline"
        assert a.reporter_name == "王先生"
        assert a.tier == "community"
        assert a.reporter_id is not None  # the staff member who took the call
        # a resident cannot pick a staff channel: the form's channel is ignored
        j = new_id(file_appeal(as_user("resident"), (a.lat or 0, a.lon or 0), channel="hotline",
                               lat="", lon=""))
        assert session.get(Appeal, j).channel == "h5"  # type: ignore[union-attr]

    def test_a_refused_form_keeps_what_was_typed(self, as_user: Any) -> None:
        b = as_user("resident")
        r = b.post("/appeals/new", {"title": "x", "description": "楼道堆满杂物，消防通道被堵", "address": "五号楼",
                                    "reporter_phone": "13700001111", "anonymous": "1", "lat": "24.9",
                                    "lon": "102.4"},
                   files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))])
        assert r.status_code == 422
        assert "请填写标题（2–120 字）" in r.text
        assert "楼道堆满杂物，消防通道被堵" in r.text
        assert 'value="五号楼"' in r.text
        assert 'value="13700001111"' in r.text
        assert re.search(r'name="anonymous" value="1"\s+checked', r.text)
        assert "请重新选择照片" in r.text  # browsers never keep a chosen file

    def test_a_point_outside_every_grid_is_refused_next_to_the_map(self, as_user: Any) -> None:
        r = file_appeal(as_user("resident"), (39.9, 116.4), title="北京的一个问题")
        assert r.status_code == 422
        assert "该位置不在本市任何网格内" in r.text
        assert 'value="北京的一个问题"' in r.text

    def test_not_a_photo_is_refused(self, as_user: Any, grid_point: Any) -> None:
        b = as_user("resident")
        r = b.post("/appeals/new", {"title": "照片不对", "lat": str(grid_point[0]), "lon": str(grid_point[1])},
                   files=[("photos", ("fake.jpg", b"not an image", "image/jpeg"))])
        assert r.status_code == 422
        assert "不是可识别的图片" in r.text
        assert 'value="照片不对"' in r.text

    def test_a_second_submit_of_the_same_form_files_once(self, as_user: Any, grid_point: Any) -> None:
        b = as_user("resident")
        data = {"title": "重复提交", "lat": str(grid_point[0]), "lon": str(grid_point[1]), "idem": "abc123"}
        first, second = b.post("/appeals/new", data), b.post("/appeals/new", data)
        assert new_id(first) == new_id(second)

    def test_likely_duplicates_offer_me_too(self, as_user: Any, session: Session, grid_point: Any) -> None:
        first = new_id(file_appeal(as_user("volunteer"), grid_point, title="三号楼路灯不亮"))
        mine = new_id(file_appeal(as_user("resident"), grid_point, title="三号楼前路灯不亮了"))
        page = as_user("resident").get(f"/appeals/{mine}?filed=1")
        assert "附近可能有相同的问题" in page.text
        assert f'action="/appeals/{first}/metoo"' in page.text
        r = as_user("resident").post(f"/appeals/{first}/metoo", {"next": f"/appeals/{first}?done=metoo"})
        assert r.status_code == 303
        assert r.headers["location"] == f"/appeals/{first}?done=metoo"
        assert session.get(Appeal, first).metoo_count == 1  # type: ignore[union-attr]
        again = as_user("resident").get(f"/appeals/{first}")
        assert "已关注" in again.text
        assert f'/appeals/{first}/metoo"' not in again.text
        assert "/appeals/mine" in again.text
        assert f"#{first}" in as_user("resident").get("/appeals/mine").text  # followed appeals are listed


# ---- the appeal page and its forms ------------------------------------------------------------------------

class TestActions:
    def test_a_refused_action_keeps_what_was_typed(self, as_user: Any, report: Any, act: Any) -> None:
        a = report(tier="department")
        for action in ("register", "dispatch"):
            assert act("community", a["id"], action).status_code == 200
        b = as_user("handler")
        r = b.act(a["id"], "return", reason="")
        assert r.status_code == 422
        assert "退单须说明理由" in r.text
        assert 'id="act-return"' in r.text
        assert re.search(r'<details open>\s*<summary class="btn danger">退单', r.text)
        assert b.act(a["id"], "accept").status_code == 303
        r = b.act(a["id"], "extend", days="", reason="需要协调产权单位")
        assert r.status_code == 422
        assert "请填写延期的工作日数" in r.text
        assert "需要协调产权单位</textarea>" in r.text
        r = b.act(a["id"], "extend", days="99", reason="需要协调产权单位")
        assert r.status_code == 422
        assert "请填写 1–60 之间的天数" in r.text
        assert 'value="99"' in r.text

    def test_verify_failed_without_a_note_keeps_the_choice(self, as_user: Any, report: Any, act: Any) -> None:
        a = report(tier="grid")
        for user, action, body in (("community", "register", {}), ("community", "dispatch", {}),
                                   ("grid", "accept", {}), ("grid", "resolve", {"reply": "已处理"})):
            assert act(user, a["id"], action, **body).status_code == 200
        b = as_user("grid")
        r = b.act(a["id"], "verify", passed="no", note="")
        assert r.status_code == 422
        assert "核查未通过须说明问题" in r.text
        assert re.search(r'name="passed" value="no"\s+checked', r.text)

    def test_htmx_gets_the_form_back_or_a_redirect(self, as_user: Any, report: Any) -> None:
        a = report(tier="grid")
        b = as_user("community")
        hx = {"HX-Request": "true"}
        r = b.post(f"/appeals/{a['id']}/reject", {"version": str(b.version(a["id"])), "reason": ""}, headers=hx)
        assert r.status_code == 422
        assert r.text.lstrip().startswith('<div class="act-box act-reject" id="act-reject">')
        assert "<html" not in r.text
        r = b.post(f"/appeals/{a['id']}/register", {"version": str(b.version(a["id"]))}, headers=hx)
        assert r.status_code == 200
        assert r.headers["HX-Redirect"] == f"/appeals/{a['id']}?done=register"

    def test_stale_version_says_refresh(self, as_user: Any, report: Any, act: Any) -> None:
        a = report(tier="grid")
        b = as_user("community")
        version = b.version(a["id"])
        assert act("community", a["id"], "register").status_code == 200  # someone else, meanwhile
        r = b.post(f"/appeals/{a['id']}/reject", {"version": str(version), "reason": "重复"})
        assert r.status_code == 409
        assert "已被他人更新，请刷新" in r.text

    def test_only_the_actions_this_user_may_take_are_offered(self, as_user: Any, report: Any) -> None:
        a = report(tier="grid")
        community = as_user("community").get(f"/appeals/{a['id']}").text
        assert 'id="act-register"' in community
        assert 'id="act-reject"' in community
        assert 'id="act-accept"' not in community
        assert 'hx-confirm="确定要“不予受理”吗' in community  # dangerous actions ask first
        resident = as_user("resident").get(f"/appeals/{a['id']}").text
        assert "act-box" not in resident  # their own appeal, nothing to do yet

    def test_register_offers_suggested_matter_types_and_search(self, as_user: Any, report: Any,
                                                                catalog: Any) -> None:
        a = report(tier=None, title="有人占道经营", description="占道经营堵路")
        b = as_user("community")
        page = b.get(f"/appeals/{a['id']}").text
        assert "根据标题和描述推荐" in page
        assert catalog.matters["grid"].code in page
        found = b.get("/appeals/matters", params={"q": "违章"}, headers={"HX-Request": "true"})
        assert found.status_code == 200
        assert catalog.matters["department"].code in found.text
        assert b.get("/appeals/matters", params={"q": "没有这种事"}).text.count("没有找到") == 1


# ---- the whole loop through page posts --------------------------------------------------------------------

class TestWholeLoopThroughPages:
    def test_file_register_dispatch_return_accept_resolve_verify_rate_close(
            self, as_user: Any, session: Session, grid_point: Any, catalog: Any) -> None:
        resident, community, handler, grid = (as_user(u) for u in ("resident", "community", "handler", "grid"))
        i = new_id(file_appeal(resident, grid_point, photos=1))
        matter = catalog.matters["department"]

        def ok(r: Any, status: str) -> None:
            assert r.status_code == 303, r.text[:3000]
            session.expire_all()
            assert session.get(Appeal, i).status == status  # type: ignore[union-attr]

        ok(community.act(i, "register", matter_code=matter.code, priority="urgent", note="属实"), "registered")
        ok(community.act(i, "dispatch", tier="department", department_code=catalog.departments[0].code),
           "dispatched")
        inbox = handler.get("/appeals/inbox").text
        assert f"#{i}" in inbox
        assert f'action="/appeals/{i}/accept"' in inbox
        ok(handler.act(i, "return", reason="不属于本部门职责"), "registered")
        assert "退回了此诉求：不属于本部门职责" in community.get(f"/appeals/{i}").text  # next to the dispatch form
        ok(community.act(i, "dispatch", tier="department"), "dispatched")
        ok(handler.post(f"/appeals/{i}/accept", {"next": "/appeals/inbox"}), "accepted")
        v = handler.version(i)
        r = handler.post(f"/appeals/{i}/resolve", {"version": str(v), "reply": "已更换路灯两盏"},
                         files=[("photos", ("after.jpg", jpeg("green"), "image/jpeg"))])
        ok(r, "resolved")
        evidence = session.scalars(select(AppealPhoto).where(AppealPhoto.appeal_id == i,
                                                             AppealPhoto.kind == "evidence")).all()
        assert len(evidence) == 1
        assert f"#{i}" in grid.get("/appeals/verify").text
        ok(grid.act(i, "verify", passed="yes", note="现场已亮"), "verified")
        ok(resident.act(i, "rate", rating="5", comment="很快，满意"), "rated")
        ok(community.act(i, "close"), "closed")

        page = resident.get(f"/appeals/{i}").text
        timeline = page.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
        labels = re.findall(r'<b class="ev-label">([^<]+)</b>', timeline)
        assert labels == ["受理", "立案", "派单", "退单", "派单", "接单", "办结", "现场核查", "评价", "结案"]
        assert "不属于本部门职责" in timeline
        assert "已更换路灯两盏" in timeline
        assert timeline.count("?thumb=1") == 1  # the evidence photo at the resolve step
        assert "★" in timeline
        mine = resident.get("/appeals/mine").text
        assert f"#{i}" in mine
        assert "已结案" in mine
        assert "最新：结案" in mine

    def test_rating_form_only_when_verified(self, as_user: Any, report: Any, act: Any) -> None:
        a = report(tier="grid")
        assert 'name="rating"' not in as_user("resident").get(f"/appeals/{a['id']}").text
        for user, action, body in (("community", "register", {}), ("community", "dispatch", {}),
                                   ("grid", "accept", {}), ("grid", "resolve", {"reply": "已处理"}),
                                   ("grid", "verify", {"passed": True})):
            assert act(user, a["id"], action, **body).status_code == 200
        page = as_user("resident").get(f"/appeals/{a['id']}").text
        assert 'name="rating"' in page
        assert "您对办理结果满意吗" in page
        r = as_user("resident").act(a["id"], "rate", rating="")
        assert r.status_code == 422
        assert "请打分" in r.text


# ---- lists ------------------------------------------------------------------------------------------------

class TestLists:
    def test_console_queues_filters_and_paging(self, as_user: Any, report: Any, act: Any) -> None:
        ids = [report(tier="grid", title=f"控制台测试{n}")["id"] for n in range(3)]
        act("community", ids[0], "register")
        b = as_user("community")
        page = b.get("/appeals/console").text
        assert "待立案" in page
        assert "待派单" in page
        assert "已超时" in page
        only = b.get("/appeals/console", params={"status": "registered", "q": "控制台测试"}).text
        assert f"#{ids[0]}" in only
        assert f"#{ids[1]}" not in only
        paged = b.get("/appeals/console", params={"q": "控制台测试", "size": 2, "order": "-created_at"}).text
        assert "第 1 / 2 页" in paged
        assert f"#{ids[2]}" in paged
        assert f"#{ids[0]}" not in paged
        partial = b.get("/appeals/console", params={"q": "控制台测试"}, headers={"HX-Request": "true"})
        assert "<html" not in partial.text
        assert 'id="bulk-form"' in partial.text
        bad = b.get("/appeals/console", params={"region_code": "999999999999"})
        assert bad.status_code == 422
        assert "区域代码 999999999999 不存在" in bad.text
        bad = b.get("/appeals/console", params={"created_from": "2024-13-01"})
        assert bad.status_code == 422
        assert "日期格式不正确" in bad.text

    def test_bulk_dispatch_says_which_failed_and_why(self, as_user: Any, report: Any, act: Any) -> None:
        a, c = report(tier="grid")["id"], report(tier="grid")["id"]
        act("community", a, "register")
        b = as_user("community")
        r = b.post("/appeals/console/dispatch", {"ids": [str(a), str(c)], "back": "/appeals/console?q=x"})
        assert r.status_code == 303
        assert r.headers["location"] == "/appeals/console?q=x"
        page = b.get("/appeals/console").text
        assert "已派单 1 件" in page
        assert "1 件未能派单" in page
        assert f"#{c}" in page
        assert "不能「派单」" in page
        assert "已派单 1 件" not in b.get("/appeals/console").text  # said once
        r = b.post("/appeals/console/dispatch", {})
        assert "请先勾选要派单的诉求" in b.get("/appeals/console").text

    def test_nearby_lists_open_appeals_in_my_scope_with_me_too(self, as_user: Any, report: Any,
                                                               other_point: Any) -> None:
        theirs = report(tier="grid", user="volunteer", title="附近的问题")
        mine = report(tier="grid", user="resident", title="我自己的问题")
        outside = report(tier="grid", user="community2", point=other_point, channel="hotline", title="别处的问题")
        page = as_user("resident").get("/appeals/nearby").text
        assert f"#{theirs['id']}" in page
        assert f"#{mine['id']}" in page
        assert f"#{outside['id']}" not in page
        assert f'action="/appeals/{theirs["id"]}/metoo"' in page
        assert f'action="/appeals/{mine["id"]}/metoo"' not in page
        assert "1 人也遇到" not in page
        as_user("resident").post(f"/appeals/{theirs['id']}/metoo", {"next": "/appeals/nearby"})
        page = as_user("resident").get("/appeals/nearby").text
        assert "1 人也遇到" in page
        assert f'action="/appeals/{theirs["id"]}/metoo"' not in page

    def test_supervision_lists_overdue_with_the_supervise_form(self, as_user: Any, session: Session,
                                                               report: Any, act: Any) -> None:
        a = report(tier="grid")
        act("community", a["id"], "register")
        act("community", a["id"], "dispatch")
        row = session.get(Appeal, a["id"])
        assert row is not None
        row.overdue = row.warned = True
        session.commit()
        b = as_user("street")
        page = b.get("/appeals/supervision").text
        assert f"#{a['id']}" in page
        assert f'action="/appeals/{a["id"]}/supervise"' in page
        r = b.post(f"/appeals/{a['id']}/supervise", {"note": "请今日办结", "next": "/appeals/supervision"})
        assert r.status_code == 303
        assert r.headers["location"] == "/appeals/supervision"
        assert f"#{a['id']}" in b.get("/appeals/supervision?tab=supervised").text
        assert f"#{a['id']}" not in b.get("/appeals/supervision?tab=warned").text
        leader = as_user("leader").get("/appeals/supervision").text
        assert f"#{a['id']}" in leader

    def test_home_card_counts_the_work_waiting(self, as_user: Any, report: Any, act: Any) -> None:
        a = report(tier="department")
        act("community", a["id"], "register")
        act("community", a["id"], "dispatch")
        home = as_user("handler").get("/").text
        card = home.split('class="card appeal-home"', 1)[1].split("</div>\n</div>", 1)[0]
        assert re.search(r'<div class="n">[1-9][\d,]*</div><div class="l">待接单</div>', card), card
        resident = as_user("resident").get("/").text
        assert "我的诉求（办理中）" in resident
        assert 'href="/appeals/new"' in resident

    def test_lists_search(self, as_user: Any, report: Any) -> None:
        a = report(tier="grid", title="独一无二的标题甲")
        report(tier="grid", title="另外一件事")
        page = as_user("resident").get("/appeals/mine", params={"q": "独一无二"}).text
        assert f"#{a['id']}" in page
        assert "另外一件事" not in page
        assert "共 1 条" in page


class TestEnglish:
    def test_report_form_and_appeal_page_in_english(self, as_user: Any, report: Any) -> None:
        b = as_user("resident")
        form = b.get("/appeals/new", params={"lang": "en"}).text
        assert "Report a problem" in form
        assert "Take or choose photos" in form
        assert "Use my location" in form
        assert "拍照或选择照片" not in form
        assert "我要反映" not in form
        a = report(tier="grid")
        page = b.get(f"/appeals/{a['id']}").text  # the session remembers the language
        assert "Timeline" in page
        assert "Received" in page
        assert "办理过程" not in page
        refused = b.post("/appeals/new", {"title": "x"})
        assert "Please enter a title (2–120 characters)" in refused.text
