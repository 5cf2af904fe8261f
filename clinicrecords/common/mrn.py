"""Medical record numbers the clinic assigns: digits with a Luhn check digit.

A check digit catches the commonest keying errors (one wrong digit, two digits swapped), so
a mistyped MRN on an intake form or an OCR misread does not silently name another chart.
"""

from __future__ import annotations


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def make_mrn(number: int, width: int = 7) -> str:
    """MRN for the clinic's n-th chart: zero-padded number plus a check digit."""
    body = str(number).zfill(width)
    return body + luhn_digit(body)


def is_valid_mrn(mrn: str) -> bool:
    return mrn.isdigit() and len(mrn) >= 2 and luhn_digit(mrn[:-1]) == mrn[-1]
