"""Prometheus metrics: latency per route (the endpoint's name, never the raw path), status codes,
and the outbox read at scrape time.

Under gunicorn every worker is a process of its own: with `PROMETHEUS_MULTIPROC_DIR` set (the
shipped deploy/gunicorn.conf.py sets it) the workers write their samples to files there and a
scrape adds them up, whichever worker answers it.
"""
import ipaddress
import os
import time

from flask import request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LATENCY = Histogram("workspace_request_duration_seconds", "Time to answer a request, per route endpoint.",
                    ["endpoint", "method"], buckets=BUCKETS)
RESPONSES = Counter("workspace_responses_total", "Responses per route endpoint and status code.",
                    ["endpoint", "method", "status"])
DEFAULT_ALLOWED = "127.0.0.1,::1"


class OutboxCollector:
    """Mail waiting in the outbox and the age of the oldest unsent message, read from the database."""

    def collect(self):
        from ..extensions import db
        from ..models import OutboxMessage
        from ..models.base import utcnow

        count, oldest = db.session.execute(
            db.select(db.func.count(OutboxMessage.id), db.func.min(OutboxMessage.created_at))
            .where(OutboxMessage.sent_at.is_(None))
        ).one()
        if oldest is not None and oldest.tzinfo is None:
            from datetime import timezone

            oldest = oldest.replace(tzinfo=timezone.utc)
        db.session.rollback()
        yield GaugeMetricFamily("workspace_outbox_messages", "Messages in the outbox not sent yet.", value=count)
        yield GaugeMetricFamily("workspace_outbox_oldest_unsent_seconds",
                                "Age of the oldest unsent message (0 when none waits).",
                                value=(utcnow() - oldest).total_seconds() if oldest else 0)


def _allowed_networks(setting: str) -> list:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",") if part.strip()]


def scrape_allowed(address: str | None) -> bool:
    """Whether this client address may read /metrics (METRICS_ALLOWED_IPS: addresses or networks)."""
    from flask import current_app

    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in current_app.extensions["metrics_allowed"])


def exposition() -> bytes:
    """The text a scrape gets: every worker's samples (multi-process) or this process's, plus the outbox."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return generate_latest(registry) + generate_latest(outbox)


def init_app(app) -> None:
    app.extensions["metrics_allowed"] = _allowed_networks(
        app.config.get("METRICS_ALLOWED_IPS") or os.environ.get("METRICS_ALLOWED_IPS") or DEFAULT_ALLOWED)

    @app.after_request
    def observe(response):
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        started = request.environ.get("workspace.started")
        if started is not None:
            LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
        RESPONSES.labels(endpoint, request.method, str(response.status_code)).inc()
        return response
