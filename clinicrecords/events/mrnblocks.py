"""MRNs that stay unique across PCs that work offline.

The server keeps the clinic's MRN counter; each workstation holds blocks of numbers it reserved
while online (``BLOCK_SIZE`` at a time, refilled at sync once fewer than ``REFILL_BELOW`` are
left, so a normal offline day never runs out). A PC that does run out offline issues a
*provisional* number, ``P<workstation>-<n><check digit>``, which no other PC can issue; at the
next sync the PC that issued it replaces it with a number from a block (``patient.mrn_confirmed``)
and keeps the provisional one as an alias, so paper already bearing it still finds the chart.
Clinic MRNs keep their Luhn check digit (``clinicrecords/common/mrn.py``).
"""

from __future__ import annotations

import re

from clinicrecords.common.mrn import luhn_digit, make_mrn
from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection

BLOCK_SIZE = 100
REFILL_BELOW = 50
_PROVISIONAL = re.compile(r"^P(\d+)-(\d{5,})$")


def provisional_mrn(workstation_no: int, n: int) -> str:
    body = f"{n:05d}"
    return f"P{workstation_no}-{body}{luhn_digit(str(workstation_no) + body)}"


def is_provisional(mrn: str, workstation_no: int | None = None) -> bool:
    m = _PROVISIONAL.match(mrn)
    if m is None:
        return False
    digits = m.group(1) + m.group(2)
    if luhn_digit(digits[:-1]) != digits[-1]:
        return False
    return workstation_no is None or int(m.group(1)) == workstation_no


def take_mrn(conn: Connection) -> str | None:
    """The next MRN on a networked PC (from a block, else provisional); None when stand-alone."""
    state = sync_sql.state(conn)
    if state is None:
        return None
    while (n := sync_sql.take_block_number(conn)) is not None:
        mrn = make_mrn(n)
        if sync_sql.patient_id_with_mrn(conn, mrn) is None:
            return mrn
    while True:
        mrn = provisional_mrn(state.workstation_no, sync_sql.next_provisional_no(conn))
        if sync_sql.patient_id_with_mrn(conn, mrn) is None:
            return mrn


def take_block_mrn(conn: Connection) -> str | None:
    """A number from a block only (to confirm a provisional MRN), or None if none is left."""
    while (n := sync_sql.take_block_number(conn)) is not None:
        mrn = make_mrn(n)
        if sync_sql.patient_id_with_mrn(conn, mrn) is None:
            return mrn
    return None


def refill_size(conn: Connection) -> int:
    """How many numbers to reserve now: 0, a block, or enough blocks to confirm every
    provisional MRN (a big import offline) and still keep ``REFILL_BELOW`` in hand."""
    left = sync_sql.block_numbers_left(conn)
    wanted = len(sync_sql.provisional(conn)) + REFILL_BELOW
    if left >= wanted:
        return 0
    blocks = -(-(wanted - left) // BLOCK_SIZE)
    return blocks * BLOCK_SIZE
