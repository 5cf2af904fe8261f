"""The privacy officer's letter to the recipient of a release that included misfiled pages:
return or destroy them. The wording is a plain text template the clinic can reword
(``resources/letters/wrong_party_disclosure.txt``, or its own copy in ``<data dir>/letters/``),
like the release cover letter; this module fills it in and writes a one-page PDF.

Names and addresses are printed as written: the text goes through ``common/pdftext`` like every
PDF we make (embedded DejaVu Sans with a CJK fallback, per run of characters).
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import BinaryIO

from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import get_setting
from clinicrecords.common import pdfdoc
from clinicrecords.common.errors import BadInput
from clinicrecords.common.timeutil import today
from clinicrecords.records.corrections import REVIEW_PERMISSION, get_disclosure_review
from clinicrecords.release.letters import template_text

TEMPLATE = "wrong_party_disclosure.txt"
PLACEHOLDERS = frozenset(
    {
        "today", "request_id", "disclosed_on", "pages", "document", "requester_name",
        "requester_organisation", "requester_address", "clinic_name", "clinic_address",
        "clinic_phone", "privacy_officer",
    }
)  # fmt: skip


def letter_values(session: Session, review_id: int) -> dict[str, str]:
    r = get_disclosure_review(session, review_id)
    name, _, org = r.requester.partition(", ")
    what = r.type_label + (f", dated {r.doc_date}" if r.doc_date else "")
    return {
        "today": today().isoformat(),
        "request_id": r.request_id,
        "disclosed_on": r.disclosed_on or "",
        "pages": str(r.pages),
        "document": what,
        "requester_name": r.extra.get("requester_name") or name,
        "requester_organisation": org,
        "requester_address": r.requester_address,
        "clinic_name": str(get_setting(session, "clinic.name")),
        "clinic_address": str(get_setting(session, "clinic.address")),
        "clinic_phone": str(get_setting(session, "clinic.phone")),
        "privacy_officer": session.user.full_name or session.user.username,
    }


def render(template: str, values: dict[str, str]) -> list[tuple[str, bool]]:
    """(paragraph, bold) pairs; a line made only of empty placeholders is dropped."""
    body = "\n".join(
        line for line in template.splitlines() if not (line == "#" or line.startswith("# "))
    )
    unknown = set(Template(body).get_identifiers()) - PLACEHOLDERS
    if unknown or not Template(body).is_valid():
        raise BadInput(
            "The wrong-party letter template has a placeholder the program does not know: "
            + (", ".join(sorted(unknown)) or "a '$' sign")
            + "."
        )
    filled = {k: values.get(k, "") for k in PLACEHOLDERS}
    out = []
    for raw in body.splitlines():
        bold = raw.startswith("## ")
        piece = Template(raw[3:] if bold else raw)
        text = piece.substitute(filled)
        if piece.get_identifiers() and not text.strip():
            continue
        out.extend((part, bold) for part in text.split("\n"))
    return out


def write_letter(session: Session, review_id: int, out: BinaryIO | Path) -> None:
    """Write the letter for one entry of the privacy officer's list (audited)."""
    session.require(REVIEW_PERMISSION)
    values = letter_values(session, review_id)
    lines = render(template_text(TEMPLATE, getattr(session.store, "data_dir", None)), values)
    story = pdfdoc.letter_story(
        [("## " + text if bold else text) if text.strip() else "" for text, bold in lines],
        pdfdoc.styles()["body"],
    )
    pdfdoc.build(story, out, title="Health information sent in error", margin=1.0)
    session.audit("disclosure_review.letter", "disclosure_review", review_id)
