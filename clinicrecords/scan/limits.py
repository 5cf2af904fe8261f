"""Limits on what an incoming file may ask of the machine.

A clinic PC has a few gigabytes of memory and two to four cores. A file that claims a
100,000 x 100,000 pixel page (a "decompression bomb", by accident or on purpose) or a
hundred thousand pages must be refused with a sentence, before any pixel is decoded, instead
of taking the program down. The numbers are module attributes so a test or a support
engineer can change them at run time (read them as ``limits.X``, never ``from limits import X``).
"""

from __future__ import annotations

# 120 megapixels: a 36 x 48 inch engineering drawing at 300 dpi still fits; a letter page at
# 1200 dpi is 135 MP and is refused (no office scanner produces that for paper records).
MAX_PAGE_PIXELS = 120_000_000

# One imported file; a thick chart scanned in one go is a few hundred pages.
MAX_PAGES_PER_FILE = 2_000

# Pages that are drawn (text PDFs) are rendered at this resolution: enough for OCR, and the
# size the rest of the pipeline expects.
RENDER_DPI = 300

# Images above this resolution are scaled down by cleanup.normalize; OCR gains nothing above it.
WORKING_DPI = 300

# Resolution written in files that is outside this range is treated as missing (many
# cameras and some scanners write 72 or 1 dpi regardless of what they captured).
PLAUSIBLE_DPI = (50.0, 2400.0)

# One Tesseract call on one page; a page normally takes a few seconds.
OCR_TIMEOUT_SECONDS = 180.0
