"""Checks on what every request carries, before any handler reads it: the one place list
filters, forms and JSON bodies pass through.

- A NUL character: PostgreSQL refuses it in text (a filter or a saved field became a 500 there,
  while SQLite stored it), and no legitimate name, filter or note contains one.
- JSON nested deeper than the decoder's limit: it gave up with a RecursionError (a 500).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request

from vendorgov.errors import DomainError, FieldError, InvalidInput

NUL = "\x00"
# \u0000 in JSON text, unless its backslash is itself escaped (\\u0000 is the text "\u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _nul(field: str) -> FieldError:
    return FieldError(field, "no_nul", "must not contain a NUL character (\\x00)")


def _nul_fields(value: Any) -> list[str]:
    """Where NUL characters are in a decoded JSON value: name, items[2].text, [0].location.
    A loop, not recursion: the value may be nested almost as deep as Python's own limit."""
    found, pending = [], [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                found.append(path or "body")
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else key
                if NUL in key:
                    found.append(name)
                pending.append((name, child))
        elif isinstance(item, list):
            pending += [(f"{path}[{i}]", child) for i, child in enumerate(item)]
    return sorted(found)


# Fewer brackets than this cannot nest deep enough to exhaust the decoder.
_SHALLOW = 800


async def _json_errors(request: Request) -> list[FieldError]:
    body = await request.body()  # kept by Litestar for the handler
    if body.count(b"[") + body.count(b"{") < _SHALLOW and not _JSON_NUL.search(body):
        return []  # the usual body: nothing to find, and no second decode of it
    try:
        decoded = msgspec.json.decode(body)
    except RecursionError:
        raise DomainError(
            "the JSON body is nested too deeply",
            [FieldError("body", "max_depth", "arrays and objects nest at most 900 deep")],
        ) from None
    except msgspec.DecodeError:
        return []  # malformed JSON: Litestar's own 400 names the position
    if not _JSON_NUL.search(body):
        return []
    return [_nul(field) for field in _nul_fields(decoded)]


async def check_request(request: Request) -> None:
    """Litestar before_request hook for every route (guards have run; the handler has not)."""
    errors = [
        _nul(key)
        for key, value in request.query_params.multi_items()
        if NUL in key or (isinstance(value, str) and NUL in value)
    ]
    if NUL in request.scope["path"]:
        errors.append(_nul("path"))
    if request.method in _BODY_METHODS:
        media_type = request.content_type[0]
        if media_type == "application/json" or media_type.endswith("+json"):
            errors += await _json_errors(request)
        elif media_type == "multipart/form-data" or (
            media_type == "application/x-www-form-urlencoded" and b"%00" in await request.body()
        ):
            # Parsed once: Litestar keeps the form for the handler. File contents are not text.
            form = await request.form()
            errors += [_nul(k) for k, v in form.multi_items() if isinstance(v, str) and NUL in v]
    if errors:
        raise InvalidInput(errors)
