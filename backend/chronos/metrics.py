"""Prometheus metrics: what the engine counts as it works, and what /metrics reads at scrape time.

With several gunicorn workers (or web and worker on one host) set PROMETHEUS_MULTIPROC_DIR to one
shared, empty directory: every process writes its samples there and /metrics merges them.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from . import health
from .extensions import db, huey, limiter
from .models import NOT_TIMED_TRIGGERS, Execution, db_now

log = logging.getLogger(__name__)

EXECUTIONS = Counter(
    "chronos_executions_total", "Executions that reached a final state.", ["status", "handler"]
)
ATTEMPTS = Counter("chronos_attempts_total", "Attempts run, by outcome.", ["outcome", "handler"])
LATENESS = Histogram(
    "chronos_firing_lateness_seconds",
    "Time from a slot's scheduled_for to its first attempt's start.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
ATTEMPT_DURATION = Histogram(
    "chronos_attempt_duration_seconds",
    "How long one attempt ran.",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
HTTP_LATENCY = Histogram(
    "chronos_http_request_duration_seconds", "API request latency.", ["method", "route", "status"]
)


@dataclass
class ObservedAttempt:
    """One recorded attempt, as the metrics count it."""

    handler: str
    status: str
    attempt: int
    ok: bool
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    trigger: str = "schedule"


def observe_attempts(observed: Iterable[ObservedAttempt]) -> None:
    """Count recorded attempts: outcomes, durations, lateness of first attempts, final statuses."""
    for attempt in observed:
        ATTEMPTS.labels(outcome="succeeded" if attempt.ok else "failed", handler=attempt.handler).inc()
        if attempt.finished_at is not None:
            ATTEMPT_DURATION.labels(handler=attempt.handler).observe(
                max(0.0, (attempt.finished_at - attempt.started_at).total_seconds())
            )
        if attempt.attempt == 1 and attempt.trigger not in NOT_TIMED_TRIGGERS:
            LATENESS.observe(max(0.0, (attempt.started_at - attempt.scheduled_for).total_seconds()))
        if attempt.status != "retrying":
            EXECUTIONS.labels(status=attempt.status, handler=attempt.handler).inc()


IN_FLIGHT = ("pending", "waiting", "running", "retrying")


class StateCollector(Collector):
    """Scrape-time gauges read from the database and the queue: true across all machines."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        with self.app.app_context():
            by_status = GaugeMetricFamily(
                "chronos_executions_by_status",
                "Executions now pending, waiting, running or retrying, by status (ended ones: chronos_executions_total).",
                labels=["status"],
            )
            unclaimed = GaugeMetricFamily(
                "chronos_unclaimed_executions",
                "Pending executions past their time that no worker has claimed.",
            )
            depth = GaugeMetricFamily("chronos_queue_depth", "Tasks waiting in the queue.", labels=["kind"])
            # The health page's figures (api/system.py), for alerting.
            alive = GaugeMetricFamily("chronos_workers_alive", "Consumers that heart-beat in the last 60 s.")
            over = GaugeMetricFamily(
                "chronos_executions_over_timeout", "Executions running longer than their job's timeout."
            )
            try:
                # Only the statuses still in flight: few rows, read through the status index. (How
                # many ended each way is chronos_executions_total; counting all of history here would
                # scan a table that grows by millions of rows a day.)
                rows = db.session.execute(
                    select(Execution.status, func.count())
                    .where(Execution.status.in_(IN_FLIGHT))
                    .group_by(Execution.status)
                )
                for status, count in rows:
                    by_status.add_metric([status], count)
                grace = timedelta(seconds=self.app.config["RECOVERY_GRACE_SECONDS"])
                now = db_now()
                late = db.session.scalar(
                    select(func.count())
                    .select_from(Execution)
                    .where(Execution.status == "pending", Execution.scheduled_for < now - grace)
                )
                unclaimed.add_metric([], late or 0)
                alive.add_metric([], health.count_workers() or 0)
                over.add_metric([], health.running_over_timeout(now, None))
            finally:
                db.session.remove()
            yield by_status
            yield unclaimed
            yield alive
            yield over
            try:
                depth.add_metric(["ready"], huey.pending_count())
                depth.add_metric(["scheduled"], huey.scheduled_count())
            except Exception:  # the queue being down must not break the scrape
                log.warning("Queue depth unavailable for /metrics.", exc_info=True)
            yield depth


def render_metrics(app: Flask) -> bytes:
    """The process's (or, in multiprocess mode, every process's) samples plus the scrape-time state."""
    samples = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        samples = CollectorRegistry()
        multiprocess.MultiProcessCollector(samples)  # type: ignore[no-untyped-call]
    state = CollectorRegistry()
    state.register(StateCollector(app))
    # The text format is a sequence of metric families, so two registries' outputs concatenate.
    return generate_latest(samples) + generate_latest(state)


def init_metrics(app: Flask) -> None:
    """Time every request by route, and serve /metrics (behind METRICS_TOKEN when set)."""

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("request_started", None)
        if started is not None and request.endpoint != "metrics":
            route = request.url_rule.rule if request.url_rule else "unmatched"
            # The web app's catch-all route answers 404 for paths that are nobody's route.
            if request.endpoint == "spa" and response.status_code == 404:
                route = "unmatched"
            HTTP_LATENCY.labels(request.method, route, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    @app.get("/metrics", endpoint="metrics")
    @limiter.exempt
    def metrics() -> Response:
        token = app.config.get("METRICS_TOKEN")
        if token:
            presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(presented.encode(), token.encode()):
                abort(401, description="A valid metrics token is required.")
        return Response(render_metrics(app), mimetype=CONTENT_TYPE_LATEST)
