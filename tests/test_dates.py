"""The one date reader (clinicrecords/common/dates.py): forms x day/month order x past only."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.common.dates import (
    DateReading,
    date_candidates,
    date_shapes,
    in_future,
    read_date,
)

TODAY = date(2026, 6, 1)
D = date(1967, 3, 4)
SWAPPED = date(1967, 4, 3)

# (text, reading with order MDY, reading with order DMY): dates in the past, so past_only
# makes no difference to them.
FORMS = [
    ("1967-03-04", D, D),
    ("1967/3/4", D, D),
    ("1967.03.04", D, D),
    ("1967 - 03 - 04", D, D),  # OCR's spaces around separators
    ("3/4/67", D, SWAPPED),
    ("03-04-1967", D, SWAPPED),
    ("3.4.1967", D, SWAPPED),
    ("03 / 04 / 1967", D, SWAPPED),
    (" 3/4/67 ", D, SWAPPED),
    ("4 Mar 1967", D, D),
    ("4-mar-67", D, D),
    ("4th March, 1967", D, D),
    ("4 Mar1967", D, D),
    ("04 MAR. 1967", D, D),
    ("March 4 1967", D, D),
    ("Mar 4, 67", D, D),
    ("mar-04-1967", D, D),
    ("mar 041967", D, D),
    ("Sept 4th 1967", date(1967, 9, 4), date(1967, 9, 4)),
    ("ſep 4 1967", date(1967, 9, 4), date(1967, 9, 4)),  # long s: case-folds to "sep"
    ("03041967", D, SWAPPED),
    ("19670304", D, D),
    ("030467", D, SWAPPED),
    ("670304", D, D),
    ("13/4/1967", date(1967, 4, 13), date(1967, 4, 13)),  # only one reading is a date
    ("4/13/1967", date(1967, 4, 13), date(1967, 4, 13)),
    ("13041967", date(1967, 4, 13), date(1967, 4, 13)),
    ("20240209", date(2024, 2, 9), date(2024, 2, 9)),  # year-first: the only valid reading
]


@pytest.mark.parametrize("past_only", [True, False])
@pytest.mark.parametrize("order", ["MDY", "DMY"])
@pytest.mark.parametrize(("text", "mdy", "dmy"), FORMS)
def test_forms_by_order(text: str, mdy: date, dmy: date, order: str, past_only: bool) -> None:
    expected = mdy if order == "MDY" else dmy
    assert read_date(text, order, past_only=past_only, today=TODAY) == expected


NOT_DATES = [
    "",
    "not a date",
    "3/4",
    "1967",
    "12345",
    "2/30/1967",
    "31/31/1980",
    "13/13/2000",
    "1/2/3/4",
    "3/4-1967",  # two different separators
    "1850-01-01",  # before MIN_YEAR: no chart holds such a date
    "01011850",
    "3/4/67 smith",  # a field holds one date and nothing else
    "²³",  # digits int() refuses
    "March 2019",  # a month, not March 20, 2019
    "Mar1967",  # nor March 19, 1967
]


@pytest.mark.parametrize("past_only", [True, False])
@pytest.mark.parametrize("order", ["MDY", "DMY"])
@pytest.mark.parametrize("text", NOT_DATES)
def test_not_dates(text: str, order: str, past_only: bool) -> None:
    assert read_date(text, order, past_only=past_only, today=TODAY) is None
    assert date_candidates(text, order, past_only=past_only, today=TODAY) == []


# (text, reading when past only, reading otherwise), today = 2026-06-01
FUTURE = [
    ("3/4/2030", None, date(2030, 3, 4)),
    ("2030-03-04", None, date(2030, 3, 4)),
    ("4 Mar 2030", None, date(2030, 3, 4)),
    ("03042030", None, date(2030, 3, 4)),
    # Two-digit years: past only, the latest year that keeps the date on or before today
    # (a DOB); otherwise the latest year not after this one (a page's appointment this winter).
    ("12/4/26", date(1926, 12, 4), date(2026, 12, 4)),
    ("3/4/26", date(2026, 3, 4), date(2026, 3, 4)),
    ("6/1/26", date(2026, 6, 1), date(2026, 6, 1)),  # today is not in the future
    ("6/2/26", date(1926, 6, 2), date(2026, 6, 2)),
    ("3/4/30", date(1930, 3, 4), date(1930, 3, 4)),  # beyond this year: last century's
    ("2/29/00", date(2000, 2, 29), date(2000, 2, 29)),
    ("120426", date(1926, 12, 4), date(2026, 12, 4)),
]


@pytest.mark.parametrize(("text", "past", "any_time"), FUTURE)
def test_past_only(text: str, past: date | None, any_time: date) -> None:
    assert read_date(text, past_only=True, today=TODAY) == past
    assert read_date(text, past_only=False, today=TODAY) == any_time
    assert in_future(text, today=TODAY) == (past is None)


def test_in_future_needs_a_date() -> None:
    assert not in_future("not a date", today=TODAY)
    assert not in_future("3/4/1967", today=TODAY)
    assert in_future("4/3/2030", "DMY", today=TODAY)


@pytest.mark.parametrize(
    ("text", "order", "readings"),
    [
        # Ambiguous: the stated order first, the swapped reading kept but weaker.
        ("3/4/67", "MDY", [(D, 1.0), (SWAPPED, 0.6)]),
        ("3/4/67", "DMY", [(SWAPPED, 1.0), (D, 0.6)]),
        ("4/13/1967", "DMY", [(date(1967, 4, 13), 1.0)]),
        ("3/3/67", "MDY", [(date(1967, 3, 3), 1.0)]),
        ("03041967", "MDY", [(D, 1.0), (SWAPPED, 0.6)]),
        ("19670304", "MDY", [(D, 1.0)]),
        ("030467", "MDY", [(D, 1.0), (SWAPPED, 0.6)]),
        ("670304", "DMY", [(D, 1.0)]),
        # 6 digits read both ways and year-first (weaker still: YYMMDD is rare).
        (
            "010203",
            "MDY",
            [(date(2003, 1, 2), 1.0), (date(2003, 2, 1), 0.6), (date(2001, 2, 3), 0.48)],
        ),
    ],
)
def test_candidates_best_first(text: str, order: str, readings: list) -> None:
    got = date_candidates(text, order, past_only=True, today=TODAY)
    assert [(r.value, round(r.weight, 3)) for r in got] == readings


@pytest.mark.parametrize(
    ("text", "mdy", "dmy"),
    [
        ("3/4/1967", D, SWAPPED),
        ("1967-03-04", D, D),
        ("4 Mar 1967", D, D),
        ("03041967", D, SWAPPED),
        ("19670304", D, D),
        ("13/4/1967", None, date(1967, 4, 13)),  # a file's order is one order
        ("4/13/1967", date(1967, 4, 13), None),
        ("3/4/67", None, None),  # no two-digit years: no clerk sees the century chosen
        ("030467", None, None),
    ],
)
def test_strict(text: str, mdy: date | None, dmy: date | None) -> None:
    assert read_date(text, "MDY", past_only=True, today=TODAY, strict=True) == mdy
    assert read_date(text, "DMY", past_only=True, today=TODAY, strict=True) == dmy


def test_order_is_checked() -> None:
    with pytest.raises(ValueError):
        read_date("3/4/67", "YMD")


def test_shapes_in_running_text() -> None:
    shapes = date_shapes("Mary May 5-31-1958")  # digit shapes first: "May" stays a name
    assert [(s.kind, s.start, s.end) for s in shapes] == [("numeric", 9, 18)]
    text = "seen 4 Mar 2024, due 03/04/2030"
    shapes = date_shapes(text)
    assert [text[s.start : s.end] for s in shapes] == ["03/04/2030", "4 Mar 2024"]
    assert shapes[0].readings("DMY", today=TODAY) == [
        DateReading(date(2030, 4, 3)),
        DateReading(date(2030, 3, 4), 0.6),
    ]
    assert shapes[0].readings("DMY", past_only=True, today=TODAY) == []
    # A garbled date still claims its characters: it is not three numbers.
    assert [s.kind for s in date_shapes("2/30/1967")] == ["numeric"]
    assert date_shapes("555-03-04-67 and 12/3/2024/5") == []
    assert date_shapes("symptoms since March 2019; statement Dec 2024") == []  # months
    assert date_shapes("DOB 03041967") == []
    assert [s.kind for s in date_shapes("DOB 03041967", compact=True)] == ["compact"]


@pytest.mark.parametrize(
    ("text", "order", "reading"),
    [
        ("03/04/2024", "MDY", (date(2024, 3, 4), date(2024, 4, 3))),
        ("03/04/2024", "DMY", (date(2024, 4, 3), date(2024, 3, 4))),
        ("25/03/2024", "MDY", (date(2024, 3, 25), None)),
        ("09/01/2030", "MDY", (date(2030, 9, 1), date(2030, 1, 9))),  # pages print appointments
        ("12/4/26", "MDY", (date(2026, 12, 4), date(2026, 4, 12))),
        ("2/30/2024", "MDY", (None, None)),
        # An 8-digit run is read one way: in the clinic's order, else year-first.
        ("03041967", "MDY", (D, None)),
        ("13041967", "MDY", (None, None)),
        ("13041967", "DMY", (date(1967, 4, 13), None)),
        ("19670304", "DMY", (D, None)),
    ],
)
def test_page_reading(text: str, order: str, reading: tuple) -> None:
    (shape,) = date_shapes(text, compact=True)
    assert shape.page_reading(order, TODAY) == reading
