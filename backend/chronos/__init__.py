"""Chronos: a self-hosted job scheduler. `create_app` (in `app.py`) builds the web application.

The package itself imports nothing, so `chronos serve` — a small supervisor of a web process and a
worker — does not load the app it supervises; `from chronos import create_app` loads it on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'chronos' has no attribute {name!r}")
