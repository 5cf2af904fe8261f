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

from clinicrecords.common.errors import (
    BadInput,
    DiskFull,
    KeyFileCorrupt,
    KeyFileMissing,
    WrongPassphrase,
)
from clinicrecords.db.pagestore import write_atomically

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
    sync: bytes  # seals events sent to the clinic server (sync/seal.py)
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
        sync=hk("clinicrecords/sync-events/v1"),
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
    doc["checksum"] = keyfile_checksum(doc)
    path = data_dir / KEYFILE_NAME
    write_atomically(path, (json.dumps(doc, indent=2) + "\n").encode())
    return path


def keyfile_checksum(doc: dict) -> str:
    """SHA-256 of the key file's canonical content (every field but this one).

    Why: AES-GCM refuses a damaged wrapped key exactly as it refuses a wrong passphrase, so
    without this a flipped bit would send the clinic hunting for the right passphrase. It is a
    plain hash, not a MAC: it tells damage from a wrong passphrase; it does not stop someone who
    edits the file on purpose (AES-GCM still does: the master key cannot be changed unnoticed).
    """
    body = {k: v for k, v in doc.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class KeyFile:
    store_id: str
    kdf: dict
    nonce: bytes
    wrapped: bytes
    key_check: str
    # True: the checksum matches; False: it does not (the file is damaged); None: a key file
    # written before checksums, where damage and a wrong passphrase cannot be told apart.
    intact: bool | None = True


DAMAGED_MESSAGE = (
    f"The key file ({KEYFILE_NAME}) is damaged: restore {KEYFILE_NAME} from a backup, or use "
    "the recovery key from the recovery sheet ('clinicrecords key recover')."
)
# Bounds on the Argon2 parameters a key file may ask for: a damaged number must not make the
# unlock allocate gigabytes or run for minutes before the damage is reported.
_KDF_BOUNDS = {"time_cost": (1, 64), "memory_cost": (8, 1 << 21), "parallelism": (1, 64)}
_SIZES = {"salt": 16, "nonce": 12, "wrapped_key": 48}


def read_keyfile(data_dir: Path) -> KeyFile:
    """Parse and check the key file's structure before any passphrase is tried.

    Everything that can be checked without the passphrase is checked here (JSON, fields, sizes,
    Argon2 bounds, the store id's form, the checksum), so damage is reported as damage.
    """
    path = data_dir / KEYFILE_NAME
    if not path.exists():
        raise KeyFileMissing(
            f"The key file ({KEYFILE_NAME}) is missing from the data folder. Copy it back from "
            "a backup, or write a new one with the recovery key from the recovery sheet "
            "('clinicrecords key recover')."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyFileCorrupt(
            f"The key file ({KEYFILE_NAME}) cannot be read ({exc.strerror or 'read error'}): "
            f"check the data folder's permissions, or restore {KEYFILE_NAME} from a backup."
        ) from None
    try:
        doc = json.loads(raw.decode("utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not an object")
        if doc.get("format") != KEYFILE_FORMAT or doc.get("version") != 1:
            raise ValueError("not a key file")
        kdf = doc["kdf"]
        if kdf["name"] != "argon2id":
            raise ValueError("unknown kdf")
        params = {k: kdf[k] for k in _KDF_BOUNDS}
        for k, (low, high) in _KDF_BOUNDS.items():
            if type(params[k]) is not int or not low <= params[k] <= high:
                raise ValueError("kdf parameter out of bounds")
        store_id = doc["store_id"]
        if not isinstance(store_id, str) or str(uuid.UUID(store_id)) != store_id:
            raise ValueError("not a store id")
        key_check = doc["key_check"]
        if not isinstance(key_check, str) or len(key_check) != 16:
            raise ValueError("bad key check")
        int(key_check, 16)
        blobs = {k: _unb64(kdf[k] if k == "salt" else doc[k]) for k in _SIZES}
        if any(len(blobs[k]) != n for k, n in _SIZES.items()):
            raise ValueError("wrong size")
        intact = None if "checksum" not in doc else doc["checksum"] == keyfile_checksum(doc)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFileCorrupt(DAMAGED_MESSAGE) from exc
    return KeyFile(
        store_id=store_id,
        kdf=params | {"salt": blobs["salt"]},
        nonce=blobs["nonce"],
        wrapped=blobs["wrapped_key"],
        key_check=key_check,
        intact=intact,
    )


def unwrap_master(keyfile: KeyFile, passphrase: str) -> bytes:
    """The master key, or why not: a damaged key file is told apart from a wrong passphrase.

    A file whose checksum fails is still tried (the damage may be in a field the unwrap does not
    use); only if the unwrap then fails is it reported as damaged.
    """
    kek = _kek(passphrase, keyfile.kdf["salt"], keyfile.kdf)
    try:
        master = AESGCM(kek).decrypt(keyfile.nonce, keyfile.wrapped, keyfile.store_id.encode())
    except InvalidTag:
        if keyfile.intact is False:
            raise KeyFileCorrupt(DAMAGED_MESSAGE) from None
        if keyfile.intact is None:
            raise WrongPassphrase(
                "The recovery passphrase is not correct (or the key file, written by an older "
                "version without a checksum, is damaged). Nothing was opened or changed."
            ) from None
        raise WrongPassphrase(
            "The recovery passphrase is not correct. Nothing was opened or changed."
        ) from None
    return master


def add_checksum(data_dir: Path) -> bool:
    """Give a key file written before checksums its checksum, so later damage is named as such.

    Called after the file has opened the store (so its content is known good). Best effort: a
    read-only data folder keeps the old file, which still opens.
    """
    path = data_dir / KEYFILE_NAME
    try:
        doc = json.loads(path.read_text("utf-8"))
        if "checksum" in doc:
            return False
        doc["checksum"] = keyfile_checksum(doc)
        write_atomically(path, (json.dumps(doc, indent=2) + "\n").encode())
    except (OSError, ValueError, DiskFull):
        return False
    return True


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
