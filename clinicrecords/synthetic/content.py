"""What each document type says: titles, tables and stock phrases, per type.

The document-type classifier learns from words, so each type uses the vocabulary real ones
use (a lab report has analytes and reference ranges, an EOB says "This is not a bill"),
with deliberate overlap where real types overlap (HIV results look like a lab report, a
statement looks like an EOB, a consult letter reads like correspondence).

Each builder returns a ``Content``: a title and a list of blocks the renderer lays out.
Blocks: ("h", text), ("p", text), ("kv", [(label, value)]), ("table", header, rows),
("sig", text).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from clinicrecords.synthetic.formats import format_date

Block = tuple


@dataclass
class Ctx:
    """Everything a builder may mention; ``rng`` is the document's own generator."""

    rng: random.Random
    doc_date: date
    date_style: str
    facility: str
    author: str
    recipient: str  # our clinic's clinician, the usual addressee
    clinic: str  # our clinic's name
    salutation_name: str  # "Mr. Smith" / "Ms. Garcia"
    age: int
    sex: str


@dataclass
class Content:
    title: str
    blocks: list[Block] = field(default_factory=list)
    letter: bool = False  # reads as a letter (date, salutation, closing)


def _d(ctx: Ctx, d: date) -> str:
    return format_date(d, ctx.date_style)


def _pick(rng: random.Random, items: tuple[str, ...] | list[str], k: int) -> list[str]:
    return rng.sample(list(items), min(k, len(items)))


# --- lab -----------------------------------------------------------------------------------
# (analyte, units, low, high, decimals)
_PANELS: dict[str, list[tuple[str, str, float, float, int]]] = {
    "COMPLETE BLOOD COUNT (CBC) WITH DIFFERENTIAL": [
        ("WBC", "x10^3/uL", 4.0, 11.0, 1),
        ("RBC", "x10^6/uL", 4.2, 5.9, 2),
        ("Hemoglobin", "g/dL", 12.0, 17.5, 1),
        ("Hematocrit", "%", 36.0, 52.0, 1),
        ("MCV", "fL", 80.0, 100.0, 1),
        ("Platelets", "x10^3/uL", 150, 400, 0),
        ("Neutrophils", "%", 40.0, 75.0, 1),
        ("Lymphocytes", "%", 20.0, 45.0, 1),
    ],
    "COMPREHENSIVE METABOLIC PANEL": [
        ("Sodium", "mmol/L", 135, 145, 0),
        ("Potassium", "mmol/L", 3.5, 5.1, 1),
        ("Chloride", "mmol/L", 98, 107, 0),
        ("CO2", "mmol/L", 22, 29, 0),
        ("BUN", "mg/dL", 7, 20, 0),
        ("Creatinine", "mg/dL", 0.6, 1.3, 2),
        ("Glucose", "mg/dL", 70, 99, 0),
        ("Calcium", "mg/dL", 8.5, 10.5, 1),
        ("ALT", "U/L", 7, 56, 0),
        ("AST", "U/L", 10, 40, 0),
        ("Alkaline Phosphatase", "U/L", 44, 147, 0),
        ("Total Bilirubin", "mg/dL", 0.1, 1.2, 1),
    ],
    "LIPID PANEL": [
        ("Cholesterol, Total", "mg/dL", 100, 199, 0),
        ("HDL Cholesterol", "mg/dL", 40, 90, 0),
        ("LDL Cholesterol (calc)", "mg/dL", 50, 99, 0),
        ("Triglycerides", "mg/dL", 40, 149, 0),
    ],
    "HEMOGLOBIN A1C": [("Hemoglobin A1c", "%", 4.0, 5.6, 1), ("eAG", "mg/dL", 68, 114, 0)],
    "THYROID PANEL": [
        ("TSH", "uIU/mL", 0.45, 4.5, 2),
        ("Free T4", "ng/dL", 0.8, 1.8, 2),
    ],
    "URINALYSIS, COMPLETE": [
        ("Specific Gravity", "", 1.005, 1.030, 3),
        ("pH", "", 5.0, 8.0, 1),
        ("Protein", "mg/dL", 0, 14, 0),
        ("WBC, urine", "/hpf", 0, 5, 0),
    ],
    "VITAMIN D, 25-HYDROXY": [("Vitamin D, 25-OH", "ng/mL", 30, 100, 0)],
}

_HIV_STI: list[tuple[str, str, str]] = [
    ("HIV-1/2 Antigen/Antibody, 4th gen", "Nonreactive", "Nonreactive"),
    ("Chlamydia trachomatis NAAT", "Not Detected", "Not Detected"),
    ("Neisseria gonorrhoeae NAAT", "Not Detected", "Not Detected"),
    ("RPR (Syphilis) Screen", "Nonreactive", "Nonreactive"),
    ("Hepatitis C Antibody", "Nonreactive", "Nonreactive"),
    ("Trichomonas vaginalis NAAT", "Not Detected", "Not Detected"),
    ("HSV-2 IgG", "Negative", "Negative"),
]


def _value(rng: random.Random, low: float, high: float, dec: int) -> tuple[str, str]:
    span = high - low
    v = rng.uniform(low - 0.25 * span, high + 0.25 * span)
    v = max(v, 0.0)
    flag = "H" if v > high else ("L" if v < low else "")
    fmt = f"{{:.{dec}f}}"
    return fmt.format(v), flag


