"""Ending a pair (认对子) and releasing a problem claim (认难题) — by the member or by the community desk, keeping
the row — and switching a service post off and on: the rules, the JSON routes and the page buttons."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.volunteers import repository as repo
from gongzhi.volunteers import service
from gongzhi.volunteers.models import Pairing, ProblemClaim, ServicePost
from tests import factories as f
from tests.volunteers import factories as vf
from tests.web import HTML, sign_in


@pytest.fixture
def comm(session: Session, city: dict[str, Any]) -> Any:
    return vf.community(session, city)


def _claim(session: Session, who: Any, comm: Any) -> ProblemClaim:
    appeal = f.make_appeal(session, vf.grid_of(session, comm), status="dispatched", title="楼道堆物")
    c = service.claim_problem(session, who, "appeal", appeal.id)
    session.commit()
    return c


class TestEndPair:
    def test_member_ends_own_pair_the_row_stays(self, session: Session, comm: Any) -> None:
        who, r = vf.party(session, comm)
        p = service.pair(session, who, vf.make_care_household(session, comm).id)
        vf.make_log(session, who, pairing_id=p.id)
        ended = service.end_pair(session, who, p.id)
        session.commit()
        assert ended.id == p.id
        assert ended.ended_at is not None
        assert ended.ended_by == who.user_id
        assert session.get(Pairing, p.id) is not None  # history kept, not deleted
        assert repo.pairings_of(session, r) == []
        assert repo.visit_counts(session, [p.id]).get(p.id) == 1
        assert service.figures(session, r, service.today().year)["pairs"] == 1
        with pytest.raises(Conflict) as exc:
            service.end_pair(session, who, p.id)
        assert exc.value.code == "already_ended"
        with pytest.raises(ValidationFailed):  # an ended pair takes no more visits
            service.log_service(session, who, served_on=service.today(), hours=1, what="走访老人", pairing_id=p.id)

    def test_ending_frees_the_limit_and_the_household_can_be_paired_again(self, session: Session, comm: Any) -> None:
        who, r = vf.party(session, comm)
        pairs = [service.pair(session, who, vf.make_care_household(session, comm).id)
                 for _ in range(service.PAIR_LIMIT)]
        with pytest.raises(Conflict):
            service.pair(session, who, vf.make_care_household(session, comm).id)
        service.end_pair(session, who, pairs[0].id)
        service.pair(session, who, vf.make_care_household(session, comm).id)  # room again
        service.end_pair(session, who, pairs[1].id)
        again = service.pair(session, who, pairs[1].household_id)
        assert again.id == pairs[1].id
        assert again.ended_at is None
        assert repo.count_pairings(session, r) == service.PAIR_LIMIT

    def test_only_own_pairs_and_the_desk_in_scope(self, session: Session, comm: Any, principal: Any) -> None:
        who, _r = vf.party(session, comm)
        other, _r2 = vf.party(session, comm, name="李四")
        p = service.pair(session, who, vf.make_care_household(session, comm).id)
        with pytest.raises(NotFound):
            service.end_pair(session, other, p.id)  # another member's pair
        with pytest.raises(NotFound):
            service.end_pair(session, principal("community2"), p.id)  # another community's desk
        for role in ("leader", "grid", "resident"):
            with pytest.raises(Forbidden):
                service.end_pair(session, principal(role), p.id)
        with pytest.raises(NotFound):
            service.end_pair(session, who, 10**9)
        assert p.ended_at is None
        ended = service.end_pair(session, principal("community"), p.id)
        assert ended.ended_by == principal("community").user_id


class TestReleaseProblem:
    def test_member_releases_own_claim_the_row_stays(self, session: Session, comm: Any) -> None:
        who, r = vf.party(session, comm)
        c = _claim(session, who, comm)
        released = service.release_problem(session, who, c.id)
        session.commit()
        assert released.ended_at is not None
        assert session.get(ProblemClaim, c.id) is not None
        assert repo.problems_of(session, r) == []
        with pytest.raises(Conflict):
            service.release_problem(session, who, c.id)
        with pytest.raises(ValidationFailed):
            service.log_service(session, who, served_on=service.today(), hours=1, what="协助处理", problem_id=c.id)
        again = service.claim_problem(session, who, "appeal", c.target_id)
        assert again.id == c.id
        assert again.ended_at is None

    def test_release_frees_the_limit(self, session: Session, comm: Any) -> None:
        who, _r = vf.party(session, comm)
        claims = [_claim(session, who, comm) for _ in range(service.PROBLEM_LIMIT)]
        with pytest.raises(Conflict):
            _claim(session, who, comm)
        session.rollback()
        service.release_problem(session, who, claims[0].id)
        assert _claim(session, who, comm).ended_at is None

    def test_only_own_claims_and_the_desk_in_scope(self, session: Session, comm: Any, principal: Any) -> None:
        who, _r = vf.party(session, comm)
        other, _r2 = vf.party(session, comm, name="李四")
        c = _claim(session, who, comm)
        with pytest.raises(NotFound):
            service.release_problem(session, other, c.id)
        with pytest.raises(NotFound):
            service.release_problem(session, principal("community2"), c.id)
        with pytest.raises(Forbidden):
            service.release_problem(session, principal("leader"), c.id)
        assert service.release_problem(session, principal("street"), c.id).ended_at is not None


class TestJson:
    def test_end_pair_release_problem_and_switch_a_post(self, client: Any, auth: Any, session: Session,
                                                        comm: Any) -> None:
        party = vf.principal_of(session, "party")
        vf.make_reporting(session, party)
        p = service.pair(session, party, vf.make_care_household(session, comm).id)
        c = _claim(session, party, comm)
        r = client.post(f"/api/v1/volunteers/pairs/{p.id}/end", headers=auth("party"))
        assert r.status_code == 200, r.text
        assert r.json()["ended_at"]
        assert client.post(f"/api/v1/volunteers/pairs/{p.id}/end", headers=auth("party")).status_code == 409
        assert client.post(f"/api/v1/volunteers/problems/{c.id}/release",
                           headers=auth("community2")).status_code == 404
        r = client.post(f"/api/v1/volunteers/problems/{c.id}/release", headers=auth("community"))
        assert r.status_code == 200
        assert r.json()["ended_by"] == vf.principal_of(session, "community").user_id

        post = vf.make_post(session, comm)
        url = f"/api/v1/volunteers/posts/{post.id}/active"
        assert client.post(url, json={"active": False}, headers=auth("leader")).status_code == 403
        assert client.post(url, json={"active": "maybe"}, headers=auth("community")).status_code == 422
        assert client.post(url, json={"active": False}, headers=auth("community2")).status_code == 404
        r = client.post(url, json={"active": False}, headers=auth("community"))
        assert r.status_code == 200
        assert r.json()["active"] is False
        with pytest.raises(Conflict):
            service.claim_post(session, party, post.id)
        assert client.post(url, json={"active": True}, headers=auth("community")).json()["active"] is True
        session.expire_all()
        assert service.claim_post(session, party, post.id).post_id == post.id


class TestPages:
    def test_member_ends_a_pair_and_releases_a_problem_on_the_phone(self, client: Any, session: Session,
                                                                     comm: Any) -> None:
        csrf = sign_in(client, "party")
        party = vf.principal_of(session, "party")
        vf.make_reporting(session, party)
        p = service.pair(session, party, vf.make_care_household(session, comm).id)
        c = _claim(session, party, comm)
        page = client.get("/volunteers/party", headers=HTML)
        assert f'action="/volunteers/pairs/{p.id}/end"' in page.text
        assert f'action="/volunteers/problems/{c.id}/release"' in page.text
        r = client.post(f"/volunteers/pairs/{p.id}/end", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf})
        assert r.status_code == 303
        assert r.headers["location"] == "/volunteers/party?saved=unpair#pairs"
        r = client.post(f"/volunteers/problems/{c.id}/release", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf})
        assert r.status_code == 303
        page = client.get("/volunteers/party?saved=unproblem", headers=HTML)
        assert "已放弃认领该难题。" in page.text
        assert f'action="/volunteers/pairs/{p.id}/end"' not in page.text
        assert f'action="/volunteers/problems/{c.id}/release"' not in page.text
        r = client.post(f"/volunteers/pairs/{p.id}/end", headers=HTML, data={"csrf_token": csrf})
        assert r.status_code == 409

    def test_desk_ends_pairs_releases_claims_and_switches_posts(self, client: Any, session: Session,
                                                                 comm: Any) -> None:
        who, _r = vf.party(session, comm, name="孔结对")
        p = service.pair(session, who, vf.make_care_household(session, comm).id)
        c = _claim(session, who, comm)
        post = vf.make_post(session, comm, name="停用测试岗")
        csrf = sign_in(client, "community")
        pairs = f"/volunteers/desk?tab=pairs&community={comm.code}"
        page = client.get(pairs, headers=HTML)
        assert "结对中" in page.text
        r = client.post(f"/volunteers/pairs/{p.id}/end", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf, "next": pairs})
        assert r.status_code == 303
        assert r.headers["location"] == pairs + "&saved=1"
        page = client.get(pairs, headers=HTML)
        assert "已结束" in page.text
        assert f'action="/volunteers/pairs/{p.id}/end"' not in page.text

        problems = f"/volunteers/desk?tab=problems&community={comm.code}"
        page = client.get(problems, headers=HTML)
        assert "楼道堆物" in page.text
        assert f'action="/volunteers/problems/{c.id}/release"' in page.text
        r = client.post(f"/volunteers/problems/{c.id}/release", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf, "next": problems})
        assert r.status_code == 303
        assert "已解除" in client.get(problems, headers=HTML).text
        session.expire_all()
        assert session.get(ProblemClaim, c.id).ended_at is not None  # type: ignore[union-attr]

        posts = f"/volunteers/desk?tab=posts&community={comm.code}"
        assert "停用岗位" in client.get(posts, headers=HTML).text
        r = client.post(f"/volunteers/posts/{post.id}/active", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf, "active": "0"})
        assert r.status_code == 303
        assert r.headers["location"] == posts + "&saved=1"
        session.expire_all()
        assert session.get(ServicePost, post.id).is_active is False  # type: ignore[union-attr]
        assert "重新启用" in client.get(posts, headers=HTML).text
        client.post(f"/volunteers/posts/{post.id}/active", headers=HTML, data={"csrf_token": csrf, "active": "1"})
        session.expire_all()
        assert session.get(ServicePost, post.id).is_active is True  # type: ignore[union-attr]
