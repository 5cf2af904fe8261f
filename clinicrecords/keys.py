"""The master key and the ways to reach it.

Scheme (see README "Keys"):
- One random 256-bit master key per clinic store. Everything at rest is encrypted under keys
  derived from it with HKDF: the SQLCipher database key, the page-store encryption key and the
  page-store naming key.
- ``keyfile.json`` beside the database holds the master key wrapped (AES-256-GCM) by a key that
  Argon2id derives from the clinic's recovery passphrase. Without the passphrase the file is
  useless; with it, any PC (a new one, a restored backup) can open the store.
- Where the OS has a keyring (Windows Credential Manager, macOS Keychain, Secret Service), the
  master key is also kept there, so the PC that set the clinic up opens without a passphrase.
- The recovery sheet printed at set-up carries the master key itself as a recovery key (base32
  groups with a checksum): if the key file is lost, the recovery key writes a new one.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clinicrecords.db.pagestore import write_atomically
from clinicrecords.errors import BadInput, KeyFileCorrupt, KeyFileMissing, WrongPassphrase

KEYFILE_NAME = "keyfile.json"
KEYFILE_FORMAT = "clinicrecords-keyfile"
KEYRING_SERVICE = "ClinicRecords"
# Argon2id, RFC 9106's second recommended option (64 MiB); about 0.2 s here, once per unlock.
ARGON2 = {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}
MIN_PASSPHRASE = 10


@dataclass(frozen=True)
class DerivedKeys:
    database: bytes
    page_enc: bytes
    page_name: bytes
    manifest: bytes
    audit_head: bytes  # signs the record of the audit head kept outside the database


def new_master_key() -> bytes:
    return secrets.token_bytes(32)


def derive_keys(master: bytes) -> DerivedKeys:
    def hk(label: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(
            master
        )

    return DerivedKeys(
        database=hk("clinicrecords/sqlcipher/v1"),
        page_enc=hk("clinicrecords/page-enc/v1"),
        page_name=hk("clinicrecords/page-name/v1"),
        manifest=hk("clinicrecords/backup-manifest/v1"),
        audit_head=hk("clinicrecords/audit-head/v1"),
    )


def check_passphrase_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BadInput(
            f"The recovery passphrase must be at least {MIN_PASSPHRASE} characters long."
        )


def _kek(passphrase: str, salt: bytes, params: dict) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        hash_len=32,
        type=Type.ID,
    )


def write_keyfile(data_dir: Path, master: bytes, passphrase: str, store_id: str) -> Path:
    """Wrap the master key under the passphrase and write the key file atomically."""
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    kek = _kek(passphrase, salt, ARGON2)
    wrapped = AESGCM(kek).encrypt(nonce, master, store_id.encode())
    doc = {
        "format": KEYFILE_FORMAT,
        "version": 1,
        "store_id": store_id,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kdf": {"name": "argon2id", **ARGON2, "salt": _b64(salt)},
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
        "key_check": hashlib.sha256(b"check" + master).hexdigest()[:16],
    }
    path = data_dir / KEYFILE_NAME
    write_atomically(path, (json.dumps(doc, indent=2) + "\n").encode())
    return path


@dataclass(frozen=True)
class KeyFile:
    store_id: str
    kdf: dict
    nonce: bytes
    wrapped: bytes
    key_check: str


def read_keyfile(data_dir: Path) -> KeyFile:
    path = data_dir / KEYFILE_NAME
    if not path.exists():
        raise KeyFileMissing(
            f"The key file ({KEYFILE_NAME}) is missing from the data folder. Copy it back from "
            "a backup, or write a new one with the recovery key from the recovery sheet "
            "('clinicrecords key recover')."
        )
    try:
        doc = json.loads(path.read_text("utf-8"))
        if doc.get("format") != KEYFILE_FORMAT or doc.get("version") != 1:
            raise ValueError("not a key file")
        kdf = doc["kdf"]
        if kdf["name"] != "argon2id":
            raise ValueError("unknown kdf")
        return KeyFile(
            store_id=str(doc["store_id"]),
            kdf={k: int(kdf[k]) for k in ("time_cost", "memory_cost", "parallelism")}
            | {"salt": _unb64(kdf["salt"])},
            nonce=_unb64(doc["nonce"]),
            wrapped=_unb64(doc["wrapped_key"]),
            key_check=str(doc["key_check"]),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise KeyFileCorrupt(
            f"The key file ({KEYFILE_NAME}) is damaged. Copy it back from a backup, or write "
            "a new one with the recovery key from the recovery sheet ('clinicrecords key "
            "recover')."
        ) from exc


def unwrap_master(keyfile: KeyFile, passphrase: str) -> bytes:
    kek = _kek(passphrase, keyfile.kdf["salt"], keyfile.kdf)
    try:
        master = AESGCM(kek).decrypt(keyfile.nonce, keyfile.wrapped, keyfile.store_id.encode())
    except InvalidTag:
        raise WrongPassphrase(
            "The recovery passphrase is not correct. Nothing was opened or changed."
        ) from None
    return master


def key_matches(keyfile: KeyFile, master: bytes) -> bool:
    return hashlib.sha256(b"check" + master).hexdigest()[:16] == keyfile.key_check


def new_store_id() -> str:
    return str(uuid.uuid4())


# --- recovery key: the master key written for people ---------------------------------------

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def encode_recovery_key(master: bytes) -> str:
    """52 base32 characters of key + 4 of checksum, in groups of four: easy to read aloud."""
    check = hashlib.sha256(b"recovery" + master).digest()[:3]
    bits = int.from_bytes(master + check, "big")
    nchars = (len(master + check) * 8 + 4) // 5
    chars = []
    for _ in range(nchars):
        chars.append(_ALPHABET[bits & 31])
        bits >>= 5
    text = "".join(reversed(chars))
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode_recovery_key(text: str) -> bytes:
    cleaned = text.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    try:
        bits = 0
        for ch in cleaned:
            bits = (bits << 5) | _ALPHABET.index(ch)
    except ValueError:
        raise BadInput("The recovery key has a character that cannot be in it.") from None
    nbytes = 35
    if len(cleaned) != (nbytes * 8 + 4) // 5:
        raise BadInput("The recovery key is the wrong length: check every group.")
    raw = bits.to_bytes(nbytes, "big")
    master, check = raw[:32], raw[32:]
    if hashlib.sha256(b"recovery" + master).digest()[:3] != check:
        raise BadInput("The recovery key is not correct: a group was probably mistyped.")
    return master


# --- OS keyring ----------------------------------------------------------------------------


def keyring_available() -> bool:
    """True when a real OS secret store is present (not keyring's fail/null/plaintext ones)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    name = type(backend).__module__ + "." + type(backend).__name__
    if "null" in name.lower() or "plaintext" in name.lower():
        return False
    try:
        return float(backend.priority) >= 1  # type: ignore[attr-defined]
    except Exception:
        return False


def keyring_load(store_id: str) -> bytes | None:
    if not keyring_available():
        return None
    import keyring

    try:
        value = keyring.get_password(KEYRING_SERVICE, f"store:{store_id}")
    except Exception:
        return None
    if not value:
        return None
    try:
        return base64.b64decode(value)
    except ValueError:
        return None


def keyring_save(store_id: str, master: bytes) -> bool:
    if not keyring_available():
        return False
    import keyring

    try:
        keyring.set_password(
            KEYRING_SERVICE, f"store:{store_id}", base64.b64encode(master).decode()
        )
    except Exception:
        return False
    return True


def keyring_forget(store_id: str) -> None:
    if not keyring_available():
        return
    import keyring

    with contextlib.suppress(Exception):  # nothing stored there is not a failure
        keyring.delete_password(KEYRING_SERVICE, f"store:{store_id}")


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _unb64(s: str) -> bytes:
    return base64.b64decode(s, validate=True)
