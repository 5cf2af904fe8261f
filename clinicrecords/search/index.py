"""`PatientIndex`: the in-memory chart lookup behind the search box and the OCR suggestions.

Shape (chosen by measurement at 200,000 charts with bench/search.py):

* Name words are matched at the **vocabulary** level, not per chart: the distinct folded
  words (~5,000 at 200k synthetic charts) are reached from a typed word by exact lookup, the
  nickname table, a symmetric-deletion neighbourhood (one deletion on the index side, up to
  two on the query side: typos, transpositions, missing letters), metaphone / NYSIIS codes
  (Smyth, Kathryn) and, for the word being typed, a prefix range. Each matched word gets a
  rapidfuzz score once. (Scoring every chart's full name with rapidfuzz instead costs
  45-480 ms per query at 200k and knows no nicknames; without the deletion neighbourhood,
  typo'd-name top-1 falls from ~94 % to 65 %.)
* Each word owns numpy posting arrays of chart slots (family / given / middle). Scores are
  spread onto one float32 array per query word with a vectorised assignment, so a common word
  (thousands of charts) costs microseconds, not a Python loop.
* The best `NAME_POOL` charts by summed word score, plus every chart reached through a typed
  identifier (DOB dict; sorted reversed-MRN and reversed-phone lists for whole values and
  tails), are then scored by `rank`, vectorised over that pool.

Charts with `merged_into` set are kept for `get()` but are not indexed, so search and the
`by_*` lookups never return them; their MRNs live on as the survivor's `aliases`.
"""

from __future__ import annotations

import bisect
import sys
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import jellyfish
import numpy as np

from clinicrecords.common.domain import Patient

from . import rank
from .nicknames import equivalents
from .normalize import name_terms, normalize_mrn, normalize_phone
from .query import IdItem, ParsedQuery, parse_query

NAME_POOL = 500  # charts taken from the name stage into exact ranking
PREFIX_MAX_TERMS = 300  # cap on vocabulary words a partial word may expand to
MIN_PHONE_LOOKUP = 7
FAM, GIV, MID = 0, 1, 2


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: which chart, how well (0..1, best first), and on what."""

    patient_id: int
    score: float
    matched: tuple[str, ...]  # of "name", "dob", "mrn", "phone", "alias"


def _deletes(word: str, depth: int) -> set[str]:
    """All strings reachable from `word` by up to `depth` single-character deletions."""
    out: set[str] = set()
    frontier = {word}
    for _ in range(depth):
        nxt: set[str] = set()
        for w in frontier:
            if len(w) <= 1:
                continue
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out


def _phonetic_keys(word: str) -> tuple[str, ...]:
    if len(word) < 2:
        return ()
    return ("m:" + jellyfish.metaphone(word), "n:" + jellyfish.nysiis(word))


@lru_cache(maxsize=1 << 16)
def _terms(raw: str) -> tuple[str, ...]:
    """`name_terms`, cached: names repeat heavily, so 200k charts share a few thousand tuples
    (saves ~2 s of folding and ~60 MB of duplicate strings at 200k charts)."""
    return tuple(sys.intern(t) for t in name_terms(raw))


def _primary(terms: tuple[str, ...]) -> tuple[str, ...]:
    return terms[:-1] if len(terms) > 1 else terms


class _Entry:
    """What the index remembers about one live chart (derived, folded forms only)."""

    __slots__ = ("patient", "slot", "fam", "giv", "mid", "mrn", "aliases", "prev_fam", "prev_giv")

    def __init__(self, patient: Patient, slot: int) -> None:
        self.patient = patient
        self.slot = slot
        self.fam = _terms(patient.family)
        self.giv = _terms(patient.given)
        self.mid = _terms(patient.middle) if patient.middle else ()
        mrn = normalize_mrn(patient.mrn)
        self.mrn = patient.mrn if mrn == patient.mrn else mrn  # share the string when equal
        self.aliases = (
            tuple(a for a in map(normalize_mrn, patient.aliases) if a) if patient.aliases else ()
        )
        # Previous names (maiden, former legal names): their words find the chart as its own
        # do; kept apart so a hit can say it matched a previous name.
        self.prev_fam: tuple[str, ...] = ()
        self.prev_giv: tuple[str, ...] = ()
        if patient.previous_names:
            self.prev_fam = tuple(
                dict.fromkeys(
                    t for n in patient.previous_names for t in _terms(n.family) if t not in self.fam
                )
            )
            self.prev_giv = tuple(
                dict.fromkeys(
                    t
                    for n in patient.previous_names
                    if n.given
                    for t in _terms(n.given)
                    if t not in self.giv
                )
            )

    def fields(self) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """(field, words) for the postings: the chart's names and its previous names."""
        return ((FAM, self.fam + self.prev_fam), (GIV, self.giv + self.prev_giv), (MID, self.mid))

    @property
    def words(self) -> tuple[str, ...]:
        """Family and given words as written (without the joined multi-part form)."""
        return _primary(self.fam) + _primary(self.giv)

    @property
    def phone(self) -> str:
        """Normalised on demand: only ranked candidates need it (saves ~12 MB at 200k)."""
        return normalize_phone(self.patient.phone)


