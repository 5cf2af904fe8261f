"""Which chart a page belongs to: identifiers on the page checked against the registry.

Two directions, for robustness against OCR:

* forward: every identifier read on the page (a valid MRN, a date, a phone, a stated name)
  asks the registry for charts; their union is the candidate set;
* backward: each candidate chart's own identifiers are then looked for on the page (its
  family and given names among the words, its DOB among the dates, ...). A chart is judged
  on what *it* has in common with the page, which works whatever order or case the page uses.

The two-identifier rule (DESIGN.md, "Scan-and-index") decides confidence. An identifier
*discriminates* chart X when it matches X strongly and no other candidate that the page also
points at (one with any other evidence on the page) matches it strongly as well. Twins share
DOB, family name and phone, so those never discriminate between them; a stranger who merely
shares a birthday does not spoil a name + DOB match. A suggestion reaches
`Suggestions.CONFIDENT` only with two discriminating identifiers and nothing on the page
contradicting the chart (a labelled DOB or patient name that is someone else's). Anything
less stays below it and the page goes to the review queue.

Outside record numbers ("MRN: 55-1234", "Acct #") are never looked up unless they pass our
check digit, and even then a number only counts for a chart when it is that chart's MRN.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from rapidfuzz.fuzz import ratio
from rapidfuzz.process import extract

from clinicrecords.common.dates import is_near
from clinicrecords.common.domain import Patient
from clinicrecords.common.mrn import is_valid_mrn
from clinicrecords.scan.identifiers import (
    Line,
    PageIdentifiers,
    _split,
    boxes,
    letters_of,
    words_text,
)
from clinicrecords.scan.slots import OTHER, PATIENT, word_roles
from clinicrecords.scan.types import Evidence, PatientSuggestion, Suggestions, Word
from clinicrecords.search.nicknames import are_equivalent
from clinicrecords.search.normalize import name_tokens, normalize_phone


class PatientRegistry(Protocol):
    """What the matcher needs from the chart index (clinicrecords.search.index.PatientIndex)."""

    def by_mrn(self, mrn: str) -> list[int]: ...

    def by_dob(self, dob: date) -> list[int]: ...

    def by_phone(self, digits: str) -> list[int]: ...

    def by_name(self, family: str, given: str, limit: int = 20) -> list[tuple[int, float]]: ...

    def get(self, patient_id: int) -> Patient | None: ...


# Weight of one identifier in the (non-confident) score: how much it alone says.
STRONG_WEIGHT = {"mrn": 0.6, "name": 0.5, "dob": 0.45, "phone": 0.3}
PARTIAL_WEIGHT = {"mrn": 0.0, "name": 0.18, "dob": 0.15, "phone": 0.1}
BELOW_CONFIDENT = 0.89
MIDDLE_FACTOR = 0.08  # a middle initial that agrees or not: a tie-break, not an identifier
FUZZY_CUTOFF = 0.8  # one wrong letter in a five-letter name
TWIN_SIMILARITY = 0.75  # first names less alike than this are two people, not a misspelling
MIN_SCORE = 0.2
MAX_CANDIDATES = 80
MAX_DATE_QUERIES = 8
MAX_NAME_QUERIES = 4  # each costs a few ms in a 10,000-chart index
MAX_GUESS_QUERIES = 6
DEFAULT_MRN_WIDTH = 8  # make_mrn(width=7) + check digit


@dataclass(slots=True)
class _Token:
    line: int
    pos: int  # word index within the line
    text: str  # letters_of(word)
    word: Word


@dataclass(slots=True)
class _Judgement:
    patient: Patient
    strong: dict[str, Evidence] = field(default_factory=dict)
    partial: dict[str, Evidence] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    name_quality: float = 1.0  # 0..1 likeness of the name match (exact = 1)
    middle: int = 0  # +1 middle name/initial agrees, -1 another initial printed, 0 none
    name_note: str = ""  # "maiden name" when a previous name matched, not the chart's own
    exact_given: str = ""  # the page's given name when it matched the chart's exactly
    in_patient_slot: bool = False  # the name stands in the patient's slot ("Patient:")

    def has_other_than(self, kind: str) -> bool:
        return any(k != kind for k in self.strong) or any(k != kind for k in self.partial)


def _similar(page: str, chart: str) -> float:
    """0..1 likeness of a page token to a chart name part; short names must match exactly."""
    if page == chart:
        return 1.0
    if len(chart) <= 4 or len(page) <= 3:
        return 0.0
    value = ratio(page, chart) / 100.0
    return value if value >= FUZZY_CUTOFF else 0.0


class _PageWords:
    """The page's words as name tokens, indexed so each chart costs one fuzzy scan."""

    def __init__(self, lines: list[Line], roles: dict[tuple[int, int], str] | None = None) -> None:
        self.tokens: list[_Token] = []
        self.by_text: dict[str, list[int]] = {}
        self.by_line: dict[int, list[int]] = {}
        self.roles = roles or {}
        for line in lines:
            for pos, word in enumerate(line.words):
                if self.roles.get((line.index, pos)) == OTHER:
                    continue  # another person's slot: never evidence for a chart
                text = letters_of(word.text)
                if text:
                    self.by_text.setdefault(text, []).append(len(self.tokens))
                    self.by_line.setdefault(line.index, []).append(len(self.tokens))
                    self.tokens.append(_Token(line.index, pos, text, word))
        self.texts = list(self.by_text)

    def like(self, name: str) -> list[tuple[float, int]]:
        """(likeness, token index) of every word that may be `name`."""
        if not name:
            return []
        if len(name) <= 4:
            return [(1.0, i) for i in self.by_text.get(name, ())]
        out = []
        for text, score, _ in extract(
            name, self.texts, scorer=ratio, score_cutoff=FUZZY_CUTOFF * 100, limit=None
        ):
            sim = 1.0 if text == name else (score / 100.0 if len(text) > 3 else 0.0)
            if sim:
                out.extend((sim, i) for i in self.by_text[text])
        return out

    def find(self, parts: list[str]) -> list[tuple[float, list[_Token]]]:
        """Places where a (possibly multi-word) name part stands, with their likeness."""
        if not parts:
            return []
        joined = "".join(parts)
        hits = [(sim, [self.tokens[i]]) for sim, i in self.like(joined)]
        if len(parts) > 1:
            # The parts spread over consecutive words ("De La Cruz"), anchored on the first.
            for _, i in self.like(parts[0]):
                run = self.tokens[i : i + len(parts)]
                if len(run) == len(parts) and all(t.line == run[0].line for t in run):
                    sim = _similar("".join(t.text for t in run), joined)
                    if sim:
                        hits.append((sim, run))
            if not hits:
                # Only the longest part legible: a weaker, family-only kind of hit.
                longest = max(parts, key=len)
                if len(longest) > 4:
                    hits = [(sim * 0.9, [self.tokens[i]]) for sim, i in self.like(longest)]
        return hits


