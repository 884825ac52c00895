"""What other domains may add to signing a contract, without contracts importing them: a
blocker says why a contract cannot be signed now (e.g. an open challenge of the tender that
created it, §3a); a listener hears of a signature (e.g. the winner's bid security falls due).
Both run inside the signing transaction, the contract locked. Registered at import time by the
domain that owns the rule (tenders.challenges, tenders.deposits)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

# contract row → None, or the message of the 409 refusing the signature
SigningBlocker = Callable[[dict], Awaitable[str | None]]
# contract row, version row, when signed
SignedListener = Callable[[dict, dict, datetime], Awaitable[None]]

_blockers: dict[str, SigningBlocker] = {}
_listeners: dict[str, SignedListener] = {}


def register_signing_blocker(name: str, blocker: SigningBlocker) -> None:
    _blockers[name] = blocker


def register_signed_listener(name: str, listener: SignedListener) -> None:
    _listeners[name] = listener


async def signing_blocked(contract: dict) -> str | None:
    """The first reason a registered blocker gives against signing the contract now."""
    for blocker in _blockers.values():
        problem = await blocker(contract)
        if problem:
            return problem
    return None


async def signed(contract: dict, version: dict, at: datetime) -> None:
    for listener in _listeners.values():
        await listener(contract, version, at)
