"""PatientIndex: every search-box form finds the right chart among deliberate look-alikes."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest

from clinicrecords.common.domain import Patient
from clinicrecords.common.mrn import make_mrn
from clinicrecords.search import PatientIndex, SearchHit

TODAY = date(2026, 6, 1)


def _p(pid: int, family: str, given: str, dob: date, **kw: object) -> Patient:
    return Patient(
        id=pid,
        mrn=kw.pop("mrn", make_mrn(pid)),  # type: ignore[arg-type]
        family=family,
        given=given,
        dob=dob,
        phone=kw.pop("phone", f"(555) 01{pid % 10}-{1000 + pid:04d}"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


PATIENTS = [
    _p(1, "Smith", "John", date(1967, 3, 4), middle="Robert"),
    _p(2, "Smith", "Jon", date(1980, 7, 9)),  # closer name to "jon", other DOB
    _p(3, "Smyth", "John", date(1967, 4, 3)),  # swapped DOB look-alike
    _p(4, "Johnson", "William", date(1950, 1, 20)),
    _p(5, "Johnston", "William", date(1950, 1, 20)),  # similar family, same DOB
    _p(6, "García-López", "María", date(1991, 11, 30)),
    _p(7, "O'Brien", "Margaret", date(1944, 2, 14)),
    _p(8, "Nguyen", "Anh", date(2015, 5, 5), phone="555.019.4477"),
    _p(9, "Nguyen", "Binh", date(2015, 5, 5), phone="555.019.4477"),  # twin, same phone
    _p(10, "De la Cruz", "Katherine", date(1972, 9, 12)),
    _p(11, "Catherine", "Smith", date(1999, 1, 1)),  # given/family easily swapped
    _p(12, "Muller", "Hans", date(1960, 6, 6)),
    _p(13, "Müller", "Elizabeth", date(1985, 12, 24)),
    _p(14, "Robertson", "Robert", date(2001, 8, 8), aliases=("00000999",)),
    _p(15, "Robertson", "Bob", date(2001, 8, 9), merged_into=14),  # merged away
    _p(16, "Williams", "Jim", date(1967, 3, 4)),  # shares John Smith's DOB
    _p(17, "Иванов", "Пётр", date(1959, 10, 10)),  # non-Latin script
]


@pytest.fixture(scope="module")
def index() -> PatientIndex:
    return PatientIndex(PATIENTS)


def top(index: PatientIndex, query: str, n: int = 1) -> list[int]:
    return [h.patient_id for h in index.search(query, today=TODAY)[:n]]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("john smith", {1}),
        ("JOHN  SMITH", {1}),
        ("smith, john", {1}),
        ("jhon smith", {1}),  # transposition
        ("john smiht", {1}),
        ("jon smyth 3/4/67", {1}),  # typo + DOB: DOB decides
        ("william jonson", {4}),  # missing letter
        ("bill johnson", {4}),  # nickname
        ("maria garcia lopez", {6}),  # accents + hyphen as two words
        ("garcialopez maria", {6}),
        ("garcia-lopez", {6}),
        ("obrien", {7}),
        ("o'brien peggy", {7}),  # nickname + apostrophe
        ("peggy obrein", {7}),  # nickname + typo
        ("kate de la cruz", {10}),
        ("kathryn de la cruz", {10}),  # edit distance 3: only the phonetic key bridges it
        ("delacruz", {10}),
        ("mueller elizabeth", {13}),  # umlaut written out
        ("muller liz", {13}),
        ("Müller, Hans", {12}),
        ("иванов петр", {17}),
    ],
)
def test_name_forms(index: PatientIndex, query: str, expected: set[int]) -> None:
    assert top(index, query)[0] in expected


@pytest.mark.parametrize(
    "query",
    ["3/4/67", "03/04/1967", "03041967", "1967-03-04", "4 Mar 1967", "March 4 1967"],
)
def test_dob_only_forms(index: PatientIndex, query: str) -> None:
    ids = top(index, query, 2)
    assert set(ids) == {1, 16}


def test_matching_dob_outranks_closer_name(index: PatientIndex) -> None:
    # Patient 2 is literally "Jon Smith" but born 1980; patient 1 (John) has the typed DOB.
    hits = index.search("jon smith 3/4/67", today=TODAY)
    assert hits[0].patient_id == 1
    assert "dob" in hits[0].matched and "name" in hits[0].matched
    ranks = [h.patient_id for h in hits]
    assert ranks.index(1) < ranks.index(2)
    # Swapped-DOB look-alike (Smyth, 4/3/67) comes below the exact DOB.
    assert ranks.index(1) < ranks.index(3)


def test_name_dob_typo_is_top1(index: PatientIndex) -> None:
    assert top(index, "wiliam johnston 01/20/1950") == [5]
    assert top(index, "william johnsen 1950-01-20") == [4]


def test_twins_separated_by_given_name(index: PatientIndex) -> None:
    assert top(index, "binh nguyen 5/5/15") == [9]
    assert top(index, "anh nguyen 05052015") == [8]
    assert set(top(index, "nguyen 5/5/15", 2)) == {8, 9}


def test_mrn_whole_and_tail(index: PatientIndex) -> None:
    mrn = make_mrn(4)
    hits = index.search(mrn, today=TODAY)
    assert hits[0].patient_id == 4 and hits[0].matched == ("mrn",)
    assert top(index, mrn[-5:]) == [4]
    assert top(index, f"MRN: {mrn}") == [4]
    assert 4 in top(index, mrn[-4:], 20)


def test_phone_any_punctuation_and_tail(index: PatientIndex) -> None:
    for q in ("(555) 019-4477", "555-019-4477", "5550194477", "+1 555 019 4477", "019-4477"):
        assert set(top(index, q, 2)) == {8, 9}, q
    assert top(index, "binh 4477") == [9]
    assert index.search("4477", today=TODAY)[0].matched == ("phone",)


def test_alias_finds_surviving_chart_and_merged_hidden(index: PatientIndex) -> None:
    hits = index.search("00000999", today=TODAY)
    assert hits[0].patient_id == 14 and hits[0].matched == ("alias",)
    assert index.by_mrn("00000999") == [14]
    assert 15 not in top(index, "bob robertson", 20)
    assert 15 not in index.by_dob(date(2001, 8, 9))
    assert index.by_mrn(make_mrn(15)) == []
    assert index.get(15) is not None  # still readable by id (audit, merge history)
    assert len(index) == len(PATIENTS) - 1


def test_ambiguous_date_prefers_stated_order(index: PatientIndex) -> None:
    hits = index.search("smith 3/4/67", today=TODAY)
    assert hits[0].patient_id == 1
    # Swapped reading still finds the Smyth chart born 4/3/67, just lower.
    assert 3 in [h.patient_id for h in hits[:5]]
    dmy = PatientIndex(PATIENTS, order="DMY")
    assert dmy.search("smyth 3/4/67", today=TODAY)[0].patient_id == 3


def test_two_digit_year_resolution(index: PatientIndex) -> None:
    assert top(index, "5/5/15") in ([8], [9])
    assert set(top(index, "nguyen 050515", 2)) == {8, 9}


def test_ambiguous_and_empty_inputs(index: PatientIndex) -> None:
    assert index.search("", today=TODAY) == []
    assert index.search("  ,, ", today=TODAY) == []
    assert index.search("zzzzqqq", today=TODAY) == []
    assert index.search("12", today=TODAY) == []
    # A bare year ranks charts born then above others with a similar name.
    assert top(index, "smith 1967") == [1]
    # "Smith, J" -> initial.
    assert top(index, "smith, j", 2)[0] in (1, 2)


def test_scores_are_sorted_and_bounded(index: PatientIndex) -> None:
    hits = index.search("smith", limit=50, today=TODAY)
    assert all(isinstance(h, SearchHit) for h in hits)
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(index.search("smith", limit=2, today=TODAY)) == 2


def test_partial_word_while_typing(index: PatientIndex) -> None:
    assert top(index, "robert")[0] in (14, 1)
    assert top(index, "robertso") == [14]


def test_exact_lookups() -> None:
    index = PatientIndex(PATIENTS)
    assert sorted(index.by_dob(date(1967, 3, 4))) == [1, 16]
    assert index.by_phone("555-019-4477") == [8, 9] or sorted(index.by_phone("5550194477")) == [
        8,
        9,
    ]
    assert sorted(index.by_phone("019 4477")) == [8, 9]
    assert index.by_phone("4477") == []  # fewer than 7 digits: too weak for a page match
    assert index.by_mrn(make_mrn(7)) == [7]
    names = index.by_name("Smith", "Jon")
    assert names[0][0] == 2 and 0 < names[0][1] <= 1
    assert names[1][0] == 1  # John: nickname-equivalent, just below
    assert index.by_name("OBrien", "Peggy")[0][0] == 7


def test_upsert_edit_and_remove() -> None:
    index = PatientIndex(PATIENTS)
    index.upsert(_p(100, "Zebulon", "Quincy", date(1990, 2, 2)))
    assert top(index, "quincy zebulon") == [100]
    index.upsert(replace(index.get(100), family="Xavier"))  # edited chart
    assert top(index, "quincy xavier") == [100]
    assert 100 not in top(index, "zebulon", 5)
    # Merge: the chart disappears from search, survivor gets its MRN as alias.
    old_mrn = index.get(100).mrn
    index.upsert(replace(index.get(100), merged_into=4))
    index.upsert(replace(index.get(4), aliases=(old_mrn,)))
    assert top(index, old_mrn) == [4]
    assert 100 not in top(index, "xavier", 5)
    index.remove(4)
    assert index.get(4) is None and index.by_mrn(old_mrn) == []
    assert 4 not in top(index, "bill johnson", 5)


def test_concurrent_upserts_and_searches() -> None:
    index = PatientIndex(PATIENTS)
    errors: list[BaseException] = []

    def writer(base: int) -> None:
        try:
            for i in range(200):
                index.upsert(_p(base + i, "Parallel", f"Name{i % 7}x", date(2000, 1, 1 + i % 28)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(100):
                index.search("parallel 1/1/2000", today=TODAY)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(b,)) for b in (1000, 2000)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(index) == len(PATIENTS) - 1 + 400


@pytest.mark.parametrize(
    "query,expected",
    [
        ("SMITH JOHN", 1),  # family first without a comma
        ("robert smith 3/4/67", 1),  # middle name + DOB
        ("hans müller", 12),
        ("hans muller", 12),
        ("Jose Smith", None),  # nobody: must not raise
    ],
)
def test_more_orders_and_accents(index: PatientIndex, query: str, expected: int | None) -> None:
    ids = top(index, query)
    if expected is not None:
        assert ids == [expected]


def test_by_name_comma_initial() -> None:
    index = PatientIndex(PATIENTS)
    ids = [pid for pid, _ in index.by_name("Smith", "J", limit=5)]
    assert set(ids[:2]) == {1, 2}
    assert index.by_name("", "") == []


def test_duplicate_ids_in_bulk_load_last_wins() -> None:
    first = _p(500, "Firstname", "Alpha", date(1990, 1, 1))
    index = PatientIndex([*PATIENTS, first, replace(first, family="Secondname")])
    assert top(index, "alpha secondname") == [500]
    assert 500 not in top(index, "firstname", 5)
    assert len(index) == len(PATIENTS)  # 17 live + 1 new - 1 merged
