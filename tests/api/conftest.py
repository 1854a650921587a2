"""Fixtures for the API tests."""

from __future__ import annotations

from typing import Any

import pytest

from .support import create_job


@pytest.fixture
def job(client, alice) -> dict[str, Any]:
    """Alice's seed job."""
    return create_job(client, alice)
