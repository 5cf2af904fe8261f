"""Synthetic patients and scanned-looking documents for the demo clinic, tests and benches.

Nothing here describes a real person: names come from frequency tables, phones use the
fictional 555 area code, SSNs the never-issued 999 prefix. Every generator takes a seed so a
benchmark run can be repeated exactly.

Modules: ``patients`` (registry + Synthea CSV), ``documents`` (labelled rendered pages),
``degrade`` (scan/fax/bad profiles, blank pages), ``writers`` (PDF/TIFF/PNG/JPEG),
``corpus`` (the command-line corpus writer). The document side imports ReportLab and pdfium,
so it is loaded lazily: ``from clinicrecords.synthetic import generate_patients`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from clinicrecords.synthetic.patients import (
    SyntheticPatient,
    generate_patients,
    write_synthea_csv,
)

_LAZY = {
    "LabeledDocument": "documents",
    "generate_documents": "documents",
    "document_at": "documents",
    "DOC_TYPES": "documents",
    "degrade": "degrade",
    "blank_page": "degrade",
    "write_pdf": "writers",
    "write_tiff": "writers",
    "write_png": "writers",
    "write_jpeg": "writers",
    "build_corpus": "corpus",
}

__all__ = ["SyntheticPatient", "generate_patients", "write_synthea_csv", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"clinicrecords.synthetic.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
