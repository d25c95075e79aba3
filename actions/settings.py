"""Action-server settings, read once from the environment (see docs/contracts.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    api_url: str
    service_key: str
    data_dir: Path
    default_locale: str
    api_timeout_s: float
    outbox_retry_s: float

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.db"


def load_settings() -> Settings:
    return Settings(
        # The API's internal listener (api.internal_main), not the public port.
        api_url=os.environ.get("API_URL", "http://127.0.0.1:8001").rstrip("/"),
        service_key=os.environ.get("SERVICE_KEY", ""),
        data_dir=Path(os.environ.get("CADENCE_DATA_DIR", "var")),
        default_locale=os.environ.get("CADENCE_LOCALE", "GB").upper(),
        api_timeout_s=float(os.environ.get("API_TIMEOUT_S", "3")),
        outbox_retry_s=float(os.environ.get("OUTBOX_RETRY_S", "5")),
    )


settings = load_settings()
