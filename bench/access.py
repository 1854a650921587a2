"""What the permission check costs per request: resolving who acts where, and the role check.

    .venv/bin/python bench/access.py [--calls 2000] [--seconds 5] [--jobs 50]

In this process, on a PostgreSQL database of its own (127.0.0.1, as for the tests; dropped at the
end), with the app's own test client (no web server, so the figures are the check and the route, not
the network). It prints, side by side in one run:

* the median and p99 µs of `access.require("jobs.list_jobs")` (which calls `current_principal()`)
  for a signed-in user (a JWT, their personal workspace) and for an API key;
* `GET /api/v1/jobs` requests per second with a JWT, with an API key, and with the check replaced
  by a fixed principal (what the route costs without it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import percentile
from firing import own_database


def _micros(fn: Any, calls: int) -> tuple[float, float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples), percentile(samples, 99)


def _rate(client: Any, headers: dict[str, str], seconds: float) -> float:
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        response = client.get("/api/v1/jobs", headers=headers)
        assert response.status_code == 200, response.get_json()
        count += 1
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-that-is-long-enough-for-hs256")

    with own_database() as url:
        from chronos import access, create_app
        from chronos.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            db.create_all()
            client = app.test_client()
            body = {"email": "bench@example.com", "password": "correct horse battery"}
            token = client.post("/api/v1/auth/register", json=body).get_json()["access_token"]
            user = {"Authorization": f"Bearer {token}"}
            workspace = client.get("/api/v1/workspaces", headers=user).get_json()["items"][0]["id"]
            key = client.post(
                f"/api/v1/workspaces/{workspace}/api-keys",
                json={"name": "bench", "role": "viewer"},
                headers=user,
            ).get_json()["key"]
            keyed = {"Authorization": f"Bearer {key}"}
            for n in range(args.jobs):
                client.post(
                    "/api/v1/jobs",
                    json={"name": f"job {n}", "schedule_type": "interval", "interval_seconds": 3600},
                    headers=user,
                )

            checks = {}
            for label, headers in (("JWT user", user), ("API key", keyed)):
                with app.test_request_context("/api/v1/jobs", headers=headers):
                    checks[label] = _micros(lambda: access.require("jobs.list_jobs"), args.calls)
                    db.session.remove()

            rates = {
                "JWT user": _rate(client, user, args.seconds),
                "API key": _rate(client, keyed, args.seconds),
            }
            fixed = access.Principal("user", 1, 1, workspace, "owner", "bench@example.com")
            real_require = access.require

            def no_check(action: str, workspace_id: int | None = None) -> access.Principal:
                from flask import g

                g.chronos_principal = fixed
                return fixed

            access.require = no_check  # type: ignore[assignment]
            try:
                rates["no check"] = _rate(client, user, args.seconds)
            finally:
                access.require = real_require  # type: ignore[assignment]
            db.session.remove()
            db.engine.dispose()

    print(f"permission check (require + current_principal), {args.calls} calls, PostgreSQL:")
    for label, (median, p99) in checks.items():
        print(f"  {label:<9} median {median:8.1f} µs   p99 {p99:8.1f} µs")
    print(f"GET /api/v1/jobs ({args.jobs} jobs), in-process test client, {args.seconds:.0f} s each:")
    for label, rate in rates.items():
        print(f"  {label:<9} {rate:8.1f} req/s")


if __name__ == "__main__":
    main()
