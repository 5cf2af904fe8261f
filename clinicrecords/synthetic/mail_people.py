"""Mail pages about *people*: the crowded page, previous names, twins, Jr/Sr and look-alikes.

Issue 10: real incoming mail names several people (a parent with their own DOB, the referring
physician, cc: recipients, an emergency contact, some of them patients of the clinic too);
older documents carry a woman's maiden name; twins share family name, DOB, address and phone;
Jr and Sr share the whole name. The synthetic pages elsewhere name one person cleanly, so
these generators add pages of each kind, each with its ground truth and the charts its
scenario needs on file.

One function per class (``crowded_pages``, ``previous_name_pages``, ``look_alike_pages``),
each ``(seed, count) -> list[MailPage]``; ``MAIL_PEOPLE_CLASSES`` names them for the mail
corpus registry (``synthetic/mail.py``). A page's ``text`` is what is printed, line by line
(tests build OCR word boxes from it); ``render()`` draws it for real Tesseract.

Truth: ``patient_mrn`` is the page's patient, or None when that person is not on file or the
page carries nothing that identifies anyone. ``identifiable`` says whether a person could
tell the chart from the page alone (top-1 is scored on those); ``must_review`` marks pages a
person has to decide (twins named only by what they share, Jr/Sr without DOB or suffix): a
confident suggestion there is a failure even when it happens to be right.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from clinicrecords.common.domain import Patient, PreviousName
from clinicrecords.common.mrn import make_mrn
from clinicrecords.synthetic import names as N
from clinicrecords.synthetic.formats import DOB_LABELS, format_date, format_name

FIRST_ID = {"crowded": 1_000_000, "previous_name": 2_000_000, "look_alike": 3_000_000}
_NAME_STYLES_SAFE = ("LAST_FIRST", "FIRST_LAST", "LAST_FIRST_MI_UPPER", "FIRST_MI_LAST")
_DATE_STYLES = ("mdY", "Month_d_Y", "iso", "mdY_nopad", "d_Mon_Y")
_FACILITIES = (
    "Riverside Family Medicine",
    "Northgate Pediatrics",
    "Lakeview Imaging Center",
    "Summit Orthopedic Associates",
    "Valley Regional Hospital",
    "Harbor Cardiology Group",
)
_STREETS = ("Maple St", "Oak Ave", "Cedar Ln", "Elm St", "Birch Rd", "Pine Ct", "Lake Dr")
_TODAY = date(2025, 6, 30)
# Twins whose first names are a typo or a few letters apart: nothing tells them apart by name.
_TWIN_NEAR = (("Kristen", "Kirsten"), ("Marian", "Marion"), ("Jon", "John"), ("Aaron", "Arron"))
_TWIN_FAR = (
    ("Anna", "Ada"),
    ("Ethan", "Owen"),
    ("Grace", "Chloe"),
    ("Lucas", "Mason"),
    ("Sophia", "Olivia"),
    ("Noah", "Liam"),
    ("Emma", "Ava"),
    ("Caleb", "Isaac"),
)


@dataclass(frozen=True)
class MailPage:
    cls: str  # "crowded", "previous_name", "look_alike"
    layout: str  # which kind of page within the class
    text: str  # printed lines
    patient_mrn: str | None  # the page's patient, None: not on file / no identifiers
    identifiable: bool  # a person could tell the chart from this page alone
    charts: tuple[Patient, ...] = ()  # charts the scenario puts on file
    must_review: bool = False  # only a person can decide (a confident answer is a failure)
    expect_reason: str = ""  # words the suggestion's reason should carry ("maiden name")
    extra: dict[str, Any] = field(default_factory=dict)

    def render(self, dpi: int = 200) -> Any:
        """The page as a scan (PIL image, mode L): the text drawn in a plain font."""
        from PIL import Image, ImageDraw

        from clinicrecords.synthetic.degrade import _font

        scale = dpi / 72.0
        w, h = int(8.5 * 72 * scale), int(11 * 72 * scale)
        img = Image.new("L", (w, h), 255)
        draw = ImageDraw.Draw(img)
        font = _font(int(11 * scale))
        y = int(60 * scale)
        for raw in self.text.splitlines():
            if raw.strip():
                draw.text((int(60 * scale), y), raw, fill=0, font=font)
            y += int(17 * scale)
        return img


class _Charts:
    """Ids and MRNs for a class's scenario charts (distinct from the background registry)."""

    def __init__(self, cls: str, rng: random.Random) -> None:
        self.next = FIRST_ID[cls]
        self.rng = rng

    def make(self, family: str, given: str, dob: date, **kw: Any) -> Patient:
        self.next += 1
        return Patient(self.next, make_mrn(self.next), family, given, dob, **kw)


