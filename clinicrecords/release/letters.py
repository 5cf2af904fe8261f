"""The cover letter: an editable text template with `$placeholders`, filled in per request.

Clinics reword their letters (state-specific language, a manager's name), so the wording lives
in a plain text file, not in code: `resources/letters/cover_letter.txt`, or a copy the clinic
edits at `<data dir>/letters/cover_letter.txt`, which wins when present. A misspelt
placeholder is refused when the letter is made rather than printed literally to a requester.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

from clinicrecords.common.errors import BadInput
from clinicrecords.common.resources import resource_file

COVER_LETTER = "cover_letter.txt"
PART2_NOTICE = "part2_redisclosure.txt"

PLACEHOLDERS = frozenset(
    {
        "today",
        "request_id",
        "received_on",
        "patient_name",
        "patient_dob",
        "purpose",
        "requester_name",
        "requester_organisation",
        "requester_address",
        "enclosed",
        "enclosed_pages",
        "withheld",
        "fee",
        "fee_note",
        "clinic_name",
        "clinic_phone",
        "released_by",
    }
)


# Placeholders whose value the program writes as letter lines ('- ' bullets): only these are
# read for markers; every other value (names, addresses, purposes) is text, printed as typed.
_FORMATTED = frozenset({"$enclosed", "${enclosed}"})


@dataclass(frozen=True, slots=True)
class LetterLine:
    """One paragraph of the letter as the packet lays it out."""

    text: str
    bold: bool = False
    bullet: bool = False  # '- ' lines: a hanging indent


def template_text(name: str, data_dir: Path | None = None) -> str:
    """The clinic's own copy of a template when it has one, else the shipped one."""
    if data_dir is not None:
        own = Path(data_dir) / "letters" / name
        if own.is_file():
            return own.read_text(encoding="utf-8")
    path = resource_file("letters", name)
    if not path.is_file():
        raise BadInput(f"The letter template '{name}' is missing from the program's resources.")
    return path.read_text(encoding="utf-8")


def _strip_comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if not (line == "#" or line.startswith("# "))]


def render_letter(template: str, values: dict[str, str]) -> list[LetterLine]:
    """Fill the template in and split it into paragraphs.

    A placeholder whose value is empty on a line of its own (no organisation, no address)
    drops the line rather than leaving a gap in the address block; a value spanning several
    lines (the list of enclosures) becomes several paragraphs.
    """
    body = "\n".join(_strip_comments(template))
    tmpl = Template(body)
    unknown = set(tmpl.get_identifiers()) - PLACEHOLDERS
    if unknown or not tmpl.is_valid():
        names = ", ".join(sorted(unknown)) or "a '$' sign"
        raise BadInput(
            f"The cover-letter template has a placeholder the program does not know: {names}."
        )
    filled = {key: values.get(key, "") for key in PLACEHOLDERS}
    lines: list[LetterLine] = []
    for raw in body.splitlines():
        piece = Template(raw)
        text = piece.substitute(filled)
        if piece.get_identifiers() and not text.strip():
            continue  # a line made only of empty placeholders
        if raw.strip() in _FORMATTED:  # the program's own list: its '- ' lines are bullets
            lines.extend(_line(part) for part in text.split("\n"))
            continue
        # '## ' and '- ' are the template's markers, read from the template line itself: a
        # requester named "- Lee" or an address line "## 4" is printed as written.
        kind = _line(raw)
        marker = 3 if kind.bold else 2 if kind.bullet else 0  # len("## "), len("- ")
        parts = Template(raw[marker:]).substitute(filled).split("\n")
        first = parts[0].strip() if marker else parts[0].rstrip()
        lines.append(LetterLine(first, bold=kind.bold, bullet=kind.bullet))
        lines.extend(LetterLine(part.rstrip()) for part in parts[1:])
    return lines


def notice_lines(text: str) -> list[LetterLine]:
    """The 42 CFR 2.32 notice, from its own editable file, as letter paragraphs."""
    return [_line(line) for line in _strip_comments(text)]


def _line(text: str) -> LetterLine:
    if text.startswith("## "):
        return LetterLine(text[3:].strip(), bold=True)
    if text.startswith("- "):
        return LetterLine(text[2:].strip(), bullet=True)
    return LetterLine(text.rstrip())


def withheld_sentence(sensitive_held: bool, excluded_held: bool) -> str:
    """What was withheld, in general terms only.

    The letter never names the sensitive category held back: telling an insurer that
    "substance use treatment records were withheld" would itself disclose that they exist.
    """
    parts = []
    if sensitive_held:
        parts.append(
            "Some records are not enclosed because the law gives them special protection and "
            "the authorization we hold does not cover them."
        )
    if excluded_held:
        parts.append(
            "Some records are not enclosed because they are not needed for the stated purpose."
        )
    return " ".join(parts)
