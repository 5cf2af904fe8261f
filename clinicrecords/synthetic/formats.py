"""The many ways a name, a date or an ID is printed on paper that reaches a clinic.

The suggestion engine has to read "SMITH, JOHN A", "John A. Smith" and "Patient: Smith,
John" as the same person and 3/4/67, 03/04/1967 and "March 4, 1967" as the same day, so the
documents use all of these forms. US month/day order throughout.
"""

from __future__ import annotations

import random
from datetime import date

NAME_STYLES = (
    "LAST_FIRST_MI_UPPER",  # SMITH, JOHN A
    "FIRST_MI_LAST",  # John A. Smith
    "LAST_FIRST",  # Smith, John
    "FIRST_LAST",  # John Smith
    "LAST_UPPER_FIRST_MI",  # SMITH, John A.
    "LAST_FIRST_MIDDLE",  # Smith, John Andrew
    "FIRST_LAST_UPPER",  # JOHN SMITH
)
NAME_LABELS = ("Patient:", "Patient Name:", "Name:", "Pt:", "PATIENT:", "Re:", "Member:")

DATE_STYLES = ("mdY", "mdy_short", "iso", "d_Mon_Y", "Month_d_Y", "m-d-Y", "mdY_nopad")
DOB_LABELS = ("DOB:", "Date of Birth:", "Born:", "D.O.B.", "Birth Date:", "DOB")
MRN_LABELS = ("MRN:", "Med Rec #:", "Chart #:", "Patient ID:", "Clinic MRN:", "Chart No.")
OUTSIDE_LABELS = ("MR#:", "Hospital MRN:", "Acct #:", "Visit #:", "Accession #:", "Encounter:")
PHONE_LABELS = ("Phone:", "Tel:", "Home phone:", "Ph:", "Cell:")

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(d: date, style: str) -> str:
    """One date in one of ``DATE_STYLES``."""
    if style == "mdY":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == "mdy_short":
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    if style == "iso":
        return d.isoformat()
    if style == "d_Mon_Y":
        return f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}"
    if style == "Month_d_Y":
        return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"
    if style == "m-d-Y":
        return f"{d.month:02d}-{d.day:02d}-{d.year}"
    if style == "mdY_nopad":
        return f"{d.month}/{d.day}/{d.year}"
    raise ValueError(f"unknown date style {style!r}")


def format_name(family: str, given: str, middle: str, style: str) -> str:
    """A patient name in one of ``NAME_STYLES``; the middle name may shrink to an initial."""
    mi = middle[:1]
    if style == "LAST_FIRST_MI_UPPER":
        return f"{family}, {given}{' ' + mi if mi else ''}".upper()
    if style == "FIRST_MI_LAST":
        return f"{given}{' ' + mi + '.' if mi else ''} {family}"
    if style == "LAST_FIRST":
        return f"{family}, {given}"
    if style == "FIRST_LAST":
        return f"{given} {family}"
    if style == "LAST_UPPER_FIRST_MI":
        return f"{family.upper()}, {given}{' ' + mi + '.' if mi else ''}"
    if style == "LAST_FIRST_MIDDLE":
        return f"{family}, {given}{' ' + middle if middle else ''}"
    if style == "FIRST_LAST_UPPER":
        return f"{given} {family}".upper()
    raise ValueError(f"unknown name style {style!r}")


def pick_date_style(rng: random.Random) -> str:
    return rng.choices(DATE_STYLES, weights=(40, 12, 8, 8, 14, 8, 10))[0]


def person_name(rng: random.Random, surnames: tuple[str, ...], given: tuple[str, ...]) -> str:
    """A clinician or staff name (not a patient): uniform over the top of the tables."""
    return f"{rng.choice(given[:200])} {rng.choice(surnames[:600])}"
