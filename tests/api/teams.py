"""Helpers for the team tests: workspaces, members with a role, keys."""

from __future__ import annotations

from typing import Any

from chronos.extensions import db
from chronos.models import Membership, User

API = "/api/v1"


def personal(client, headers: dict[str, str]) -> dict[str, Any]:
    items = client.get(f"{API}/workspaces", headers=headers).get_json()["items"]
    return next(item for item in items if item["personal"])


def shared_workspace(client, owner: dict[str, str], name: str = "Platform") -> int:
    response = client.post(f"{API}/workspaces", json={"name": name}, headers=owner)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def add_member(workspace_id: int, email: str, role: str) -> None:
    """Give an existing user a role in the workspace (the invitation path has tests of its own)."""
    user = db.session.query(User).filter_by(email=email).one()
    db.session.add(Membership(workspace_id=workspace_id, user_id=user.id, role=role))
    db.session.commit()


def acting_in(headers: dict[str, str], workspace_id: int) -> dict[str, str]:
    return {**headers, "X-Chronos-Workspace": str(workspace_id)}


def make_key(client, owner: dict[str, str], workspace_id: int, role: str = "editor", **extra: Any) -> dict:
    response = client.post(
        f"{API}/workspaces/{workspace_id}/api-keys",
        json={"name": f"{role} key", "role": role, **extra},
        headers=owner,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
