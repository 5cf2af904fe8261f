"""The recovery sheet printed at set-up: what a clinic needs to open its records on a new PC.

It holds the recovery key (the master key itself, grouped for reading). Whoever holds this
sheet and a copy of the data can read every record, so it is printed once and kept locked away,
like the key to the paper-records room.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from clinicrecords.timeutil import utc_now


def write_recovery_sheet(path: Path, clinic_name: str, store_id: str, recovery_key: str) -> Path:
    c = canvas.Canvas(str(path), pagesize=letter)
    c.setTitle("ClinicRecords recovery sheet")
    w, h = letter
    y = h - inch
    c.setFont("Helvetica-Bold", 20)
    c.drawString(inch, y, "ClinicRecords recovery sheet")
    y -= 0.4 * inch
    c.setFont("Helvetica", 11)
    for line in (
        f"Clinic: {clinic_name}",
        f"Store ID: {store_id}",
        f"Printed: {utc_now()}",
    ):
        c.drawString(inch, y, line)
        y -= 0.25 * inch
    y -= 0.2 * inch
    c.setFont("Helvetica-Bold", 13)
    c.drawString(inch, y, "Recovery key")
    y -= 0.35 * inch
    groups = recovery_key.split("-")
    c.setFont("Courier-Bold", 16)
    for i in range(0, len(groups), 6):
        c.drawString(inch, y, "  ".join(groups[i : i + 6]))
        y -= 0.32 * inch
    y -= 0.2 * inch
    c.setFont("Helvetica", 10.5)
    text = [
        "Keep this sheet locked away (a safe, or with the practice's legal papers), never beside the PC.",
        "Anyone holding it and a copy of the records can read every chart.",
        "",
        "You need it when:",
        "  - the key file (keyfile.json) in the data folder is lost or damaged, or",
        "  - nobody remembers the recovery passphrase.",
        "",
        "To use it, on the clinic PC run:",
        "  clinicrecords key recover",
        "and type the recovery key when asked; then choose a new recovery passphrase.",
        "",
        "Also keep safe: the recovery passphrase chosen at set-up (it opens the store on a new PC",
        "or from a backup), and regular backups on a drive kept away from the clinic PC.",
    ]
    for line in text:
        c.drawString(inch, y, line)
        y -= 0.22 * inch
    c.setFont("Helvetica-Oblique", 8)
    c.drawString(inch, 0.6 * inch, "CONFIDENTIAL: security material for the clinic's records.")
    c.showPage()
    c.save()
    return path
