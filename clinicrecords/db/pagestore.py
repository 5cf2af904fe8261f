"""Encrypted, content-addressed store for page images and imported files.

Why files beside the database rather than BLOBs inside it: a 500,000-page clinic holds tens of
gigabytes of images. As BLOBs, every nightly backup would re-copy the whole database; as
immutable content-addressed files, a backup copies only the files it does not have yet, and
the database stays small enough to back up in seconds (figures in ``bench/pagestore.py``).

Each object is AES-256-GCM encrypted (authenticated: a flipped bit is detected) with a key
derived from the master key. The file name is an HMAC-SHA256 of the plaintext under another
derived key, not a bare SHA-256: identical pages are still stored once, but someone holding a
known document cannot test whether the clinic has it. The plaintext SHA-256 is recorded in the
database and checked on every read.

Writes are atomic (temp file, fsync, rename, fsync of the folder): a crash or power cut leaves
either the whole object or nothing, never a torn file.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinicrecords.common.errors import StoreCorrupt
from clinicrecords.common.fileio import fsync_dir as fsync_dir  # re-exported (backup.py uses it)
from clinicrecords.common.fileio import write_atomically

MAGIC = b"CRP1"
NONCE_LEN = 12


class PageStore:
    def __init__(self, root: Path, enc_key: bytes, name_key: bytes) -> None:
        self.root = root
        self._aead = AESGCM(enc_key)
        self._name_key = name_key

    def blob_id_for(self, data: bytes) -> str:
        return hmac.new(self._name_key, data, hashlib.sha256).hexdigest()

    def path_for(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / blob_id

    def put(self, data: bytes) -> tuple[str, str]:
        """Store bytes (once); returns (blob_id, sha256 of the plaintext)."""
        blob_id = self.blob_id_for(data)
        sha = hashlib.sha256(data).hexdigest()
        path = self.path_for(blob_id)
        if path.exists():
            return blob_id, sha
        nonce = secrets.token_bytes(NONCE_LEN)
        payload = MAGIC + nonce + self._aead.encrypt(nonce, data, blob_id.encode())
        write_atomically(path, payload)
        return blob_id, sha

    def get(self, blob_id: str, sha256: str | None = None) -> bytes:
        """Decrypt and return an object, checking its authenticity and its recorded hash."""
        path = self.path_for(blob_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise StoreCorrupt(
                "A stored page is missing from the page store. Run 'verify' and restore from "
                "a backup."
            ) from None
        data = self.decrypt(blob_id, raw)
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise StoreCorrupt("A stored page does not match its recorded checksum.")
        return data

    def decrypt(self, blob_id: str, raw: bytes) -> bytes:
        """Authenticate and decrypt an object's bytes, wherever they were read from (a backup
        checks its copies with this: the GCM tag proves the bytes are those written here)."""
        if not raw.startswith(MAGIC) or len(raw) < len(MAGIC) + NONCE_LEN + 16:
            raise StoreCorrupt("A stored page is damaged (not a page-store object).")
        nonce = raw[len(MAGIC) : len(MAGIC) + NONCE_LEN]
        try:
            return self._aead.decrypt(nonce, raw[len(MAGIC) + NONCE_LEN :], blob_id.encode())
        except InvalidTag:
            raise StoreCorrupt("A stored page is damaged (its authentication failed).") from None

    def exists(self, blob_id: str) -> bool:
        return self.path_for(blob_id).exists()

    def iter_blob_ids(self) -> Iterator[str]:
        if not self.root.exists():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for f in sorted(sub.iterdir()):
                    if len(f.name) == 64 and not f.name.startswith("."):
                        yield f.name