def lab(ctx: Ctx) -> Content:
    rng = ctx.rng
    # The collection date is the lab's date of service (issue 10); the report follows it.
    collected = ctx.doc_date
    reported = ctx.doc_date + timedelta(days=rng.choice((0, 0, 1, 1, 2)))
    c = Content(rng.choice(("LABORATORY REPORT", "Final Report", "CLINICAL LABORATORY RESULTS")))
    c.blocks.append(
        (
            "kv",
            [
                (
                    "Collected",
                    _d(ctx, collected) + f" {rng.randrange(6, 12):02d}:{rng.randrange(60):02d}",
                ),
                ("Reported", _d(ctx, reported)),
                ("Ordering Provider", ctx.recipient),
                ("Specimen", rng.choice(("Serum", "Whole blood", "Plasma", "Urine"))),
                ("Status", "FINAL"),
            ],
        )
    )
    for panel in _pick(rng, list(_PANELS), rng.choice((1, 1, 2, 2, 3))):
        rows = []
        for name, units, lo, hi, dec in _PANELS[panel]:
            val, flag = _value(rng, lo, hi, dec)
            ref = f"{lo:.{dec}f}-{hi:.{dec}f}"
            rows.append([name, val, flag, units, ref])
        c.blocks.append(("h", panel))
        c.blocks.append(("table", ["Test", "Result", "Flag", "Units", "Reference Range"], rows))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "Results flagged H or L are outside the laboratory reference range. "
                    "Reference ranges are age and sex specific.",
                    "Testing performed by the clinical laboratory. Critical values were called "
                    "to the ordering office.",
                    "Specimen received in good condition. Interpret results in clinical context.",
                )
            ),
        )
    )
    c.blocks.append(("sig", f"Laboratory Director: {ctx.author}"))
    return c


def hiv_sti(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(
            ("CONFIDENTIAL LABORATORY REPORT", "SEXUAL HEALTH SCREENING RESULTS", "Final Report")
        )
    )
    c.blocks.append(
        ("kv", [("Collected", _d(ctx, ctx.doc_date)), ("Ordering Provider", ctx.recipient)])
    )
    rows = []
    for name, res, ref in _pick(rng, _HIV_STI, rng.randrange(2, 6)):
        rows.append([name, res, "", ref])
    if rng.random() < 0.3:
        rows.append(
            [
                "HIV-1 RNA, Quantitative (viral load)",
                str(rng.choice(("<20", "<20", "48"))),
                "",
                "<20 copies/mL",
            ]
        )
        rows.append(["CD4 T-cell count", str(rng.randrange(350, 1200)), "", "500-1500 cells/uL"])
    c.blocks.append(("table", ["Test", "Result", "Flag", "Reference"], rows))
    c.blocks.append(
        (
            "p",
            "CONFIDENTIAL: HIV and sexually transmitted infection test results are protected "
            "health information. Redisclosure requires specific written authorization.",
        )
    )
    if rng.random() < 0.5:
        c.blocks.append(
            (
                "p",
                "Partner notification and counseling offered. Repeat screening in 3 months if ongoing risk.",
            )
        )
    c.blocks.append(("sig", ctx.author))
    return c


# --- imaging -------------------------------------------------------------------------------
_EXAMS = (
    (
        "XR CHEST 2 VIEWS",
        "Cough.",
        "The lungs are clear. No pleural effusion or pneumothorax. "
        "The cardiomediastinal silhouette is within normal limits.",
        "No acute cardiopulmonary process.",
    ),
    (
        "CT ABDOMEN AND PELVIS WITH IV CONTRAST",
        "Abdominal pain.",
        "The liver, spleen, pancreas "
        "and adrenal glands are unremarkable. No bowel obstruction. The appendix is normal. No free fluid.",
        "No acute abdominal or pelvic abnormality.",
    ),
    (
        "MRI LUMBAR SPINE WITHOUT CONTRAST",
        "Low back pain radiating to the left leg.",
        "Mild "
        "disc desiccation at L4-L5 with a small posterior disc bulge contacting the traversing left "
        "L5 nerve root. No spinal canal stenosis.",
        "L4-L5 disc bulge with possible left L5 root contact.",
    ),
    (
        "US ABDOMEN COMPLETE",
        "Elevated liver enzymes.",
        "The liver is mildly echogenic, consistent "
        "with fatty infiltration. Gallbladder without stones. Common bile duct measures 4 mm.",
        "Hepatic steatosis. No cholelithiasis.",
    ),
    (
        "MAMMOGRAM SCREENING BILATERAL WITH TOMOSYNTHESIS",
        "Routine screening.",
        "Scattered areas "
        "of fibroglandular density. No suspicious masses, calcifications or architectural distortion.",
        "BI-RADS 1: Negative. Recommend routine screening mammogram in 1 year.",
    ),
    (
        "DXA BONE DENSITY",
        "Osteoporosis screening.",
        "Lumbar spine L1-L4 T-score -1.6. Left femoral neck T-score -1.9.",
        "Osteopenia. FRAX 10-year major fracture risk 9.8 percent.",
    ),
    (
        "XR LEFT KNEE 3 VIEWS",
        "Knee pain after fall.",
        "No acute fracture or dislocation. Mild "
        "medial joint space narrowing. Small suprapatellar effusion.",
        "No fracture. Mild osteoarthritis.",
    ),
    (
        "CT HEAD WITHOUT CONTRAST",
        "Headache.",
        "No intracranial hemorrhage, mass effect or acute "
        "territorial infarct. Ventricles are normal in size.",
        "No acute intracranial abnormality.",
    ),
    (
        "ECHOCARDIOGRAM TRANSTHORACIC",
        "Dyspnea.",
        "Left ventricular ejection fraction estimated at "
        "55-60%. Normal wall motion. Mild mitral regurgitation.",
        "Normal LV systolic function.",
    ),
)


def imaging(ctx: Ctx) -> Content:
    rng = ctx.rng
    exam, hist, findings, impression = rng.choice(_EXAMS)
    c = Content(rng.choice(("RADIOLOGY REPORT", "DIAGNOSTIC IMAGING REPORT", "IMAGING REPORT")))
    c.blocks.append(
        (
            "kv",
            [
                ("Exam", exam),
                ("Exam Date", _d(ctx, ctx.doc_date)),
                ("Referring Physician", ctx.recipient),
            ],
        )
    )
    c.blocks.append(("h", "CLINICAL HISTORY"))
    c.blocks.append(("p", hist))
    c.blocks.append(("h", "TECHNIQUE"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "Standard protocol images were obtained.",
                    "Routine views were obtained per departmental protocol.",
                    "Multiplanar images were acquired and reviewed.",
                )
            ),
        )
    )
    c.blocks.append(("h", "COMPARISON"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "None available.",
                    f"Prior study dated {_d(ctx, ctx.doc_date - timedelta(days=rng.randrange(200, 900)))}.",
                )
            ),
        )
    )
    c.blocks.append(("h", "FINDINGS"))
    c.blocks.append(("p", findings))
    c.blocks.append(("h", "IMPRESSION"))
    c.blocks.append(("p", impression))
    c.blocks.append(
        ("sig", f"Electronically signed by {ctx.author}, Radiologist, on {_d(ctx, ctx.doc_date)}")
    )
    return c