def _near(a: list[_Token], b: list[_Token]) -> bool:
    ta, tb = a[0], b[0]
    if ta.line == tb.line:
        return abs(ta.pos - tb.pos) <= 4
    return abs(ta.line - tb.line) <= 1


SUFFIXES = frozenset(("jr", "sr", "ii", "iii", "iv"))


def _without_suffix(parts: list[str]) -> list[str]:
    return [t for t in parts if t not in SUFFIXES] or parts


def chart_suffix(patient: Patient) -> str:
    """ "jr", "sr", "ii"... when the chart carries one at the end of a name field, else ""."""
    for value in (patient.family, patient.given, patient.middle):
        tokens = name_tokens(value)
        if len(tokens) > 1 and tokens[-1] in SUFFIXES:
            return tokens[-1]
    return ""


def _name_variants(patient: Patient) -> list[tuple[list[str], str, str]]:
    """(family parts, first given name, note) for the chart's name and each previous name."""
    given = _without_suffix(name_tokens(patient.given))
    first = given[0] if given else ""
    out = [(_without_suffix(name_tokens(patient.family)), first, "")]
    for prev in patient.previous_names:
        pg = name_tokens(prev.given) if prev.given else [first]
        out.append((name_tokens(prev.family), pg[0] if pg else first, prev.label))
    return out


