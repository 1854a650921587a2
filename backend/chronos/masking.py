"""The one rule for credentials: which names hold one, the one mask, and what is masked where.

A header, query parameter or data key whose name contains one of `CREDENTIAL_WORDS` (any case)
holds a credential. Its value is shown as `MASK` on every surface that leaves the process: API
responses, execution results and logs, e-mails and webhooks (which are built from those records),
the web app (which shows what the API returns) and audit records. Besides names, the values
themselves are scrubbed from free text (an error message quoting a header) by `scrub`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from yarl import URL

MASK = "****"
CREDENTIAL_WORDS = (
    "auth",
    "token",
    "secret",
    "signature",
    "session",
    "cookie",
    "key",
    "password",
    "passwd",
    "pwd",
    "credential",
    "csrf",
    "xsrf",
    "jwt",
    "bearer",
)
# Values this short are not scrubbed from free text: "1" or "on" would mangle every message.
MIN_SCRUBBED_CHARS = 4
_CREDENTIAL = re.compile("|".join(CREDENTIAL_WORDS), re.IGNORECASE)


@lru_cache(maxsize=4096)
def is_credential(name: str) -> bool:
    """True when a header, query parameter or key of this name holds a credential."""
    # Cached: the same few names are asked about for every call and every log line.
    return bool(_CREDENTIAL.search(name))


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of `headers` with every credential value replaced by the mask."""
    return {name: (MASK if is_credential(name) else value) for name, value in headers.items()}


def mask_url(url: URL | str) -> str:
    """The URL with its user-info password and credential query values masked."""
    parsed = URL(url) if isinstance(url, str) else url
    if parsed.password is not None:
        parsed = parsed.with_password(MASK)
    if parsed.query and any(is_credential(name) for name in parsed.query):
        parsed = parsed.with_query([(k, MASK if is_credential(k) else v) for k, v in parsed.query.items()])
    return str(parsed)


def mask_data(value: Any) -> Any:
    """A copy of any JSON value in which every credential-named key's value is masked (`scrub_data`
    with no secret values to scrub)."""
    return scrub_data(value, ())


def mask_target(target: dict[str, Any] | None) -> dict[str, Any] | None:
    """A job's HTTP target as it may be shown: credential header values and URL parts masked."""
    if not target:
        return target
    masked = dict(target)
    headers = target.get("headers")
    if isinstance(headers, Mapping):
        masked["headers"] = mask_headers(headers)
    if isinstance(target.get("url"), str):
        masked["url"] = mask_url_text(target["url"])
    return masked


def mask_url_text(url: str) -> str:
    """`mask_url` for a URL as the user typed it: unchanged unless it carries a credential.

    (Parsing and printing normalises a URL; a URL without credentials is shown exactly as saved.)
    """
    try:
        masked = mask_url(url)
    except ValueError:
        return url
    return url if masked == str(URL(url)) else masked


class MaskedCredentialError(ValueError):
    """A masked URL was sent back for a different origin: its credential cannot be restored."""


def unmask_url(new: str, stored: str | None) -> str:
    """The URL a PATCH sent, with masked credentials restored from the stored URL of the same origin."""
    if MASK not in new:
        return new
    try:
        sent = URL(new)
        kept = URL(stored) if stored else None
    except ValueError:
        return new
    masked_password = sent.password == MASK
    masked_keys = [k for k, v in sent.query.items() if v == MASK and is_credential(k)]
    if not masked_password and not masked_keys:
        return new
    # A credential belongs to its origin: it never follows the URL to another host.
    if kept is None or sent.origin() != kept.origin():
        raise MaskedCredentialError(
            f"The URL still carries a masked credential ({MASK!r}); type the credential again."
        )
    if masked_password:
        sent = sent.with_password(kept.password)
    if masked_keys:
        sent = sent.with_query(
            [(k, kept.query.get(k, v) if k in masked_keys else v) for k, v in sent.query.items()]
        )
    return str(sent)


