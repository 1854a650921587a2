"""The real stack for the browser tests: the built frontend, gunicorn, one Huey consumer, a receiver.

The run's PostgreSQL and Redis databases (and `DATABASE_URL`, `REDIS_URL`, `HUEY_NAME`) come from the
root `conftest.py`; the processes started here inherit them. The browser is Debian's Chromium
(`/usr/bin/chromium`): Playwright's own browser downloads are neither needed nor possible here.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from tests.live import Receiver, free_port, running_receiver, wait_for

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
LOGS = ARTIFACTS / "e2e-logs"
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
# Without these Chromium keeps trying to reach outside hosts (updates, sync), which must never happen here.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"


# --- the frontend build ---------------------------------------------------------------------------

def _newest_source_mtime() -> float:
    sources = [FRONTEND / name for name in ("index.html", "vite.config.js", "package.json", "package-lock.json")]
    for folder in ("src", "public"):
        sources += [p for p in (FRONTEND / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources if p.exists())


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    """`frontend/dist`, built now if missing or older than the sources."""
    index = FRONTEND / "dist" / "index.html"
    if not index.exists() or index.stat().st_mtime < _newest_source_mtime():
        if shutil.which("npm") is None:
            pytest.fail("npm is needed to build the frontend for the browser tests")
        if not (FRONTEND / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
        subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True, stdout=subprocess.DEVNULL)
    return index.parent


# --- the stack ------------------------------------------------------------------------------------

def _create_schema(env: dict[str, str]) -> None:
    """Build the stack's database with the migrations, as a release would."""
    subprocess.run([str(BIN / "chronos"), "migrate"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def _admin_execute(sql: str) -> None:
    admin_url = os.environ.get("CHRONOS_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _stop(process: subprocess.Popen, sig: int, timeout: float = 10) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Stack:
    """The running stack: its URL and database, and its consumer, which a test may stop and restart."""

    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env
        self.database_url = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        self.worker: subprocess.Popen | None = None
        self._starts = 0

    def start_worker(self) -> None:
        """Start a consumer and wait for its first heartbeat."""
        self._starts += 1
        with open(LOGS / f"worker-{self._starts}.log", "wb") as worker_log:
            self.worker = subprocess.Popen([sys.executable, "-m", "chronos.worker"], env=self.env, cwd=ROOT,
                                           stdout=worker_log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.sql("SELECT count(*) FROM worker_heartbeats WHERE last_seen > now() - "
                                  "interval '5 seconds'")[0][0] > 0, 30, message="the consumer's heartbeat")

    def stop_worker(self) -> None:
        """Stop the consumer gracefully (it hands back running executions and forgets its heartbeat)."""
        if self.worker is not None:
            _stop(self.worker, signal.SIGINT)
            self.worker = None

    def sql(self, statement: str, *params: Any) -> list[tuple]:
        """Run one statement on the stack's database (for what a test cannot do through the app)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session")
def stack(_databases, frontend_dist: Path) -> Iterator[Stack]:
    """gunicorn (2 workers) and one consumer on a database of their own.

    The stack gets its own PostgreSQL database (beside the run's) and Huey queue name: the backend
    suite truncates and create_all()s the run's database, which would clash with migrations here.
    """
    LOGS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = os.environ["DATABASE_URL"] + "_e2e"
    database_name = database_url.rsplit("/", 1)[1]
    _admin_execute(f'CREATE DATABASE "{database_name}"')
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HUEY_NAME": os.environ["HUEY_NAME"] + "-e2e",
        "HTTP_ALLOWLIST": "127.0.0.1",
        "RATELIMIT_ENABLED": "false",
        "PUBLIC_BASE_URL": url,
        "FRONTEND_DIST": str(frontend_dist),
        "CHRONOS_WORKERS": "2",
        "PYTHONUNBUFFERED": "1",
    }
    try:
        _create_schema(env)
        running = Stack(url, env)
        with open(LOGS / "gunicorn.log", "wb") as web_log:
            web = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "chronos.wsgi:app"],
                                   env=env, cwd=ROOT, stdout=web_log, stderr=subprocess.STDOUT)
            try:
                running.start_worker()
                wait_for(lambda: httpx.get(f"{url}/api/v1/openapi.json", timeout=1).status_code == 200, 30,
                         message="gunicorn")
                wait_for(lambda: httpx.get(f"{url}/", timeout=1).status_code == 200, 10,
                         message="the app shell")
                yield running
            finally:
                running.stop_worker()  # graceful: running attempts finish first
                _stop(web, signal.SIGTERM)
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def live_server(stack: Stack) -> str:
    """The stack's base URL."""
    return stack.url


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright's base URL: `page.goto("/jobs")` goes to the live server."""
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A zone that is not UTC, so "defaults to the browser's zone" and offsets are really exercised.
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "timezone_id": "Europe/Berlin",
            "locale": "en-GB"}


# --- helpers for the stories ----------------------------------------------------------------------

@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP endpoint that records every request made to it (tests/live.py)."""
    with running_receiver() as running:
        yield running


AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now, one line each (none is the goal).

    axe is evaluated through the browser's debugging protocol, which the page's Content-Security-Policy
    does not apply to: the app is checked with its real policy in force.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
            v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
    }""")
    return violations


@pytest.fixture
def axe(page):
    """axe() asserts that the current page has no accessibility violations."""

    def check(label: str = "") -> None:
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        assert violations == [], f"{label or page.url}: " + "\n".join(violations)

    return check


@pytest.fixture
def shot(page, axe):
    """shot("jobs-list") checks the page with axe-core, then saves a full-page screenshot under
    test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        axe(name)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def console_errors(page) -> list[str]:
    """Every console error and uncaught exception on the page during the test."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors


_counter = iter(range(1, 1_000_000))


def unique_email(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_counter)}-{int(time.time() * 1000) % 100000}@example.com"


@pytest.fixture
def api(live_server: str):
    """Set-up through the REST API (things a test is not about): register users, create jobs."""

    class Api:
        def register(self, email: str, password: str = PASSWORD) -> None:
            response = httpx.post(f"{live_server}/api/v1/auth/register", json={"email": email, "password": password})
            assert response.status_code == 201, response.text

        def token(self, email: str, password: str = PASSWORD) -> str:
            response = httpx.post(f"{live_server}/api/v1/auth/login", json={"email": email, "password": password})
            assert response.status_code == 200, response.text
            return response.json()["access_token"]

        def create_job(self, token: str, **job: Any) -> dict:
            response = httpx.post(f"{live_server}/api/v1/jobs", json=job,
                                  headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response.text
            return response.json()

    return Api()


@pytest.fixture
def signed_in(page, api) -> str:
    """A new user, registered through the API and signed in through the UI; returns the e-mail."""
    email = unique_email("user")
    api.register(email)
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    return email