def _family(rng: random.Random) -> str:
    # The rarer half of the table: common names are the background registry's business.
    return rng.choice(N.SURNAMES[200:900])


def _given(rng: random.Random, sex: str) -> str:
    return rng.choice((N.FEMALE_GIVEN if sex == "F" else N.MALE_GIVEN)[:180])


def _dob(rng: random.Random, lo: int = 1935, hi: int = 2004) -> date:
    return date(lo, 1, 1) + timedelta(days=rng.randrange((date(hi, 12, 31) - date(lo, 1, 1)).days))


def _phone(rng: random.Random) -> str:
    return f"({rng.randrange(201, 989)}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}"


def _d(rng: random.Random, d: date) -> str:
    return format_date(d, rng.choice(_DATE_STYLES))


def _name(rng: random.Random, p: Patient, styles: tuple[str, ...] = _NAME_STYLES_SAFE) -> str:
    return format_name(p.family, p.given, p.middle, rng.choice(styles))


def _visit(rng: random.Random) -> date:
    return _TODAY - timedelta(days=rng.randrange(3, 400))


def _body(rng: random.Random) -> list[str]:
    return rng.choice(
        (
            ["Assessment: stable. Continue current medications.", "Follow up in 3 months."],
            ["Findings: no acute abnormality.", "Impression: normal study."],
            ["Thank you for seeing this patient.", "Reason for referral: evaluation."],
            ["Vaccines given today: influenza, Tdap.", "Next dose due in 1 year."],
        )
    )


# ---------------------------------------------------------------------------------------------
# Class 2: the patient on a crowded page