def unmask_target(new: dict[str, Any] | None, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The target a PATCH sent, with masked values replaced by the stored secrets.

    Clients read masked values and send them back unchanged; storing the mask would destroy the
    secret. Raises MaskedCredentialError for a masked URL credential sent for another origin.
    """
    if not new:
        return new
    stored = stored or {}
    result = dict(new)
    if isinstance(new.get("headers"), Mapping):
        stored_headers = {name.lower(): value for name, value in (stored.get("headers") or {}).items()}
        result["headers"] = {
            name: (stored_headers.get(name.lower(), value) if value == MASK else value)
            for name, value in new["headers"].items()
        }
    if isinstance(new.get("url"), str):
        result["url"] = unmask_url(new["url"], stored.get("url"))
    return result


def target_secrets(target: Mapping[str, Any] | None) -> set[str]:
    """The credential values a target carries: header values, URL password, credential query values."""
    found: set[str] = set()
    if not target:
        return found
    headers = target.get("headers")
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            if is_credential(str(name)) and isinstance(value, str):
                found.add(value)
                # "Bearer abc": the token alone may be quoted too.
                found.update(part for part in value.split() if len(part) >= MIN_SCRUBBED_CHARS)
    url = target.get("url")
    if isinstance(url, str):
        try:
            parsed = URL(url)
        except ValueError:
            return found
        if parsed.password:
            found.add(parsed.password)
        found.update(v for k, v in parsed.query.items() if is_credential(k) and v)
    return found


def scrub(text: str, secrets: Iterable[str], min_chars: int = MIN_SCRUBBED_CHARS) -> str:
    """`text` with every occurrence of each secret value replaced by the mask (longest first)."""
    return _scrub_ordered(text, _longest_first(secrets, min_chars))


def _longest_first(secrets: Iterable[str], min_chars: int = MIN_SCRUBBED_CHARS) -> list[str]:
    return list(_ordered(secrets if isinstance(secrets, frozenset) else frozenset(secrets), min_chars))


@lru_cache(maxsize=1024)
def _ordered(secrets: frozenset[str], min_chars: int) -> tuple[str, ...]:
    # Cached: an attempt's result and each of its log lines are scrubbed of the same few secrets.
    return tuple(sorted({s for s in secrets if len(s) >= min_chars}, key=len, reverse=True))


def _scrub_ordered(text: str, ordered: list[str]) -> str:
    for secret in ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_data(value: Any, secrets: Iterable[str]) -> Any:
    """`mask_data(value)` with every secret value also scrubbed from the strings inside it.

    One walk does both: it runs for every attempt's result and log lines, and most of their
    strings quote no secret, which a substring test tells without copying them.
    """
    ordered = _longest_first(secrets)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _scrub_ordered(item, ordered) if ordered else item
        if isinstance(item, Mapping):
            return {
                key: (MASK if isinstance(key, str) and is_credential(key) else walk(inner))
                for key, inner in item.items()
            }
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        return item

    return walk(value)


def mask_job_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """A job's fields (a whole definition, or the before and after of an edit) with every credential
    masked: the target's secret headers and URL parts, the webhook URL's, secret-named payload keys,
    and the signing secret. What the audit log and job versions store."""
    masked = dict(values)
    if masked.get("target"):
        masked["target"] = mask_target(masked["target"])
    if masked.get("notify_webhook_url"):
        masked["notify_webhook_url"] = mask_url_text(masked["notify_webhook_url"])
    if masked.get("payload") is not None:
        masked["payload"] = mask_data(masked["payload"])
    if masked.get("signing_secret"):
        masked["signing_secret"] = MASK
    return masked


def unmask_data(new: Any, stored: Any) -> Any:
    """A JSON value sent back as it was shown masked (`mask_data`): the stored value when nothing
    but the masks differ; MaskedCredentialError if masks remain that cannot be restored."""
    if new == mask_data(stored):
        return stored
    if MASK in json.dumps(new):
        raise MaskedCredentialError("A masked credential cannot be restored: enter its value again.")
    return new
