"""Data passed between the scan steps (load -> cleanup -> OCR -> suggest).

Kept in one small module so that each step can be written and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the page image, in pixels of the image as stored (after cleanup)."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Word:
    """One word Tesseract read, with where it stands: evidence is highlighted from these."""

    text: str
    box: Box
    conf: float  # 0..100 as Tesseract reports it; -1 when unknown
    block: int = 0
    line: int = 0  # a line number unique within the page (block/paragraph/line folded)


@dataclass(frozen=True, slots=True)
class OcrResult:
    text: str
    words: tuple[Word, ...] = field(default_factory=tuple)
    region: Box | None = None  # None: the whole page; else the part that was read
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a suggestion was made: the identifier kind and the words on the page that matched."""

    kind: str  # "mrn", "name", "dob", "phone", "keyword", "date", "barcode", ...
    text: str
    boxes: tuple[Box, ...] = field(default_factory=tuple)
    note: str = ""  # what the match was, in words when the kind alone does not say ("maiden name")


@dataclass(frozen=True, slots=True)
class PatientSuggestion:
    patient_id: int
    mrn: str
    name: str
    dob: str  # YYYY-MM-DD
    score: float  # 0..1; >= 0.9 only under the two-identifier rule
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    reason: str = ""  # the evidence in words: "name + DOB in the patient block"


@dataclass(frozen=True, slots=True)
class ScoredValue:
    value: str  # doc-type code, or a date as YYYY-MM-DD, or an author/facility name
    score: float
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Suggestions:
    patient: tuple[PatientSuggestion, ...] = ()
    doc_type: tuple[ScoredValue, ...] = ()
    doc_date: tuple[ScoredValue, ...] = ()
    author: tuple[ScoredValue, ...] = ()
    facility: tuple[ScoredValue, ...] = ()

    CONFIDENT = 0.9

    @property
    def confident_patient(self) -> PatientSuggestion | None:
        """The one patient the page may be filed to on Enter, or None (review queue)."""
        if self.patient and self.patient[0].score >= self.CONFIDENT:
            return self.patient[0]
        return None
