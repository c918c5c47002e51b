"""Every domain's models, imported once so Alembic sees one metadata."""

from gongzhi.accounts.models import LoginAttempt, User
from gongzhi.core.audit import AuditEvent, audited
from gongzhi.core.calendar import CalendarDay, CalendarYear
from gongzhi.core.db import Base
from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.notify.models import Message, OutboxItem
from gongzhi.orgs.models import PartyOrg, Unit
from gongzhi.people.models import GridStaff, Household, PartyMember, Resident
from gongzhi.regions.models import Building, Region

for _cls in (Region, Building, Household, Resident, PartyMember, GridStaff, Unit, PartyOrg, User):
    audited(_cls)

__all__ = ["AuditEvent", "Base", "Building", "GridStaff", "Household", "LoginAttempt", "PartyMember",
           "PartyOrg", "Region", "Resident", "Unit", "User"]
__all__ += ["Message", "OutboxItem"]
for _cls in (Department, DutyCategory, MatterType, AdmissionItem):
    audited(_cls)
__all__ += ["AdmissionItem", "Department", "DutyCategory", "MatterType"]
for _cls in (CalendarYear, CalendarDay):
    audited(_cls)
__all__ += ["CalendarDay", "CalendarYear"]
from gongzhi.appeals.models import (  # noqa: E402
    Appeal,
    AppealEvent,
    AppealFollower,
    AppealPart,
    AppealPhoto,
    IdempotencyKey,
)

__all__ += ["Appeal", "AppealEvent", "AppealFollower", "AppealPart", "AppealPhoto", "IdempotencyKey"]
from gongzhi.open311.models import ApiKey  # noqa: E402

__all__ += ["ApiKey"]
