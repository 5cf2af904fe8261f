"""The certificate of destruction: the clinic's proof that records were destroyed under its
retention schedule, in the usual form (what, which dates, under which policy, how, by whom,
with a witness line). It names documents by number, chart MRN, type and date, never by a
patient's name or the content of a page: it outlives the records it lists."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=LETTER, title=f"{TITLE} {certificate_id}",
        leftMargin=0.8 * inch, rightMargin=0.8 * inch, topMargin=0.8 * inch,
        bottomMargin=0.8 * inch,
    )  # fmt: skip
    policies = sorted({d.policy for d in documents})
    pages = sum(d.pages for d in documents)
    story = [
        Paragraph(escape(clinic), styles["Heading2"]),
        Paragraph(f"{TITLE} No. {certificate_id}", styles["Title"]),
        Paragraph(
            f"<b>Date of destruction:</b> {escape(disposed_at[:10])} "
            f"({escape(disposed_at[11:16])} UTC)", body
        ),
        Paragraph(
            f"<b>Records destroyed:</b> {len(documents)} document(s), {pages} page(s)", body
        ),
        Paragraph(
            f"<b>Dates of service:</b> {escape(date_from or 'undated')} to "
            f"{escape(date_to or 'undated')}", body
        ),
        Paragraph("<b>Retention policy applied:</b>", body),
        *[Paragraph(f"&bull; {escape(p)}", body) for p in policies],
        Paragraph(f"<b>Method of destruction:</b> {escape(method)}", body),
        Paragraph(f"<b>Destroyed by:</b> {escape(by)}", body),
        Paragraph(
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
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 28),
        Paragraph("Signature of person destroying the records: ______________________  "
                  "Date: ____________", body),
        Spacer(1, 20),
        Paragraph("Witness (name and signature): ______________________  Date: ____________",
                  body),
        Spacer(1, 14),
        Paragraph(
            "Copies of destroyed pages may remain in backups made before this date until those "
            "backups age out of the clinic's backup rotation (see the program's README).", small
        ),
    ]  # fmt: skip
    doc.build(story)
    return out.getvalue()
