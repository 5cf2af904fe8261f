"""Accounting of disclosures (45 CFR 164.528): what a patient may ask to see.

Every sent release is kept in the `disclosures` table. The patient's legal accounting covers
the six years before the request and leaves out what 164.528(a)(1) exempts; `rules.BASES`
records, per legal basis, whether a disclosure is in it:

- excluded: (i) treatment, payment, health-care operations; (ii) to the patient themself;
  (iv) under the patient's signed authorization;
- included: the 164.512 disclosures made without the patient's authorization (required by
  law, public health, health oversight, court orders and subpoenas, law enforcement,
  research under a waiver).

The JSON always lists every disclosure in the period with `in_accounting` saying which rows
the legal accounting holds; the PDF shows only those unless `include_all` is asked for (an
internal review, or a clinic whose policy is to show patients everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clinicrecords.clinic.session import Session
from clinicrecords.common import pdftext
from clinicrecords.common.errors import NotFound
from clinicrecords.common.timeutil import today
from clinicrecords.db import release as sql
from clinicrecords.db.patients import get as get_patient_row
from clinicrecords.release import rules
from clinicrecords.release.model import Disclosure


@dataclass(frozen=True, slots=True)
class AccountingReport:
    patient_id: int
    mrn: str
    patient_name: str
    patient_dob: date
    since: date
    until: date
    include_all: bool
    disclosures: tuple[Disclosure, ...]  # every disclosure in the period

    @property
    def shown(self) -> tuple[Disclosure, ...]:
        """The rows the report prints: the legal accounting, or everything when asked."""
        if self.include_all:
            return self.disclosures
        return tuple(d for d in self.disclosures if d.in_accounting)

    def to_json(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "mrn": self.mrn,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "all": self.include_all,
            "accounting_count": sum(1 for d in self.disclosures if d.in_accounting),
            "disclosures": [d.to_json() for d in self.disclosures],
        }


def accounting(
    session: Session, patient_id: int, include_all: bool = False, on: date | None = None
) -> AccountingReport:
    """The patient's accounting of disclosures for the six years before `on` (today)."""
    session.require("release.read")
    on = on or today()
    since = rules.accounting_since(on)
    with session.db.read() as conn:
        patient = get_patient_row(conn, patient_id)
        if patient is None:
            raise NotFound("That chart does not exist.")
        rows = sql.disclosures_for_patient(conn, patient_id, since.isoformat())
    session.audit("release.accounting", "patient", patient_id, all=include_all)
    items = tuple(
        Disclosure(
            id=r["id"],
            request_code=r["code"],
            disclosed_on=date.fromisoformat(r["disclosed_on"]),
            recipient=r["recipient"],
            recipient_address=r["recipient_address"],
            purpose=r["purpose"],
            basis=r["basis"],
            description=r["description"],
            pages=r["pages"],
            in_accounting=bool(r["in_accounting"]),
        )
        for r in rows
        if r["disclosed_on"] <= on.isoformat()
    )
    return AccountingReport(
        patient_id, patient.mrn, patient.display_name, patient.dob, since, on, include_all, items
    )


def write_accounting_pdf(report: AccountingReport, out: BinaryIO | Path, clinic_name: str) -> None:
    """A short PDF the clinic can hand to the patient (a few pages at most: ReportLab's
    in-memory layout is fine here, unlike the packet)."""
    pdftext.register_fonts()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2"):
        styles[name].fontName = pdftext.SANS_BOLD
    styles["BodyText"].fontName = pdftext.SANS
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    story: list[Any] = [
        Paragraph(_esc(clinic_name, bold=True) or "Accounting of disclosures", styles["Title"]),
        Paragraph("Accounting of disclosures of health information", styles["Heading2"]),
        Paragraph(
            f"Patient: {_esc(report.patient_name)}, date of birth {report.patient_dob}, "
            f"MRN {_esc(report.mrn)}",
            styles["BodyText"],
        ),
        Paragraph(f"Period: {report.since} to {report.until}", styles["BodyText"]),
        Spacer(1, 8),
        Paragraph(
            "Every disclosure is listed, including those the law does not require in an "
            "accounting (marked 'no')."
            if report.include_all
            else "As 45 CFR 164.528 provides, this accounting leaves out disclosures to you, "
            "for treatment, payment or health care operations, and those you authorized "
            "in writing.",
            small,
        ),
        Spacer(1, 8),
    ]
    heads = ["Date", "Recipient", "Purpose", "What was disclosed", "Pages"]
    if report.include_all:
        heads.append("In accounting")
    head_style = small.clone("small_bold", fontName=pdftext.SANS_BOLD)
    rows: list[list[Any]] = [[Paragraph(_esc(h, bold=True), head_style) for h in heads]]
    for d in report.shown:
        recipient = _esc(d.recipient)
        if d.recipient_address:
            recipient += "<br/>" + _esc(d.recipient_address)
        row = [
            d.disclosed_on.isoformat(),
            Paragraph(recipient, small),
            Paragraph(_esc(d.purpose), small),
            Paragraph(_esc(d.description), small),
            str(d.pages),
        ]
        if report.include_all:
            row.append("yes" if d.in_accounting else "no")
        rows.append(row)
    if len(rows) == 1:
        story.append(Paragraph("No disclosures to report for this period.", styles["BodyText"]))
    else:
        widths = [0.9, 1.7, 1.4, 2.2, 0.5] + ([0.8] if report.include_all else [])
        table = Table(rows, colWidths=[w * inch for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), pdftext.SANS_BOLD, 8),
                    ("FONT", (0, 1), (-1, -1), pdftext.SANS, 8),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        story.append(table)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        pdftext.draw(
            canvas,
            0.75 * inch,
            0.5 * inch,
            "CONFIDENTIAL - protected health information",
            7.5,
            True,
        )
        right = LETTER[0] - 0.75 * inch
        pdftext.draw(canvas, right, 0.5 * inch, f"Page {doc.page}", 7.5, True, align="right")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=LETTER,
        initialFontName=pdftext.SANS,  # else every page names Helvetica
        title="Accounting of disclosures",
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
    )
    with pdftext.subsetting():
        doc.build(story, onFirstPage=footer, onLaterPages=footer)


def _esc(text: str, bold: bool = False) -> str:
    """Text for a ReportLab ``Paragraph``, which parses its input as markup: every string that
    a person or a scan wrote goes through here, or a clinic name with ``<`` stops the report
    and one with ``<b>`` or ``&amp;`` prints as something else than what was typed. Each run
    gets the embedded font that has its glyphs (``pdftext.markup``), so names print as
    written; line breaks become ``<br/>``."""
    return pdftext.markup(text, bold)
