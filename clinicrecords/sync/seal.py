"""Sealing events for the clinic server: AES-256-GCM under a key only the clinic's PCs hold.

The key is derived (HKDF, its own label) from the clinic master key, which the server never
has. The associated data binds the clinic id, the workstation id, the event id and the
Lamport clock, all of which the server stores in clear beside the ciphertext: a server (or
anyone with its disk) that moves an event to another clinic or workstation, renumbers it, or
changes one byte of it produces a row that fails to open on every PC, and sync stops there
instead of applying it.
"""

from __future__ import annotations

import json
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinicrecords.common.errors import ServerRefused

NONCE_LEN = 12
_LABEL = b"clinicrecords/event/v1"


def associated_data(clinic_id: str, workstation_id: str, event_id: str, lamport: int) -> bytes:
    parts = (clinic_id.lower(), workstation_id.lower(), event_id.lower(), str(int(lamport)))
    return b"\x00".join([_LABEL, *(p.encode() for p in parts)])


def seal(
    key: bytes, clinic_id: str, workstation_id: str, event_id: str, lamport: int, envelope: dict
) -> tuple[bytes, bytes]:
    """(nonce, ciphertext) of the envelope's JSON; a fresh random nonce each time."""
    nonce = secrets.token_bytes(NONCE_LEN)
    plain = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
    aad = associated_data(clinic_id, workstation_id, event_id, lamport)
    return nonce, AESGCM(key).encrypt(nonce, plain, aad)


def open_sealed(
    key: bytes,
    clinic_id: str,
    workstation_id: str,
    event_id: str,
    lamport: int,
    nonce: bytes,
    ciphertext: bytes,
) -> dict:
    aad = associated_data(clinic_id, workstation_id, event_id, lamport)
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, aad)
        envelope = json.loads(plain)
    except (InvalidTag, ValueError) as exc:
        raise ServerRefused(
            "A change stored on the clinic server failed its integrity check (it was altered "
            "or moved there); sync stopped before it and nothing of it was applied. Tell the "
            "administrator."
        ) from exc
    if not isinstance(envelope, dict) or envelope.get("v") != 1:
        raise ServerRefused(
            "A change on the clinic server was written by a newer version of the program: "
            "update this PC, then sync again."
        )
    return envelope
