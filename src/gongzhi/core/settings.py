"""Settings, read from the environment (prefix ``GONGZHI_``) and an optional ``.env`` file."""

from __future__ import annotations

import base64
import hashlib
import warnings
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[3]
DEV_SECRET = "gongzhi-development-secret-change-me"


class Settings(BaseSettings):
    """Every knob an operator may turn; see docs/operations.md."""

    model_config = SettingsConfigDict(env_prefix="GONGZHI_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development | production")
    database_url: str = f"sqlite:///{ROOT / 'var' / 'gongzhi.db'}"
    secret_key: str = DEV_SECRET
    # 32-byte AES-256-GCM key for ID and phone numbers, base64; derived from secret_key when unset (dev only).
    data_key: str = ""
    data_dir: Path = ROOT.parent / "shared" / "data"
    timezone: str = "Asia/Shanghai"
    work_hours: str = "08:30-12:00,13:30-17:30"
    token_ttl_seconds: int = 8 * 3600
    session_cookie: str = "gongzhi_session"
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_window_seconds: int = 900
    upload_max_bytes: int = 20 * 1024 * 1024
    # Appeals: where photos are kept, how big one may be, and the limits of the steps the catalog does not set.
    media_dir: Path = ROOT / "var" / "media"
    photo_max_bytes: int = 8 * 1024 * 1024
    photos_max: int = 9
    dispatch_hours: int = 2  # working hours from intake to dispatch (立案+派遣)
    verify_hours: int = 8  # working hours from resolution to on-site verification (核查)
    duplicate_radius_m: float = 300.0
    duplicate_days: int = 14
    page_size_max: int = 200
    # Co-building micro-wishes: open claims one person may hold, and days before staff may release a claim.
    wish_claim_limit: int = Field(3, ge=1)
    wish_release_days: int = Field(14, ge=1)
    # A tile URL template for the map background (e.g. a licensed 天地图 key); empty draws polygons only.
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    # Outbox gateways (docs/notifications.md): "logging" (development: log the masked recipient, keep in memory)
    # or the dotted path of a class (package.module:Class) whose send(recipient, body) delivers for real.
    sms_gateway: str = "logging"
    wechat_gateway: str = "logging"

    def aes_key(self) -> bytes:
        if self.data_key:
            key = base64.b64decode(self.data_key)
            if len(key) != 32:
                raise ValueError("GONGZHI_DATA_KEY must be 32 bytes, base64-encoded")
            return key
        if self.environment == "production":
            raise ValueError("GONGZHI_DATA_KEY must be set in production")
        return hashlib.sha256(("data:" + self.secret_key).encode()).digest()

    def index_key(self) -> bytes:
        """Key of the keyed hash (blind index) that lets us find a record by ID or phone number."""
        return hashlib.sha256(b"index:" + self.aes_key()).digest()

    def check(self) -> None:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("GONGZHI_SECRET_KEY must be set in production")
        if self.secret_key == DEV_SECRET:
            warnings.warn("using the development secret key; set GONGZHI_SECRET_KEY", stacklevel=2)


@lru_cache
def get_settings() -> Settings:
    return Settings()
