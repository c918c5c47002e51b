"""JSON routes of the people registers."""

from fastapi import APIRouter

from gongzhi.core.register_api import register_api
from gongzhi.people.service import GRID_STAFF, HOUSEHOLDS, PARTY_MEMBERS, RESIDENTS

router = APIRouter()
for _reg in (HOUSEHOLDS, RESIDENTS, PARTY_MEMBERS, GRID_STAFF):
    register_api(router, _reg)
