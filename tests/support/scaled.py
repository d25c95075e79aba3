"""The scaled-out topology on one machine: PostgreSQL, Redis, two of everything.

    api_a ─► rasa_a ─► actions_a ─┐
    api_b ─► rasa_b ─► actions_b ─┼─► api_internal ─► PostgreSQL (cadence)
    api_lb ─► rasa_a, rasa_b      │
                    └── tracker store: PostgreSQL (rasa); lock store: Redis

api_a and api_b each reach one Rasa instance, so a test that alternates between them
sends consecutive turns of one conversation to different Rasa instances on purpose;
api_lb balances over both (round robin with failover), as a real gateway would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.support.services import Postgres, Redis
from tests.support.stack import Stack, free_port


@dataclass
class ScaledStack(Stack):
    postgres: Postgres = field(default_factory=Postgres)
    redis: Redis = field(default_factory=Redis)
    ports: dict[str, int] = field(
        default_factory=lambda: {
            name: free_port()
            for name in ("api_a", "api_b", "api_lb", "api_internal", "rasa_a", "rasa_b",
                         "actions_a", "actions_b")
        }
    )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def api_url(self) -> str:
        return self.url("api_lb")

    @property
    def internal_api_url(self) -> str:
        return self.url("api_internal")

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "DATABASE_URL": self.postgres.url("cadence"),
            "TRACKER_STORE_URL": self.postgres.url("rasa"),
            "LOCK_STORE_URL": self.redis.url,
            "RATE_LIMIT_STORAGE_URL": self.redis.rate_limit_url,
            "RASA_URLS": f"{self.url('rasa_a')},{self.url('rasa_b')}",
        }

    def define(self) -> None:
        env = self.env()
        processes = {
            "api_internal": self.internal_api_process(
                "api_internal", self.ports["api_internal"], env
            ),
            "api_lb": self.api_process("api_lb", self.ports["api_lb"], env),
        }
        for side in ("a", "b"):
            processes[f"api_{side}"] = self.api_process(
                f"api_{side}", self.ports[f"api_{side}"],
                {**env, "RASA_URLS": self.url(f"rasa_{side}")},
            )
            processes[f"actions_{side}"] = self.actions_process(
                f"actions_{side}", self.ports[f"actions_{side}"], env
            )
            processes[f"rasa_{side}"] = self.rasa_process(
                f"rasa_{side}", self.ports[f"rasa_{side}"],
                {**env, "ACTIONS_URL": f"{self.url(f'actions_{side}')}/webhook"},
            )
        self.processes = processes

    def start(self) -> ScaledStack:
        self.postgres.start()
        self.redis.start()
        super().start()
        return self

    def stop(self, keep_data: bool = False) -> None:
        super().stop(keep_data)
        self.redis.stop()
        self.postgres.stop()
