"""Personal data at rest: AES-256-GCM for the value, a keyed hash to find it, a mask to show it.

ID and phone numbers are stored as three columns: ``<name>_enc`` (nonce + ciphertext), ``<name>_hash``
(HMAC-SHA256, so an exact search works without decrypting) and ``<name>_masked`` (what lists show).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gongzhi.core.settings import get_settings

NONCE = 12


@lru_cache
def _aead() -> AESGCM:
    return AESGCM(get_settings().aes_key())


@lru_cache
def _index_key() -> bytes:
    return get_settings().index_key()


def encrypt(value: str, *, aad: bytes = b"gongzhi") -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + _aead().encrypt(nonce, value.encode(), aad)


def decrypt(blob: bytes, *, aad: bytes = b"gongzhi") -> str:
    return _aead().decrypt(blob[:NONCE], blob[NONCE:], aad).decode()


def blind_index(value: str) -> str:
    return hmac.new(_index_key(), normalise(value).encode(), hashlib.sha256).hexdigest()


def normalise(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def mask_id_number(value: str) -> str:
    """5301**********1234 — region and last four, as Chinese offices print them."""
    v = normalise(value)
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if len(v) > 8 else "*" * len(v)


def mask_phone(value: str) -> str:
    v = normalise(value)
    return v[:3] + "*" * (len(v) - 7) + v[-4:] if len(v) > 7 else "*" * len(v)


def seal(kind: str, value: str | None) -> dict[str, object]:
    """The three stored columns for one sensitive value (all None when the value is empty)."""
    if not value:
        return {"enc": None, "hash": None, "masked": None}
    v = normalise(value)
    masked = mask_id_number(v) if kind == "id_number" else mask_phone(v)
    return {"enc": encrypt(v), "hash": blind_index(v), "masked": masked}
