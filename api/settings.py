"""Configuration from environment variables (names and defaults: docs/contracts.md)."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("cadence.api")

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    cadence_env: Literal["development", "production"] = "development"
    cadence_data_dir: Path = Path("var")
    # None means "derive from CADENCE_DATA_DIR", so changing the data dir moves both files.
    database_url: str | None = None
    tracker_store_url: str | None = None

    jwt_secret: SecretStr | None = None
    service_key: SecretStr | None = None
    rasa_token: SecretStr | None = None
    token_ttl_days: float = Field(default=30, gt=0)

    rasa_urls: str = "http://127.0.0.1:5005"
    # Rasa runs forms and custom actions inside one webhook call, so allow it time.
    rasa_timeout_seconds: float = Field(default=30, gt=0)

    # Anchored to the repository so `uvicorn api.main:app` works from any directory.
    web_dir: Path = REPO_ROOT / "web"
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    # CSP frame-ancestors: "'none'", or the origins allowed to embed the widget with
    # web/embed.js, e.g. "https://clinic.example https://www.clinic.example".
    frame_ancestors: str = Field(default="'none'", pattern=r"^('none'|'self'|https://[^\s;,']+)( https://[^\s;,']+)*$")
    rate_limit_chat: str = "30/minute"
    rate_limit_sessions: str = "10/minute"
    # `limits` storage URI; memory:// is per process, redis://... shares limits when scaled.
    rate_limit_storage_url: str = "memory://"
    techniques_file: Path = REPO_ROOT / "data" / "knowledge" / "techniques.yml"

    @field_validator("jwt_secret", "service_key", "rasa_token", mode="before")
    @classmethod
    def _empty_is_missing(cls, value: object) -> object:
        # `JWT_SECRET=` in an env file must count as missing, not as an empty key.
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def database_url_resolved(self) -> str:
        return self.database_url or f"sqlite:///{self.cadence_data_dir}/cadence.db"

    @property
    def tracker_store_url_resolved(self) -> str:
        return self.tracker_store_url or f"sqlite:///{self.cadence_data_dir}/tracker.db"

    @property
    def rasa_upstreams(self) -> list[str]:
        return [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]

    def with_secrets(self) -> Settings:
        """Return settings whose secrets are all set, or raise in production.

        Production must not run on throwaway secrets: tokens would silently stop working at
        every restart and the action server could not authenticate.
        """
        names = ("jwt_secret", "service_key", "rasa_token")
        missing = [name for name in names if getattr(self, name) is None]
        if not missing:
            return self
        if self.cadence_env == "production":
            raise RuntimeError(
                "CADENCE_ENV=production needs " + ", ".join(n.upper() for n in missing)
            )
        for name in missing:
            # Name only: the value itself must never reach a log.
            log.warning("%s is not set; generated a temporary one (development only)", name.upper())
        generated = {name: SecretStr(secrets.token_urlsafe(32)) for name in missing}
        return self.model_copy(update=generated)


@lru_cache
def get_settings() -> Settings:
    return Settings()