def _judge_name(j: _Judgement, page: _PageWords) -> None:
    # (quality, level, tokens, index of the given-name token or -1, note, given)
    best: tuple[float, str, list[_Token], int, str, str] | None = None
    for family, first, note in _name_variants(j.patient):
        found = _best_name(page, family, first)
        if found is None:
            continue
        # The chart's own name wins a tie with a previous name (same words, no note).
        if best is None or found[0] > best[0] + (0.001 if note else 0.0):
            best = (*found, note, first)
    if best is None:
        return
    quality, level, toks, gi, note, first = best
    words = tuple(sorted((t.word for t in toks), key=lambda w: (w.line, w.box.left)))
    ev = Evidence("name", words_text(words), boxes(words), note)
    j.name_quality = quality / 2.0 if level == "full" else quality
    j.name_note = note
    j.in_patient_slot = all(page.roles.get((t.line, t.pos)) == PATIENT for t in toks)
    if level == "full" and quality >= 1.75:
        j.strong["name"] = ev
        j.middle = _middle_agreement(j.patient, page, gi, toks)
        if gi >= 0 and page.tokens[gi].text == first:
            j.exact_given = first
    else:
        j.partial["name"] = ev


def _best_name(
    page: _PageWords, family: list[str], first: str
) -> tuple[float, str, list[_Token], int] | None:
    fam_hits = page.find(family)
    if not fam_hits:
        return None
    given_hits = {i: sim for sim, i in page.like(first)}
    # (quality, level, tokens, index of the given-name token or -1)
    best: tuple[float, str, list[_Token], int] | None = None
    for fsim, ftoks in fam_hits:
        options = [(fsim, "family", ftoks, -1)]
        used = {id(t) for t in ftoks}
        line = ftoks[0].line
        nearby = [i for n in (line - 1, line, line + 1) for i in page.by_line.get(n, ())]
        for i in nearby:
            tok = page.tokens[i]
            if id(tok) in used or not _near(ftoks, [tok]):
                continue
            if i in given_hits:
                options.append((fsim + given_hits[i], "full", [*ftoks, tok], i))
            elif first and are_equivalent(tok.text, first):
                options.append((fsim + 0.5, "nickname", [*ftoks, tok], -1))
            elif first and len(tok.text) == 1 and tok.text == first[0]:
                options.append((fsim + 0.3, "initial", [*ftoks, tok], -1))
        for option in options:
            if best is None or option[0] > best[0]:
                best = option
    return best


def _middle_agreement(patient: Patient, page: _PageWords, gi: int, used: list[_Token]) -> int:
    """+1 when the word after the given name is the chart's middle name or initial, -1 when
    it is another initial, 0 when the page prints none. Ranks "Mary A" above "Mary K" only;
    a middle name is not one of the two identifiers."""
    if gi + 1 >= len(page.tokens):
        return 0
    nxt = page.tokens[gi + 1]
    if nxt.line != page.tokens[gi].line or any(nxt is t for t in used):
        return 0
    middle = name_tokens(patient.middle)
    if not middle:
        return -1 if len(nxt.text) == 1 else 0
    if nxt.text == middle[0] or (len(nxt.text) == 1 and nxt.text == middle[0][0]):
        return 1
    return -1 if len(nxt.text) == 1 else 0


def _judge_dob(j: _Judgement, ids: PageIdentifiers) -> None:
    dob = j.patient.dob
    labelled = [d for d in ids.dates if d.label == "dob"]
    for d in ids.dates:
        if d.label == "stamp":
            continue
        if d.value == dob:
            j.strong["dob"] = Evidence("dob", words_text(d.words), boxes(d.words))
            return
    for d in ids.dates:
        if d.alt == dob or (d.label == "dob" and is_near(d.value, dob)):
            j.partial["dob"] = Evidence("dob", words_text(d.words), boxes(d.words))
            return
    if labelled:
        j.conflicts.append("dob")


