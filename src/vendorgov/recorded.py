"""Sentences the system writes into records (why a tender failed, why a bid is invalid), kept
as their message and values so that each reader reads them in their own language, in pages,
the API and the documents alike. What a person wrote (a cancellation's reason) is kept and
shown as written."""

from __future__ import annotations

import json

from vendorgov.i18n import _

_MARK = '{"said": '


def sentence(message: str, **values: str | int) -> str:
    """What to store: `message` an N_-marked msgid with %(name)s places; a value whose name
    ends in `_label` is itself a marked msgid (a status, a qualification), read in the
    reader's language too."""
    return json.dumps({"said": message, "values": values}, ensure_ascii=False, sort_keys=True)


def read(stored: str) -> str:
    """A stored sentence in the current language; anything else as it was written."""
    if not stored.startswith(_MARK):
        return stored
    try:
        data = json.loads(stored)
        values = {
            name: _(value) if name.endswith("_label") else value
            for name, value in data["values"].items()
        }
        return _(data["said"], **values)
    except (ValueError, KeyError, TypeError):
        return stored