def crowded_pages(seed: int = 0, count: int = 30) -> list[MailPage]:
    """Pages that name the patient and other people with identifiers of their own."""
    rng = random.Random(seed * 7919 + 2)
    charts = _Charts("crowded", rng)
    layouts = (
        "pediatric_form",
        "referral",
        "emergency_contact",
        "insurance",
        "letter_to_patient",
        "child_not_on_file",
        "two_people_tie",
        "continuation",
        "two_column_box",
        "mother_inline",
        "parent_first",
        "fax_cover",
        "lab_ordering",
    )
    out: list[MailPage] = []
    for i in range(count):
        layout = layouts[i % len(layouts)]
        fac = rng.choice(_FACILITIES)
        family = _family(rng)
        phone = _phone(rng)
        street = f"{rng.randrange(10, 999)} {rng.choice(_STREETS)}"
        parent = charts.make(
            family, _given(rng, "F"), _dob(rng, 1965, 1992), sex="F", phone=phone, address=street
        )
        child = charts.make(
            family,
            _given(rng, rng.choice("FM")),
            _dob(rng, 2008, 2022),
            phone=phone,
            address=street,
        )
        doctor = charts.make(_family(rng), _given(rng, "M"), _dob(rng, 1950, 1985), sex="M")
        when = _d(rng, _visit(rng))
        dob_label = rng.choice(("DOB:", "Date of Birth:", "D.O.B."))
        if layout == "pediatric_form":
            text = [
                fac,
                "PATIENT REGISTRATION",
                "PATIENT INFORMATION",
                f"Name: {_name(rng, child)}",
                f"{dob_label} {_d(rng, child.dob)}",
                f"Address: {street}",
                "PARENT / GUARDIAN",
                f"Name: {_name(rng, parent)}",
                f"{dob_label} {_d(rng, parent.dob)}",
                f"Phone: {phone}",
                "Relationship: Mother",
                f"Date: {when}",
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), child.mrn, True,
                                (parent, child, doctor), expect_reason="patient block"))  # fmt: skip
        elif layout == "referral":
            text = [
                fac,
                "REFERRAL",
                f"Date: {when}",
                f"Referring physician: Dr. {doctor.given} {doctor.family}",
                f"Re: {_name(rng, child)}   DOB: {_d(rng, child.dob)}",
                f"cc: {parent.given} {parent.family}  DOB: {_d(rng, parent.dob)}",
                *_body(rng),
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), child.mrn, True,
                                (parent, child, doctor)))  # fmt: skip
        elif layout == "emergency_contact":
            spouse = charts.make(
                family, _given(rng, "M"), _dob(rng, 1950, 1990), phone=phone, address=street
            )
            text = [
                fac,
                f"Visit date: {when}",
                f"Patient: {_name(rng, parent)}",
                f"{dob_label} {_d(rng, parent.dob)}",
                f"Emergency Contact: {spouse.given} {spouse.family}",
                f"Relationship: Spouse  DOB: {_d(rng, spouse.dob)}",
                f"Phone: {phone}",
                *_body(rng),
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), parent.mrn, True,
                                (parent, child, spouse)))  # fmt: skip
        elif layout == "insurance":
            spouse = charts.make(
                family, _given(rng, "M"), _dob(rng, 1950, 1990), phone=phone, address=street
            )
            text = [
                fac,
                "INSURANCE VERIFICATION",
                f"Subscriber: {spouse.family}, {spouse.given}",
                f"Subscriber DOB: {_d(rng, spouse.dob)}",
                f"Patient: {_name(rng, child)}   DOB: {_d(rng, child.dob)}",
                "Relationship to subscriber: Child",
                f"Date of service: {when}",
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), child.mrn, True,
                                (parent, child, spouse)))  # fmt: skip
        elif layout == "letter_to_patient":
            text = [
                fac,
                when,
                f"{parent.given} {parent.family}",
                street,
                "",
                f"Re: {parent.given} {parent.family}, DOB {_d(rng, parent.dob)}",
                f"Dear Ms. {parent.family},",
                "Your recent results are normal.",
                f"cc: Dr. {doctor.given} {doctor.family}",
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), parent.mrn, True,
                                (parent, child, doctor)))  # fmt: skip
        elif layout == "child_not_on_file":
            newborn = Patient(0, "", family, _given(rng, "F"), _dob(rng, 2023, 2024))
            text = [
                fac,
                "PATIENT INFORMATION",
                f"Name: {_name(rng, newborn)}",
                f"{dob_label} {_d(rng, newborn.dob)}",
                "GUARANTOR",
                f"Name: {_name(rng, parent)}",
                f"{dob_label} {_d(rng, parent.dob)}",
                f"Phone: {phone}",
                f"Date: {when}",
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), None, False,
                                (parent, child)))  # fmt: skip
        elif layout == "two_people_tie":
            text = [
                fac,
                f"Date: {when}",
                f"{parent.given} {parent.family}  {_d(rng, parent.dob)}",
                f"{child.given} {child.family}  {_d(rng, child.dob)}",
                "Family visit, both seen today.",
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), parent.mrn, False,
                                (parent, child), must_review=True))  # fmt: skip
        elif layout == "two_column_box":
            # A boxed demographics block in two columns: the guarantor's details under theirs.
            rows = (
                (f"Patient Name: {child.given} {child.family}",
                 f"Guarantor Name: {parent.given} {parent.family}"),
                (f"DOB: {_d(rng, child.dob)}", f"DOB: {_d(rng, parent.dob)}"),
                (f"Phone: {phone}", "Relationship: Mother"),
            )  # fmt: skip
            width = max(len(a) for a, _ in rows) + 6
            text = [fac, "REGISTRATION", *(a.ljust(width) + b for a, b in rows), f"Date: {when}"]
            out.append(MailPage("crowded", layout, "\n".join(text), child.mrn, True,
                                (parent, child), expect_reason="patient block"))  # fmt: skip
        elif layout == "mother_inline":
            text = [
                fac,
                f"Date of visit: {when}",
                f"Mother: {parent.given} {parent.family} (DOB {_d(rng, parent.dob)})",
                f"Pt name: {_name(rng, child)}",
                f"DOB: {_d(rng, child.dob)}",
                *_body(rng),
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), child.mrn, True,
                                (parent, child), expect_reason="patient block"))  # fmt: skip
        elif layout == "parent_first":
            # The responsible party's block above the patient's, with the same phone.
            text = [
                fac,
                "Responsible Party Information",
                f"Name: {parent.family}, {parent.given}",
                f"Date of Birth: {_d(rng, parent.dob)}",
                f"Home phone: {phone}",
                "Patient Demographics",
                f"Name: {_name(rng, child)}",
                f"Date of Birth: {_d(rng, child.dob)}",
                f"Home phone: {phone}",
                f"Date: {when}",
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), child.mrn, True,
                                (parent, child), expect_reason="patient block"))  # fmt: skip
        elif layout == "fax_cover":
            text = [
                "FAX",
                f"To: Dr. {doctor.given} {doctor.family}",
                f"From: {fac}",
                f"Re: {_name(rng, parent)}  DOB {_d(rng, parent.dob)}",
                "Pages: 2 including cover",
                *_body(rng),
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), parent.mrn, True,
                                (parent, child, doctor), expect_reason="patient block"))  # fmt: skip
        elif layout == "lab_ordering":
            # The ordering physician is a patient of the clinic too, with a DOB on file that
            # the page never prints; the patient's block names the child.
            text = [
                fac,
                "LABORATORY REPORT",
                f"Ordering physician: {doctor.family}, {doctor.given} MD",
                f"Patient: {_name(rng, child)}   Sex: {'F' if rng.random() < 0.5 else 'M'}",
                f"DOB: {_d(rng, child.dob)}",
                f"Collected: {when}",
                "Hemoglobin 12.9 g/dL",
            ]
            out.append(MailPage("crowded", layout, "\n".join(text), child.mrn, True,
                                (parent, child, doctor), expect_reason="patient block"))  # fmt: skip
        else:  # continuation: page 2 of someone's report, no identifiers at all
            text = ["Page 2 of 2", *_body(rng), *_body(rng), "Electronically signed."]
            out.append(MailPage("crowded", layout, "\n".join(text), None, False,
                                (parent, child)))  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------
