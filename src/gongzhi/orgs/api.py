"""JSON routes of the organisation registers."""

from fastapi import APIRouter

from gongzhi.core.register_api import register_api
from gongzhi.orgs.service import PARTY_ORGS, UNITS

router = APIRouter()
for _reg in (UNITS, PARTY_ORGS):
    register_api(router, _reg)
