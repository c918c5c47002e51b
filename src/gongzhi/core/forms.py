"""Reading a submitted form or JSON body field by field, collecting every wrong field before refusing, so a form
can mark them all at once and keep what was typed (422 with the reasons in `details`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gongzhi.core.errors import ValidationFailed


class Errors:
    """Field-by-field reasons, raised together (422) so a form can mark every wrong field at once."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, reason: str) -> None:
        self.items.append({"field": field, "reason": reason})

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed("填写有误：" + "；".join(e["reason"] for e in self.items), details=self.items)


def text(raw: Mapping[str, Any], name: str, errors: Errors, label: str, *, required: bool = False,
         limit: int = 200) -> str:
    """A trimmed text field: required or not, at most `limit` characters."""
    value = raw.get(name)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors.add(name, f"请填写{label}")
    elif len(value) > limit:
        errors.add(name, f"{label}不能超过{limit}个字")
    return value
