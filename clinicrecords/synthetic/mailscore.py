"""Scoring suggestions against mail-corpus truth: per-class tallies and the calibration table.

Kept apart from the bench script so tests can check the arithmetic the bench prints
("confident" has to mean what it says: the table shows it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from clinicrecords.scan.types import Suggestions

BUCKET_EDGES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)


@dataclass
class ClassTally:
    """What one class of pages scored (counts; rates are computed when printed)."""

    pages: int = 0
    identifiable: int = 0  # pages whose patient is on file
    patient_top1: int = 0
    date_ok: int = 0
    type_ok: int = 0
    review: int = 0  # no confident patient: a clerk must decide
    confident_wrong: int = 0
    misses: list[str] = field(default_factory=list)

    def add(
        self,
        s: Suggestions,
        patient_mrn: str | None,
        doc_type: str,
        doc_date: str | None,
    ) -> tuple[bool, bool, bool]:
        """Count one page; returns (patient right, date right, type right)."""
        self.pages += 1
        top = s.patient[0].mrn if s.patient else None
        right = patient_mrn is not None and top == patient_mrn
        if patient_mrn is not None:
            self.identifiable += 1
            self.patient_top1 += right
        confident = s.confident_patient
        if confident is None:
            self.review += 1
        elif confident.mrn != patient_mrn:
            self.confident_wrong += 1
        got_date = s.doc_date[0].value if s.doc_date else None
        date_ok = got_date == doc_date
        type_ok = bool(s.doc_type) and s.doc_type[0].value == doc_type
        self.date_ok += date_ok
        self.type_ok += type_ok
        return right, date_ok, type_ok

    def merge(self, other: ClassTally) -> None:
        for name in (
            "pages",
            "identifiable",
            "patient_top1",
            "date_ok",
            "type_ok",
            "review",
            "confident_wrong",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rates(self) -> dict[str, float | int]:
        n = max(1, self.pages)
        return {
            "pages": self.pages,
            "patient_top1": round(self.patient_top1 / max(1, self.identifiable), 3),
            "date": round(self.date_ok / n, 3),
            "type": round(self.type_ok / n, 3),
            "review": round(self.review / n, 3),
            "confident_wrong": self.confident_wrong,
        }


@dataclass(frozen=True, slots=True)
class Bucket:
    low: float
    high: float
    n: int
    correct: int

    @property
    def share(self) -> float | None:
        return round(self.correct / self.n, 3) if self.n else None


def calibration(
    scored: Iterable[tuple[float, bool]], edges: Sequence[float] = BUCKET_EDGES
) -> list[Bucket]:
    """Top-suggestion score bucket -> how many were right: [low, high) per bucket.

    A page with no suggestion at all is scored 0 and counts as not correct."""
    counts = [[0, 0] for _ in range(len(edges) - 1)]
    for score, ok in scored:
        for i in range(len(edges) - 1):
            if edges[i] <= score < edges[i + 1]:
                counts[i][0] += 1
                counts[i][1] += ok
                break
    return [Bucket(edges[i], min(1.0, edges[i + 1]), n, c) for i, (n, c) in enumerate(counts)]


def format_calibration(buckets: list[Bucket]) -> list[str]:
    out = ["score bucket     n  share correct"]
    for b in buckets:
        share = "-" if b.share is None else f"{b.share:.3f}"
        out.append(f"[{b.low:.2f}, {b.high:.2f}) {b.n:5d}  {share}")
    return out
