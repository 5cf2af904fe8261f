"""What this clinic's date labels mean, learned from the dates clerks accept (issue 10).

The ranking in `scan/docdate.py` is a good default, but clinics differ: one files labs by
the report date, another's hospital prints "Svc Dt" the engine does not know. Each filed
document whose date was among the suggestions says which label the accepted date carried
(its evidence's reason, "collection date", "reported", ...) and, when that was not the top
suggestion, which label the engine wrongly preferred. Those counts, kept encrypted in the
settings table like the type classifier, become a small bonus or malus per label
(`label_weights`), which `docdate.suggest_dates` adds to the label's score.
"""

from __future__ import annotations

import json
from datetime import date

from clinicrecords.clinic.session import Session
from clinicrecords.db import settings_sql
from clinicrecords.db.connection import Connection
from clinicrecords.scan.docdate import reason_of
from clinicrecords.scan.types import Suggestions

DATE_LABELS_KEY = "scan.date_labels"
MAX_WEIGHT = 0.25  # never more than this: a learned label cannot outrank the DOB filter
STRENGTH = 0.3
PRIOR = 4.0  # confirmations it takes before a label moves by half of STRENGTH
STATE_VERSION = 1


def _load(raw: str | None) -> dict[str, dict[str, int]]:
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        state = {}
    if state.get("version") != STATE_VERSION:
        state = {"version": STATE_VERSION}
    for part in ("kept", "chosen", "passed"):
        state.setdefault(part, {})
    return state


def learn_date_label(conn: Connection, suggested: Suggestions, accepted: date | None) -> None:
    """Count the label of the date the clerk filed (and the one passed over), in `conn`'s
    transaction. Dates the engine never offered teach nothing."""
    if accepted is None or not suggested.doc_date:
        return
    value = accepted.isoformat()
    hit = next((v for v in suggested.doc_date if v.value == value), None)
    if hit is None or not hit.evidence:
        return
    state = _load(settings_sql.get(conn, DATE_LABELS_KEY, ""))
    label = reason_of(hit.evidence[0])
    top = suggested.doc_date[0]
    if top.value == value:
        state["kept"][label] = state["kept"].get(label, 0) + 1
    else:
        state["chosen"][label] = state["chosen"].get(label, 0) + 1
        if top.evidence:
            passed = reason_of(top.evidence[0])
            state["passed"][passed] = state["passed"].get(passed, 0) + 1
    settings_sql.put(conn, DATE_LABELS_KEY, json.dumps(state, sort_keys=True))


def weights_from_state(raw: str | None) -> dict[str, float]:
    """Label -> score adjustment: chosen over the engine's pick raises it, passed over
    lowers it; confirmations of the engine's own pick damp both."""
    state = _load(raw)
    labels = set(state["chosen"]) | set(state["passed"])
    out = {}
    for label in labels:
        c = state["chosen"].get(label, 0)
        p = state["passed"].get(label, 0)
        k = state["kept"].get(label, 0)
        w = STRENGTH * (c - p) / (c + p + k + PRIOR)
        if w:
            out[label] = max(-MAX_WEIGHT, min(MAX_WEIGHT, round(w, 4)))
    return out


def label_weights(session: Session) -> dict[str, float]:
    """This clinic's learned label adjustments (read once per pipeline run)."""
    with session.db.read() as conn:
        return weights_from_state(settings_sql.get(conn, DATE_LABELS_KEY, ""))
