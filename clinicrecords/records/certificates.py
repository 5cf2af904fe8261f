"""The certificate of destruction: the clinic's proof that records were destroyed under its
retention schedule, in the usual form (what, which dates, under which policy, how, by whom,
with a witness line). It names documents by number, chart MRN, type and date, never by a
patient's name or the content of a page: it outlives the records it lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reportlab.lib import colors
from reportlab.platypus import Spacer, Table, TableStyle

from clinicrecords.common import pdfdoc, pdftext
from clinicrecords.common.pdfdoc import labelled, para

if TYPE_CHECKING:
    from clinicrecords.records.retention import DueDocument

TITLE = "Certificate of Destruction"


def certificate_pdf(
    certificate_id: int,
    clinic: str,
    disposed_at: str,
    by: str,
    method: str,
    documents: Sequence[DueDocument],
    date_from: str | None,
    date_to: str | None,
) -> bytes:
    """The certificate as PDF bytes (written to the user's file by the caller)."""
    st = pdfdoc.styles()
    body, small = st["body"], st["small"]
    policies = sorted({d.policy for d in documents})
    pages = sum(d.pages for d in documents)
    story = [
        para(clinic, st["heading"]),
        para(f"{TITLE} No. {certificate_id}", st["title"]),
        labelled(
            "Date of destruction:", f"{disposed_at[:10]} ({disposed_at[11:16]} UTC)", body
        ),
        labelled("Records destroyed:", f"{len(documents)} document(s), {pages} page(s)", body),
        labelled(
            "Dates of service:", f"{date_from or 'undated'} to {date_to or 'undated'}", body
        ),
        para("Retention policy applied:", body, bold=True),
        *[para(p, body, bulletText="\u2022") for p in policies],
        labelled("Method of destruction:", method, body),
        labelled("Destroyed by:", by, body),
        para(
            "No document listed here was under a legal hold or in a release not yet sent "
            "when it was destroyed.", body
        ),
        Spacer(1, 10),
    ]  # fmt: skip
    rows = [["Document", "Chart (MRN)", "Type", "Date of service", "Kept until", "Pages"]]
    for d in documents:
        rows.append(
            [
                str(d.document_id), d.mrn, d.doc_type,
                d.doc_date.isoformat() if d.doc_date else "undated",
                d.keep_until.isoformat(), str(d.pages),
            ]
        )  # fmt: skip
    table = Table(rows, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 1), (-1, -1), pdftext.SANS),
                ("FONT", (0, 0), (-1, 0), pdftext.SANS_BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 28),
        para("Signature of person destroying the records: ______________________  "
             "Date: ____________", body),
        Spacer(1, 20),
        para("Witness (name and signature): ______________________  Date: ____________", body),
        Spacer(1, 14),
        para(
            "Copies of destroyed pages may remain in backups made before this date until those "
            "backups age out of the clinic's backup rotation (see the program's README).", small
        ),
    ]  # fmt: skip
    return pdfdoc.build(story, title=f"{TITLE} {certificate_id}")