def _judge_mrn(j: _Judgement, mrns: dict[str, list[Word]]) -> None:
    own = {m.lstrip("0") for m in (j.patient.mrn, *j.patient.aliases) if m}
    for digits, words in mrns.items():
        if digits.lstrip("0") in own:
            j.strong["mrn"] = Evidence("mrn", words_text(words), boxes(tuple(words)))
            return


def _judge_phone(j: _Judgement, ids: PageIdentifiers) -> None:
    mine = normalize_phone(j.patient.phone)
    if len(mine) != 10:
        return
    for p in ids.phones:
        if p.digits == mine and not p.fax:
            j.strong["phone"] = Evidence("phone", words_text(p.words), boxes(p.words))
            return


def _page_suffix(page: _PageWords, j: _Judgement) -> str:
    """The suffix printed right after (or before a comma of) the chart's name on the page."""
    ev = j.strong.get("name") or j.partial.get("name")
    if ev is None:
        return ""
    last = {id(w) for w in ev.boxes}
    for i, tok in enumerate(page.tokens):
        if id(tok.word.box) in last and i + 1 < len(page.tokens):
            nxt = page.tokens[i + 1]
            if nxt.line == tok.line and nxt.pos == tok.pos + 1 and nxt.text in SUFFIXES:
                return nxt.text
    return ""


def _judge_suffixes(judgements: dict[int, _Judgement], page: _PageWords) -> None:
    """Jr/Sr share the whole name: a printed suffix contradicts the chart that has another
    one, and the chart with none when a look-alike on the page has exactly that one."""
    printed = {pid: _page_suffix(page, j) for pid, j in judgements.items()}
    suffixes = {pid: chart_suffix(j.patient) for pid, j in judgements.items()}
    for pid, j in judgements.items():
        said = printed[pid]
        if not said:
            continue
        own = suffixes[pid]
        if (
            own
            and own != said
            or not own
            and any(o == said for opid, o in suffixes.items() if opid != pid)
        ):
            j.conflicts.append("suffix")


def _judge_name_conflict(j: _Judgement, ids: PageIdentifiers) -> None:
    """A page that names its patient ("Patient: Jane Doe") contradicts a chart it never names,
    and a chart of the same family whose first name is clearly another ("Patient: Luna
    Castellano" for Renata Castellano, a twin, a parent sharing the family name)."""
    if "name" in j.strong:
        return
    labelled = [n for n in ids.names if n.labelled]
    if not labelled:
        return
    if "name" not in j.partial:
        j.conflicts.append("name")
        return
    families = {"".join(name_tokens(j.patient.family)), *(
        "".join(name_tokens(n.family)) for n in j.patient.previous_names
    )}  # fmt: skip
    given = _without_suffix(name_tokens(j.patient.given))
    first = given[0] if given else ""
    readings = [n for n in labelled if n.family.replace(" ", "") in families]
    if readings and all(
        _clearly_different(n.given.split()[0] if n.given else "", first) for n in readings
    ):
        j.conflicts.append("name")


def _our_mrns(ids: PageIdentifiers) -> dict[str, list[Word]]:
    """Numbers on the page that pass our check digit and are not labelled as someone else's."""
    out: dict[str, list[Word]] = {}
    for n in ids.numbers:
        if n.label == "other" or not is_valid_mrn(n.digits):
            continue
        out.setdefault(n.digits, list(n.words))
    return out


