"""GB 11643-1999 citizen ID numbers (公民身份号码): 6-digit area, 8-digit birth date, 3-digit serial, check."""

from __future__ import annotations

import datetime as dt
import re

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make(area: str, birth: dt.date, serial: int) -> str:
    body = f"{area[:6]}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + check_digit(body)


def validate(value: str) -> str | None:
    """The reason in Chinese why `value` is not a valid ID number, or None when it is."""
    v = value.strip().upper()
    if not PATTERN.match(v):
        return "身份证号应为18位，前17位为数字，末位为数字或X"
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if birth > dt.date.today() or birth.year < 1890:
        return "身份证号中的出生日期无效"
    if check_digit(v[:17]) != v[17]:
        return "身份证号校验码错误（GB 11643）"
    return None


def birth_date(value: str) -> dt.date:
    v = value.strip()
    return dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def gender(value: str) -> str:
    return "男" if int(value.strip()[16]) % 2 == 1 else "女"
