"""Fixtures for the dashboards: the appeal loop's catalog and reporting helpers, and a generated year of appeal
history (with its roll-ups) inside the test's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.appeals.conftest import act, catalog, grid_point, other_point, report  # noqa: F401 - shared fixtures

END = dt.datetime(2026, 10, 20, 4, 0, tzinfo=dt.UTC)  # the generated history ends here (12:00 in Shanghai)


@pytest.fixture
def history(session: Session, catalog: Any) -> dict[str, Any]:  # noqa: F811
    """1,500 appeals over the year before END, spread over the tiny city's 24 grids, roll-ups built."""
    from gongzhi.appeals.history import generate_history

    return generate_history(session, appeals=1500, years=1, seed=11, end=END)
