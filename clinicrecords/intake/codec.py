"""Suggestions and OCR words as the JSON kept in the ``pages`` table (and read back)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from clinicrecords.scan.types import (
    Box,
    Evidence,
    PatientSuggestion,
    ScoredValue,
    Suggestions,
    Word,
)


def suggestions_to_json(s: Suggestions, **extra: Any) -> str:
    data = dataclasses.asdict(s)
    data.update(extra)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _evidence(items: Sequence[dict]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            e["kind"],
            e["text"],
            tuple(Box(**b) for b in e.get("boxes", ())),
            e.get("note", ""),
        )
        for e in items
    )


def _scored(items: Sequence[dict]) -> tuple[ScoredValue, ...]:
    return tuple(
        ScoredValue(v["value"], float(v["score"]), _evidence(v.get("evidence", ()))) for v in items
    )


def suggestions_from_json(text: str | None) -> Suggestions:
    if not text:
        return Suggestions()
    d = json.loads(text)
    return Suggestions(
        patient=tuple(
            PatientSuggestion(
                int(p["patient_id"]),
                p["mrn"],
                p["name"],
                p["dob"],
                float(p["score"]),
                _evidence(p.get("evidence", ())),
                p.get("reason", ""),
            )
            for p in d.get("patient", ())
        ),
        doc_type=_scored(d.get("doc_type", ())),
        doc_date=_scored(d.get("doc_date", ())),
        author=_scored(d.get("author", ())),
        facility=_scored(d.get("facility", ())),
    )


def words_json(words: Sequence[Word]) -> str:
    rows = [
        [w.text, w.box.left, w.box.top, w.box.width, w.box.height, round(w.conf, 1), w.line]
        for w in words
    ]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def words_from_json(text: str | None) -> list[Word]:
    if not text:
        return []
    return [
        Word(r[0], Box(r[1], r[2], r[3], r[4]), float(r[5]), 0, int(r[6])) for r in json.loads(text)
    ]


def text_of(words: Sequence[Word]) -> str:
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return "\n".join(" ".join(lines[k]) for k in sorted(lines))
