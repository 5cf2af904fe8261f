"""Plain data shared by every layer: the service layer returns these, the UI and CLI show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

ROLES = ("clerk", "release", "admin")
SEXES = ("F", "M", "X", "U")


PREVIOUS_NAME_KINDS = ("maiden", "previous", "alias")


@dataclass(frozen=True, slots=True)
class PreviousName:
    """A name the patient had or goes by: mail from before a marriage or a legal name change
    carries it, so search and the scan suggestions count it as a name of the chart."""

    family: str
    given: str = ""  # empty: the given name is the chart's (a maiden name changes the family)
    kind: str = "maiden"  # one of PREVIOUS_NAME_KINDS

    @property
    def label(self) -> str:
        """How the evidence and the screens name it: "maiden name", "previous name", "alias"."""
        return {"maiden": "maiden name", "previous": "previous name"}.get(self.kind, "alias")

    def display(self, current_given: str = "") -> str:
        """ "FAMILY, Given" with the chart's given name when this one kept it."""
        return f"{self.family.upper()}, {self.given or current_given}".rstrip(", ")


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    mrn: str
    family: str
    given: str
    dob: date
    sex: str = "U"
    middle: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    merged_into: int | None = None
    last_activity: str | None = None
    aliases: tuple[str, ...] = ()  # former MRNs (merged charts) that still find this chart
    previous_names: tuple[PreviousName, ...] = ()  # maiden / former legal names, aliases

    @property
    def display_name(self) -> str:
        """ "FAMILY, Given Middle": the order a chart label and a release letter use."""
        rest = " ".join(p for p in (self.given, self.middle) if p)
        return f"{self.family.upper()}, {rest}"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    full_name: str
    role: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class DocType:
    code: str
    label: str
    sensitive: bool = False
    builtin: bool = True
    keywords: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    patient_id: int
    doc_type: str
    doc_date: date | None
    page_count: int
    title: str = ""
    author: str = ""
    facility: str = ""
    sensitive: bool = False
    created_at: str = ""


@dataclass(frozen=True, slots=True)
class PageRef:
    id: int
    document_id: int | None
    seq: int
    sha256: str
    media_type: str
    width: int
    height: int
    rotation: int = 0