# --- letters and notes ---------------------------------------------------------------------
_CONSULT_SPECIALTIES = {
    "Cardiology": (
        "palpitations and exertional chest discomfort",
        "Holter monitor and exercise stress test",
        "atrial premature contractions; low suspicion for coronary disease",
    ),
    "Dermatology": (
        "a changing pigmented lesion on the back",
        "shave biopsy of the lesion",
        "dysplastic nevus with mild atypia, margins clear",
    ),
    "Orthopedics": (
        "right shoulder pain for three months",
        "MRI of the shoulder and physical therapy",
        "rotator cuff tendinopathy without full-thickness tear",
    ),
    "Gastroenterology": (
        "intermittent rectal bleeding",
        "colonoscopy",
        "internal hemorrhoids and a 6 mm tubular adenoma, removed",
    ),
    "Neurology": ("recurrent headaches", "headache diary and MRI brain", "migraine without aura"),
    "Endocrinology": (
        "poorly controlled type 2 diabetes",
        "continuous glucose monitoring",
        "type 2 diabetes mellitus with hyperglycemia",
    ),
    "Pulmonology": (
        "chronic cough and wheeze",
        "pulmonary function testing",
        "mild persistent asthma",
    ),
    "Nephrology": (
        "declining kidney function",
        "renal ultrasound and urine albumin",
        "chronic kidney disease stage 3a",
    ),
}


def consult(ctx: Ctx) -> Content:
    rng = ctx.rng
    spec = rng.choice(list(_CONSULT_SPECIALTIES))
    reason, workup, dx = _CONSULT_SPECIALTIES[spec]
    c = Content(
        rng.choice((f"{spec} Consultation", "CONSULTATION REPORT", f"{spec.upper()} CONSULT NOTE")),
        letter=rng.random() < 0.6,
    )
    c.blocks.append(("p", f"Dear {ctx.recipient},"))
    c.blocks.append(
        (
            "p",
            f"Thank you for referring {ctx.salutation_name} for {spec.lower()} consultation "
            f"regarding {reason}. I saw the patient in clinic on {_d(ctx, ctx.doc_date)}.",
        )
    )
    c.blocks.append(("h", "History of Present Illness"))
    c.blocks.append(
        (
            "p",
            f"The patient is a {ctx.age}-year-old with {reason}. Symptoms have been present "
            f"for {rng.randrange(2, 12)} months. No fever, weight loss or night sweats.",
        )
    )
    c.blocks.append(("h", "Examination"))
    c.blocks.append(
        (
            "p",
            f"BP {rng.randrange(104, 150)}/{rng.randrange(60, 92)}, HR {rng.randrange(56, 96)}. "
            "Alert and in no distress. Examination otherwise as documented in the chart.",
        )
    )
    c.blocks.append(("h", "Assessment and Plan"))
    c.blocks.append(
        (
            "p",
            f"Impression: {dx}. I have recommended {workup}. I will see the patient again "
            f"in {rng.choice(('4 weeks', '3 months', '6 months'))} and will keep you informed.",
        )
    )
    c.blocks.append(("p", "Thank you for allowing me to participate in the care of this patient."))
    c.blocks.append(("sig", f"Sincerely,\n{ctx.author}\n{spec}"))
    return c


def referral(ctx: Ctx) -> Content:
    rng = ctx.rng
    spec = rng.choice(list(_CONSULT_SPECIALTIES))
    reason = _CONSULT_SPECIALTIES[spec][0]
    c = Content(
        rng.choice(("REFERRAL FORM", "Referral Request", "OUTGOING REFERRAL")),
        letter=rng.random() < 0.4,
    )
    c.blocks.append(
        (
            "kv",
            [
                ("Referral Date", _d(ctx, ctx.doc_date)),
                ("Refer To", f"{spec} - {ctx.facility}"),
                ("Referring Provider", ctx.author),
                ("Urgency", rng.choice(("Routine", "Routine", "Urgent"))),
                ("Authorization #", f"RA{rng.randrange(10**6, 10**7)}"),
                ("Visits Authorized", str(rng.choice((1, 3, 6)))),
            ],
        )
    )
    c.blocks.append(("h", "Reason for Referral"))
    c.blocks.append(
        (
            "p",
            f"Please evaluate and treat {reason}. Relevant history, medication list and recent "
            "results are enclosed. Please send your consultation note to the referring office.",
        )
    )
    c.blocks.append(("h", "Diagnosis"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "R07.89 Other chest pain",
                    "L98.9 Skin lesion",
                    "M25.511 Pain in right shoulder",
                    "K62.5 Rectal bleeding",
                    "R51.9 Headache",
                    "E11.65 Type 2 diabetes with hyperglycemia",
                )
            ),
        )
    )
    c.blocks.append(("sig", f"Referring provider signature: {ctx.author}"))
    return c


