"""Name folding: the one place that decides when two spellings are "the same letters".

A clerk types `garcia lopez`, the chart says `García-López`; a fax says `O'BRIEN`, the chart
says `O'Brien`. Folding case, accents, apostrophes and hyphens here, identically for the index
and the query, keeps every other module free of Unicode special cases.
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not decompose into ASCII + combining marks.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
# Apostrophes vanish (O'Brien == OBrien == obrien); any other punctuation separates words.
_APOSTROPHES = re.compile(r"['’‘`´ʼ]")
# Letters of any script survive (a Cyrillic or Han name stays searchable as typed).
_NON_LETTER = re.compile(r"[\W\d_]+")


def fold(text: str) -> str:
    """Lower-case ASCII approximation of `text` (accents stripped, ß -> ss, ...)."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_SPECIAL).casefold()


def name_tokens(text: str) -> list[str]:
    """Words of a name after folding: `García-López` -> ["garcia", "lopez"]."""
    folded = _APOSTROPHES.sub("", fold(text))
    return [t for t in _NON_LETTER.split(folded) if t]


def name_terms(text: str) -> tuple[str, ...]:
    """Index terms of one name field: its words plus, for a multi-part name, the words joined.

    The joined form lets `delacruz`, `mcdonald` or `garcialopez` typed as one word find
    `De la Cruz`, `Mc Donald` or `García-López`, and either half alone finds it too.
    """
    tokens = name_tokens(text)
    if len(tokens) > 1:
        tokens.append("".join(tokens))
    return tuple(dict.fromkeys(tokens))


_NON_DIGIT = re.compile(r"[^0-9]+")


def digits_only(text: str) -> str:
    """The ASCII digits of `text` in order: phone and MRN matching ignore all punctuation."""
    return _NON_DIGIT.sub("", text)


def normalize_mrn(text: str) -> str:
    """MRN compared without punctuation, spaces or case: `00-12 345a` == `0012345A`."""
    if text.isascii() and text.isalnum():  # the usual case, ~10x faster than folding
        return text.upper()
    return "".join(ch for ch in fold(text) if ch.isalnum()).upper()


def normalize_phone(text: str) -> str:
    """Phone digits with a North-American leading `1` country code dropped (11 -> 10 digits)."""
    digits = digits_only(text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits
