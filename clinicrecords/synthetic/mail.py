"""Real-looking incoming mail, one page at a time, each with its ground truth (issue 10).

The older corpus (``documents.py``) prints one date that is the answer and an occasional fax
line. Real mail carries many dates (collection and report on a lab, exam and signature on
imaging, admission and discharge on a summary, the letter date, a print footer, the fax
machine's header across the top, a rotated "RECEIVED" stamp, the DOB) and arrives as phone
photos, photocopies, sideways pages and 98-dpi faxes. Each *class* below is a generator of one
kind of page with several layouts; each page then gets a *quality* (``degrade.MAIL_QUALITIES``).

Other modules add their own classes by putting a generator in ``MAIL_CLASSES``::

    from clinicrecords.synthetic.mail import MAIL_CLASSES, MailCtx, MailDoc
    def crowded(ctx: MailCtx) -> MailDoc: ...
    MAIL_CLASSES["crowded"] = crowded

and by listing their module in ``CLASS_MODULES`` (imported by ``mail_pages``), so the bench
picks them up. A generator draws only from ``ctx.rng`` (deterministic for a seed), may add
charts the page needs to the registry (``MailDoc.extra_patients``: a twin, a parent who is a
patient too) and says whose page it is (``patient_mrn``; None when the person is not on file
or the page names nobody). Everything is synthetic.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from clinicrecords.common.dates import date_shapes
from clinicrecords.synthetic.content import BUILDERS, SENDER_KIND, Content, Ctx
from clinicrecords.synthetic.degrade import MAIL_QUALITIES, mail_quality
from clinicrecords.synthetic.documents import (
    CLINIC_NAME,
    _author,
    _facility,
    _salutation,
)
from clinicrecords.synthetic.formats import (
    DOB_LABELS,
    NAME_STYLES,
    format_date,
    format_name,
    pick_date_style,
)
from clinicrecords.synthetic.patients import REFERENCE_DATE, SyntheticPatient, generate_patients
from clinicrecords.synthetic.render import FONTS, PageSpec, Style, layout, rasterise, to_pdf

MAIL_VERSION = 2  # bump when a page's pixels change for a seed (bench caches key on it)
DPI = 200
QUALITY_WEIGHTS = {
    "scan": 30,
    "photo": 15,
    "photocopy": 15,
    "turned": 12,
    "fax_lowres": 15,
    "speckle": 13,
}
FAX_HEADER_RATE = 0.35
PRINT_FOOTER_RATE = 0.3
STAMP_RATE = 0.35
# Modules that register classes of their own (imported once, by ``mail_pages``).
CLASS_MODULES: list[str] = []


@dataclass
class Stamp:
    """A rubber stamp pressed on after printing: drawn on the raster, rotated, in grey."""

    lines: tuple[str, ...]
    angle: float
    ink: int  # grey level 0..255 (red ink scans as mid grey)
    where: tuple[float, float]  # centre, as fractions of the page width and height
    boxed: bool = True


@dataclass
class MailDoc:
    """What a class generator returns: the page to render and its truth."""

    content: Content
    spec: PageSpec
    style: Style
    doc_type: str
    doc_date: date | None
    patient_mrn: str | None
    date_label: str = ""  # the label the right date carries, in words ("collection date")
    layout: str = ""
    stamps: list[Stamp] = field(default_factory=list)
    extra_patients: list[SyntheticPatient] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # anything a class wants scored


@dataclass
class MailPage:
    """One rendered, degraded page and its ground truth."""

    index: int
    mail_class: str
    quality: str
    image: Image.Image
    text: str  # what was printed, lines in reading order (stamps last)
    doc_type: str
    doc_date: date | None
    patient_mrn: str | None
    date_label: str
    layout: str
    extra_patients: list[SyntheticPatient] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class MailCtx:
    """What a generator may use: its own generator, the registry's patients, helpers."""

    rng: random.Random
    patients: Sequence[SyntheticPatient]
    seed: int
    index: int

    def patient(self) -> SyntheticPatient:
        """A chart on file, adults and children alike (not born in the last two months: a
        page dated on the day of birth could not be told from the DOB)."""
        while True:
            p = self.patients[self.rng.randrange(len(self.patients))]
            if p.dob < REFERENCE_DATE - timedelta(days=60):
                return p

    def stranger(self) -> SyntheticPatient:
        """Someone not on file (a patient of another practice): MRNs far from ours."""
        others = generate_patients(
            1, seed=10_000 + self.seed * 7919 + self.index, start_mrn=9_000_000
        )
        return others[0]

    def service_date(self, p: SyntheticPatient) -> date:
        """A date of care within the last few years and after the patient's birth."""
        start = max(p.dob + timedelta(days=30), REFERENCE_DATE - timedelta(days=365 * 4))
        end = REFERENCE_DATE - timedelta(days=45)
        if start >= end:  # a newborn: any day since the birth
            start, end = p.dob + timedelta(days=1), REFERENCE_DATE
        span = max(1, (end - start).days)
        return start + timedelta(days=self.rng.randrange(span))

    def date_style(self) -> str:
        return pick_date_style(self.rng)

    def later(self, d: date, lo: int, hi: int) -> date:
        return min(d + timedelta(days=self.rng.randrange(lo, hi + 1)), REFERENCE_DATE)


