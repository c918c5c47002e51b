"""Every domain's models, imported once so Alembic sees one metadata."""

from gongzhi.accounts.models import LoginAttempt, User
from gongzhi.core.audit import AuditEvent, audited
from gongzhi.core.db import Base
from gongzhi.orgs.models import PartyOrg, Unit
from gongzhi.people.models import GridStaff, Household, PartyMember, Resident
from gongzhi.regions.models import Building, Region

for _cls in (Region, Building, Household, Resident, PartyMember, GridStaff, Unit, PartyOrg, User):
    audited(_cls)

__all__ = ["AuditEvent", "Base", "Building", "GridStaff", "Household", "LoginAttempt", "PartyMember",
           "PartyOrg", "Region", "Resident", "Unit", "User"]
