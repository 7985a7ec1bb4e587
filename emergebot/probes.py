"""Where each process of the stack answers ``health`` (it is up) and ``ready`` (it can serve).

The same layout as ``emergebot.supervisor.plan`` starts, for probes, monitoring and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubdata.ops import RASA_READY_PATH
from hubdata.settings import Settings


@dataclass(frozen=True)
class Probe:
    """One process's liveness and readiness URLs (and its metrics URL, if it has one)."""

    name: str
    health: str
    ready: str
    metrics: str | None = None


def replica_name(name: str, index: int, count: int) -> str:
    """A process's name, numbered when it runs as several replicas."""
    return name if count == 1 else f"{name} {index + 1}"


def probes(settings: Settings, balancer: bool | None = None) -> list[Probe]:
    """Every process's probes; ``balancer``: whether the local webhook balancer runs
    (default: in webhook mode without a TLS proxy's ``WEBHOOK_URL``)."""
    out = []
    for i in range(settings.action_replicas):
        base = f"http://{settings.action_host}:{settings.action_port + i}"
        out.append(Probe(replica_name("action server", i, settings.action_replicas),
                         f"{base}/health", f"{base}/ready"))
    for i, base in enumerate(settings.rasa_urls):
        out.append(Probe(replica_name("rasa server", i, settings.rasa_replicas),
                         f"{base}/version", f"{base}{RASA_READY_PATH}"))
    out.append(Probe("staff console", f"{settings.console_url}health",
                     f"{settings.console_url}ready"))
    if balancer is None:
        balancer = settings.telegram_mode == "webhook" and settings.webhook_url is None
    if balancer:
        base = f"http://{settings.webhook_host}:{settings.webhook_port}"
        out.append(Probe("webhook balancer", f"{base}/health", f"{base}/ready"))
    for i in range(settings.adapter_replicas):
        base = f"http://{settings.ops_host}:{settings.ops_port + i}"
        out.append(Probe(replica_name("telegram adapter", i, settings.adapter_replicas),
                         f"{base}/health", f"{base}/ready", f"{base}/metrics"))
    return out
