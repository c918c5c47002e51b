"""Fixtures for the points tests: the demo community, a shop with its handler, a property company."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.orgs.models import Unit
from gongzhi.regions.models import Region
from tests.points import factories as pf


@dataclass
class Store:
    community: Region
    shop: Unit
    handler: User
    property_company: Unit
    property_handler: User


@pytest.fixture
def store(session: Session, city: dict[str, Any]) -> Store:
    node = pf.community(session, city)
    shop = pf.make_shop(session, node)
    company = pf.make_shop(session, node, kind="物业公司", name="测试物业服务有限公司")
    return Store(node, shop, pf.shop_handler(session, shop), company, pf.shop_handler(session, company))
