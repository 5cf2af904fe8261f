"""The recovery sheet printed at set-up: what a clinic needs to open its records on a new PC.

It holds the recovery key (the master key itself, grouped for reading). Whoever holds this
sheet and a copy of the data can read every record, so it is printed once and kept locked away,
like the key to the paper-records room.

Because of that it is written only where the person chose (never a default folder, never the
data folder), only to a new file readable by its owner alone, or it goes straight to a printer
from memory (:func:`recovery_sheet_pdf`).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from clinicrecords.common import oscompat, pdftext
from clinicrecords.common.errors import BadInput, cannot_write
from clinicrecords.common.timeutil import utc_now

DEFAULT_NAME = "clinicrecords-recovery-sheet.pdf"
WHAT = "the recovery sheet"
LOCK_AWAY = (
    "Print it now and lock the paper away (a safe, never beside the PC); then delete the file, "
    "or keep the file only on a USB stick that is itself locked away."
)


def sheet_destination(chosen: Path, data_dir: Path, may_replace: bool = False) -> Path:
    """The file the person chose for the sheet (a folder gets the default name), or why not.

    Refuses, without writing anything: anywhere inside the data folder (whoever copies the
    folder would hold the key with the records it opens), a missing folder, and an existing
    file unless ``may_replace`` (a save dialog that already asked): an old sheet is never
    overwritten behind the person's back.
    """
    path = Path(chosen).expanduser()
    if path.is_dir():
        path = path / DEFAULT_NAME
    target = path.resolve()
    home = Path(data_dir).expanduser().resolve()
    if target == home or home in target.parents:
        raise BadInput(
            "The recovery sheet must not be saved in the data folder: whoever copies the folder "
            "would hold the key with the records. Choose another place; nothing was written."
        )
    if not may_replace and (path.exists() or path.is_symlink()):
        raise BadInput(
            "A file of that name already exists where the recovery sheet would go; choose a new "
            "name (an old sheet is never overwritten). Nothing was written."
        )
    if not path.parent.is_dir():
        raise BadInput(
            "The folder chosen for the recovery sheet does not exist. Nothing was written."
        )
    return path


class _SheetFile:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.written = False

    def write(self, payload: bytes) -> None:
        view = memoryview(payload)
        while view:
            view = view[os.write(self.fd, view) :]
        os.fsync(self.fd)
        self.written = True


@contextlib.contextmanager
def reserved_sheet(path: Path, replace: bool = False) -> Iterator[_SheetFile]:
    """Create the sheet's file (owner-only, new) before the key exists; remove it on failure.

    Why first: a place that cannot be written is found before a store is created whose only
    recovery key would then have nowhere to go. With ``replace`` (a save dialog asked), the
    sheet is written beside the old file and takes its place only once complete, so a failure
    leaves the old file as it was.
    """
    target = Path(path)
    work = target.with_name(f".{target.name}.part") if replace else target
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        if replace:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(work)  # a leftover from an earlier failed attempt
        fd = os.open(work, flags, 0o600)
    except OSError as exc:
        raise cannot_write(WHAT, exc) from None
    sheet = _SheetFile(fd)
    try:
        try:
            yield sheet
        finally:
            os.close(fd)
        if replace and sheet.written:
            try:
                oscompat.replace(work, target)
            except OSError as exc:
                raise cannot_write(WHAT, exc) from None
    finally:
        if work != target or not sheet.written:
            with contextlib.suppress(OSError):
                os.unlink(work)


def write_recovery_sheet(
    path: Path, clinic_name: str, store_id: str, recovery_key: str, replace: bool = False
) -> Path:
    """Write the sheet to a file the person chose (see :func:`sheet_destination`)."""
    pdf = recovery_sheet_pdf(clinic_name, store_id, recovery_key)
    with reserved_sheet(path, replace) as sheet:
        try:
            sheet.write(pdf)
        except OSError as exc:
            raise cannot_write(WHAT, exc) from None
    return path


def recovery_sheet_pdf(clinic_name: str, store_id: str, recovery_key: str) -> bytes:
    """The sheet as PDF bytes, held in memory (for a printer, or a file the person chose)."""
    pdftext.register_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, initialFontName=pdftext.SANS)
    c.setTitle("ClinicRecords recovery sheet")
    w, h = letter
    y = h - inch

    def line(text: str, size: float, bold: bool = False, step: float = 0.22 * inch) -> None:
        nonlocal y
        # The clinic's name is as typed (any script); a long one wraps rather than runs off.
        for part in pdftext.wrap(text, size, w - 2 * inch, bold) or [""]:
            pdftext.draw(c, inch, y, part, size, bold)
            y -= step

    line("ClinicRecords recovery sheet", 20, True, 0.4 * inch)
    for text in (f"Clinic: {clinic_name}", f"Store ID: {store_id}", f"Printed: {utc_now()}"):
        line(text, 11, step=0.25 * inch)
    y -= 0.2 * inch
    line("Recovery key", 13, True, 0.35 * inch)
    # Groups sit in fixed columns (the font is not monospaced), six to a row, read aloud.
    groups = recovery_key.split("-")
    column = pdftext.string_width("MMMM", 16, True) + 0.25 * inch
    for i in range(0, len(groups), 6):
        for j, group in enumerate(groups[i : i + 6]):
            pdftext.draw(c, inch + j * column, y, group, 16, True)
        y -= 0.32 * inch
    y -= 0.2 * inch
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
        "Also keep safe: the recovery passphrase chosen at set-up (it opens the store on a new PC "
        "or from a backup), and regular backups on a drive kept away from the clinic PC.",
    ]
    for entry in text:  # each entry is a paragraph, wrapped to the page
        indent = (len(entry) - len(entry.lstrip(" "))) * pdftext.string_width(" ", 10.5)
        for part in pdftext.wrap(entry, 10.5, w - 2 * inch - indent) or [""]:
            pdftext.draw(c, inch + indent, y, part, 10.5)
            y -= 0.22 * inch
    pdftext.draw(
        c, inch, 0.6 * inch, "CONFIDENTIAL: security material for the clinic's records.", 8
    )
    c.showPage()
    with pdftext.subsetting():
        c.save()
    return buf.getvalue()