def _candidates(
    ids: PageIdentifiers, registry: PatientRegistry, mrns: dict[str, list[Word]]
) -> list[int]:
    found: dict[int, None] = {}

    def add(pids: list[int]) -> None:
        for pid in pids:
            found.setdefault(pid, None)

    for digits in mrns:
        add(registry.by_mrn(digits))
        if len(digits) < DEFAULT_MRN_WIDTH:
            add(registry.by_mrn(digits.zfill(DEFAULT_MRN_WIDTH)))
    seen_dates: set[date] = set()
    for d in sorted(ids.dates, key=lambda d: d.label != "dob"):
        if d.label in ("stamp", "service"):
            continue
        for value in (d.value, d.alt):
            if value is not None and value not in seen_dates and len(seen_dates) < MAX_DATE_QUERIES:
                seen_dates.add(value)
                add(registry.by_dob(value))
    for p in ids.phones[:6]:
        if not p.fax:
            add(registry.by_phone(p.digits))
    # Each stated name was split both ways ("Given Family" first); the second reading is
    # asked only when the first finds nobody, since each question costs a few milliseconds.
    queries = 0
    answered: set[tuple[str, ...]] = set()
    for n in sorted(ids.names, key=lambda n: not n.labelled):
        key = tuple(w.text for w in n.words)
        if key in answered or queries >= MAX_NAME_QUERIES:
            continue
        queries += 1
        hits = [pid for pid, score in registry.by_name(n.family, n.given, limit=10) if score >= 0.5]
        if hits:
            answered.add(key)
            add(hits)
    if not found:
        # Nothing labelled: try capitalised word pairs near the top ("John Smith" on a letter).
        pairs = [
            (a, b)
            for line in ids.lines[:12]
            for a, b in zip(line.words, line.words[1:], strict=False)
            if a.text[:1].isupper()
            and b.text[:1].isupper()
            and len(letters_of(a.text)) > 1
            and len(letters_of(b.text)) > 1
        ]
        for a, b in pairs[:MAX_GUESS_QUERIES]:
            add(
                [
                    pid
                    for pid, s in registry.by_name(letters_of(b.text), letters_of(a.text), limit=5)
                    if s >= 0.8
                ]
            )
    return list(found)[:MAX_CANDIDATES]


def _score(j: _Judgement, discriminating: int) -> float:
    miss = 1.0
    for kind in j.strong:
        weight = STRONG_WEIGHT[kind]
        if kind == "name":
            weight *= j.name_quality**2  # an exact spelling beats a near one (Taylor/Tayylor)
            weight *= 1.0 + MIDDLE_FACTOR * j.middle
        miss *= 1.0 - weight
    for kind in j.partial:
        if kind not in j.strong:
            miss *= 1.0 - PARTIAL_WEIGHT[kind]
    raw = 1.0 - miss
    if j.conflicts:
        return round(raw * 0.35, 3)
    if discriminating >= 2:
        # Confident: 0.9 .. 0.99 by how much more than two identifiers agree.
        return round(min(0.99, 0.9 + 0.09 * max(0.0, (raw - 0.7) / 0.3)), 3)
    return round(min(BELOW_CONFIDENT, raw), 3)


def _only_their_role(ids: PageIdentifiers, roles: dict[tuple[int, int], str]) -> PageIdentifiers:
    """The page's identifiers without those in another person's slot (guarantor, parent,
    physician, cc:): their name, DOB and phone say nothing about the patient."""
    if not roles:
        return ids
    other = {id(ids.lines[li].words[pos]) for (li, pos), role in roles.items() if role == OTHER}

    def mine(words: tuple[Word, ...]) -> bool:
        return not any(id(w) in other for w in words)

    names = []
    for n in ids.names:
        if mine(n.words):
            names.append(n)
            continue
        # "Patient Name: Luna Castellano  Guarantor Name: …" reads "Luna Castellano
        # Guarantor" as one name: keep the words before the other person's label.
        keep = list(itertools.takewhile(lambda w: id(w) not in other, n.words))
        if len(keep) >= 2:
            names.extend(
                c
                for c in _split(keep, ids.lines[n.line], n.labelled)
                if (c.family, c.given) not in {(x.family, x.given) for x in names}
            )
    return PageIdentifiers(
        ids.lines,
        [d for d in ids.dates if mine(d.words)],
        [p for p in ids.phones if mine(p.words)],
        [n for n in ids.numbers if mine(n.words)],
        names,
    )


