"""Labelled synthetic documents: rendered pages plus the truth about what is on them.

Each document is built the way paper arrives at a clinic: another facility's letterhead,
our patient's name and date of birth in whatever form that facility prints them, sometimes
the sending facility's own record number (which must never be read as our MRN), a fax
stamp or a print date that is not the date of service. The labels say which is which, so
suggestion benchmarks can score patient, type and date separately.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from PIL import Image

from clinicrecords.common.mrn import is_valid_mrn
from clinicrecords.synthetic import names as N
from clinicrecords.synthetic.content import BUILDERS, SENDER_KIND, Content, Ctx
from clinicrecords.synthetic.formats import (
    DOB_LABELS,
    MRN_LABELS,
    NAME_LABELS,
    NAME_STYLES,
    OUTSIDE_LABELS,
    PHONE_LABELS,
    format_date,
    format_name,
    person_name,
    pick_date_style,
)
from clinicrecords.synthetic.patients import REFERENCE_DATE, SyntheticPatient
from clinicrecords.synthetic.render import (
    FONTS,
    PageSpec,
    Style,
    layout,
    page_texts,
    rasterise,
    to_pdf,
)

DOC_TYPES: tuple[str, ...] = tuple(BUILDERS)
# Rough mix of what a family practice receives: labs and notes dominate, sensitive types rare.
DOC_TYPE_WEIGHTS: dict[str, float] = {
    "lab": 16,
    "imaging": 8,
    "consult": 8,
    "referral": 6,
    "discharge": 5,
    "progress_note": 10,
    "immunization": 4,
    "medication": 5,
    "insurance": 5,
    "consent": 3,
    "roi_authorization": 3,
    "intake": 4,
    "correspondence": 5,
    "billing": 4,
    "advance_directive": 2,
    "mental_health": 2,
    "substance_use": 1.5,
    "hiv_sti": 1.5,
    "genetic": 1,
    "other": 3,
}
CLINIC_NAME = "Maple Street Family Practice"  # the demo clinic: our MRNs, our letterhead

_PLACES = [
    "Riverbend",
    "Lakeside",
    "Northgate",
    "Pinecrest",
    "Harborview",
    "Cedar",
    "Hill",
    "Westfield",
    "Granite",
    "Valley",
    "Bayside",
    "Stonebridge",
    "Oakmont",
    "Fairhaven",
    "Brookline",
    "Millbrook",
    "Eastview",
    "Summit",
    "Ridge",
]
_FACILITY_TEMPLATES = {
    "lab": ("{p} Clinical Laboratory", "{p} Diagnostic Labs", "{p} Pathology Associates"),
    "genetics": ("{p} Genomics Laboratory", "{p} Molecular Diagnostics"),
    "imaging": ("{p} Imaging Associates", "{p} Radiology Group", "{p} Open MRI"),
    "hospital": (
        "{p} Regional Medical Center",
        "{p} General Hospital",
        "St. Anne's Hospital of {p}",
    ),
    "specialist": ("{p} Specialty Physicians", "{p} Medical Group", "{p} Heart and Vascular"),
    "clinic": (CLINIC_NAME, CLINIC_NAME, "{p} Family Medicine", "{p} Pediatrics"),
    "pharmacy": ("{p} Pharmacy", "{p} Apothecary"),
    "payer": ("Evergreen Health Plan", "Granite Mutual Insurance", "Bayview Health Partners"),
    "behavioral": ("{p} Behavioral Health", "{p} Counseling Center", "{p} Recovery Services"),
}
_ID_SETS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("name", "dob"), 35),
    (("name", "dob", "mrn"), 15),
    (("name", "mrn"), 12),
    (("name", "dob", "phone"), 8),
    (("name", "phone"), 5),
    (("name",), 8),
    (("mrn",), 3),
    (("dob", "mrn"), 2),
    (("name", "dob", "sex"), 7),
)
_OUTSIDE_RATE = {"hospital": 0.7, "lab": 0.6, "imaging": 0.6, "genetics": 0.5, "specialist": 0.3}


@dataclass
class LabeledDocument:
    """One document's clean pages and its ground truth."""

    pages: list[Image.Image]
    doc_type: str
    doc_date: date
    patient_mrn: str
    patient_name_as_printed: str
    dob_as_printed: str
    facility: str
    author: str
    outside_record_number: str | None = None
    fax_stamp_date: date | None = None
    print_date: date | None = None
    text: str = ""  # pages joined by "\f", lines by "\n"
    identifiers: tuple[str, ...] = ()  # which of ours are printed: name, dob, mrn, phone, sex
    mrn_as_printed: str = ""
    phone_as_printed: str = ""
    layout: str = ""
    font: str = ""
    page_texts: list[str] = field(default_factory=list)


