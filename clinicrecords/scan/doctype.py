"""Document type: keyword rules for a prior, plus a classifier that learns this clinic's paper.

Why a hand-written multinomial naive Bayes and not scikit-learn: the model must learn one
confirmed document at a time (the clerk presses Enter), serialise to a small JSON blob that
the service keeps encrypted in the settings table, and load in milliseconds; counts do all
three. A few dozen confirmations per type is the regime that matters, where NB is as good as
anything heavier, and scikit-learn with SciPy would add ~100 MB to the installer.

How the two parts combine (log-linear, one softmax):

* keywords (resources/doctypes.json, plus a clinic's own types) give each type a logit that
  grows with the log of its summed phrase weights; phrases in the title lines count double;
* each type the clinic has confirmed documents for adds a log-likelihood *ratio* of the page's
  words under that type versus all confirmed documents together. The type's word
  distribution is smoothed toward that background (Dirichlet, `MU`), so a type with one or two
  examples moves the result a little and a type with dozens moves it a lot, and a type never
  confirmed adds exactly nothing: with zero training the result is the keyword rules alone.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from clinicrecords.common.domain import DocType
from clinicrecords.common.resources import resource_file
from clinicrecords.scan.identifiers import Line, boxes, words_text
from clinicrecords.scan.types import Evidence

TITLE_LINES = 6
TITLE_FACTOR = 2.0
OTHER_LOGIT = 1.6  # "other" wins when no keyword says anything
KEYWORD_SCALE = 2.4
# A sensitive type with this much keyword weight gets SENSITIVE_BOOST on top: an HIV or genetic
# result printed as an ordinary lab report must be filed as the sensitive type, or release
# of information would send it out without the specific authorization it needs.
SENSITIVE_MIN_WEIGHT = 3.0
SENSITIVE_BOOST = 2.0
FORMS_NAMING_CATEGORIES = ("roi_authorization", "consent")
LLR_SCALE = 14.0  # per-token mean log-likelihood ratio -> logit
MU = 100.0  # Dirichlet smoothing mass (in tokens) toward the background distribution
MAX_TOKENS = 1500  # of a page, for the learned part: a page's first words carry its type
MAX_VOCAB_PER_TYPE = 4000  # kept per type when serialised
STATE_VERSION = 1

_WORD = re.compile(r"[a-z]{3,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "was",
        "were",
        "are",
        "has",
        "have",
        "had",
        "not",
        "you",
        "your",
        "our",
        "but",
        "all",
        "any",
        "can",
        "may",
        "will",
        "his",
        "her",
        "she",
        "him",
        "they",
        "them",
        "their",
        "there",
        "been",
        "also",
        "per",
        "via",
        "patient",
        "date",
        "name",
        "page",
        "dob",
        "mrn",
        "phone",
        "fax",
    ]
)


def _resource_path() -> Path:
    """resources/doctypes.json, wherever this install keeps its resources."""
    return resource_file("doctypes.json")


@lru_cache(maxsize=1)
def default_taxonomy() -> tuple[DocType, ...]:
    """The built-in document types (DESIGN.md section 5) with their keyword lists."""
    data = json.loads(_resource_path().read_text(encoding="utf-8"))
    return tuple(
        DocType(
            code=t["code"],
            label=t["label"],
            sensitive=bool(t.get("sensitive", False)),
            builtin=True,
            keywords=tuple(k.lower() for k in t.get("keywords", ())),
        )
        for t in data["types"]
    )


def _phrase_weight(phrase: str) -> float:
    """Longer, more specific phrases say more; two- and three-letter tokens say little."""
    n = len(phrase.split())
    weight = 1.0 + 0.75 * (n - 1)
    if n == 1 and len(phrase) <= 3:
        weight = 0.6
    return weight


def _phrase_regex(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    parts = []
    for p in sorted(set(phrases), key=len, reverse=True):
        words = [re.escape(w) for w in re.split(r"[^a-z0-9]+", p) if w]
        if words:
            parts.append(r"\s+".join(words))
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(parts) + r")(?![a-z0-9])")


def _normal(text: str) -> str:
    """Lower case with punctuation as spaces, the form keywords are matched in."""
    return re.sub(r"[^a-z0-9\n]", " ", text.lower())


def _tokens(text: str) -> list[str]:
    """Words for the learned part; title words also count as their own "t:" features."""
    lines = [ln for ln in text.lower().splitlines() if ln.strip()]
    out: list[str] = []
    for i, line in enumerate(lines):
        for w in _WORD.findall(line):
            if w in _STOP:
                continue
            out.append(w)
            if i < TITLE_LINES:
                out.append("t:" + w)
        if len(out) >= MAX_TOKENS:
            break
    return out[:MAX_TOKENS]


class DocTypeClassifier:
    """Keyword prior plus naive Bayes over this clinic's confirmed documents."""

    def __init__(self, taxonomy: tuple[DocType, ...] | list[DocType] | None = None) -> None:
        self.taxonomy = tuple(taxonomy) if taxonomy is not None else default_taxonomy()
        # One alternation over every type's phrases: a page is scanned once, not once per type.
        self._phrases: dict[str, list[tuple[str, float]]] = {}
        for t in self.taxonomy:
            for k in t.keywords:
                phrase = " ".join(w for w in re.split(r"[^a-z0-9]+", k.lower()) if w)
                if phrase:
                    self._phrases.setdefault(phrase, []).append((t.code, _phrase_weight(k)))
        self._regex = _phrase_regex(tuple(self._phrases))
        self._sensitive = {t.code for t in self.taxonomy if t.sensitive}
        self.docs: Counter[str] = Counter()
        self.counts: dict[str, Counter[str]] = {}
        self.totals: Counter[str] = Counter()
        self.background: Counter[str] = Counter()
        self.background_total = 0

    # -- learning ---------------------------------------------------------------------------
    def learn(self, text: str, code: str) -> None:
        """Record one document the clerk confirmed as `code` (any code, a clinic's own too)."""
        tokens = _tokens(text)
        self.docs[code] += 1
        counts = self.counts.setdefault(code, Counter())
        counts.update(tokens)
        self.totals[code] += len(tokens)
        self.background.update(tokens)
        self.background_total += len(tokens)

    @property
    def trained_documents(self) -> int:
        return sum(self.docs.values())

    # -- prediction -------------------------------------------------------------------------
    def keyword_scores(self, text: str) -> dict[str, float]:
        """Summed weight of the distinct keyword phrases of each type found in `text`."""
        norm = _normal(text)
        lines = [ln for ln in norm.splitlines() if ln.strip()]
        title = " \n ".join(lines[:TITLE_LINES])
        body = " \n ".join(lines[TITLE_LINES:])
        found: dict[str, dict[str, float]] = {}
        if self._regex is None:
            return {}
        for part, factor in ((title, TITLE_FACTOR), (body, 1.0)):
            for m in self._regex.finditer(part):
                phrase = " ".join(m.group(0).split())
                for code, weight in self._phrases.get(phrase, ()):
                    hits = found.setdefault(code, {})
                    if weight * factor > hits.get(phrase, 0.0):
                        hits[phrase] = weight * factor
        return {code: sum(hits.values()) for code, hits in found.items()}

    def _llr(self, tokens: list[str]) -> dict[str, float]:
        if not tokens or len(self.docs) < 2 or not self.background_total:
            return {}
        vocab = len(self.background) + 1
        bg = {
            t: (self.background.get(t, 0) + 0.5) / (self.background_total + 0.5 * vocab)
            for t in set(tokens)
        }
        out = {}
        for code, counts in self.counts.items():
            total = self.totals[code]
            acc = 0.0
            for t in tokens:
                p_bg = bg[t]
                p_c = (counts.get(t, 0) + MU * p_bg) / (total + MU)
                acc += math.log(p_c / p_bg)
            out[code] = LLR_SCALE * acc / len(tokens)
        return out

    def predict(self, text: str) -> list[tuple[str, float]]:
        """Every known type with its probability, best first (probabilities sum to 1)."""
        kw = self.keyword_scores(text)
        llr = self._llr(_tokens(text)) if len(self.docs) >= 2 else {}
        codes = [t.code for t in self.taxonomy] + [c for c in self.docs if c not in self._codes()]
        # Authorization and consent forms *name* the sensitive categories without holding any.
        forms = max(kw.get(code, 0.0) for code in FORMS_NAMING_CATEGORIES) + 1e-9
        logits = {}
        for code in codes:
            logit = KEYWORD_SCALE * math.log1p(kw.get(code, 0.0))
            if code == "other":
                logit = max(logit, OTHER_LOGIT)
            elif code in self._sensitive and kw.get(code, 0.0) >= max(SENSITIVE_MIN_WEIGHT, forms):
                logit += SENSITIVE_BOOST
            logits[code] = logit + llr.get(code, 0.0)
        top = max(logits.values())
        exp = {c: math.exp(v - top) for c, v in logits.items()}
        z = sum(exp.values())
        return sorted(((c, e / z) for c, e in exp.items()), key=lambda x: (-x[1], x[0]))

    def _codes(self) -> set[str]:
        return {t.code for t in self.taxonomy}

    # -- evidence ---------------------------------------------------------------------------
    def keyword_evidence(
        self, lines: list[Line], limit: int = 6
    ) -> dict[str, tuple[Evidence, ...]]:
        """For each type, the words on the page that matched its keywords (for highlighting)."""
        out: dict[str, list[Evidence]] = {}
        seen: set[str] = set()
        if self._regex is None:
            return {}
        for line in lines:
            for m in self._regex.finditer(line.lower):
                phrase = " ".join(m.group(0).split())
                if phrase in seen:
                    continue
                seen.add(phrase)
                ws = line.words_in(*m.span())
                ev = Evidence("keyword", words_text(ws), boxes(ws))
                for code, _ in self._phrases.get(phrase, ()):
                    evs = out.setdefault(code, [])
                    if len(evs) < limit:
                        evs.append(ev)
        return {code: tuple(evs) for code, evs in out.items()}

    # -- state ------------------------------------------------------------------------------
    def to_json(self) -> str:
        """The learned state (not the taxonomy), trimmed to the most frequent words per type."""
        counts = {
            code: dict(c.most_common(MAX_VOCAB_PER_TYPE)) for code, c in sorted(self.counts.items())
        }
        return json.dumps(
            {
                "version": STATE_VERSION,
                "docs": dict(self.docs),
                "totals": dict(self.totals),
                "counts": counts,
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(
        cls, data: str, taxonomy: tuple[DocType, ...] | list[DocType] | None = None
    ) -> DocTypeClassifier:
        """A classifier with state saved by `to_json`; an unknown version starts untrained."""
        self = cls(taxonomy)
        state = json.loads(data) if data else {}
        if state.get("version") != STATE_VERSION:
            return self
        self.docs = Counter({k: int(v) for k, v in state.get("docs", {}).items()})
        self.totals = Counter({k: int(v) for k, v in state.get("totals", {}).items()})
        for code, counts in state.get("counts", {}).items():
            self.counts[code] = Counter({k: int(v) for k, v in counts.items()})
            self.background.update(self.counts[code])
        # Totals keep the true token counts (trimmed words count toward the background only
        # through the totals, which keeps probabilities of the kept words right).
        self.background_total = sum(self.totals.values())
        return self
