"""Search-box parsing: name folding, nicknames, date-of-birth forms, mixed queries."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.common.dates import date_candidates, is_near
from clinicrecords.search.nicknames import are_equivalent, equivalents, table_size
from clinicrecords.search.normalize import (
    fold,
    name_terms,
    name_tokens,
    normalize_mrn,
    normalize_phone,
)
from clinicrecords.search.query import parse_query

TODAY = date(2026, 6, 1)
D = date(1967, 3, 4)


def parse_dob(text: str, order: str, today: date) -> list:
    """What the search box reads a typed date as: a date of birth, never in the future."""
    return date_candidates(text, order, past_only=True, today=today)


def best(text: str, order: str = "MDY", today: date = TODAY) -> date | None:
    cands = parse_dob(text, order, today)
    return cands[0].value if cands else None


def test_fold_accents_and_special_letters() -> None:
    assert fold("García-López") == "garcia-lopez"
    assert fold("Øster Straße") == "oster strasse"
    assert name_tokens("O'Brien") == ["obrien"]
    assert name_tokens("  DE LA CRUZ ") == ["de", "la", "cruz"]
    assert name_tokens("Иванов 3") == ["иванов"]  # other scripts kept, digits dropped


def test_name_terms_keep_parts_and_joined_form() -> None:
    assert name_terms("Garcia-Lopez") == ("garcia", "lopez", "garcialopez")
    assert name_terms("Smith") == ("smith",)
    assert name_terms("") == ()


def test_mrn_and_phone_normalisation() -> None:
    assert normalize_mrn("00-12 345a") == "0012345A"
    assert normalize_phone("+1 (555) 010-2233") == "5550102233"
    assert normalize_phone("555.010.2233") == "5550102233"


def test_nickname_table() -> None:
    assert table_size() >= 300
    for a, b in [
        ("bill", "william"),
        ("peggy", "margaret"),
        ("bob", "robert"),
        ("liz", "elizabeth"),
        ("jim", "james"),
        ("kate", "katherine"),
        ("kate", "catherine"),
    ]:
        assert are_equivalent(a, b) and are_equivalent(b, a)
    # Jon is John's and Jonathan's; Nathan is only weakly linked through Jonathan.
    assert equivalents("jon")["john"] > equivalents("jon").get("nathan", 0)


@pytest.mark.parametrize(
    "text",
    [
        "3/4/67",
        "03/04/1967",
        "03041967",
        "1967-03-04",
        "19670304",
        "4 Mar 1967",
        "4-mar-67",
        "March 4 1967",
        "Mar 4, 1967",
        "4th March 1967",
        "030467",
        "670304",
        "3.4.1967",
    ],
)
def test_dob_forms(text: str) -> None:
    assert best(text) == D


def test_day_month_order_parameter() -> None:
    assert best("3/4/67", order="DMY") == date(1967, 4, 3)
    # Ambiguous: the stated order first, the swapped reading kept but weaker.
    cands = parse_dob("3/4/67", "MDY", TODAY)
    assert [c.value for c in cands] == [D, date(1967, 4, 3)]
    assert cands[0].weight > cands[1].weight
    # Unambiguous whatever the order says.
    assert best("13/4/1967", order="MDY") == date(1967, 4, 13)
    assert [c.value for c in parse_dob("4/13/1967", "DMY", TODAY)] == [date(1967, 4, 13)]


def test_two_digit_years_never_in_future() -> None:
    assert best("3/4/67") == date(1967, 3, 4)
    assert best("3/4/15") == date(2015, 3, 4)
    assert best("3/4/26") == date(2026, 3, 4)  # earlier this year: a newborn
    assert best("12/4/26") == date(1926, 12, 4)  # later this year: must be 1926
    assert best("3/4/2030") is None
    assert best("not a date") is None
    assert best("2/30/1967") is None


def test_near_dates() -> None:
    assert is_near(D, date(1967, 4, 3))  # day/month swapped
    assert is_near(D, date(1968, 3, 4))  # one digit
    assert is_near(D, date(1976, 3, 4))  # adjacent digits swapped
    assert not is_near(D, date(1980, 7, 9))


def test_mixed_query_split() -> None:
    q = parse_query("Smyth, Jon 3/4/67", today=TODAY)
    assert q.names == ("smyth", "jon") and q.family_count == 1
    assert [c.value for c in q.items[0].dobs][0] == D

    q = parse_query("(555) 010-2233", today=TODAY)
    assert q.names == () and q.items[0].phone == "5550102233"

    q = parse_query("mrn 00123453", today=TODAY)
    assert q.names == () and q.items[0].mrn == "00123453"

    q = parse_query("garcia 4 Mar 1967", today=TODAY)
    assert q.names == ("garcia",) and q.items[0].dobs[0].value == D

    q = parse_query("jon smith", today=TODAY)
    assert q.family_count is None and q.names == ("jon", "smith")

    q = parse_query("Mary May 5-31-1958", today=TODAY)  # month word as family name
    assert q.names == ("mary", "may") and q.items[0].dobs[0].value == date(1958, 5, 31)

    q = parse_query("May Smith", today=TODAY)  # a month name that is a name
    assert q.names == ("may", "smith") and q.items == ()


def test_digit_run_has_every_reading() -> None:
    item = parse_query("03041967", today=TODAY).items[0]
    assert item.dobs[0].value == D and item.mrn == "03041967" and item.phone == "03041967"
    item = parse_query("1967", today=TODAY).items[0]
    assert item.year == 1967 and item.mrn == "1967"
    assert parse_query("12", today=TODAY).empty
