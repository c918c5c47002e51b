"""Every domain's models, imported once so Alembic sees one metadata; the audited ones log every change."""

from gongzhi.accounts.models import LoginAttempt, User
from gongzhi.appeals.models import Appeal, AppealEvent, AppealFollower, AppealPart, AppealPhoto, IdempotencyKey
from gongzhi.core.audit import AuditEvent, audited
from gongzhi.core.calendar import CalendarDay, CalendarYear
from gongzhi.core.db import Base
from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.notify.models import Message, OutboxItem
from gongzhi.open311.models import ApiKey
from gongzhi.orgs.models import PartyOrg, Unit
from gongzhi.people.models import GridStaff, Household, PartyMember, Resident
from gongzhi.regions.models import Building, Region

AUDITED = (Region, Building, Household, Resident, PartyMember, GridStaff, Unit, PartyOrg, User,
           Department, DutyCategory, MatterType, AdmissionItem, CalendarYear, CalendarDay)
for _cls in AUDITED:
    audited(_cls)

__all__ = ["AdmissionItem", "ApiKey", "Appeal", "AppealEvent", "AppealFollower", "AppealPart", "AppealPhoto",
           "AuditEvent", "Base", "Building", "CalendarDay", "CalendarYear", "Department", "DutyCategory",
           "GridStaff", "Household", "IdempotencyKey", "LoginAttempt", "MatterType", "Message", "OutboxItem",
           "PartyMember", "PartyOrg", "Region", "Resident", "Unit", "User"]
