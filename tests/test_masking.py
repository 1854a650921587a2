"""The one masking rule's text scrubbing: a secret is found wherever a handler put it."""

from __future__ import annotations

import pytest

from chronos.masking import MASK, scrub_data


@pytest.mark.parametrize(
    "secret", ["s3cr3t-value", 'with"quote', "back\\slash", "line\nbreak", "ünïcødé-ßecret"]
)
def test_a_secret_is_scrubbed_from_every_string_however_it_is_spelled(secret):
    data = {"note": f"sent {secret} upstream", "nested": [{"deep": secret}], "count": 3, "flag": None}
    assert scrub_data(data, {secret}) == {
        "note": f"sent {MASK} upstream",
        "nested": [{"deep": MASK}],
        "count": 3,
        "flag": None,
    }


def test_records_without_a_secret_come_back_unchanged_but_credential_keys_are_masked():
    data = {"message": "all fine", "headers": {"Accept": "text/plain", "X-Api-Key": "k"}}
    assert scrub_data(data, {"s3cr3t-value"}) == {
        "message": "all fine",
        "headers": {"Accept": "text/plain", "X-Api-Key": MASK},
    }
    assert scrub_data({"short": "ab ab"}, {"ab"}) == {"short": "ab ab"}  # too short to scrub safely
