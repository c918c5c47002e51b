"""The suggestion index is process-wide: rebuild it after each test that may have changed the catalog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_suggestions() -> Iterator[None]:
    yield
    from gongzhi.duties.service import invalidate_suggestions

    invalidate_suggestions()