MailGenerator = Callable[[MailCtx], MailDoc]
MAIL_CLASSES: dict[str, MailGenerator] = {}
CLASS_WEIGHTS: dict[str, float] = {}


def register(name: str, weight: float = 1.0) -> Callable[[MailGenerator], MailGenerator]:
    """Decorator: add a class generator (``weight``: its share in the default mix)."""

    def deco(fn: MailGenerator) -> MailGenerator:
        MAIL_CLASSES[name] = fn
        CLASS_WEIGHTS[name] = weight
        return fn

    return deco


# ---------------------------------------------------------------------------------------------
# Building blocks shared by the classes


def body_of(doc_type: str, ctx: Ctx) -> list[tuple]:
    """The body of a stock document of ``doc_type`` with every date but the document's own
    taken out (a consult letter's "I saw the patient on <date>" stays), so that the class
    decides exactly which dates the page carries."""
    return stock(doc_type, ctx)[1]


def stock(doc_type: str, ctx: Ctx) -> tuple[str, list[tuple]]:
    """(title, body blocks) of a stock document, dated blocks filtered as in ``body_of``."""
    own = format_date(ctx.doc_date, ctx.date_style)

    def ok(text: str) -> bool:
        return not date_shapes(text.replace(own, ""))

    content = BUILDERS[doc_type](ctx)
    out: list[tuple] = []
    for block in content.blocks:
        kind = block[0]
        if kind == "kv":
            # A labelled date is the class's to print: "Collected: <report date>" would lie.
            pairs = [(k, v) for k, v in block[1] if not date_shapes(f"{k} {v}")]
            if pairs:
                out.append(("kv", pairs))
        elif kind == "table":
            rows = [r for r in block[2] if ok(" ".join(map(str, r)))]
            if rows:
                out.append(("table", block[1], rows))
        elif kind in ("h", "p") and ok(block[1]):
            out.append(block)
    return content.title, out


@dataclass
class Parts:
    """The pieces most classes share: sender, author, the patient block, a style."""

    patient: SyntheticPatient
    facility: str
    fac_lines: list[str]
    fax_number: str
    author: str
    ctx: Ctx
    ident: list[tuple[str, str]]
    style: Style
    date_style: str


