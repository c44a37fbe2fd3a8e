"""Security events: one structured record per security-relevant outcome.

Every event has a stable ``event`` name and ``code`` that dashboards, alerts
and SIEM rules key on.  Events carry ids (user, ``jti``, family) or a short
fingerprint of a token, never the token, a password, a secret or a refresh
value.  Sinks are pluggable: JSON lines on stdout by default, Prometheus
counters in the server.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Final, Protocol, TextIO

import structlog

from authgate.service.context import ClientInfo

__all__ = [
    "EVENT_NAMES",
    "EventSink",
    "FanoutSink",
    "JsonLinesSink",
    "MemorySink",
    "SecurityEvent",
    "fingerprint",
]

EVENT_NAMES: Final = frozenset(
    {
        "token.verify_failed",
        "login.succeeded",
        "login.failed",
        "login.throttled",
        "register.succeeded",
        "register.refused",
        "refresh.rotated",
        "refresh.grace",
        "refresh.failed",
        "refresh.reuse_detected",
        "session.revoked",
        "logout",
        "logout.all",
        "password.changed",
        "user.disabled",
        "user.enabled",
        "user.role_changed",
        "csrf.refused",
        "config.refused",
        "store.unavailable",
        "store.recovered",
    }
)


def fingerprint(secret: str) -> str:
    """12 hex chars of SHA-256: enough to correlate log lines, useless to replay."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    event: str
    code: str
    ip: str | None = None
    user_agent: str | None = None
    user_id: str | None = None
    jti: str | None = None
    family_id: str | None = None
    fingerprint: str | None = None
    timestamp: float = 0.0

    @classmethod
    def of(
        cls,
        event: str,
        code: str,
        client: ClientInfo | None = None,
        *,
        timestamp: float,
        user_id: str | None = None,
        jti: str | None = None,
        family_id: str | None = None,
        fingerprint: str | None = None,
    ) -> SecurityEvent:
        if event not in EVENT_NAMES:
            raise ValueError(f"unknown security event name {event!r}")
        client = client or ClientInfo()
        return cls(
            event=event,
            code=code,
            ip=client.ip,
            user_agent=client.user_agent,
            user_id=user_id,
            jti=jti,
            family_id=family_id,
            fingerprint=fingerprint,
            timestamp=timestamp,
        )


class EventSink(Protocol):
    """Receives every security event; must not raise or block for long."""

    def emit(self, event: SecurityEvent) -> None: ...


_WARNING_EVENTS: Final = (".failed", ".reuse_detected", ".throttled", ".refused", ".unavailable")


class JsonLinesSink:
    """One JSON object per line through structlog (stdout by default)."""

    __slots__ = ("_logger",)

    def __init__(self, stream: TextIO | None = None) -> None:
        self._logger: Any = structlog.wrap_logger(
            structlog.PrintLogger(stream or sys.stdout),
            processors=[structlog.processors.JSONRenderer(sort_keys=True)],
        )

    def emit(self, event: SecurityEvent) -> None:
        record = {k: v for k, v in asdict(event).items() if v is not None}
        record["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.timestamp))
        record["level"] = "warning" if event.event.endswith(_WARNING_EVENTS) else "info"
        name = record.pop("event")
        self._logger.msg(name, **record)


class MemorySink:
    """Keeps events in a list: for tests and the admin CLI."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events: list[SecurityEvent] = []

    def emit(self, event: SecurityEvent) -> None:
        self.events.append(event)

    def named(self, event: str) -> list[SecurityEvent]:
        return [e for e in self.events if e.event == event]


class FanoutSink:
    """Sends each event to several sinks."""

    __slots__ = ("_sinks",)

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self._sinks = tuple(sinks)

    def emit(self, event: SecurityEvent) -> None:
        for sink in self._sinks:
            sink.emit(event)