# Class 3: previous names


def previous_name_pages(seed: int = 0, count: int = 30) -> list[MailPage]:
    """Old documents carrying a maiden name or a former legal name."""
    rng = random.Random(seed * 7919 + 3)
    charts = _Charts("previous_name", rng)
    layouts = (
        "maiden_lab",
        "maiden_letter",
        "legal_name",
        "maiden_and_mrn",
        "maiden_phone_only",
        "maiden_collides",
    )
    out: list[MailPage] = []
    for i in range(count):
        layout = layouts[i % len(layouts)]
        fac = rng.choice(_FACILITIES)
        maiden, married = _family(rng), _family(rng)
        while married == maiden:
            married = _family(rng)
        given = _given(rng, "F")
        phone = _phone(rng)
        when = _d(rng, _visit(rng))
        if layout == "legal_name":
            old_given = _given(rng, "M")
            kind, prev = "previous", PreviousName(maiden, old_given, "previous")
        else:
            old_given, kind, prev = given, "maiden", PreviousName(maiden, "", "maiden")
        woman = charts.make(
            married, given, _dob(rng, 1945, 1995), sex="F", phone=phone, previous_names=(prev,)
        )
        # Her father: on file under the maiden name, another DOB (a page must not go to him).
        father = charts.make(maiden, _given(rng, "M"), _dob(rng, 1920, 1960), sex="M")
        # Someone else whose *current* name is her maiden name (another DOB, another phone).
        namesake = charts.make(maiden, given, _dob(rng, 1945, 1995), sex="F", phone=_phone(rng))
        old = Patient(0, "", maiden, old_given, woman.dob, middle="")
        note = "maiden name" if kind == "maiden" else "previous name"
        dob = f"{rng.choice(DOB_LABELS)} {_d(rng, woman.dob)}"
        if layout == "maiden_lab":
            text = [fac, "LABORATORY REPORT", f"Patient: {_name(rng, old)}", dob,
                    f"Collected: {when}", "Glucose 92 mg/dL", "Hemoglobin 13.1 g/dL"]  # fmt: skip
        elif layout == "maiden_letter":
            text = [fac, when, f"Re: {old.given} {old.family}", dob,
                    f"Dear Dr. {_family(rng)},", *_body(rng)]  # fmt: skip
        elif layout == "legal_name":
            text = [fac, "IMMUNIZATION RECORD", f"Name: {_name(rng, old)}", dob,
                    f"Date given: {when}", "MMR dose 2"]  # fmt: skip
        elif layout == "maiden_and_mrn":
            text = [fac, f"Patient: {_name(rng, old)}", f"MRN: {woman.mrn}",
                    f"Exam date: {when}", "Chest x-ray: clear."]  # fmt: skip
        elif layout == "maiden_phone_only":  # maiden name + phone: no DOB
            text = [fac, f"Patient: {old.given} {old.family}", f"Phone: {phone}",
                    f"Date: {when}", *_body(rng)]  # fmt: skip
        else:  # her maiden name is a namesake's current name: the DOB decides
            text = [fac, "DISCHARGE SUMMARY", f"Patient: {_name(rng, old)}", dob,
                    f"Discharged: {when}", *_body(rng)]  # fmt: skip
        charts_on_file = (
            (woman, father, namesake) if layout == "maiden_collides" else (woman, father)
        )
        out.append(MailPage("previous_name", layout, "\n".join(text), woman.mrn, True,
                            charts_on_file, expect_reason=note))  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------
