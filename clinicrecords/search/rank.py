"""Scores: how alike two name words are, how well a chart fits a whole query.

Scale (all 0..1). A query is a set of parts: the name (all name words together) and each
typed identifier. Each part scores 0..1 against a chart and the chart's score is their mean.
Identifier weights are set so that **an exactly matching DOB outranks a closer name with a
different DOB**: with a name and a DOB typed, a chart with the DOB and a typo'd name (name
>= ~0.5) beats a chart with the perfect name and another DOB, which gets at most `DOB_NEAR`
for a DOB one keying slip away. Exact MRN and full phone are worth as much as an exact DOB.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler

from clinicrecords.common.dates import is_near

from .query import IdItem

# Name-word similarity levels.
NICKNAME = 0.9  # Bill ~ William: as good as a one-letter typo in a long name
PHONETIC_FLOOR = 0.8  # Smyth ~ Smith (same metaphone / NYSIIS code)
TYPO_CAP = 0.95  # any non-identical spelling scales below an exact word
MIN_TERM = 0.62  # weaker word likenesses are noise at 200k charts
INITIAL_GIVEN = 0.7  # "Smith, J"
INITIAL_FAMILY = 0.55
MIDDLE_FACTOR = 0.85  # a word matching the middle name rather than the given name

# Identifier levels.
DOB_NEAR = 0.35  # DOB one digit / one swap away: still evidence, never a match
YEAR_ONLY = 0.5
MRN_ALIAS = 0.97
PHONE_FULL_DIGITS = 10
MRN_LONG_TAIL_EDGE = 0.02
NAME_MATCHED = 0.6  # a name scoring at least this is reported as matched
COVERAGE_WEIGHT = 0.04  # see coverage_factors


def term_similarity(query: str, term: str, phonetic: bool = False) -> float:
    """Likeness of two folded name words: edit distance (transpositions count once) blended
    with Jaro-Winkler (kind to shared beginnings, typical of typed-in-a-hurry names)."""
    if query == term:
        return 1.0
    longest = max(len(query), len(term))
    edit = 1.0 - OSA.distance(query, term) / longest
    score = 0.5 * edit + 0.5 * JaroWinkler.similarity(query, term)
    if phonetic and score >= 0.6:
        score = min(1.0, max(score, PHONETIC_FLOOR) + 0.05)
    return score * TYPO_CAP  # scaled, not capped: keeps "stevn" nearer Steven than Stevan


def prefix_similarity(query: str, term: str) -> float:
    """A word still being typed (`smi` for `smith`): better the more of it is there."""
    return 0.5 + 0.4 * len(query) / len(term)


def name_scores(fam: np.ndarray, giv: np.ndarray, family_count: int | None) -> np.ndarray:
    """Best reading of the query words as family/given words of each chart (0..1).

    `fam[i, j]`, `giv[i, j]`: how well query word i matches chart j's family / given (or
    middle) name. With "Family, Given" the split is fixed; otherwise each word takes whichever
    side fits, but with two or more words both sides must be used (so "john james" does not
    score a chart on its given name twice): the cheapest word is moved to the other side.
    """
    k = fam.shape[0]
    fam = fam.astype(np.float64)
    giv = giv.astype(np.float64)
    if family_count is not None:
        return (fam[:family_count].sum(axis=0) + giv[family_count:].sum(axis=0)) / k
    if k == 1:
        return np.maximum(fam[0], giv[0])
    diff = fam - giv
    total = np.maximum(fam, giv).sum(axis=0)
    all_fam = (diff >= 0).all(axis=0)
    all_giv = (diff < 0).all(axis=0)
    total -= np.where(all_fam, diff.min(axis=0), 0.0)
    total -= np.where(all_giv, (-diff).min(axis=0), 0.0)
    return total / k


def coverage_factors(exact_words: np.ndarray, chart_words: np.ndarray) -> np.ndarray:
    """Slight preference for the chart whose whole name was typed: `Morales` should put
    Jennifer Morales above Jennifer Lopez-Morales (at most `COVERAGE_WEIGHT` apart).

    From counts: typed words that matched a chart word exactly, and the chart's number of
    family + given words as written."""
    frac = np.minimum(1.0, exact_words / np.maximum(chart_words, 1))
    return 1.0 - COVERAGE_WEIGHT * (1.0 - frac)


def dob_component(dob: date, item: IdItem) -> tuple[float, bool]:
    """(score, exact) of a chart's DOB against the date readings of one typed item."""
    best, exact = 0.0, False
    for cand in item.dobs:
        if cand.value == dob:
            if cand.weight > best or not exact:
                best, exact = max(best, cand.weight), True
        elif not exact and is_near(cand.value, dob):
            best = max(best, DOB_NEAR * cand.weight)
    if item.year is not None and dob.year == item.year:
        best = max(best, YEAR_ONLY)
    return best, exact


def mrn_component(mrn_norm: str, aliases_norm: tuple[str, ...], text: str) -> tuple[float, str]:
    """(score, "mrn"/"alias"/"") for a typed MRN or MRN tail (>= 4 characters)."""
    if not text:
        return 0.0, ""
    if text == mrn_norm:
        return 1.0, "mrn"
    if text in aliases_norm:
        return MRN_ALIAS, "alias"
    if mrn_norm.endswith(text):
        # Six or more bare digits are more often an MRN read off a label than a phone tail
        # (phones are typed whole, or as the "last four"): a slight edge breaks the tie.
        edge = MRN_LONG_TAIL_EDGE if len(text) >= 6 else 0.0
        return min(0.99, _tail_score(text) + edge), "mrn"
    for alias in aliases_norm:
        if alias.endswith(text):
            return 0.95 * _tail_score(text), "alias"
    return 0.0, ""


def _tail_score(typed: str) -> float:
    """The last n digits of an MRN or a phone number are worth the same: "Lopez 8966" is
    as likely a phone tail as an MRN tail, so neither kind of match may win by default."""
    return 0.5 + 0.5 * min(len(typed), PHONE_FULL_DIGITS) / PHONE_FULL_DIGITS


def phone_component(phone_digits: str, typed: str) -> float:
    """Score of a typed phone tail (>= 4 digits, any punctuation) against a chart's phone."""
    if len(typed) < 4 or len(phone_digits) < 4:
        return 0.0
    if phone_digits.endswith(typed) or (len(phone_digits) >= 7 and typed.endswith(phone_digits)):
        if len(typed) >= len(phone_digits) >= PHONE_FULL_DIGITS:
            return 1.0
        return _tail_score(typed[-len(phone_digits) :])
    return 0.0