def _facility(rng: random.Random, kind: str, child: bool) -> tuple[str, list[str], str]:
    """Name, letterhead lines and fax number of a sending facility (all fictional)."""
    templates = [t for t in _FACILITY_TEMPLATES[kind] if child or "Pediatrics" not in t]
    name = rng.choice(templates).format(p=rng.choice(_PLACES))
    n = rng.randrange(10, 9000)
    street = (
        f"{n} {rng.choice(('Medical Pkwy', 'Main St', 'Hospital Dr', 'Commerce Way', 'Elm St'))}"
    )
    city = rng.choice(
        ("Springfield, MA 01103", "Worcester, MA 01608", "Lowell, MA 01852", "Nashua, NH 03060")
    )
    tel = f"(555) 01{rng.randrange(10)}-{rng.randrange(10000):04d}"
    fax = f"(555) 01{rng.randrange(10)}-{rng.randrange(10000):04d}"
    lines = [f"{street}, {city}", f"Tel {tel}   Fax {fax}"]
    if rng.random() < 0.3:
        lines = [f"{street} | {city} | Phone {tel}"]
    return name, lines, fax


def _author(rng: random.Random, kind: str) -> str:
    given = N.FEMALE_GIVEN if rng.random() < 0.5 else N.MALE_GIVEN
    name = person_name(rng, N.SURNAMES, given)
    first, last = name.split(" ", 1)
    if kind in ("payer", "pharmacy"):
        return f"{name}, {rng.choice(('Claims Specialist', 'PharmD', 'RPh', 'Member Services'))}"
    form = rng.random()
    cred = (
        rng.choice(("MD", "MD", "DO", "NP", "PA-C"))
        if kind != "behavioral"
        else rng.choice(("PhD", "PsyD", "MD"))
    )
    if form < 0.5:
        return f"{name}, {cred}"
    if form < 0.8:
        return f"Dr. {name}" if cred in ("MD", "DO", "PhD", "PsyD") else f"{name}, {cred}"
    return f"{first[0]}. {last}, {cred}"


def _outside_number(rng: random.Random, ours: set[str]) -> str:
    """Another facility's record number: never equal to, and never a valid form of, ours."""
    while True:
        style = rng.random()
        if style < 0.4:
            s = f"{rng.randrange(10**7, 10**8)}"  # 8 digits, same length as our MRNs
        elif style < 0.6:
            s = f"{rng.randrange(10**8, 10**9)}"
        elif style < 0.8:
            s = f"{rng.choice('EHMV')}{rng.randrange(10**6, 10**7)}"
        else:
            s = f"{rng.randrange(100, 999)}-{rng.randrange(10**5, 10**6)}"
        digits = s.replace("-", "")
        if s not in ours and not (digits.isdigit() and is_valid_mrn(digits)):
            return s


def _doc_date(rng: random.Random, dob: date) -> date:
    start = max(dob, REFERENCE_DATE - timedelta(days=365 * 10))
    span = (REFERENCE_DATE - start).days
    return start + timedelta(days=rng.randrange(max(span, 1)))


def _salutation(p: SyntheticPatient, age: int) -> str:
    if age < 16:
        return f"{p.given} {p.family}"
    title = {"F": "Ms.", "M": "Mr."}.get(p.sex, "Mx.")
    return f"{title} {p.family}"


