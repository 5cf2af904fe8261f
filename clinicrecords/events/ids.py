"""UUIDv7 (RFC 9562): clinic-wide ids that sort by creation time.

Events and records made on different PCs, offline, need ids no two PCs can both hand out; a
time-ordered id also keeps the server's unique index and a replica's id tables append-mostly.
"""

from __future__ import annotations

import secrets
import time
import uuid


def uuid7() -> str:
    ms = time.time_ns() // 1_000_000
    rand = secrets.randbits(74)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    return str(uuid.UUID(int=value))