def discharge(ctx: Ctx) -> Content:
    rng = ctx.rng
    los = rng.randrange(1, 9)
    admit = ctx.doc_date - timedelta(days=los)
    dx = rng.choice(
        (
            "Community-acquired pneumonia",
            "Acute exacerbation of COPD",
            "Cellulitis of left lower leg",
            "Congestive heart failure exacerbation",
            "Acute pyelonephritis",
            "Syncope",
            "Diabetic ketoacidosis",
            "Chest pain, myocardial infarction ruled out",
        )
    )
    c = Content(
        rng.choice(
            ("DISCHARGE SUMMARY", "Hospital Discharge Summary", "DISCHARGE SUMMARY - INPATIENT")
        )
    )
    c.blocks.append(
        (
            "kv",
            [
                ("Admission Date", _d(ctx, admit)),
                ("Discharge Date", _d(ctx, ctx.doc_date)),
                ("Attending Physician", ctx.author),
                ("Primary Care", ctx.recipient),
                (
                    "Disposition",
                    rng.choice(("Home", "Home with services", "Skilled nursing facility")),
                ),
            ],
        )
    )
    c.blocks.append(("h", "Admitting Diagnosis"))
    c.blocks.append(("p", dx))
    c.blocks.append(("h", "Discharge Diagnoses"))
    c.blocks.append(
        (
            "p",
            f"1. {dx}. 2. {rng.choice(('Hypertension', 'Hyperlipidemia', 'Type 2 diabetes mellitus'))}. "
            f"3. {rng.choice(('Obesity', 'Tobacco use', 'Chronic kidney disease stage 2', 'Anemia'))}.",
        )
    )
    c.blocks.append(("h", "Hospital Course"))
    for _ in range(rng.randrange(2, 6)):
        c.blocks.append(
            (
                "p",
                rng.choice(
                    (
                        "The patient was admitted to the medical floor and started on intravenous antibiotics with "
                        "clinical improvement over the following 48 hours. Blood cultures remained negative.",
                        "Telemetry showed no arrhythmia. Troponins were negative times three. Echocardiogram showed "
                        "preserved ejection fraction.",
                        "Intravenous fluids were given and electrolytes were repleted. Renal function returned to baseline "
                        "before discharge.",
                        "Physical therapy evaluated the patient and cleared them for discharge home with a walker.",
                        "Home medications were reconciled. The patient tolerated a regular diet and ambulated independently.",
                        "Inhaled bronchodilators and a short course of oral steroids were given. Oxygen was weaned to room air.",
                    )
                ),
            )
        )
    c.blocks.append(("h", "Discharge Medications"))
    c.blocks.append(
        (
            "table",
            ["Medication", "Dose", "Instructions"],
            [[m, d, f] for m, d, f in _pick(rng, _MEDS, rng.randrange(3, 8))],
        )
    )
    c.blocks.append(("h", "Follow-up"))
    c.blocks.append(
        (
            "p",
            f"Follow up with {ctx.recipient} within {rng.choice(('7', '10', '14'))} days. "
            "Return to the emergency department for fever, chest pain or shortness of breath.",
        )
    )
    c.blocks.append(
        ("sig", f"Dictated by {ctx.author}. Electronically signed {_d(ctx, ctx.doc_date)}.")
    )
    return c


_MEDS = (
    ("Lisinopril", "10 mg", "1 tablet by mouth daily"),
    ("Metformin", "500 mg", "1 tablet by mouth twice daily with meals"),
    ("Atorvastatin", "40 mg", "1 tablet by mouth at bedtime"),
    ("Amlodipine", "5 mg", "1 tablet by mouth daily"),
    ("Levothyroxine", "75 mcg", "1 tablet by mouth every morning"),
    ("Omeprazole", "20 mg", "1 capsule by mouth daily before breakfast"),
    ("Albuterol HFA", "90 mcg", "2 puffs every 4-6 hours as needed"),
    ("Sertraline", "50 mg", "1 tablet by mouth daily"),
    ("Metoprolol succinate", "25 mg", "1 tablet by mouth daily"),
    ("Furosemide", "20 mg", "1 tablet by mouth daily"),
    ("Amoxicillin-clavulanate", "875 mg", "1 tablet twice daily for 7 days"),
    ("Gabapentin", "300 mg", "1 capsule three times daily"),
    ("Losartan", "50 mg", "1 tablet by mouth daily"),
    ("Aspirin", "81 mg", "1 tablet by mouth daily"),
    ("Insulin glargine", "20 units", "subcutaneously at bedtime"),
    ("Hydrochlorothiazide", "25 mg", "1 tablet by mouth daily"),
    ("Montelukast", "10 mg", "1 tablet by mouth at bedtime"),
    ("Vitamin D3", "2000 IU", "1 capsule daily"),
)


def medication(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(
            (
                "MEDICATION LIST",
                "Current Medications",
                "MEDICATION RECONCILIATION",
                "Pharmacy Medication Profile",
            )
        )
    )
    c.blocks.append(
        (
            "kv",
            [
                ("As of", _d(ctx, ctx.doc_date)),
                ("Prescriber", ctx.author),
                (
                    "Pharmacy",
                    rng.choice(("Main Street Pharmacy", "Corner Drug", "Valley Apothecary")),
                ),
            ],
        )
    )
    rows = []
    for m, dose, sig in _pick(rng, _MEDS, rng.randrange(3, 11)):
        start = ctx.doc_date - timedelta(days=rng.randrange(30, 2500))
        rows.append([m, dose, sig, _d(ctx, start)])
    c.blocks.append(("table", ["Medication", "Strength", "Directions", "Start"], rows))
    c.blocks.append(("h", "Allergies"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "No known drug allergies (NKDA).",
                    "Penicillin (rash).",
                    "Sulfa drugs (hives).",
                    "Codeine (nausea); latex.",
                )
            ),
        )
    )
    c.blocks.append(("p", "Refills: contact the pharmacy. Bring this list to every appointment."))
    return c


_VACCINES = (
    ("Influenza, quadrivalent", "Sanofi Pasteur"),
    ("Tdap (Boostrix)", "GSK"),
    ("MMR II", "Merck"),
    ("Hepatitis B (Engerix-B)", "GSK"),
    ("COVID-19 mRNA (2024-2025)", "Pfizer-BioNTech"),
    ("Pneumococcal conjugate PCV20", "Pfizer"),
    ("Zoster recombinant (Shingrix)", "GSK"),
    ("HPV 9-valent (Gardasil 9)", "Merck"),
    ("Varicella (Varivax)", "Merck"),
    ("DTaP-IPV-Hib", "Sanofi Pasteur"),
    ("Hepatitis A (Havrix)", "GSK"),
    ("RSV vaccine (Arexvy)", "GSK"),
)