# Class 4: twins, Jr/Sr and look-alikes


def look_alike_pages(seed: int = 0, count: int = 30) -> list[MailPage]:
    """Twins, Jr/Sr and same-name charts; some pages can be told apart, some cannot."""
    rng = random.Random(seed * 7919 + 4)
    charts = _Charts("look_alike", rng)
    layouts = (
        "twin_full_name_dob",
        "twin_shared_only",
        "twin_near_names",
        "jr_sr_dob",
        "jr_sr_suffix",
        "jr_sr_neither",
        "same_name_other_dob",
        "stranger_same_name",
        "jr_sr_suffix_sr",
        "twin_initial",
    )
    out: list[MailPage] = []
    for i in range(count):
        layout = layouts[i % len(layouts)]
        fac = rng.choice(_FACILITIES)
        family = _family(rng)
        phone = _phone(rng)
        street = f"{rng.randrange(10, 999)} {rng.choice(_STREETS)}"
        when = _d(rng, _visit(rng))
        dob_label = rng.choice(("DOB:", "Date of Birth:", "Birth Date:"))
        shared = {"phone": phone, "address": street}
        if layout.startswith("twin"):
            pair = rng.choice(_TWIN_NEAR if layout == "twin_near_names" else _TWIN_FAR)
            dob = _dob(rng, 1990, 2018)
            a = charts.make(family, pair[0], dob, **shared)
            b = charts.make(family, pair[1], dob, **shared)
            if layout == "twin_initial":  # "A. OKAFOR": both twins' initial may be the same
                text = [fac, f"Patient: {a.given[0]}. {family}", f"{dob_label} {_d(rng, dob)}",
                        f"Date: {when}", *_body(rng)]  # fmt: skip
                out.append(MailPage("look_alike", layout, "\n".join(text), a.mrn, False,
                                    (a, b), must_review=True))  # fmt: skip
            elif layout == "twin_shared_only":
                text = [fac, f"Patient: {family.upper()}", f"{dob_label} {_d(rng, dob)}",
                        f"Phone: {phone}", f"Date: {when}", *_body(rng)]  # fmt: skip
                out.append(MailPage("look_alike", layout, "\n".join(text), a.mrn, False,
                                    (a, b), must_review=True))  # fmt: skip
            else:
                near = layout == "twin_near_names"
                text = [fac, f"Patient: {_name(rng, a)}", f"{dob_label} {_d(rng, dob)}",
                        f"Address: {street}", f"Phone: {phone}", f"Date: {when}",
                        *_body(rng)]  # fmt: skip
                out.append(MailPage("look_alike", layout, "\n".join(text), a.mrn, not near,
                                    (a, b), must_review=near))  # fmt: skip
        elif layout.startswith("jr_sr"):
            given = _given(rng, "M")
            sr = charts.make(family, given, _dob(rng, 1940, 1960), sex="M", **shared)
            jr = charts.make(f"{family} Jr", given, _dob(rng, 1970, 1990), sex="M", **shared)
            target = rng.choice((sr, jr))
            if layout == "jr_sr_dob":
                text = [fac, f"Patient: {given} {family}", f"{dob_label} {_d(rng, target.dob)}",
                        f"Phone: {phone}", f"Date: {when}", *_body(rng)]  # fmt: skip
                out.append(MailPage("look_alike", layout, "\n".join(text), target.mrn, True,
                                    (sr, jr)))  # fmt: skip
            elif layout in ("jr_sr_suffix", "jr_sr_suffix_sr"):
                # The father's chart has no suffix (clinics rarely type "Sr"); the son's has.
                target, said = (jr, "Jr.") if layout == "jr_sr_suffix" else (sr, "Sr.")
                text = [fac, f"Patient: {given} {family} {said}", f"Phone: {phone}",
                        f"Address: {street}", f"Date: {when}", *_body(rng)]  # fmt: skip
                out.append(MailPage("look_alike", layout, "\n".join(text), target.mrn, True,
                                    (sr, jr)))  # fmt: skip
            else:
                text = [fac, f"Patient: {given} {family}", f"Phone: {phone}",
                        f"Address: {street}", f"Date: {when}", *_body(rng)]  # fmt: skip
                out.append(MailPage("look_alike", layout, "\n".join(text), target.mrn, False,
                                    (sr, jr), must_review=True))  # fmt: skip
        elif layout == "same_name_other_dob":
            given = _given(rng, "F")
            a = charts.make(family, given, _dob(rng), sex="F", phone=_phone(rng))
            b = charts.make(family, given, _dob(rng), sex="F", phone=_phone(rng))
            text = [fac, f"Patient: {_name(rng, b)}", f"{dob_label} {_d(rng, b.dob)}",
                    f"Date: {when}", *_body(rng)]  # fmt: skip
            out.append(MailPage("look_alike", layout, "\n".join(text), b.mrn, True, (a, b)))
        else:  # someone not on file who shares a chart's name (and lives elsewhere)
            given = _given(rng, "M")
            a = charts.make(family, given, _dob(rng), sex="M", phone=_phone(rng))
            stranger_dob = _dob(rng)
            text = [fac, f"Patient: {given} {family}", f"{dob_label} {_d(rng, stranger_dob)}",
                    f"Phone: {_phone(rng)}", f"Date: {when}", *_body(rng)]  # fmt: skip
            out.append(MailPage("look_alike", layout, "\n".join(text), None, False, (a,)))
    return out


MAIL_PEOPLE_CLASSES = {
    "crowded": crowded_pages,
    "previous_name": previous_name_pages,
    "look_alike": look_alike_pages,
}


def charts_of(pages: list[MailPage]) -> list[Patient]:
    """Every chart the pages' scenarios put on file, once each."""
    seen: dict[int, Patient] = {}
    for p in pages:
        for c in p.charts:
            seen.setdefault(c.id, c)
    return list(seen.values())
