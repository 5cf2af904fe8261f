"""One lock for every call into PDFium (pypdfium2), process-wide.

PDFium is not thread-safe, not even for two different documents: two threads rendering at
once crash the process (a segmentation fault, not an exception). Imports (``scan/pdfpages``),
the packet preview and printing (``ui/``) and the synthetic page renderer can all run on
worker threads at the same time, so each holds this lock while it touches PDFium. Re-entrant,
so a caller holding it may call a helper that takes it again.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