def immunization(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(
            ("IMMUNIZATION RECORD", "Vaccine Administration Record", "CERTIFICATE OF IMMUNIZATION")
        )
    )
    rows = []
    when = ctx.doc_date
    for vac, mfr in _pick(rng, _VACCINES, rng.randrange(2, 8)):
        rows.append(
            [
                vac,
                _d(ctx, when),
                str(rng.randrange(1, 4)),
                f"{rng.choice('ABCDEFGHKLMNPRSTUVWXY')}{rng.randrange(1000, 99999)}",
                mfr,
                rng.choice(("L deltoid", "R deltoid", "L thigh", "IM")),
            ]
        )
        when = when - timedelta(days=rng.randrange(30, 900))
    c.blocks.append(
        ("table", ["Vaccine", "Date Given", "Dose", "Lot #", "Manufacturer", "Site"], rows)
    )
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "Vaccine Information Statement (VIS) provided before administration.",
                    "Record reported to the state immunization registry (IIS).",
                    "Observed 15 minutes after vaccination; no adverse reaction.",
                )
            ),
        )
    )
    c.blocks.append(("sig", f"Administered by: {ctx.author}"))
    return c


def progress_note(ctx: Ctx) -> Content:
    rng = ctx.rng
    cc = rng.choice(
        (
            "Follow-up of hypertension",
            "Sore throat for 3 days",
            "Annual wellness visit",
            "Diabetes follow-up",
            "Low back pain",
            "Medication refill",
            "Rash on arms",
            "Ear pain",
        )
    )
    c = Content(rng.choice(("PROGRESS NOTE", "Office Visit Note", "Clinic Note", "OFFICE VISIT")))
    c.blocks.append(
        (
            "kv",
            [
                ("Date of Service", _d(ctx, ctx.doc_date)),
                ("Provider", ctx.author),
                ("Visit Type", rng.choice(("Established patient", "Follow-up", "Sick visit"))),
            ],
        )
    )
    c.blocks.append(("h", "Chief Complaint"))
    c.blocks.append(("p", cc + "."))
    c.blocks.append(("h", "Subjective"))
    c.blocks.append(
        (
            "p",
            f"Patient reports {cc.lower()}. Denies fever, chest pain or shortness of breath. "
            "Taking medications as prescribed.",
        )
    )
    c.blocks.append(("h", "Objective"))
    c.blocks.append(
        (
            "p",
            f"Vitals: BP {rng.randrange(104, 160)}/{rng.randrange(60, 98)}, HR {rng.randrange(55, 100)}, "
            f"Temp {rng.uniform(97.0, 99.8):.1f} F, Wt {rng.randrange(110, 260)} lb, SpO2 {rng.randrange(94, 100)}%. "
            "Lungs clear. Heart regular rate and rhythm. Abdomen soft, nontender.",
        )
    )
    c.blocks.append(("h", "Assessment"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "Essential hypertension, controlled.",
                    "Viral pharyngitis.",
                    "Well adult exam.",
                    "Type 2 diabetes, A1c improved.",
                    "Lumbar strain.",
                    "Contact dermatitis.",
                )
            ),
        )
    )
    c.blocks.append(("h", "Plan"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "Continue current medications. Labs before next visit. Return in 3 months.",
                    "Supportive care, fluids, rest. Return if not improving in one week.",
                    "Refills sent to pharmacy. Diet and exercise counseling given.",
                    "Physical therapy referral. Ibuprofen as needed.",
                )
            ),
        )
    )
    c.blocks.append(("sig", f"Electronically signed: {ctx.author}"))
    return c


def mental_health(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(
            (
                "BEHAVIORAL HEALTH PROGRESS NOTE",
                "Psychotherapy Progress Note",
                "PSYCHIATRIC EVALUATION",
                "Mental Health Counseling Note",
            )
        )
    )
    c.blocks.append(
        (
            "kv",
            [
                ("Session Date", _d(ctx, ctx.doc_date)),
                ("Clinician", ctx.author),
                (
                    "Session",
                    rng.choice(
                        (
                            "Individual psychotherapy, 53 min (90837)",
                            "Individual therapy, 45 min (90834)",
                            "Medication management",
                        )
                    ),
                ),
            ],
        )
    )
    c.blocks.append(("h", "Presenting Concerns"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "Depressed mood, poor sleep and low motivation.",
                    "Anxiety with panic episodes at work.",
                    "Grief following a family loss.",
                    "Irritability and difficulty concentrating.",
                )
            ),
        )
    )
    c.blocks.append(("h", "Mental Status Exam"))
    c.blocks.append(
        (
            "p",
            "Appearance appropriate. Mood "
            + rng.choice(("depressed", "anxious", "euthymic"))
            + ", affect congruent. Thought process linear and goal directed. Denies suicidal or homicidal "
            "ideation. Insight and judgment fair.",
        )
    )
    c.blocks.append(
        ("kv", [("PHQ-9", str(rng.randrange(0, 24))), ("GAD-7", str(rng.randrange(0, 21)))])
    )
    c.blocks.append(("h", "Assessment"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "F32.1 Major depressive disorder, single episode, moderate.",
                    "F41.1 Generalized anxiety disorder.",
                    "F43.21 Adjustment disorder with depressed mood.",
                    "F41.0 Panic disorder.",
                )
            ),
        )
    )
    c.blocks.append(("h", "Plan"))
    c.blocks.append(
        (
            "p",
            "Continue cognitive behavioral therapy weekly. Safety plan reviewed. "
            "Coordinate care with primary care provider with patient consent.",
        )
    )
    c.blocks.append(("sig", f"{ctx.author}, LICSW"))
    return c