class _SortedSuffixes:
    """Tails of strings (MRN / phone digits) found by bisecting their reversed forms.

    Two parallel sorted lists use ~15 MB at 200k charts, where a dict of every tail of length
    4..10 would hold over a million keys.
    """

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.ids: list[int] = []

    def bulk(self, pairs: list[tuple[str, int]]) -> None:
        rkeys = [k[::-1] for k, _ in pairs]
        if not rkeys:
            return
        order = np.argsort(np.array(rkeys), kind="stable").tolist()  # ~10x sorted(tuples)
        self.keys = [rkeys[i] for i in order]
        self.ids = [pairs[i][1] for i in order]

    def add(self, key: str, pid: int) -> None:
        if not key:
            return
        rkey = key[::-1]
        pos = bisect.bisect_left(self.keys, rkey)
        self.keys.insert(pos, rkey)
        self.ids.insert(pos, pid)

    def discard(self, key: str, pid: int) -> None:
        if not key:
            return
        rkey = key[::-1]
        pos = bisect.bisect_left(self.keys, rkey)
        while pos < len(self.keys) and self.keys[pos] == rkey:
            if self.ids[pos] == pid:
                del self.keys[pos]
                del self.ids[pos]
                return
            pos += 1

    def exactly(self, key: str) -> list[int]:
        """Ids filed under exactly `key` (whole-MRN lookup without a second dict)."""
        rkey = key[::-1]
        pos = bisect.bisect_left(self.keys, rkey)
        out: list[int] = []
        while pos < len(self.keys) and self.keys[pos] == rkey:
            out.append(self.ids[pos])
            pos += 1
        return out

    def ending_with(self, tail: str, limit: int = 2000) -> list[int]:
        rtail = tail[::-1]
        pos = bisect.bisect_left(self.keys, rtail)
        out: list[int] = []
        while pos < len(self.keys) and self.keys[pos].startswith(rtail) and len(out) < limit:
            out.append(self.ids[pos])
            pos += 1
        return out


