"""Prometheus metrics: security events by name and code, latency by route.

A registry per app (not prometheus-client's global one) so several apps in
one process — tests, benchmarks — never collide.  Labels are bounded sets
(event names, error codes, route templates), never user input.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from authgate.service.events import SecurityEvent

__all__ = ["Metrics"]


class Metrics:
    """Also an :class:`~authgate.service.events.EventSink`."""

    __slots__ = ("events", "latency", "registry")

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "authgate_security_events",
            "Security events by stable event name and code.",
            ["event", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "authgate_http_request_duration_seconds",
            "Request latency by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )

    def emit(self, event: SecurityEvent) -> None:
        self.events.labels(event.event, event.code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
