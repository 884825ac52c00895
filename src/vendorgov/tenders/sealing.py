"""Sealed bids: what a bid's content looks like until opening, and its receipt digest.

Each tender has its own random AES-256 key. Until opening the key is stored only wrapped
(AES-GCM) under a key derived from the installation's secret key, which lives outside the
database; bid prices, price lines and files are stored encrypted under the tender key. So
nobody reading the tables (Piccolo Admin, a database dump, a report) sees a price before
opening, and the application itself unwraps the key only in the opening action. Opening
stores the key in clear on the tender ("released"), after which bids are readable.

The receipt digest is SHA-256 over the canonical JSON of the bid's content, which includes a
random salt so the digest of a price-only bid cannot be brute-forced from likely prices.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vendorgov.errors import Conflict
from vendorgov.i18n import _

_NONCE = 12


class SealBroken(Exception):
    """Ciphertext that does not decrypt: tampered with, or sealed under another key."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def new_salt() -> str:
    return os.urandom(16).hex()


def _wrapping_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"vendorgov tender key wrapping"
    ).derive(secret.encode())


def encrypt(key: bytes, data: bytes, context: str) -> bytes:
    """nonce ‖ AES-GCM(data); `context` (the tender and bid it belongs to) is authenticated,
    so a ciphertext copied to another bid does not open."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, data, context.encode())


def decrypt(key: bytes, blob: bytes, context: str) -> bytes:
    try:
        return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], context.encode())
    except Exception as error:  # InvalidTag, or a blob too short to hold a tag
        raise SealBroken(str(error) or "the sealed content does not decrypt") from error


def wrap_key(secret: str, key: bytes, tender_reference: str) -> str:
    return base64.b64encode(encrypt(_wrapping_key(secret), key, tender_reference)).decode()


def unwrap_key(secret: str, wrapped: str, tender_reference: str) -> bytes:
    try:
        return decrypt(_wrapping_key(secret), base64.b64decode(wrapped), tender_reference)
    except SealBroken:
        # Typically a restore without the original secret key: nothing a request can fix.
        raise Conflict(
            _(
                "Tender %(reference)s: the installation's secret key does not match the one its "
                "bids were sealed under; restore the original key (the data dir's secret_key "
                "file or VENDORGOV_SECRET_KEY) to open them.",
                reference=tender_reference,
            )
        ) from None


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# Envelopes are padded to a multiple of this many bytes, so the ciphertext's length does not
# give the price's (or the price lines') length.
PAD_BUCKET = 4096


def padded(data: bytes) -> bytes:
    """JSON followed by spaces up to the bucket; JSON readers ignore trailing whitespace."""
    return data + b" " * (-len(data) % PAD_BUCKET)


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
