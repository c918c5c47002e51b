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
    token_ttl_seconds: int = 8 * 3600
    session_cookie: str = "gongzhi_session"
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_window_seconds: int = 900
    upload_max_bytes: int = 20 * 1024 * 1024
    page_size_max: int = 200
    # A tile URL template for the map background (e.g. a licensed 天地图 key); empty draws polygons only.
    map_tile_url: str = ""
    map_tile_attribution: str = ""

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
