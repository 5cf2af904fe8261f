"""The default document-type taxonomy (DESIGN.md section 5). Codes are stable forever.

Sensitive types are held back from a release unless the authorization names them, and a clerk
sees them only through emergency access.
"""

from __future__ import annotations

from clinicrecords.common.domain import DocType

DEFAULT_DOC_TYPES: tuple[DocType, ...] = (
    DocType("lab", "Laboratory result"),
    DocType("imaging", "Imaging report"),
    DocType("consult", "Consultation"),
    DocType("referral", "Referral"),
    DocType("discharge", "Discharge summary"),
    DocType("progress_note", "Progress note"),
    DocType("immunization", "Immunization record"),
    DocType("medication", "Medication list"),
    DocType("insurance", "Insurance"),
    DocType("consent", "Consent"),
    DocType("roi_authorization", "Release authorization"),
    DocType("intake", "Intake form"),
    DocType("correspondence", "Correspondence"),
    DocType("billing", "Billing"),
    DocType("advance_directive", "Advance directive"),
    DocType("mental_health", "Mental health", sensitive=True),
    DocType("substance_use", "Substance use treatment", sensitive=True),
    DocType("hiv_sti", "HIV / STI", sensitive=True),
    DocType("genetic", "Genetic testing", sensitive=True),
    DocType("other", "Other"),
)

SENSITIVE_CODES = frozenset(t.code for t in DEFAULT_DOC_TYPES if t.sensitive)
