"""The built SPA as Flask serves it: hashed assets cached forever, the shell for client routes."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronos import create_app

SHELL = (
    '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head></html>'
)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "api-docs").mkdir()
    (tmp_path / "index.html").write_text(SHELL)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    (tmp_path / "api-docs" / "swagger-ui.css").write_text("body{}")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


def _client(dist: Path):
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "FRONTEND_DIST": str(dist)}).test_client()


def test_hashed_assets_are_immutable(dist: Path) -> None:
    response = _client(dist).get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=315360000" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/", "/jobs", "/jobs/12", "/jobs/12/edit", "/executions/34", "/sign-in?next=/jobs"]
)
def test_client_routes_load_the_shell_revalidated(dist: Path, path: str) -> None:
    response = _client(dist).get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == SHELL
    assert response.headers["Cache-Control"] == "no-cache"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", ["/assets/missing-123.js", "/api-docs/missing.js", "/favicon.ico", "/api/v1/nope"]
)
def test_missing_files_and_api_paths_are_404_not_the_shell(dist: Path, path: str) -> None:
    response = _client(dist).get(path)
    assert response.status_code == 404
    assert SHELL not in response.get_data(as_text=True)


def test_swagger_ui_files_are_served(dist: Path) -> None:
    client = _client(dist)
    assert client.get("/api-docs/swagger-ui.css").status_code == 200
    assert client.get("/favicon.svg").status_code == 200


def test_unbuilt_frontend_says_how_to_build_it(tmp_path: Path) -> None:
    response = _client(tmp_path / "nothing-here").get("/jobs")
    assert response.status_code == 503
    assert "npm run build" in response.get_data(as_text=True)
