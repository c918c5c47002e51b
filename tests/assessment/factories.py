"""Factories for assessment tests: sets with classes and indicators built through the ORM (each commits a
savepoint, like tests/factories.py), scores written directly, and the regions a set ranks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.assessment.models import Indicator, IndicatorClass, IndicatorSet, Score
from gongzhi.core.db import prefix_range
from gongzhi.regions.models import Region
from tests import factories as f


def street(session: Session, city: dict[str, Any], place: str = "inside") -> Region:
    """The demo street (inside) or the street holding the other grid (outside)."""
    code = city["other_grid"] if place == "outside" else city["scopes"]["grid"]
    return f.ancestor(session, f.region(session, code), "street")


def community(session: Session, city: dict[str, Any], place: str = "inside") -> Region:
    return f.region(session, city["other_community"] if place == "outside" else city["scopes"]["community"])


def children(session: Session, node: Region, level: str) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.level == level, prefix_range(Region.path, node.path))
                                .order_by(Region.code)))


def make_set(session: Session, region: Region, *, level: str = "community", period_kind: str = "month",
             status: str = "active", red: int = 1, yellow: int = 1, name: str | None = None,
             indicators: list[dict[str, Any]] | None = None) -> IndicatorSet:
    """A set over `region`; `indicators` are dicts of Indicator fields plus `cls` (a class name). By default one
    computed indicator (grid staff coverage, 60 points) and one manual (40 points)."""
    row = IndicatorSet(name=name or f"考核{f.unique_code('')}", level=level, period_kind=period_kind, status=status,
                       red_count=red, yellow_count=yellow, region_id=region.id, scope_path=region.path)
    session.add(row)
    session.flush()
    specs = indicators if indicators is not None else [
        {"cls": "基础指标", "code": "A01", "name": "网格力量配备", "method": "computed", "max_score": 60,
         "metric": "grid_staff_coverage", "full_at": 1.0, "zero_at": 0.5},
        {"cls": "品牌指标", "code": "B01", "name": "党建品牌创建", "method": "manual", "max_score": 40},
    ]
    classes: dict[str, IndicatorClass] = {}
    for i, spec in enumerate(specs, start=1):
        spec = dict(spec)
        name = spec.pop("cls", "基础指标")
        if name not in classes:
            classes[name] = IndicatorClass(set_id=row.id, name=name, seq=len(classes) + 1)
            session.add(classes[name])
            session.flush()
        session.add(Indicator(set_id=row.id, class_id=classes[name].id, seq=i, **spec))
    session.commit()
    return row


def indicator(session: Session, indicator_set: IndicatorSet, code: str) -> Indicator:
    return session.scalars(select(Indicator).where(Indicator.set_id == indicator_set.id,
                                                   Indicator.code == code)).one()


def put_score(session: Session, indicator_set: IndicatorSet, period: str, region: Region, code: str, score: float,
              value: float | None = None) -> Score:
    row = Score(set_id=indicator_set.id, period=period, region_id=region.id, scope_path=region.path,
                indicator_id=indicator(session, indicator_set, code).id, score=score,
                value=score if value is None else value, evidence="台账", assessor_name="测试")
    session.add(row)
    session.commit()
    return row


def classes_of(session: Session, indicator_set: IndicatorSet) -> list[IndicatorClass]:
    return list(session.scalars(select(IndicatorClass).where(IndicatorClass.set_id == indicator_set.id)
                                .order_by(IndicatorClass.seq)))
