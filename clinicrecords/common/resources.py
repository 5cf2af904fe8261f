"""Where the program's own files (letter templates, type taxonomy, fonts, icons) are found.

One function answers for every way the program runs, so no module computes its own path from
``__file__``: a source checkout or editable install (``resources/`` beside the package), an
installed wheel or a frozen bundle (``clinicrecords/resources/`` inside the package, shipped as
package data). Looking in the package first means an installed copy never reads a stray
checkout's files.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_CANDIDATES = (_PACKAGE / "resources", _PACKAGE.parent / "resources")


def resource_dir() -> Path:
    """The folder holding the program's resources (raises when the install lost it)."""
    for folder in _CANDIDATES:
        if (folder / "doctypes.json").is_file():
            return folder
    raise FileNotFoundError("the program's resources folder")


def resource_file(*parts: str) -> Path:
    """A path inside the resources folder (it may not exist: callers say what is missing)."""
    return resource_dir().joinpath(*parts)