def parts(mc: MailCtx, p: SyntheticPatient, doc_type: str, when: date, lay: str) -> Parts:
    rng = mc.rng
    kind = SENDER_KIND[doc_type]
    age = max(0, (when - p.dob).days // 365)
    facility, fac_lines, fax = _facility(rng, kind, child=age < 18)
    author = _author(rng, kind)
    ds = pick_date_style(rng)
    ctx = Ctx(
        rng=rng,
        doc_date=when,
        date_style=ds,
        facility=facility,
        author=author,
        recipient=_author(rng, "clinic"),
        clinic=CLINIC_NAME,
        salutation_name=_salutation(p, age),
        age=age,
        sex=p.sex,
    )
    name = format_name(p.family, p.given, p.middle, rng.choice(NAME_STYLES))
    ident = [
        (rng.choice(("Patient:", "Patient Name:", "Name:", "PATIENT:", "Pt Name:")), name),
        (rng.choice(DOB_LABELS), format_date(p.dob, pick_date_style(rng))),
    ]
    if rng.random() < 0.35:
        ident.append(("MRN:", p.mrn))
    style = Style(
        font=rng.choice(tuple(FONTS)),
        size=rng.choice((9.5, 10.0, 10.5, 11.0, 12.0)),
        layout=lay,
        margin=rng.choice((54.0, 60.0, 72.0)),
        centered_head=rng.random() < 0.4,
    )
    return Parts(p, facility, fac_lines, fax, author, ctx, ident, style, ds)


def d(pt: Parts, when: date) -> str:
    return format_date(when, pt.date_style)


def spec_of(pt: Parts, date_line: str | None = None) -> PageSpec:
    name_short = format_name(pt.patient.family, pt.patient.given, "", "LAST_FIRST")
    return PageSpec(
        facility=pt.facility,
        facility_lines=pt.fac_lines,
        ident=pt.ident,
        continuation=f"Patient: {name_short}",
        date_line=date_line,
    )


def time_of_day(rng: random.Random) -> str:
    return f"{rng.randrange(6, 19):02d}:{rng.randrange(60):02d}"


def fax_header(rng: random.Random, when: date, sender: str, fax_number: str) -> str:
    """The line a fax machine prints across the top: its send time, never the document's."""
    form = rng.randrange(3)
    t = time_of_day(rng)
    if form == 0:
        return (
            f"{when.month:02d}/{when.day:02d}/{when.year} {t}  FROM: {fax_number}  "
            f"{sender.upper()[:26]}  TO: {CLINIC_NAME.upper()[:20]}  P.1/1"
        )
    if form == 1:
        return f"{when.strftime('%b %d %Y')} {t}  {sender.upper()[:24]}  {fax_number}  P. 001/001"
    return f"Fax sent {when.strftime('%m-%d-%Y')} {t} by {fax_number}  Page 1 of 1"


def received_stamp(rng: random.Random, when: date) -> Stamp:
    """ "RECEIVED  MAR 04 2025", boxed, a few degrees off, red (scans grey) or grey ink."""
    word = rng.choice(("RECEIVED", "RECEIVED", "REC'D", "DATE RECEIVED"))
    mon = when.strftime("%b").upper()
    text = rng.choice((f"{mon} {when.day:02d} {when.year}", f"{mon} {when.day} {when.year}"))
    lines = (word, text) if rng.random() < 0.7 else (f"{word} {text}",)
    if rng.random() < 0.3:
        lines = (*lines, CLINIC_NAME.upper()[:22])
    return Stamp(
        lines=lines,
        angle=rng.uniform(-9, 9),
        ink=rng.randrange(70, 150),
        where=(rng.uniform(0.6, 0.78), rng.uniform(0.12, 0.3)),
        boxed=rng.random() < 0.8,
    )


def distractors(mc: MailCtx, pt: Parts, spec: PageSpec, when: date, doc: MailDoc) -> None:
    """The dates real mail adds that are not the document's: fax header, print footer,
    received stamp (each at its own rate)."""
    rng = mc.rng
    if rng.random() < FAX_HEADER_RATE:
        spec.fax_line = fax_header(rng, mc.later(when, 1, 45), pt.facility, pt.fax_number)
    if rng.random() < PRINT_FOOTER_RATE:
        printed = mc.later(when, 0, 300)
        spec.print_line = rng.choice(
            (
                f"Printed {printed.month}/{printed.day}/{printed.year} {time_of_day(rng)}",
                f"Printed on: {format_date(printed, 'mdY')} {time_of_day(rng)}",
                f"Print Date: {format_date(printed, 'mdY')}",
            )
        )
    if rng.random() < STAMP_RATE:
        doc.stamps.append(received_stamp(rng, mc.later(when, 1, 30)))


def _doc(pt: Parts, content: Content, spec: PageSpec, doc_type: str, when: date | None,
         label: str, lay: str) -> MailDoc:  # fmt: skip
    return MailDoc(content, spec, pt.style, doc_type, when, pt.patient.mrn, label, lay)


# ---------------------------------------------------------------------------------------------
# Class 1: which date is the document's date


@register("date_lab", 3)
def lab_page(mc: MailCtx) -> MailDoc:
    rng = mc.rng
    p = mc.patient()
    collected = mc.service_date(p)
    reported = mc.later(collected, 0, 3)
    lay = rng.choice(("kv", "columns", "specimen"))
    pt = parts(mc, p, "lab", reported, "form" if lay == "columns" else "letterhead")
    c = Content(rng.choice(("LABORATORY REPORT", "Final Report", "CLINICAL LABORATORY RESULTS")))
    if lay == "kv":
        c.blocks.append(
            (
                "kv",
                [
                    ("Collected", f"{d(pt, collected)} {time_of_day(rng)}"),
                    ("Received", f"{d(pt, mc.later(collected, 0, 1))} {time_of_day(rng)}"),
                    ("Reported", d(pt, reported)),
                    ("Ordering Provider", pt.ctx.recipient),
                    ("Status", "FINAL"),
                ],
            )
        )
    elif lay == "columns":
        # Labels in a header row, values on the row below: the label is above, not beside.
        c.blocks.append(
            (
                "table",
                ["Collection Date", "Received", "Report Date", "Status"],
                [[d(pt, collected), d(pt, mc.later(collected, 0, 1)), d(pt, reported), "FINAL"]],
            )
        )
    else:
        c.blocks.append(
            (
                "kv",
                [
                    ("Specimen Collected", d(pt, collected)),
                    ("Result Date", d(pt, reported)),
                    ("Verified", f"{d(pt, reported)} {time_of_day(rng)}"),
                ],
            )
        )
    c.blocks.extend(body_of("lab", pt.ctx))
    spec = spec_of(pt)
    doc = _doc(pt, c, spec, "lab", collected, "collection date", lay)
    distractors(mc, pt, spec, collected, doc)
    return doc


@register("date_imaging", 2)
def imaging_page(mc: MailCtx) -> MailDoc:
    rng = mc.rng
    p = mc.patient()
    exam = mc.service_date(p)
    signed = mc.later(exam, 0, 4)
    lay = rng.choice(("kv", "dictated", "columns"))
    pt = parts(mc, p, "imaging", exam, "form" if lay == "columns" else "letterhead")
    c = Content(rng.choice(("RADIOLOGY REPORT", "DIAGNOSTIC IMAGING REPORT", "IMAGING REPORT")))
    prior = exam - timedelta(days=rng.randrange(200, 900))
    if lay == "kv":
        c.blocks.append(("kv", [("Exam Date", d(pt, exam)), ("Report Date", d(pt, signed))]))
    elif lay == "dictated":
        c.blocks.append(
            (
                "kv",
                [
                    ("Date of Exam", d(pt, exam)),
                    ("Dictated", d(pt, signed)),
                    ("Transcribed", d(pt, signed)),
                ],
            )
        )
    else:
        c.blocks.append(
            (
                "table",
                ["Exam Date", "Modality", "Report Date"],
                [[d(pt, exam), "XR", d(pt, signed)]],
            )
        )
    c.blocks.extend(body_of("imaging", pt.ctx))
    if rng.random() < 0.5:
        c.blocks.append(("p", f"COMPARISON: Prior study dated {d(pt, prior)}."))
    c.blocks.append(("sig", f"Electronically signed by {pt.author} on {d(pt, signed)}"))
    spec = spec_of(pt)
    doc = _doc(pt, c, spec, "imaging", exam, "exam date", lay)
    distractors(mc, pt, spec, exam, doc)
    return doc


@register("date_visit", 3)
def visit_page(mc: MailCtx) -> MailDoc:
    rng = mc.rng
    p = mc.patient()
    seen = mc.service_date(p)
    signed = mc.later(seen, 0, 10)
    lay = rng.choice(("dos", "encounter", "visit"))
    pt = parts(mc, p, "progress_note", seen, rng.choice(("letterhead", "form")))
    c = Content(rng.choice(("PROGRESS NOTE", "Office Visit Note", "Clinic Note", "OFFICE VISIT")))
    label = {"dos": "DOS", "encounter": "Encounter Date", "visit": "Visit Date"}[lay]
    if lay == "dos" and rng.random() < 0.5:
        label = "Date of Service"
    c.blocks.append(("kv", [(label, d(pt, seen))]))
    c.blocks.extend(body_of("progress_note", pt.ctx))
    nxt = seen + timedelta(days=rng.randrange(60, 200))
    c.blocks.append(("p", f"Follow-up appointment: {d(pt, nxt)}."))
    c.blocks.append(
        ("sig", f"Electronically signed by {pt.author} on {d(pt, signed)} {time_of_day(rng)}")
    )
    spec = spec_of(pt)
    doc = _doc(pt, c, spec, "progress_note", seen, "date of service", lay)
    distractors(mc, pt, spec, seen, doc)
    return doc


@register("date_discharge", 2)
def discharge_page(mc: MailCtx) -> MailDoc:
    rng = mc.rng
    p = mc.patient()
    out = mc.service_date(p)
    admit = out - timedelta(days=rng.randrange(1, 9))
    dictated = mc.later(out, 0, 5)
    lay = rng.choice(("kv", "short", "columns"))
    pt = parts(mc, p, "discharge", out, "form" if lay == "columns" else "letterhead")
    c = Content(rng.choice(("DISCHARGE SUMMARY", "Hospital Discharge Summary")))
    if lay == "kv":
        c.blocks.append(("kv", [("Admission Date", d(pt, admit)), ("Discharge Date", d(pt, out))]))
    elif lay == "short":
        c.blocks.append(("kv", [("Admitted", d(pt, admit)), ("Discharged", d(pt, out))]))
    else:
        c.blocks.append(
            (
                "table",
                ["Admit Date", "Discharge Date", "Unit"],
                [[d(pt, admit), d(pt, out), "4 West"]],
            )
        )
    c.blocks.extend(body_of("discharge", pt.ctx))
    c.blocks.append(("sig", f"Dictated by {pt.author}. Electronically signed {d(pt, dictated)}."))
    spec = spec_of(pt)
    doc = _doc(pt, c, spec, "discharge", out, "discharge date", lay)
    distractors(mc, pt, spec, out, doc)
    return doc


@register("date_letter", 2)
def letter_page(mc: MailCtx) -> MailDoc:
    rng = mc.rng
    p = mc.patient()
    written = mc.service_date(p)
    doc_type = rng.choice(("correspondence", "consult", "referral"))
    lay = rng.choice(("dateline", "labelled"))
    pt = parts(mc, p, doc_type, written, "letter")
    if doc_type == "correspondence":
        pt.ident = pt.ident[:2]
    date_line = (
        format_date(written, rng.choice(("Month_d_Y", "Month_d_Y", "mdY")))
        if lay == "dateline"
        else f"Date: {d(pt, written)}"
    )
    title, body = stock(doc_type, pt.ctx)
    c = Content(title if rng.random() < 0.6 else "", letter=True)
    c.blocks.extend(body)
    if rng.random() < 0.5:
        nxt = written + timedelta(days=rng.randrange(20, 90))
        c.blocks.append(("p", f"Your next appointment is on {d(pt, nxt)}."))
    spec = spec_of(pt, date_line)
    doc = _doc(pt, c, spec, doc_type, written, "letter date", lay)
    distractors(mc, pt, spec, written, doc)
    return doc


@register("date_stamp_only", 1)
def stamp_only_page(mc: MailCtx) -> MailDoc:
    """A form with no date of its own: the received stamp is the only date there is."""
    rng = mc.rng
    p = mc.patient()
    arrived = mc.service_date(p)
    doc_type = rng.choice(("medication", "intake"))
    pt = parts(mc, p, doc_type, arrived, rng.choice(("letterhead", "form")))
    c = Content(rng.choice(("MEDICATION LIST", "Current Medications")) if doc_type == "medication"
                else rng.choice(("PATIENT INFORMATION UPDATE", "New Patient Intake Form")))  # fmt: skip
    c.blocks.extend(body_of(doc_type, pt.ctx))
    spec = spec_of(pt)
    doc = _doc(pt, c, spec, doc_type, arrived, "received stamp", "stamp")
    doc.stamps.append(received_stamp(rng, arrived))
    return doc


@register("date_fax_only", 1)
def fax_only_page(mc: MailCtx) -> MailDoc:
    """A faxed page whose only date is the fax machine's header line."""
    rng = mc.rng
    p = mc.patient()
    sent = mc.service_date(p)
    doc_type = rng.choice(("medication", "immunization", "insurance"))
    pt = parts(mc, p, doc_type, sent, "letterhead")
    title = {
        "medication": "MEDICATION LIST",
        "immunization": "IMMUNIZATION RECORD",
        "insurance": "INSURANCE INFORMATION",
    }[doc_type]
    c = Content(title)
    c.blocks.extend(body_of(doc_type, pt.ctx))
    spec = spec_of(pt)
    spec.fax_line = fax_header(rng, sent, pt.facility, pt.fax_number)
    return _doc(pt, c, spec, doc_type, sent, "fax header", "fax")


@register("not_on_file", 1)
def not_on_file_page(mc: MailCtx) -> MailDoc:
    """A visit note about someone who is not a patient here: must go to review."""
    doc = visit_page(mc)
    stranger = mc.stranger()
    name = format_name(stranger.family, stranger.given, stranger.middle, mc.rng.choice(NAME_STYLES))
    doc.spec.ident = [
        ("Patient:", name),
        ("DOB:", format_date(stranger.dob, "mdY")),
    ]
    doc.spec.continuation = f"Patient: {name}"
    doc.patient_mrn = None
    return doc


# ---------------------------------------------------------------------------------------------
# Rendering: layout -> raster -> stamps -> quality

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if Path(_FONT).exists():
        return ImageFont.truetype(_FONT, px)
    return ImageFont.load_default(size=px)


def draw_stamp(page: Image.Image, stamp: Stamp) -> Image.Image:
    """Press ``stamp`` on a grey page: text (and box) on a transparent layer, turned by its
    angle, pasted in its ink."""
    px = max(14, page.height // 75)
    font = _font(px)
    pad = px // 2
    widths = [font.getbbox(s)[2] for s in stamp.lines]
    w = max(widths) + 2 * pad
    h = len(stamp.lines) * int(px * 1.35) + 2 * pad
    mask = Image.new("L", (w + 8, h + 8), 0)
    dr = ImageDraw.Draw(mask)
    if stamp.boxed:
        dr.rectangle((2, 2, w + 4, h + 4), outline=255, width=max(2, px // 9))
    y = pad + 3
    for s, sw in zip(stamp.lines, widths, strict=True):
        dr.text((4 + (w - sw) // 2, y), s, fill=255, font=font)
        y += int(px * 1.35)
    mask = mask.rotate(stamp.angle, expand=True, resample=Image.Resampling.BILINEAR)
    cx = int(stamp.where[0] * page.width) - mask.width // 2
    cy = int(stamp.where[1] * page.height) - mask.height // 2
    out = page.copy()
    out.paste(Image.new("L", mask.size, stamp.ink), (cx, cy), mask)
    return out


def render_doc(doc: MailDoc, dpi: int = DPI) -> tuple[Image.Image, str]:
    """The first page of ``doc`` as a clean grey raster, and its text (stamps last)."""
    lay = layout(doc.content, doc.spec, doc.style)
    img = rasterise(to_pdf(lay), dpi)[0]
    lines = list(lay.texts[0])
    for st in doc.stamps:
        img = draw_stamp(img, st)
        lines.extend(st.lines)
    img.info["dpi"] = (dpi, dpi)
    return img, "\n".join(lines)


def _pick_class(rng: random.Random, classes: Sequence[str]) -> str:
    weights = [CLASS_WEIGHTS.get(c, 1.0) for c in classes]
    return rng.choices(list(classes), weights=weights)[0]


def load_class_modules() -> None:
    for name in CLASS_MODULES:
        importlib.import_module(name)


def mail_page(
    patients: Sequence[SyntheticPatient],
    index: int,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    qualities: Sequence[str] | None = None,
    dpi: int = DPI,
) -> MailPage:
    """The ``index``-th page of the mail corpus for ``seed``: its own generator, so pages can
    be made in any order or in parallel and come out the same."""
    load_class_modules()
    classes = list(classes or MAIL_CLASSES)
    unknown = set(classes) - set(MAIL_CLASSES)
    if unknown:
        raise ValueError(f"unknown mail classes: {sorted(unknown)}")
    rng = random.Random(f"mail:{seed}:{index}")
    cls = _pick_class(rng, classes)
    qs = list(qualities or QUALITY_WEIGHTS)
    quality = rng.choices(qs, weights=[QUALITY_WEIGHTS.get(q, 1) for q in qs])[0]
    if quality not in MAIL_QUALITIES:
        raise ValueError(f"unknown mail quality {quality!r}")
    doc = MAIL_CLASSES[cls](MailCtx(rng, patients, seed, index))
    clean, text = render_doc(doc, dpi)
    image = mail_quality(clean, random.Random(f"quality:{seed}:{index}"), quality, dpi)
    return MailPage(
        index=index,
        mail_class=cls,
        quality=quality,
        image=image,
        text=text,
        doc_type=doc.doc_type,
        doc_date=doc.doc_date,
        patient_mrn=doc.patient_mrn,
        date_label=doc.date_label,
        layout=doc.layout,
        extra_patients=doc.extra_patients,
        notes=doc.notes,
    )


def mail_pages(
    patients: Sequence[SyntheticPatient],
    n: int,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    qualities: Sequence[str] | None = None,
) -> Iterator[MailPage]:
    """``n`` mail pages, deterministic for (patients, seed); lazy (each costs a render)."""
    for i in range(n):
        yield mail_page(patients, i, seed, classes, qualities)


__all__ = [
    "MAIL_CLASSES",
    "MailCtx",
    "MailDoc",
    "MailPage",
    "mail_page",
    "mail_pages",
    "register",
]