def substance_use(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(
            (
                "SUBSTANCE USE DISORDER TREATMENT NOTE",
                "Addiction Medicine Progress Note",
                "Opioid Treatment Program - Counseling Note",
            )
        )
    )
    c.blocks.append(
        (
            "p",
            "This record is protected by federal confidentiality rules (42 CFR Part 2). "
            "Federal rules prohibit any further disclosure of this information without the "
            "specific written consent of the person to whom it pertains.",
        )
    )
    c.blocks.append(("kv", [("Visit Date", _d(ctx, ctx.doc_date)), ("Counselor", ctx.author)]))
    c.blocks.append(("h", "Diagnosis"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "F11.20 Opioid use disorder, moderate, on maintenance therapy.",
                    "F10.20 Alcohol use disorder, moderate.",
                    "F12.20 Cannabis use disorder.",
                    "F14.20 Cocaine use disorder, in early remission.",
                )
            ),
        )
    )
    c.blocks.append(("h", "Treatment"))
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    f"Buprenorphine-naloxone {rng.choice((8, 12, 16))} mg daily. Urine drug screen "
                    "positive for buprenorphine only.",
                    "Naltrexone 50 mg daily. AUDIT-C score reviewed.",
                    "Group counseling and relapse prevention plan. Urine toxicology negative.",
                )
            ),
        )
    )
    c.blocks.append(
        (
            "p",
            f"Days abstinent: {rng.randrange(3, 400)}. Cravings {rng.choice(('minimal', 'moderate', 'decreasing'))}. "
            "Naloxone kit confirmed at home.",
        )
    )
    c.blocks.append(("sig", f"{ctx.author}, LADC"))
    return c


def genetic(ctx: Ctx) -> Content:
    rng = ctx.rng
    test, result = rng.choice(
        (
            (
                "Hereditary Breast and Ovarian Cancer Panel (BRCA1, BRCA2, PALB2)",
                "No pathogenic variants detected.",
            ),
            (
                "BRCA1/BRCA2 Sequencing and Deletion/Duplication",
                "Variant of uncertain significance (VUS) in BRCA2, heterozygous.",
            ),
            (
                "Expanded Carrier Screening (CFTR, SMN1, HBB)",
                "Carrier of one pathogenic CFTR variant (F508del), heterozygous.",
            ),
            (
                "Lynch Syndrome Panel (MLH1, MSH2, MSH6, PMS2)",
                "Pathogenic variant identified in MSH6, heterozygous.",
            ),
            (
                "Pharmacogenomic Panel (CYP2C19, CYP2D6)",
                "CYP2C19 intermediate metabolizer (*1/*2).",
            ),
        )
    )
    c = Content(
        rng.choice(
            (
                "GENETIC TEST REPORT",
                "Molecular Genetics Laboratory Report",
                "GENOMIC TESTING RESULTS",
            )
        )
    )
    c.blocks.append(
        (
            "kv",
            [
                ("Test", test),
                ("Report Date", _d(ctx, ctx.doc_date)),
                ("Ordering Provider", ctx.recipient),
                ("Specimen", rng.choice(("Blood (EDTA)", "Saliva", "Buccal swab"))),
            ],
        )
    )
    c.blocks.append(("h", "RESULT"))
    c.blocks.append(("p", result))
    c.blocks.append(("h", "Interpretation"))
    c.blocks.append(
        (
            "p",
            "Genetic counseling is recommended to discuss these results and implications for "
            "relatives. Sequencing covered all coding exons with at least 20x depth.",
        )
    )
    c.blocks.append(
        ("p", "This report contains genetic information protected under GINA and state law.")
    )
    c.blocks.append(("sig", f"{ctx.author}, PhD, FACMG, Laboratory Director"))
    return c


# --- administrative --------------------------------------------------------------------------
_PAYERS = (
    "Evergreen Health Plan",
    "Granite Mutual Insurance",
    "Bayview Health Partners",
    "Northstar Community Care",
    "Summit Benefit Services",
)
_CPT = (
    ("99213", "Office visit, established, low", 145.0),
    ("99214", "Office visit, established, moderate", 210.0),
    ("80053", "Comprehensive metabolic panel", 48.0),
    ("85025", "Complete blood count", 32.0),
    ("90686", "Influenza vaccine", 38.0),
    ("71046", "Chest x-ray 2 views", 96.0),
    ("93000", "Electrocardiogram", 62.0),
    ("99396", "Preventive visit 40-64", 240.0),
)


def _service_rows(ctx: Ctx) -> list[list[str]]:
    rows = []
    for code, desc, fee in _pick(ctx.rng, _CPT, ctx.rng.randrange(1, 5)):
        allowed = fee * ctx.rng.uniform(0.5, 0.9)
        paid = allowed * ctx.rng.choice((0.8, 0.9, 1.0))
        rows.append(
            [
                _d(ctx, ctx.doc_date),
                code,
                desc,
                f"${fee:,.2f}",
                f"${allowed:,.2f}",
                f"${paid:,.2f}",
                f"${allowed - paid:,.2f}",
            ]
        )
    return rows


def insurance(ctx: Ctx) -> Content:
    rng = ctx.rng
    payer = ctx.facility  # an EOB comes from the plan whose letterhead it carries
    c = Content(
        rng.choice(
            (
                "EXPLANATION OF BENEFITS",
                "Explanation of Benefits - THIS IS NOT A BILL",
                "Insurance Eligibility Verification",
            )
        )
    )
    c.blocks.append(("p", f"{payer}. THIS IS NOT A BILL."))
    c.blocks.append(
        (
            "kv",
            [
                (
                    "Member ID",
                    f"{rng.choice(('EHP', 'GMI', 'BHP', 'NCC'))}{rng.randrange(10**8, 10**9)}",
                ),
                ("Group #", str(rng.randrange(10000, 99999))),
                ("Claim #", f"{rng.randrange(10**10, 10**11)}"),
                ("Provider", ctx.clinic),
                ("Processed", _d(ctx, ctx.doc_date + timedelta(days=rng.randrange(10, 40)))),
            ],
        )
    )
    c.blocks.append(
        (
            "table",
            ["Service Date", "Code", "Description", "Billed", "Allowed", "Plan Paid", "You Owe"],
            _service_rows(ctx),
        )
    )
    c.blocks.append(
        (
            "p",
            "Deductible, copay and coinsurance amounts are shown under You Owe. Your provider may "
            "bill you for this amount. To appeal this decision, write to the plan within 180 days.",
        )
    )
    return c