class PatientIndex:
    """Thread-safe in-memory index of the registry. `order` ("MDY"/"DMY") reads typed dates."""

    def __init__(self, patients: Iterable[Patient] = (), order: str = "MDY") -> None:
        self._lock = threading.RLock()
        self._order = order
        self._all: dict[int, Patient] = {}  # every chart, merged ones too (for get())
        self._live: dict[int, _Entry] = {}
        self._slot_ids: list[int] = []  # slot -> patient id, -1 once removed
        self._cap = 0
        self._fam_initial = np.zeros(0, np.uint8)
        self._giv_initial = np.zeros(0, np.uint8)
        self._nwords = np.zeros(0, np.uint8)  # family + given words as written, per slot
        self._bufs: list[tuple[np.ndarray, np.ndarray]] = []
        # word -> [family slots, given slots, middle slots] as int32 arrays
        self._post: dict[str, list[np.ndarray]] = {}
        self._vocab: list[str] = []  # sorted, for prefix ranges
        self._del: dict[str, list[str]] = {}  # deletion key -> words
        self._phon: dict[str, list[str]] = {}  # phonetic key -> words
        self._dob: dict[date, list[int]] = {}
        self._mrn_tails = _SortedSuffixes()
        self._phone_tails = _SortedSuffixes()
        self._bulk_load(patients)

    # ----- building -------------------------------------------------------------------

    def _bulk_load(self, patients: Iterable[Patient]) -> None:
        """One pass into flat arrays, then one sort per field: postings for 200k charts in
        well under a second, without a million short-lived Python lists and ints."""
        word_no: dict[str, int] = {}
        pairs = [(array("i"), array("i")) for _ in range(3)]  # per field: word numbers, slots
        mrn_pairs: list[tuple[str, int]] = []
        phone_pairs: list[tuple[str, int]] = []
        fam_init = array("B")
        giv_init = array("B")
        nwords = array("B")
        later: list[Patient] = []
        for p in patients:
            self._all[p.id] = p
            if p.merged_into is not None:
                continue
            if p.id in self._live:  # duplicate id in the input: the last one wins, below
                later.append(p)
                continue
            slot = len(self._slot_ids)
            self._slot_ids.append(p.id)
            e = _Entry(p, slot)
            self._live[p.id] = e
            for field_no, words in e.fields():
                nos, slots = pairs[field_no]
                for w in words:
                    no = word_no.get(w)
                    if no is None:
                        no = word_no[w] = len(word_no)
                    nos.append(no)
                    slots.append(slot)
            fam_init.append(ord(e.fam[0][0]) if e.fam and e.fam[0][0] < "\x80" else 0)
            giv_init.append(ord(e.giv[0][0]) if e.giv and e.giv[0][0] < "\x80" else 0)
            nf, ng = len(e.fam), len(e.giv)  # == len(e.words), without building it
            nwords.append(min(255, nf - (nf > 1) + ng - (ng > 1)))
            lst = self._dob.get(p.dob)
            if lst is None:
                self._dob[p.dob] = [p.id]
            else:
                lst.append(p.id)
            if e.mrn:
                mrn_pairs.append((e.mrn, p.id))
            for m in e.aliases:
                mrn_pairs.append((m, p.id))
            phone = normalize_phone(p.phone)
            if phone:
                phone_pairs.append((phone, p.id))
        self._ensure_capacity(len(self._slot_ids))
        self._fam_initial[: len(fam_init)] = np.frombuffer(fam_init, np.uint8)
        self._giv_initial[: len(giv_init)] = np.frombuffer(giv_init, np.uint8)
        self._nwords[: len(nwords)] = np.frombuffer(nwords, np.uint8)
        words = list(word_no)
        empty = np.zeros(0, np.int32)
        self._post = {w: [empty, empty, empty] for w in words}
        for field_no, (nos, slots) in enumerate(pairs):
            nos_a = np.frombuffer(nos, np.int32)
            slots_a = np.frombuffer(slots, np.int32)
            order = np.argsort(nos_a, kind="stable")
            nos_sorted = nos_a[order]
            slots_sorted = slots_a[order].copy()
            bounds = np.searchsorted(nos_sorted, np.arange(len(words) + 1))
            for no, w in enumerate(words):
                lo, hi = bounds[no], bounds[no + 1]
                if hi > lo:
                    self._post[w][field_no] = slots_sorted[lo:hi]
        for w in words:
            self._add_word_keys(w)
        self._vocab = sorted(words)
        self._mrn_tails.bulk(mrn_pairs)
        self._phone_tails.bulk(phone_pairs)
        for p in later:
            self.upsert(p)

    def _ensure_capacity(self, n: int) -> None:
        if n <= self._cap:
            return
        cap = max(n, self._cap * 2, 1024)
        for attr in ("_fam_initial", "_giv_initial", "_nwords"):
            old = getattr(self, attr)
            new = np.zeros(cap, np.uint8)
            new[: len(old)] = old
            setattr(self, attr, new)
        self._cap = cap

    def _add_word_keys(self, w: str) -> None:
        if len(w) >= 3:
            for key in (w, *_deletes(w, 1)):
                self._del.setdefault(key, []).append(w)
        for key in _phonetic_keys(w):
            self._phon.setdefault(key, []).append(w)

    def _index(self, e: _Entry) -> None:
        slot = e.slot
        for field_no, words in e.fields():
            for w in words:
                post = self._post.get(w)
                if post is None:
                    empty = np.zeros(0, np.int32)
                    post = self._post[w] = [empty, empty, empty]
                    self._add_word_keys(w)
                    bisect.insort(self._vocab, w)
                post[field_no] = np.append(post[field_no], np.int32(slot))
        self._fam_initial[slot] = ord(e.fam[0][0]) if e.fam and e.fam[0][0] < "\x80" else 0
        self._giv_initial[slot] = ord(e.giv[0][0]) if e.giv and e.giv[0][0] < "\x80" else 0
        self._nwords[slot] = min(255, len(e.words))
        p = e.patient
        self._dob.setdefault(p.dob, []).append(p.id)
        for m in (e.mrn, *e.aliases):
            if m:
                self._mrn_tails.add(m, p.id)
        self._phone_tails.add(e.phone, p.id)

    def _unindex(self, e: _Entry) -> None:
        slot = e.slot
        for field_no, words in e.fields():
            for w in words:
                post = self._post[w]
                post[field_no] = post[field_no][post[field_no] != slot]
        self._fam_initial[slot] = 0
        self._giv_initial[slot] = 0
        self._nwords[slot] = 0
        p = e.patient
        _list_discard(self._dob, p.dob, p.id)
        for m in (e.mrn, *e.aliases):
            if m:
                self._mrn_tails.discard(m, p.id)
        self._phone_tails.discard(e.phone, p.id)
        self._slot_ids[slot] = -1

    # ----- public maintenance -----------------------------------------------------------

    def upsert(self, patient: Patient) -> None:
        """Add a new chart or replace an edited one (a merge sets `merged_into`: it vanishes)."""
        with self._lock:
            self._all[patient.id] = patient
            old = self._live.pop(patient.id, None)
            if old is not None:
                self._unindex(old)
            if patient.merged_into is not None:
                return
            if old is not None:  # an edit keeps its slot, so edits never grow the arrays
                slot = old.slot
                self._slot_ids[slot] = patient.id
            else:
                slot = len(self._slot_ids)
                self._slot_ids.append(patient.id)
                self._ensure_capacity(len(self._slot_ids))
            e = _Entry(patient, slot)
            self._live[patient.id] = e
            self._index(e)

    def remove(self, patient_id: int) -> None:
        """Forget a chart entirely (deleted, or merged away and no longer wanted by get())."""
        with self._lock:
            self._all.pop(patient_id, None)
            old = self._live.pop(patient_id, None)
            if old is not None:
                self._unindex(old)

    def get(self, patient_id: int) -> Patient | None:
        with self._lock:
            return self._all.get(patient_id)

    def __len__(self) -> int:
        """Number of searchable (not merged-away) charts."""
        with self._lock:
            return len(self._live)

    # ----- exact lookups for the OCR suggestion engine ----------------------------------

    def by_mrn(self, mrn: str) -> list[int]:
        """Charts whose MRN or former MRN (alias) is exactly `mrn` (punctuation ignored)."""
        with self._lock:
            return list(dict.fromkeys(self._mrn_tails.exactly(normalize_mrn(mrn))))

    def by_dob(self, dob: date) -> list[int]:
        with self._lock:
            return list(self._dob.get(dob, ()))

    def by_phone(self, digits: str) -> list[int]:
        """Charts whose phone ends with the last >= 7 digits of `digits` (any punctuation)."""
        typed = normalize_phone(digits)
        if len(typed) < MIN_PHONE_LOOKUP:
            return []
        with self._lock:
            out = []
            for pid in self._phone_tails.ending_with(typed[-MIN_PHONE_LOOKUP:]):
                if rank.phone_component(self._live[pid].phone, typed) > 0:
                    out.append(pid)
            return out

    def by_name(self, family: str, given: str, limit: int = 20) -> list[tuple[int, float]]:
        """Charts whose name is like `family` + `given` (typos, nicknames, accents), 0..1."""
        fam_words = [w for w in name_terms(family) if w]
        giv_words = [w for w in name_terms(given) if w]
        if len(fam_words) > 1:
            fam_words = fam_words[:-1]  # the joined form is for the index side only
        if len(giv_words) > 1:
            giv_words = giv_words[:-1]
        q = ParsedQuery(tuple(fam_words + giv_words), len(fam_words) if giv_words else None, ())
        with self._lock:
            hits = self._search_parsed(q, limit, partial=False)
        return [(h.patient_id, h.score) for h in hits]

    # ----- search -----------------------------------------------------------------------

    def search(
        self, query: str, limit: int = 20, today: date | None = None, order: str | None = None
    ) -> list[SearchHit]:
        """Ranked charts for a search-box string (names, DOB, MRN, phone in any mix).

        ``order`` ("MDY"/"DMY") reads a typed date; the clinic's setting can change while the
        index lives, so the caller passes it with each query (default: the index's own)."""
        parsed = parse_query(query, order or self._order, today)
        if parsed.empty:
            return []
        with self._lock:
            return self._search_parsed(parsed, limit, partial=parsed.last_partial)

    def _match_words(self, q: str, prefix: bool) -> dict[str, float]:
        """Vocabulary words a typed word may stand for, each with its likeness 0..1."""
        out: dict[str, float] = {}
        post = self._post
        if q in post:
            out[q] = 1.0
        for nick, strength in equivalents(q).items():
            if nick in post:
                out[nick] = max(out.get(nick, 0.0), rank.NICKNAME * strength)
        fuzzy: set[str] = set()
        if len(q) >= 3:
            depth = 2 if 5 <= len(q) <= 15 else 1  # long words: 2 deletions explode
            for key in (q, *_deletes(q, depth)):
                fuzzy.update(self._del.get(key, ()))
        phon: set[str] = set()
        for key in _phonetic_keys(q):
            phon.update(self._phon.get(key, ()))
        for w in fuzzy | phon:
            if w in out and out[w] >= rank.TYPO_CAP:
                continue
            s = rank.term_similarity(q, w, phonetic=w in phon)
            if s >= rank.MIN_TERM and s > out.get(w, 0.0):
                out[w] = s
        if prefix and len(q) >= 2:
            pos = bisect.bisect_left(self._vocab, q)
            end = min(len(self._vocab), pos + PREFIX_MAX_TERMS)
            for i in range(pos, end):
                w = self._vocab[i]
                if not w.startswith(q):
                    break
                if w != q:
                    out[w] = max(out.get(w, 0.0), rank.prefix_similarity(q, w))
        return out

    def _word_arrays(self, q: str, prefix: bool, n: int, buf: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-slot (family, given-or-middle) likeness of every chart to typed word `q`.

        Written into buffers kept between searches (`buf` picks the pair): zeroing 800 kB
        that is already mapped costs a fraction of fresh allocation's page faults.
        """
        while len(self._bufs) <= buf:
            self._bufs.append((np.zeros(0, np.float32), np.zeros(0, np.float32)))
        fam, giv = self._bufs[buf]
        if len(fam) < n:
            fam = np.zeros(max(n, self._cap), np.float32)
            giv = np.zeros(max(n, self._cap), np.float32)
            self._bufs[buf] = (fam, giv)
        fam = fam[:n]
        giv = giv[:n]
        fam.fill(0.0)
        giv.fill(0.0)
        if len(q) == 1:
            c = ord(q)
            fam[self._fam_initial[:n] == c] = rank.INITIAL_FAMILY
            giv[self._giv_initial[:n] == c] = rank.INITIAL_GIVEN
            return fam, giv
        matches = sorted(self._match_words(q, prefix).items(), key=lambda kv: kv[1])
        mid_pairs = []
        for w, s in matches:  # ascending: a better word overwrites a worse one
            f, g, m = self._post[w]
            if f.size:
                fam[f] = s
            if g.size:
                giv[g] = s
            if m.size:
                mid_pairs.append((m, s * rank.MIDDLE_FACTOR))
        for m, s in mid_pairs:
            giv[m] = np.maximum(giv[m], s)
        return fam, giv

    def _search_parsed(self, q: ParsedQuery, limit: int, partial: bool) -> list[SearchHit]:
        """Name stage in numpy over all charts, then exact scores for a few hundred.

        Everything per-chart is vectorised over the pool; Python touches charts only for
        typed identifiers (a handful of DOB / MRN / phone matches) and for the final hits.
        """
        n = len(self._slot_ids)
        fams: list[np.ndarray] = []
        givs: list[np.ndarray] = []
        pool: set[int] = set()  # slots
        if q.names:
            last = len(q.names) - 1
            for i, word in enumerate(q.names):
                f, g = self._word_arrays(word, prefix=partial and i == last, n=n, buf=i)
                fams.append(f)
                givs.append(g)
            total = np.maximum(fams[0], givs[0])
            for f, g in zip(fams[1:], givs[1:], strict=True):
                total += np.maximum(f, g)
            # (total > 0) first: argpartition over 200k mostly-equal zeros is ~8 ms, this ~0.2.
            top = np.flatnonzero(total > 0)
            if len(top) > NAME_POOL:
                top = top[np.argpartition(total[top], -NAME_POOL)[-NAME_POOL:]]
            pool.update(top.tolist())
        # slot -> per-item (score, kinds) for charts reached through a typed identifier
        item_hits: list[dict[int, tuple[float, tuple[str, ...]]]] = []
        for item in q.items:
            found: dict[int, tuple[float, tuple[str, ...]]] = {}
            for pid in self._item_candidates(item):
                e = self._live[pid]
                if e.slot not in found:
                    found[e.slot] = self._item_score(e, item)
            item_hits.append(found)
            pool.update(found)
        if not pool:
            return []
        slots = np.fromiter(pool, np.int64, len(pool))
        m = len(slots)
        score = np.zeros(m)
        name = np.zeros(m)
        if q.names:
            fam_m = np.stack([f[slots] for f in fams])
            giv_m = np.stack([g[slots] for g in givs])
            name = rank.name_scores(fam_m, giv_m, q.family_count)
            exact = ((fam_m >= 1.0) | (giv_m >= 1.0)).sum(axis=0)
            name *= rank.coverage_factors(exact, self._nwords[slots])
            score += name
        slot_list = slots.tolist()
        item_scores = []
        for item, found in zip(q.items, item_hits, strict=True):
            col = np.zeros(m)
            for j, slot in enumerate(slot_list):
                hit = found.get(slot)
                if hit is not None:
                    col[j] = hit[0]
                elif item.dobs or item.year is not None:
                    # Not an exact identifier match: a DOB one slip away or the birth year.
                    e = self._live[self._slot_ids[slot]]
                    col[j] = rank.dob_component(e.patient.dob, item)[0]
            item_scores.append(col)
            score += col
        score /= (1 if q.names else 0) + len(q.items)
        score = np.round(score, 4)
        ids = np.array([self._slot_ids[s] for s in slot_list])
        order = np.lexsort((ids, -score))[:limit]
        hits: list[SearchHit] = []
        for j in order.tolist():
            slot = slot_list[j]
            matched: list[str] = []
            if q.names and name[j] >= rank.NAME_MATCHED:
                matched.append("name")
                kind = self._previous_name_kind(self._live[int(ids[j])], q.names)
                if kind:
                    matched.append(kind)
            for found in item_hits:
                for kind in found.get(slot, (0.0, ()))[1]:
                    if kind not in matched:
                        matched.append(kind)
            hits.append(SearchHit(int(ids[j]), float(score[j]), tuple(matched)))
        return hits

    @staticmethod
    def _previous_name_kind(e: _Entry, words: tuple[str, ...]) -> str:
        """ "maiden name" (or "previous name", "alias") when the typed name found this chart
        through a previous name and not through its own: the clerk is told why it is listed."""
        if not e.prev_fam and not e.prev_giv:
            return ""
        typed = {t for w in words for t in name_terms(w)}
        if typed & set(e.fam) and (not e.prev_giv or typed & set(e.giv)):
            return ""
        for n in e.patient.previous_names:
            if typed & set(_terms(n.family)) or (n.given and typed & set(_terms(n.given))):
                return n.label
        return ""

    def _item_candidates(self, item: IdItem) -> Iterable[int]:
        for cand in item.dobs:
            yield from self._dob.get(cand.value, ())
        if len(item.mrn) >= 4:
            yield from self._mrn_tails.ending_with(item.mrn, limit=500)
        if len(item.phone) >= 4:
            yield from self._phone_tails.ending_with(item.phone[-MIN_PHONE_LOOKUP:], limit=500)

    @staticmethod
    def _item_score(e: _Entry, item: IdItem) -> tuple[float, tuple[str, ...]]:
        """Best reading of one typed identifier against a chart, and what it matched."""
        best, kinds = 0.0, ()
        if item.dobs or item.year is not None:
            s, exact = rank.dob_component(e.patient.dob, item)
            if s > best:
                best, kinds = s, (("dob",) if exact else ())
        if item.mrn:
            s, kind = rank.mrn_component(e.mrn, e.aliases, item.mrn)
            if s > best:
                best, kinds = s, (kind,)
        if item.phone:
            s = rank.phone_component(e.phone, item.phone)
            if s > best:
                best, kinds = s, ("phone",)
        return best, kinds


def _list_discard(d: dict, key: object, pid: int) -> None:
    lst = d.get(key)
    if lst is None:
        return
    try:
        lst.remove(pid)
    except ValueError:
        return
    if not lst:
        del d[key]