def _clearly_different(a: str, b: str) -> bool:
    """Two given names no typo or nickname bridges (Anna / Ada: yes; Jon / John: no)."""
    if not a or not b or a == b or are_equivalent(a, b):
        return False
    if a.startswith(b) or b.startswith(a):
        return False
    return ratio(a, b) / 100.0 < TWIN_SIMILARITY


def _explained_look_alike(j: _Judgement, o: _Judgement) -> bool:
    """A twin (same family, DOB, phone) is no rival for a shared identifier when the page
    names *this* chart by its exact first name and the twin's first name is clearly another."""
    if not j.exact_given or "name" in o.strong:
        return False
    theirs = _without_suffix(name_tokens(o.patient.given))
    return bool(theirs) and _clearly_different(j.exact_given, theirs[0])


def _reason(j: _Judgement, kinds: list[str]) -> str:
    """The evidence in words for the index screen: "name + DOB in the patient block"."""
    words = {"mrn": "MRN", "name": j.name_note or "name", "dob": "DOB", "phone": "phone"}
    order = [k for k in ("mrn", "name", "dob", "phone") if k in kinds]
    if not order:
        return ""
    text = " + ".join(words[k] for k in order)
    if "name" in order and j.in_patient_slot:
        text += " in the patient block"
    return text


def match_patients(
    ids: PageIdentifiers, registry: PatientRegistry, limit: int = 5
) -> tuple[PatientSuggestion, ...]:
    """Charts the page may belong to, best first; see the module docstring for the rule."""
    roles = word_roles(ids.lines)
    ids = _only_their_role(ids, roles)
    mrns = _our_mrns(ids)
    pids = _candidates(ids, registry, mrns)
    if not pids:
        return ()
    page = _PageWords(ids.lines, roles)
    judgements: dict[int, _Judgement] = {}
    for pid in pids:
        patient = registry.get(pid)
        if patient is not None and patient.merged_into is not None:
            patient = registry.get(patient.merged_into)
        if patient is None or patient.id in judgements:
            continue
        j = _Judgement(patient)
        _judge_mrn(j, mrns)
        _judge_dob(j, ids)
        _judge_phone(j, ids)
        _judge_name(j, page)
        _judge_name_conflict(j, ids)
        judgements[patient.id] = j
    _judge_suffixes(judgements, page)
    out = []
    for pid, j in judgements.items():
        discriminating = 0
        for kind in j.strong:
            # A rival points at the same identifier, has evidence of its own on the page and
            # is not contradicted by it (a labelled DOB or a suffix that is not its own), nor
            # a twin the page tells apart by an exact, clearly different first name.
            rivals = [
                o
                for opid, o in judgements.items()
                if opid != pid
                and kind in o.strong
                and o.has_other_than(kind)
                and not o.conflicts
                and not _explained_look_alike(j, o)
            ]
            if not rivals:
                discriminating += 1
        score = _score(j, discriminating)
        if score < MIN_SCORE:
            continue
        p = j.patient
        evidence = tuple(j.strong.values()) + tuple(
            ev for k, ev in j.partial.items() if k not in j.strong
        )
        out.append(
            PatientSuggestion(
                p.id,
                p.mrn,
                p.display_name,
                p.dob.isoformat(),
                score,
                evidence,
                _reason(j, list(j.strong) or list(j.partial)),
            )
        )
    out.sort(key=lambda s: (-s.score, s.patient_id))
    # Belt and braces: two suggestions at the confident level means neither is.
    if len(out) > 1 and out[1].score >= Suggestions.CONFIDENT:
        out = [
            PatientSuggestion(
                s.patient_id,
                s.mrn,
                s.name,
                s.dob,
                min(s.score, BELOW_CONFIDENT),
                s.evidence,
                s.reason,
            )
            for s in out
        ]
    return tuple(out[:limit])