def billing(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(("PATIENT STATEMENT", "Statement of Account", "INVOICE", "BILLING STATEMENT"))
    )
    rows = _service_rows(ctx)
    due = sum(float(r[6].strip("$").replace(",", "")) for r in rows) + rng.choice((0.0, 0.0, 25.0))
    c.blocks.append(
        (
            "kv",
            [
                ("Statement Date", _d(ctx, ctx.doc_date + timedelta(days=rng.randrange(20, 60)))),
                ("Account #", f"{rng.randrange(10**6, 10**7)}"),
                ("Amount Due", f"${due:,.2f}"),
                ("Payment Due By", _d(ctx, ctx.doc_date + timedelta(days=rng.randrange(60, 90)))),
            ],
        )
    )
    c.blocks.append(
        (
            "table",
            ["Date", "CPT", "Description", "Charges", "Ins. Allowed", "Ins. Paid", "Balance"],
            rows,
        )
    )
    c.blocks.append(
        (
            "p",
            "Please remit payment by check or card. Make checks payable to the practice. "
            "Balance forward includes prior unpaid charges. Call our billing office with questions "
            "about your bill or to set up a payment plan.",
        )
    )
    return c


def consent(ctx: Ctx) -> Content:
    rng = ctx.rng
    procs = [
        "Colonoscopy with possible biopsy",
        "Excision of skin lesion",
        "Joint injection (corticosteroid)",
        "Treatment and routine care",
        "Telehealth services",
    ]
    if ctx.sex == "F" and 14 <= ctx.age <= 50:
        procs.append("IUD insertion")
    proc = rng.choice(procs)
    c = Content(
        rng.choice(
            ("CONSENT FOR TREATMENT", "INFORMED CONSENT FOR PROCEDURE", "Patient Consent Form")
        )
    )
    c.blocks.append(("kv", [("Procedure", proc)]))
    c.blocks.append(
        (
            "p",
            f"I, the undersigned, consent to the following: {proc}, to be performed by {ctx.author}. "
            "The nature of the procedure, its risks (including bleeding, infection and pain), benefits "
            "and alternatives, including no treatment, have been explained to me. I have had the chance "
            "to ask questions and all were answered.",
        )
    )
    c.blocks.append(
        (
            "p",
            "I understand that no guarantee has been made about the results. I may withdraw this consent "
            "at any time before the procedure.",
        )
    )
    c.blocks.append(
        (
            "sig",
            f"Signature of patient or legal representative ____________  Date {_d(ctx, ctx.doc_date)}\n"
            "Witness ____________",
        )
    )
    return c


def roi_authorization(ctx: Ctx) -> Content:
    rng = ctx.rng
    to = rng.choice(
        (
            "Law Office of Harper & Wynn",
            "Evergreen Health Plan",
            "Social Security Administration",
            "Lakeside Orthopedic Associates",
            "the patient",
            "Bayview Life Insurance Co.",
        )
    )
    c = Content(
        rng.choice(
            (
                "AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION",
                "Authorization to Disclose Health Information (HIPAA)",
                "REQUEST FOR MEDICAL RECORDS",
            )
        )
    )
    c.blocks.append(("p", f"I authorize {ctx.clinic} to disclose my health information to: {to}."))
    c.blocks.append(
        (
            "kv",
            [
                (
                    "Purpose",
                    rng.choice(
                        (
                            "Legal",
                            "Insurance",
                            "Continuity of care",
                            "Disability claim",
                            "Personal use",
                        )
                    ),
                ),
                (
                    "Information to be released",
                    rng.choice(
                        (
                            "All records",
                            "Records from the last 2 years",
                            "Office notes, labs and imaging",
                        )
                    ),
                ),
                ("This authorization expires on", _d(ctx, ctx.doc_date + timedelta(days=365))),
            ],
        )
    )
    c.blocks.append(
        (
            "p",
            "Initial to include: ___ Mental health records  ___ Substance use treatment (42 CFR Part 2)  "
            "___ HIV/AIDS and STI results  ___ Genetic testing",
        )
    )
    c.blocks.append(
        (
            "p",
            "I understand that I may revoke this authorization in writing at any time. Treatment will not "
            "be conditioned on signing. Information disclosed may be redisclosed by the recipient.",
        )
    )
    c.blocks.append(("sig", f"Signature ____________  Date signed {_d(ctx, ctx.doc_date)}"))
    return c


def intake(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(
            ("NEW PATIENT INTAKE FORM", "Patient Registration Form", "PATIENT INFORMATION SHEET")
        )
    )
    c.blocks.append(
        (
            "kv",
            [
                ("Date", _d(ctx, ctx.doc_date)),
                ("Emergency Contact", rng.choice(("Spouse", "Parent", "Sibling", "Friend"))),
                ("Primary Insurance", rng.choice(_PAYERS)),
                ("Preferred Pharmacy", "Main Street Pharmacy"),
                ("Preferred Language", rng.choice(("English", "English", "Spanish", "Portuguese"))),
                (
                    "Reason for Visit",
                    rng.choice(
                        ("New patient, establish care", "Physical exam", "Transfer of care")
                    ),
                ),
            ],
        )
    )
    c.blocks.append(("h", "Medical History (check all that apply)"))
    conds = (
        "Diabetes",
        "High blood pressure",
        "Asthma",
        "Heart disease",
        "Depression",
        "Cancer",
        "Thyroid disease",
        "Arthritis",
    )
    c.blocks.append(
        ("p", "   ".join(f"[{'X' if rng.random() < 0.25 else ' '}] {x}" for x in conds))
    )
    c.blocks.append(
        (
            "kv",
            [
                ("Allergies", rng.choice(("None", "Penicillin", "Peanuts", "Latex"))),
                ("Tobacco use", rng.choice(("Never", "Former", "Current"))),
                ("Alcohol", rng.choice(("None", "Social", "1-2 drinks/week"))),
            ],
        )
    )
    c.blocks.append(("sig", "Patient signature ____________"))
    return c


