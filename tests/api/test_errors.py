"""One error shape everywhere: {"code", "status", "message", "errors"?}."""

from __future__ import annotations

from chronos import create_app

from .support import API


def assert_shape(response, code: int) -> dict:
    assert response.status_code == code
    body = response.get_json()
    assert body["code"] == code and isinstance(body["status"], str) and body["message"]
    assert set(body) <= {"code", "status", "message", "errors"}
    return body


def test_unknown_route_is_404(client):
    assert_shape(client.get(f"{API}/nothing-here"), 404)


def test_wrong_method_is_405(client, alice):
    body = assert_shape(client.put(f"{API}/jobs", json={}, headers=alice), 405)
    assert body["status"] == "Method Not Allowed"


def test_missing_token_is_401(client):
    assert assert_shape(client.get(f"{API}/jobs"), 401)["status"] == "Unauthorized"


def test_validation_error_is_422_with_fields(client, alice):
    body = assert_shape(client.post(f"{API}/jobs", json={"name": "x"}, headers=alice), 422)
    assert "schedule_type" in body["errors"]


def test_invalid_json_is_400(client, alice):
    assert_shape(client.post(f"{API}/jobs", data="{", content_type="application/json", headers=alice), 400)


def test_unexpected_exception_is_500_without_internals():
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/api/v1/boom")
    body = assert_shape(response, 500)
    assert "secret" not in response.get_data(as_text=True) and body["status"] == "Internal Server Error"
