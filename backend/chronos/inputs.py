"""What a request may carry before any schema or the database sees it: the one rule for hostile input.

Every request's path, query string and headers, and every API request's JSON body, pass through
`check_request` first. The body is parsed here with limits (nesting depth, number length) and refused
when it holds what no field can store: a NUL character (PostgreSQL text cannot hold one), a lone
surrogate (not Unicode, so no driver can encode it), NaN or Infinity (not JSON), a duplicate key (two
parsers would disagree on its value). Each error names the JSON path of the offending value, in the
one error shape, so field schemas never have to think about these cases one by one.

webargs then parses the same bytes again with `json.loads`; whatever passed here reads the same there
(the rule only refuses, it never changes a value), and the documents involved are small (`MAX_REQUEST_BYTES`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

from .errors import error_response

# Objects and arrays nested deeper than this are refused (a job's payload is a message, not a tree).
MAX_JSON_DEPTH = 32
# Digits (and signs, dots, exponents) in one JSON number: far above any real value, far below the
# 4300-digit limit at which Python's int() itself refuses and would otherwise raise a bare ValueError.
MAX_NUMBER_CHARS = 100
# Errors reported at most per request: enough to fix a form, not a document's worth of echo.
MAX_ERRORS = 20

BODY_METHODS = ("POST", "PUT", "PATCH")
NUL_MESSAGE = "May not contain the NUL character (\\u0000)."
SURROGATE_MESSAGE = "Not valid Unicode: contains a lone surrogate (\\ud800-\\udfff)."
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# The tokens that decide nesting: strings (skipped whole, so brackets inside them do not count),
# brackets, and the commas that advance an array index.
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]')


@dataclass
class InputErrors:
    """What a request got wrong, by path; `malformed` (not a JSON document we accept) makes it a 400."""

    found: list[tuple[tuple[Any, ...], str]] = field(default_factory=list)
    malformed: bool = False

    def add(self, path: tuple[Any, ...], message: str, *, malformed: bool = False) -> None:
        if len(self.found) < MAX_ERRORS:
            self.found.append((path, message))
            self.malformed = self.malformed or malformed

    def full(self) -> bool:
        return len(self.found) >= MAX_ERRORS

    def errors(self) -> dict[str, Any]:
        """Nested like marshmallow's ({"target": {"headers": {"X-A": [...]}}}); "_schema" for the whole."""
        tree: dict[str, Any] = {}
        for path, message in self.found:
            node = tree
            names = [str(part) for part in path] or ["_schema"]
            for name in names[:-1]:
                child = node.setdefault(name, {})
                if isinstance(child, list):  # a message already sits at this level: keep both
                    child = node[name] = {"_schema": child}
                node = child
            leaf = node.setdefault(names[-1], [])
            messages = leaf.setdefault("_schema", []) if isinstance(leaf, dict) else leaf
            if message not in messages:
                messages.append(message)
        return tree

    def response(self, where: str) -> Any:
        """The one error shape: 400 for a malformed document, 422 for values no field accepts."""
        path, message = self.found[0]
        name = f"'{'.'.join(str(part) for part in path)}'" if path else where
        return error_response(
            400 if self.malformed else 422, f"Invalid input — {name}: {message}", self.errors()
        )


class _Marker:
    """Stands in for a value the parser refused, so the walk can report it at its path."""

    def __init__(self, message: str) -> None:
        self.message = message


class _Duplicated(dict[str, Any]):
    """An object that named a key twice."""

    duplicates: list[str]


def _number(kind: type) -> Any:
    def parse(literal: str) -> Any:
        if len(literal) > MAX_NUMBER_CHARS:
            return _Marker(f"Number too long: at most {MAX_NUMBER_CHARS} characters.")
        return kind(literal)

    return parse


def _constant(name: str) -> _Marker:
    return _Marker(f"{name} is not a JSON number.")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    duplicated = _Duplicated(value)
    seen: set[str] = set()
    duplicated.duplicates = []
    for key, _ in pairs:
        if key in seen:
            duplicated.duplicates.append(key)
        seen.add(key)
    return duplicated


def _too_deep(raw: bytes) -> tuple[Any, ...] | None:
    """The path of the first container nested deeper than MAX_JSON_DEPTH, or None.

    Scans only the structure (a C-speed regex), so a body nested thousands deep is refused before a
    recursive parser could reach Python's recursion limit.
    """
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return None
    arrays: list[int | None] = []  # per open container: the current index of an array, None for an object
    path: list[Any] = []  # per open container but the outermost: its key or index in its parent
    last_string: bytes | None = None
    for match in _STRUCTURE.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            if arrays:
                parent = arrays[-1]
                path.append(parent if parent is not None else _key(last_string))
            arrays.append(0 if token == b"[" else None)
            if len(arrays) > MAX_JSON_DEPTH:
                return tuple(path)
        elif token in (b"]", b"}"):
            if len(arrays) > 1:
                path.pop()
            if arrays:
                arrays.pop()
        elif token == b",":
            if arrays and arrays[-1] is not None:
                arrays[-1] += 1
        else:
            last_string = token
    return None