def correspondence(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(rng.choice(("", "Re: Your recent visit", "Notice to Patient")), letter=True)
    c.blocks.append(("p", f"Dear {ctx.salutation_name},"))
    for _ in range(rng.randrange(1, 3)):
        c.blocks.append(
            (
                "p",
                rng.choice(
                    (
                        "We are writing to let you know that your recent test results were reviewed and are within normal "
                        "limits. No further action is needed at this time.",
                        "Our records show that you are due for your annual visit. Please call our office to schedule an appointment.",
                        "We received your request and have updated your contact information in our records.",
                        f"This letter confirms that you missed your appointment on {_d(ctx, ctx.doc_date - timedelta(days=rng.randrange(3, 20)))}. "
                        "Please call to reschedule.",
                        "Your prior authorization request has been received and is under review. You will be notified of the decision in writing.",
                        "Please find enclosed the forms you requested. Return them to our office at your convenience.",
                    )
                ),
            )
        )
    c.blocks.append(
        ("p", "If you have any questions, please do not hesitate to contact our office.")
    )
    c.blocks.append(("sig", f"Sincerely,\n{ctx.author}"))
    return c


def advance_directive(ctx: Ctx) -> Content:
    rng = ctx.rng
    c = Content(
        rng.choice(
            (
                "ADVANCE HEALTH CARE DIRECTIVE",
                "Durable Power of Attorney for Health Care",
                "MOLST - Medical Orders for Life-Sustaining Treatment",
                "LIVING WILL",
            )
        )
    )
    c.blocks.append(
        (
            "p",
            "I, being of sound mind, make this advance directive voluntarily. If I am unable to make or "
            "communicate my own health care decisions, I designate the person below as my health care agent.",
        )
    )
    c.blocks.append(
        (
            "kv",
            [
                ("Health Care Agent", rng.choice(("Spouse", "Daughter", "Son", "Sister"))),
                ("Alternate Agent", rng.choice(("Brother", "Friend", "Niece"))),
            ],
        )
    )
    c.blocks.append(
        (
            "p",
            rng.choice(
                (
                    "If I have a terminal condition, I do not want life-sustaining treatment, including "
                    "CPR, mechanical ventilation or artificial nutrition, if it would only prolong dying.",
                    "I want all treatments that may prolong my life. Comfort measures should always be provided.",
                    "Do Not Resuscitate (DNR). Do not intubate. Comfort-focused treatment.",
                )
            ),
        )
    )
    c.blocks.append(
        (
            "sig",
            f"Signed {_d(ctx, ctx.doc_date)}. Witness 1 ____________  Witness 2 ____________\n"
            "Notary Public ____________",
        )
    )
    return c


def other(ctx: Ctx) -> Content:
    rng = ctx.rng
    kind = rng.choice(("work", "school", "sport", "handout", "parking"))
    if kind in ("work", "school"):
        c = Content(
            "WORK / SCHOOL EXCUSE" if kind == "work" else "School Excuse Note",
            letter=rng.random() < 0.5,
        )
        c.blocks.append(
            (
                "p",
                f"Please excuse {ctx.salutation_name} from {kind} on {_d(ctx, ctx.doc_date)}. "
                f"May return on {_d(ctx, ctx.doc_date + timedelta(days=rng.randrange(1, 5)))} without restrictions.",
            )
        )
    elif kind == "sport":
        c = Content("PRE-PARTICIPATION SPORTS PHYSICAL FORM")
        c.blocks.append(
            (
                "p",
                "Cleared for all sports without restriction. Height, weight, vision and heart exam reviewed.",
            )
        )
    elif kind == "handout":
        c = Content("Patient Education: Healthy Eating")
        c.blocks.append(
            (
                "p",
                "Fill half your plate with vegetables and fruit. Choose whole grains. Limit sugary drinks. "
                "Aim for 150 minutes of activity each week.",
            )
        )
    else:
        c = Content("DISABILITY PARKING PLACARD APPLICATION - MEDICAL CERTIFICATION")
        c.blocks.append(
            (
                "p",
                "The applicant cannot walk 200 feet without stopping to rest. Duration: temporary, 6 months.",
            )
        )
    c.blocks.append(("sig", ctx.author))
    return c


BUILDERS: dict[str, Callable[[Ctx], Content]] = {
    "lab": lab,
    "imaging": imaging,
    "consult": consult,
    "referral": referral,
    "discharge": discharge,
    "progress_note": progress_note,
    "immunization": immunization,
    "medication": medication,
    "insurance": insurance,
    "consent": consent,
    "roi_authorization": roi_authorization,
    "intake": intake,
    "correspondence": correspondence,
    "billing": billing,
    "advance_directive": advance_directive,
    "mental_health": mental_health,
    "substance_use": substance_use,
    "hiv_sti": hiv_sti,
    "genetic": genetic,
    "other": other,
}

# Who sends each type: (facility kind, author title) drives letterhead and signature wording.
SENDER_KIND = {
    "lab": "lab",
    "hiv_sti": "lab",
    "genetic": "genetics",
    "imaging": "imaging",
    "discharge": "hospital",
    "consult": "specialist",
    "referral": "clinic",
    "progress_note": "clinic",
    "immunization": "clinic",
    "medication": "pharmacy",
    "insurance": "payer",
    "billing": "clinic",
    "consent": "clinic",
    "roi_authorization": "clinic",
    "intake": "clinic",
    "correspondence": "clinic",
    "advance_directive": "clinic",
    "mental_health": "behavioral",
    "substance_use": "behavioral",
    "other": "clinic",
}
