"""Logging in, slowing down guessers, and turning a request into the acting user."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import ROLES, LoginAttempt, User
from gongzhi.core import audit
from gongzhi.core.auth import Principal
from gongzhi.core.db import now
from gongzhi.core.errors import Conflict, NotFound, TooManyAttempts, ValidationFailed
from gongzhi.core.security import hash_password, issue_token, read_token, token_matches, verify_password
from gongzhi.core.settings import get_settings
from gongzhi.regions.models import Region


def principal_for(session: Session, user: User) -> Principal:
    region = session.get(Region, user.scope_region_id)
    assert region is not None  # FK
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name or user.username,
                     role=user.role, scope_region_id=region.id, scope_path=region.path, scope_code=region.code,
                     scope_name=region.name, department_id=user.department_id, unit_id=user.unit_id)


def principal_from_request(session: Session, request: Request) -> Principal | None:
    auth = request.headers.get("authorization", "")
    user: User | None = None
    if auth.lower().startswith("bearer "):
        data = read_token(auth[7:].strip())
        if data is None:
            return None
        user = session.get(User, data.get("uid"))
        if user is not None and not token_matches(data, user.password_hash):
            user = None
    elif "session" in request.scope:
        uid = request.session.get("uid")
        user = session.get(User, uid) if uid else None
        if user is not None and request.session.get("fp") != user.password_hash[-10:]:
            user = None
    if user is None or not user.is_active:
        return None
    return principal_for(session, user)


def _wait_seconds(session: Session, username: str) -> int:
    """Seconds the next try must wait: none for the first failures, then doubling from 30 s to 15 min."""
    s = get_settings()
    since = now() - dt.timedelta(seconds=s.login_window_seconds)
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(True)))
    floor = max(since, last_ok) if last_ok else since
    failures, last = session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at > floor)).one()
    if failures < s.login_max_failures or last is None:
        return 0
    delay = min(30 * 2 ** (failures - s.login_max_failures), s.login_window_seconds)
    remaining = (last + dt.timedelta(seconds=delay) - now()).total_seconds()
    return max(0, int(remaining) + 1)


BAD_CREDENTIALS = "用户名或密码错误"


def authenticate(session: Session, username: str, password: str, ip: str | None) -> User | None:
    """The user, or None for a wrong name or password (the failure is recorded: the caller must let the
    transaction commit). Too many recent failures for this username raise 429 until the wait ends."""
    username = username.strip()
    wait = _wait_seconds(session, username)
    if wait:
        raise TooManyAttempts(f"登录失败次数过多，请 {wait} 秒后再试", details={"retry_after": wait})
    user = session.scalars(select(User).where(User.username == username)).first()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if not ok or user is None:
        session.flush()
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username,
                                                LoginAttempt.at < now() - dt.timedelta(days=30)))
    with audit.acting_as(audit.Actor(user.id, user.username, ip)):
        audit.record(session, "login", "users", user.id, summary="登录")
    return user


def token_for(user: User) -> str:
    return issue_token(user.id, user.password_hash)


def create_user(session: Session, *, username: str, password: str, role: str, scope_code: str,
                display_name: str = "", department_id: int | None = None, unit_id: int | None = None) -> User:
    if role not in ROLES:
        raise ValidationFailed(f"角色无效，可选：{', '.join(ROLES)}", details={"role": role})
    if len(password) < 8:
        raise ValidationFailed("密码至少8位")
    region = session.scalars(select(Region).where(Region.code == scope_code)).first()
    if region is None:
        raise NotFound(f"区域代码 {scope_code} 不存在", code="unknown_scope")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"用户名 {username} 已存在", code="duplicate_username")
    user = User(username=username, password_hash=hash_password(password), role=role,
                scope_region_id=region.id, display_name=display_name or username, department_id=department_id,
                unit_id=unit_id)
    session.add(user)
    session.flush()
    return user
