"""The patient reference (HN) at rest: AES-GCM ciphertext to show it, a keyed HMAC to find it.

A clinician must be able to recognise whose ECG a result is, so the HN is kept, but never in
clear: it is encrypted with AES-256-GCM (authenticated: a wrong key or an altered value fails
to decrypt instead of giving garbage), and beside it stays the HMAC-SHA256 "blind index" that
exact search compares without decrypting anything. Both keys come from the one service secret
(`Settings.resolve_secret_key`), separated with HKDF so that neither key reveals the other.

The ciphertext is bound to its screening (the row id is the associated data), so a value
copied onto another row does not decrypt there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Prefix of every stored ciphertext: the format and key derivation version.
VERSION: Final = "v1"
_NONCE_BYTES: Final = 12
_HKDF_INFO: Final = b"mtecg patient reference AES-GCM v1"


class PatientRefKeyError(RuntimeError):
    """A stored patient reference does not decrypt with this service's key."""


def blind_index(secret_key: bytes, patient_ref: str) -> str:
    """The HMAC-SHA256 of the reference: equal references give equal values, nothing more."""
    return hmac.new(secret_key, patient_ref.encode(), hashlib.sha256).hexdigest()


def _cipher(secret_key: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key)
    return AESGCM(key)


def encrypt(secret_key: bytes, patient_ref: str, row_id: str) -> str:
    """`v1:<base64 nonce + ciphertext + tag>` of the reference, bound to `row_id`."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(secret_key).encrypt(nonce, patient_ref.encode(), row_id.encode())
    return f"{VERSION}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(secret_key: bytes, stored: str, row_id: str) -> str:
    """The clear reference; `PatientRefKeyError` if the key (or the value) is not the right one."""
    version, _, payload = stored.partition(":")
    if version != VERSION:
        raise PatientRefKeyError(f"unknown patient reference format {version!r}")
    raw = base64.b64decode(payload)
    try:
        clear = _cipher(secret_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], row_id.encode())
    except InvalidTag:
        raise PatientRefKeyError(
            "a stored patient reference does not decrypt with this MTECG_SECRET_KEY: the key "
            "is not the one it was stored with (see docs/operations.md, key rotation)"
        ) from None
    return clear.decode()
