"""Moving the stored patient references to a new service secret (key rotation).

Both the HN ciphertext and its blind index (HMAC) depend on `MTECG_SECRET_KEY`, so after the
key changes every row must be re-encrypted and re-indexed with the new one, in one
transaction: a row left on the old key would fail closed (`patient_ref_key_mismatch`). Rows
stored before HN encryption have no ciphertext; their old HMAC cannot be recomputed without the
HN, so they keep it and can no longer be found by HN search (their hash still shows).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mtecg.db.models import Screening
from mtecg.security import patient_ref


@dataclass(frozen=True)
class Rekeyed:
    rows: int  # re-encrypted and re-indexed
    hash_only: int  # rows from before HN encryption, left as they were


def rekey_patient_refs(session: Session, old_key: bytes, new_key: bytes) -> Rekeyed:
    """Re-encrypts every stored HN under `new_key`; `PatientRefKeyError` if `old_key` is wrong."""
    rows = hash_only = 0
    query = select(Screening).where(Screening.patient_ref_hmac.is_not(None))
    for row in session.scalars(query):
        if row.patient_ref_ciphertext is None:
            hash_only += 1
            continue
        clear = patient_ref.decrypt(old_key, row.patient_ref_ciphertext, str(row.id))
        row.patient_ref_ciphertext = patient_ref.encrypt(new_key, clear, str(row.id))
        row.patient_ref_hmac = patient_ref.blind_index(new_key, clear)
        rows += 1
    return Rekeyed(rows, hash_only)