def _key(token: bytes | None) -> str:
    if token is None:
        return "_schema"
    try:
        text = json.loads(token)
    except ValueError:
        return "_schema"
    return text if isinstance(text, str) and not _BAD_CHARACTER.search(text) else "_schema"


def _walk(value: Any, found: InputErrors) -> None:
    """Report every refused value in a parsed document at its path (iterative: no recursion limit)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack and not found.full():
        item, path = stack.pop()
        if isinstance(item, str):
            _check_text(item, path, found)
        elif isinstance(item, _Marker):
            found.add(path, item.message, malformed=True)
        elif isinstance(item, float) and not math.isfinite(item):
            found.add(path, "Number out of range (not finite).", malformed=True)
        elif isinstance(item, dict):
            if isinstance(item, _Duplicated):
                for key in item.duplicates:
                    # A key that is itself unacceptable is reported below, at its object.
                    if not _BAD_CHARACTER.search(key):
                        found.add((*path, key), "Duplicate key: each key may appear once.", malformed=True)
            for key, child in reversed(list(item.items())):
                bad = _BAD_CHARACTER.search(key)
                if bad:
                    message = NUL_MESSAGE if bad.group() == "\x00" else SURROGATE_MESSAGE
                    found.add(path, f"A key is not acceptable: {message}")
                else:
                    stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, position)) for position, child in reversed(list(enumerate(item))))


def _check_text(text: str, path: tuple[Any, ...], found: InputErrors) -> None:
    bad = _BAD_CHARACTER.search(text)
    if bad:
        found.add(path, NUL_MESSAGE if bad.group() == "\x00" else SURROGATE_MESSAGE)


def check_json(raw: bytes) -> InputErrors:
    """Check a JSON request body against the rule; an empty result means webargs may parse it."""
    found = InputErrors()
    if not raw:
        return found  # no body: the schema reports the missing fields
    deep = _too_deep(raw)
    if deep is not None:
        field_ = deep[:1] if deep and isinstance(deep[0], str) else ()
        found.add(
            field_,
            f"Nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects.",
            malformed=True,
        )
        return found
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        found.add((), f"Not valid UTF-8 (byte {exc.start}).", malformed=True)
        return found
    try:
        value = json.loads(
            text,
            parse_int=_number(int),
            parse_float=_number(float),
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        found.add((), f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).", malformed=True)
        return found
    except (RecursionError, ValueError):  # belt and braces: the scans above should have caught it
        found.add((), "Not a JSON document this API accepts.", malformed=True)
        return found
    _walk(value, found)
    return found


# Routes that take more than MAX_REQUEST_BYTES, and the setting that bounds them instead.
LARGER_BODIES = {"jobs.create_jobs_batch": "MAX_BATCH_REQUEST_BYTES"}


def check_request() -> Any:
    """Refuse a request whose path, query, headers or JSON body break the rule (a before_request hook)."""
    found = InputErrors()
    if _BAD_CHARACTER.search(request.path):
        found.add(("path",), NUL_MESSAGE, malformed=True)
    for name, value in request.headers.items():
        if "\x00" in value:
            found.add((name,), NUL_MESSAGE, malformed=True)
    for name, values in request.args.lists():
        if _BAD_CHARACTER.search(name):
            found.add(("_query",), f"A parameter name is not acceptable: {NUL_MESSAGE}")
            continue
        for value in values:
            _check_text(value, (name,), found)
    if found.found:
        return found.response("request")
    if not request.path.startswith("/api/") or request.method not in BODY_METHODS:
        return None
    if not (request.content_length or request.headers.get("Transfer-Encoding")):
        return None  # no body: the schema reports any missing field
    if not request.is_json:
        return error_response(400, "The request body must be JSON (Content-Type: application/json).")
    larger = LARGER_BODIES.get(request.endpoint or "")
    if larger:
        request.max_content_length = current_app.config[larger]
    try:
        raw = request.get_data(cache=True)
    except HTTPException:
        raise  # 413, or werkzeug's own 400 for a client that went away: already in the error shape
    except Exception:  # noqa: BLE001 — the server's reader refused the framing (a bad chunk, say)
        return error_response(400, "The request body could not be read: its framing is malformed.")
    if request.content_length is not None and len(raw) != request.content_length:
        # The client stopped before sending what Content-Length promised: a truncated request.
        return error_response(
            400,
            f"The request body is {len(raw)} bytes, not the "
            f"{request.content_length} its Content-Length says.",
        )
    found = check_json(raw)
    return found.response("request body") if found.found else None


def init_input_checks(app: Flask) -> None:
    """Run the rule before every request (after request ids and rate limits are assigned)."""
    app.before_request(check_request)
