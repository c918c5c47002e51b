"""Every domain's models, imported once so Alembic sees one metadata; the audited ones log every change."""

from gongzhi.accounts.models import LoginAttempt, User
from gongzhi.appeals.models import Appeal, AppealEvent, AppealFollower, AppealPart, AppealPhoto, IdempotencyKey
from gongzhi.assessment.models import Indicator, IndicatorClass, IndicatorSet
from gongzhi.assessment.models import Period as AssessmentPeriod
from gongzhi.assessment.models import Score as AssessmentScore
from gongzhi.cobuild.models import (
    ChairTerm,
    Claim,
    CommitteeMembership,
    CommitteeOfficer,
    Meeting,
    MeetingAttendance,
    Need,
    Project,
    ProjectStep,
    Resource,
    Wish,
    WishEvent,
)
from gongzhi.core.audit import AuditEvent, audited
from gongzhi.core.calendar import CalendarDay, CalendarYear
from gongzhi.core.db import Base
from gongzhi.dashboard.models import AppealStat, RegionAncestor, RollupState
from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.notify.models import Message, OutboxItem
from gongzhi.open311.models import ApiKey
from gongzhi.orgs.models import PartyOrg, Unit
from gongzhi.people.models import GridStaff, Household, PartyMember, Resident
from gongzhi.points.models import (
    PointAccount,
    PointEntry,
    PointPosting,
    PointRule,
    Redemption,
    StoreItem,
    StoreItemPhoto,
)
from gongzhi.regions.models import Building, Region
from gongzhi.volunteers.models import (
    Evaluation,
    Pairing,
    PostClaim,
    ProblemClaim,
    Reporting,
    ServiceLog,
    ServicePost,
    Team,
    Volunteer,
)

AUDITED = (Region, Building, Household, Resident, PartyMember, GridStaff, Unit, PartyOrg, User,
           Department, DutyCategory, MatterType, AdmissionItem, CalendarYear, CalendarDay,
           CommitteeMembership, CommitteeOfficer, ChairTerm, PointRule, StoreItem, ServicePost, Team,
           IndicatorSet, IndicatorClass, Indicator)
for _cls in AUDITED:
    audited(_cls)

__all__ = ["AdmissionItem", "ApiKey", "Appeal", "AppealEvent", "AppealFollower", "AppealPart", "AppealPhoto",
           "AppealStat", "AssessmentPeriod", "AssessmentScore", "AuditEvent", "Base", "Building", "CalendarDay",
           "CalendarYear", "ChairTerm", "Claim", "CommitteeMembership", "CommitteeOfficer", "Department",
           "DutyCategory", "Evaluation", "GridStaff", "Household", "IdempotencyKey", "Indicator", "IndicatorClass",
           "IndicatorSet", "LoginAttempt", "MatterType", "Meeting", "MeetingAttendance", "Message", "Need",
           "OutboxItem", "Pairing", "PartyMember", "PartyOrg", "PointAccount", "PointEntry", "PointPosting",
           "PointRule", "PostClaim", "ProblemClaim", "Project", "ProjectStep", "Redemption", "Region",
           "RegionAncestor", "Reporting", "Resident", "Resource", "RollupState", "ServiceLog", "ServicePost",
           "StoreItem", "StoreItemPhoto", "Team", "Unit", "User", "Volunteer", "Wish", "WishEvent"]
