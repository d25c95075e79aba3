"""Configuration from environment variables (names and defaults: docs/contracts.md)."""

from __future__ import annotations

import logging
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("cadence.api")

REPO_ROOT = Path(__file__).resolve().parent.parent

SECRET_NAMES = ("jwt_secret", "service_key", "rasa_token")
# HS256 keys shorter than the hash are weaker than HS256 (RFC 7518, 3.2); the same floor
# for the other secrets, which guard the user-id-trusting internal routes and Rasa.
MIN_SECRET_BYTES = 32

# One CSP frame-ancestors source: a keyword or an https:// origin, with no wildcard in it.
_FRAME_SOURCE = re.compile(r"'none'|'self'|https://[^\s;,'*]+")


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
    # A token lives this long after it was issued or last renewed (POST /sessions/refresh).
    token_ttl_days: float = Field(default=30, gt=0)
    # Someone who made no request for this long has their data erased (Rasa's copy too).
    cadence_retention_days: float = Field(default=180, gt=0)
    # How often the API runs that erasure itself; 0 leaves it to
    # `python -m api.services.retention` (cron, a scheduled job).
    cadence_retention_interval_hours: float = Field(default=24, ge=0)

    # The internal app (python -m api.internal_main): the action server's routes. Loopback by
    # default; a private-network address when action servers run on other hosts, never a
    # public one.
    internal_api_host: str = "127.0.0.1"
    internal_api_port: int = Field(default=8001, gt=0, lt=65536)

    rasa_urls: str = "http://127.0.0.1:5005"
    # Rasa runs forms and custom actions inside one webhook call, so allow it time.
    rasa_timeout_seconds: float = Field(default=30, gt=0)

    # Anchored to the repository so `uvicorn api.main:app` works from any directory.
    web_dir: Path = REPO_ROOT / "web"
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    # CSP frame-ancestors of the widget page (only: every other page says 'none'): "'none'",
    # or the origins allowed to embed it with web/embed.js, e.g.
    # "https://clinic.example https://www.clinic.example".
    frame_ancestors: str = "'none'"
    # Per token, and per client address (an IPv4 address or an IPv6 /64): tokens are free,
    # so whatever reaches Rasa or does heavy work is limited per address too.
    rate_limit_chat: str = "30/minute"
    rate_limit_chat_per_address: str = "120/minute"  # chat and start over together
    rate_limit_sessions: str = "10/minute"  # per address
    rate_limit_start_over: str = "6/minute"
    rate_limit_export: str = "10/minute"
    rate_limit_export_per_address: str = "30/minute"
    rate_limit_insights: str = "120/minute"
    rate_limit_insights_per_address: str = "600/minute"
    # Exports and insights at once, per process and per token (api/workslots.py); a request
    # waits at most HEAVY_WORK_WAIT_SECONDS for a slot, then gets 503 with Retry-After (429
    # at once when its token already holds its share). PDFs are drawn in as many worker
    # processes as there are slots, at most one per CPU.
    heavy_work_slots: int = Field(default=4, gt=0)
    heavy_work_slots_per_token: int = Field(default=2, gt=0)
    heavy_work_wait_seconds: float = Field(default=2, ge=0)
    # /readyz answers from one check per this many seconds, however often it is asked.
    readiness_cache_seconds: float = Field(default=1, ge=0)
    # Wrong service keys per client address on the internal app; beyond it, 429 until the
    # window has passed, whatever key is sent.
    rate_limit_service_key_failures: str = "5/minute"
    # `limits` storage URI; memory:// is per process, redis://... shares limits when scaled.
    rate_limit_storage_url: str = "memory://"
    techniques_file: Path = REPO_ROOT / "data" / "knowledge" / "techniques.yml"

    @field_validator(*SECRET_NAMES, mode="before")
    @classmethod
    def _empty_is_missing(cls, value: object) -> object:
        # `JWT_SECRET=` in an env file must count as missing, not as an empty key.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("frame_ancestors")
    @classmethod
    def _exact_origins_only(cls, value: str) -> str:
        sources = value.split()
        if "*" in value:
            raise ValueError(
                "FRAME_ANCESTORS may not contain a wildcard (*): list each site allowed to "
                "embed the widget, e.g. 'https://clinic.example https://www.clinic.example'"
            )
        if (
            not sources
            or not all(_FRAME_SOURCE.fullmatch(source) for source in sources)
            or ("'none'" in sources and len(sources) > 1)
        ):
            raise ValueError(
                "FRAME_ANCESTORS must be 'none' or a space-separated list of 'self' and "
                "https:// origins, e.g. 'https://clinic.example'"
            )
        return " ".join(sources)

    @model_validator(mode="after")
    def _retention_outlasts_tokens(self) -> Settings:
        # A valid token means a person can still come back: their data must not be erased
        # under them. Activity is recorded hourly (services/retention.py), hence the margin.
        if self.cadence_retention_days <= self.token_ttl_days + 1:
            raise ValueError(
                "CADENCE_RETENTION_DAYS must be more than a day longer than TOKEN_TTL_DAYS"
            )
        return self

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

        The one check of the secrets, for both apps. Production must not run on throwaway
        secrets (tokens would silently stop working at every restart and the action server
        could not authenticate) nor on short ones (a guessable key opens every user's data
        on the internal routes).
        """
        missing = [name for name in SECRET_NAMES if getattr(self, name) is None]
        if self.cadence_env == "production":
            refused = [name for name in SECRET_NAMES if not _strong(getattr(self, name))]
            if refused:
                raise RuntimeError(
                    "CADENCE_ENV=production needs "
                    + ", ".join(name.upper() for name in refused)
                    + f" set to random secrets of at least {MIN_SECRET_BYTES} bytes, e.g. "
                    "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
        if not missing:
            return self
        for name in missing:
            # Name only: the value itself must never reach a log.
            log.warning("%s is not set; generated a temporary one (development only)", name.upper())
        generated = {name: SecretStr(secrets.token_urlsafe(32)) for name in missing}
        return self.model_copy(update=generated)


def _strong(secret: SecretStr | None) -> bool:
    return secret is not None and len(secret.get_secret_value().encode()) >= MIN_SECRET_BYTES


@lru_cache
def get_settings() -> Settings:
    return Settings()
