"""Passwords, API tokens and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from gongzhi.core.settings import get_settings

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of both answers alike.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@lru_cache
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="gongzhi.api-token")


def _fingerprint(password_hash: str) -> str:
    """Changes when the password does, so a new password ends the old tokens."""
    return password_hash[-10:]


def issue_token(user_id: int, password_hash: str) -> str:
    return _serializer().dumps({"uid": user_id, "fp": _fingerprint(password_hash)})


def read_token(token: str) -> dict[str, Any] | None:
    try:
        data = _serializer().loads(token, max_age=get_settings().token_ttl_seconds)
    except (BadSignature, SignatureExpired):
        return None
    return data if isinstance(data, dict) else None


def token_matches(data: dict[str, Any], password_hash: str) -> bool:
    return hmac.compare_digest(str(data.get("fp", "")), _fingerprint(password_hash))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_equal(a: str | None, b: str | None) -> bool:
    return bool(a and b) and hmac.compare_digest(a or "", b or "")
