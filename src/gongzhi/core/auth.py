"""Roles, permissions and scope: who may do what, and over which part of the region tree.

A user's scope is a node of the region tree; they see and change what lies in its subtree. One clause,
`Principal.scope_clause(column)`, restricts a query to that subtree; repositories apply it to every read
and write. Admins see everything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gongzhi.core.db import prefix_range
from gongzhi.core.i18n import NC_

REGISTERS = ("buildings", "households", "residents", "units", "party_orgs", "party_members", "grid_staff")

ROLE_LABELS = {  # shown with pgettext("role", …): 居民 is "Resident" here, "Residents" as a register
    "resident": NC_("role", "居民"), "volunteer": NC_("role", "志愿者"), "grid_worker": NC_("role", "网格员"),
    "community_staff": NC_("role", "社区工作者"), "street_staff": NC_("role", "街道工作人员"),
    "department_handler": NC_("role", "部门经办人"), "party_member": NC_("role", "在职党员"),
    "leader": NC_("role", "领导"), "admin": NC_("role", "管理员"),
}


def _all(action: str, kinds: tuple[str, ...] = REGISTERS) -> set[str]:
    return {f"{k}:{action}" for k in kinds}


# Appeals: every signed-in role may file and read what its scope allows; these gate the desks.
DISPATCH = {"appeals:dispatch"}  # the dispatch console, bulk dispatch (派单)
SUPERVISE = {"appeals:supervise"}  # the supervision list (督办)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(_all("read") | _all("write") | {"personal:reveal", "regions:read", "regions:write",
                                                       "audit:read", "users:manage"}
                       | {"calendar:write"} | DISPATCH | SUPERVISE),
    "leader": frozenset(_all("read") | {"regions:read"} | SUPERVISE),
    "street_staff": frozenset(_all("read") | _all("write") | {"personal:reveal", "regions:read"} | DISPATCH
                              | SUPERVISE),
    "community_staff": frozenset(_all("read") | _all("write") | {"personal:reveal", "regions:read"} | DISPATCH),
    "grid_worker": frozenset(_all("read") | _all("write", ("buildings", "households", "residents", "units"))
                             | {"personal:reveal", "regions:read"}),
    "department_handler": frozenset({"units:read", "regions:read"}),
    "party_member": frozenset(),
    "volunteer": frozenset(),
    "resident": frozenset(),
}

# Duty catalog (职责清单): all staff read it, admins change it; admission lists (准入清单) are kept by the
# community itself, its street and admins (scope decides which communities).
DUTIES: dict[str, set[str]] = {
    "admin": {"duties:read", "duties:write", "admission:write"}, "leader": {"duties:read"},
    "street_staff": {"duties:read", "admission:write"}, "community_staff": {"duties:read", "admission:write"},
    "grid_worker": {"duties:read"}, "department_handler": {"duties:read"},
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra for role, extra in DUTIES.items()})

# Co-building (共驻共建, docs/cobuild.md): staff read the desk; community, street and admins manage the committee,
# accept claims and run the assignment. Residents, volunteers, Party members and unit handlers act by role in
# the service (post needs and wishes, offer resources, claim).
COBUILD: dict[str, set[str]] = {
    "admin": {"cobuild:read", "cobuild:manage"}, "leader": {"cobuild:read"},
    "street_staff": {"cobuild:read", "cobuild:manage"}, "community_staff": {"cobuild:read", "cobuild:manage"},
    "grid_worker": {"cobuild:read"},
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra for role, extra in COBUILD.items()})

# 双报到 and volunteers: the community desk (confirm 报到, posts, service logs, teams, 一评) is kept by the community,
# its street and admins; leaders read it. Party members' and volunteers' own phone pages go by role.
VOLUNTEERS: dict[str, set[str]] = {
    "admin": {"volunteers:read", "volunteers:manage"}, "street_staff": {"volunteers:read", "volunteers:manage"},
    "community_staff": {"volunteers:read", "volunteers:manage"}, "leader": {"volunteers:read"},
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra for role, extra in VOLUNTEERS.items()})

# Points (积分): community staff, their street and admins keep the rules, the store and refunds (manage) and read
# every account and redemption in scope; grid workers record civic acts (文明行为银行); a shop's or property
# company's handler hands items over (核销). Residents, volunteers and Party members redeem and read their own.
POINTS: dict[str, set[str]] = {
    "admin": {"points:read", "points:manage", "points:civic"},
    "street_staff": {"points:read", "points:manage", "points:civic"},
    "community_staff": {"points:read", "points:manage", "points:civic"}, "leader": {"points:read"},
    "grid_worker": {"points:civic"}, "department_handler": {"points:handover"},
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra for role, extra in POINTS.items()})

# Dashboards and assessment (docs/dashboard.md, docs/assessment.md): leaders, street and community staff read the
# figures of their node's subtree (a grid worker reads its grid's); admins define indicator sets; leaders, street
# staff and admins score (manual indicators, with evidence) and publish a period's ranking.
DASHBOARD: dict[str, set[str]] = {
    "admin": {"dashboard:read", "assessment:read", "assessment:manage", "assessment:score"},
    "leader": {"dashboard:read", "assessment:read", "assessment:score"},
    "street_staff": {"dashboard:read", "assessment:read", "assessment:score"},
    "community_staff": {"dashboard:read", "assessment:read"}, "grid_worker": {"dashboard:read"},
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra for role, extra in DASHBOARD.items()})


@dataclass(frozen=True)
class Principal:
    """The acting user with their role and the path of their scope node."""

    user_id: int
    username: str
    display_name: str
    role: str
    scope_region_id: int
    scope_path: str
    scope_code: str
    scope_name: str
    department_id: int | None = None  # a department handler's department
    unit_id: int | None = None  # the member unit or shop a handler acts for

    @property
    def sees_all(self) -> bool:
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def covers(self, path: str | None) -> bool:
        """Is a row with this scope path inside the user's scope?"""
        return self.sees_all or (path is not None and path.startswith(self.scope_path))

    def scope_clause(self, column: Any) -> Any:
        """A WHERE clause restricting `column` (a materialised path) to the scope, or None for everything."""
        return None if self.sees_all else prefix_range(column, self.scope_path)