def _build(
    rng: random.Random, p: SyntheticPatient, doc_type: str, dpi: int, ours: set[str]
) -> LabeledDocument:
    kind = SENDER_KIND[doc_type]
    doc_date = _doc_date(rng, p.dob)
    age = max(0, (doc_date - p.dob).days // 365)
    facility, fac_lines, fac_fax = _facility(rng, kind, child=age < 18)
    author = _author(rng, kind)
    date_style = pick_date_style(rng)
    ctx = Ctx(
        rng=rng,
        doc_date=doc_date,
        date_style=date_style,
        facility=facility,
        author=author,
        recipient=_author(rng, "clinic"),
        clinic=CLINIC_NAME,
        salutation_name=_salutation(p, age),
        age=age,
        sex=p.sex,
    )
    builder = BUILDERS[doc_type]
    content: Content = builder(ctx)
    target = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]

    ids = rng.choices([s for s, _ in _ID_SETS], weights=[w for _, w in _ID_SETS])[0]
    name_printed = format_name(p.family, p.given, p.middle, rng.choice(NAME_STYLES))
    dob_printed = format_date(p.dob, pick_date_style(rng))
    mrn_printed = p.mrn if rng.random() < 0.85 else f"{p.mrn[:-1]}-{p.mrn[-1]}"
    ident: list[tuple[str, str]] = []
    if "name" in ids:
        label = rng.choice(NAME_LABELS) if kind != "payer" else "Member:"
        ident.append((label, name_printed))
    if "dob" in ids:
        ident.append((rng.choice(DOB_LABELS), dob_printed))
    if "sex" in ids:
        ident.append(("Sex:", {"F": "Female", "M": "Male"}.get(p.sex, "X")))
    if "mrn" in ids:
        ident.append((rng.choice(MRN_LABELS), mrn_printed))
    if "phone" in ids:
        ident.append((rng.choice(PHONE_LABELS), p.phone))
    outside = None
    if rng.random() < _OUTSIDE_RATE.get(kind, 0.1):
        outside = _outside_number(rng, ours)
        ident.insert(rng.randrange(len(ident) + 1), (rng.choice(OUTSIDE_LABELS), outside))

    fax_date = print_date = None
    fax_line = print_line = None
    if rng.random() < 0.18:
        fax_date = min(doc_date + timedelta(days=rng.randrange(1, 120)), REFERENCE_DATE)
        fax_line = (
            f"{fax_date.month:02d}/{fax_date.day:02d}/{fax_date.year} {rng.randrange(7, 19):02d}:"
            f"{rng.randrange(60):02d}  FROM: {fac_fax}  "
            f"{facility.upper()[:28]}  TO: {CLINIC_NAME.upper()[:20]}  P.{{page}}"
        )
    if rng.random() < 0.12:
        latest = fax_date or REFERENCE_DATE  # printed before it was faxed
        print_date = min(doc_date + timedelta(days=rng.randrange(1, 400)), latest)
        print_line = f"Printed {format_date(print_date, 'mdY')} {rng.randrange(7, 19):02d}:{rng.randrange(60):02d}"
    sensitive = doc_type in ("mental_health", "substance_use", "hiv_sti", "genetic")
    footer = (
        "CONFIDENTIAL - Protected Health Information" if sensitive or rng.random() < 0.2 else None
    )

    name_short = format_name(p.family, p.given, "", "LAST_FIRST") if "name" in ids else ""
    continuation = "  ".join(
        x for x in (f"Patient: {name_short}" if name_short else "", f"{content.title}") if x
    )
    lay_choice = "letter" if content.letter else rng.choice(("letterhead", "letterhead", "form"))
    style = Style(
        font=rng.choice(tuple(FONTS)),
        size=rng.choice((9.5, 10.0, 10.5, 11.0, 12.0)),
        layout=lay_choice,
        margin=rng.choice((54.0, 60.0, 72.0)),
        centered_head=rng.random() < 0.4,
    )
    spec = PageSpec(
        facility=facility,
        facility_lines=fac_lines,
        ident=ident,
        continuation=continuation,
        date_line=format_date(doc_date, date_style),
        fax_line=fax_line,
        print_line=print_line,
        footer=footer,
    )
    lay = layout(content, spec, style)
    for _ in range(6):  # longer documents: more of the same kind of content until they spill
        if len(lay.pages) >= target:
            break
        more = builder(ctx)
        content.blocks.extend(b for b in more.blocks if b[0] != "sig")
        lay = layout(content, spec, style)
    pages = rasterise(to_pdf(lay), dpi)
    texts = page_texts(lay)
    return LabeledDocument(
        pages=pages,
        doc_type=doc_type,
        doc_date=doc_date,
        patient_mrn=p.mrn,
        patient_name_as_printed=name_printed if "name" in ids else "",
        dob_as_printed=dob_printed if "dob" in ids else "",
        facility=facility,
        author=author,
        outside_record_number=outside,
        fax_stamp_date=fax_date,
        print_date=print_date,
        text="\f".join(texts),
        identifiers=ids,
        mrn_as_printed=mrn_printed if "mrn" in ids else "",
        phone_as_printed=p.phone if "phone" in ids else "",
        layout=style.layout,
        font=style.font,
        page_texts=texts,
    )


def _types_and_weights(doc_types: Sequence[str] | None) -> tuple[list[str], list[float]]:
    if not doc_types:
        return list(DOC_TYPE_WEIGHTS), list(DOC_TYPE_WEIGHTS.values())
    unknown = set(doc_types) - set(BUILDERS)
    if unknown:
        raise ValueError(f"unknown document types: {sorted(unknown)}")
    return list(doc_types), [1.0] * len(doc_types)


def document_at(
    patients: Sequence[SyntheticPatient],
    index: int,
    seed: int = 0,
    doc_types: Sequence[str] | None = None,
    dpi: int = 200,
    _ours: set[str] | None = None,
) -> LabeledDocument:
    """The ``index``-th document of ``generate_documents(patients, ..., seed)``.

    Each document has its own generator seeded from (seed, index), so a corpus can be
    rendered in parallel, or one document re-made, without generating the ones before it.
    """
    if not patients:
        raise ValueError("documents need at least one patient")
    types, weights = _types_and_weights(doc_types)
    ours = _ours if _ours is not None else {p.mrn for p in patients}
    rng = random.Random(f"document:{seed}:{index}")
    p = patients[rng.randrange(len(patients))]
    doc_type = rng.choices(types, weights=weights)[0]
    return _build(rng, p, doc_type, dpi, ours)


def generate_documents(
    patients: Sequence[SyntheticPatient],
    n: int,
    seed: int = 0,
    doc_types: Sequence[str] | None = None,
    dpi: int = 200,
) -> Iterator[LabeledDocument]:
    """Yield ``n`` documents about randomly chosen ``patients``; deterministic for a seed.

    ``doc_types`` restricts (and evenly weights) the types; by default types follow
    ``DOC_TYPE_WEIGHTS``. Lazy, because each document costs a render.
    """
    _types_and_weights(doc_types)  # fail early on unknown types
    ours = {p.mrn for p in patients}
    for i in range(n):
        yield document_at(patients, i, seed, doc_types, dpi, _ours=ours)
