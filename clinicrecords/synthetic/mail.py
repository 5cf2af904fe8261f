"""The mail corpus's registry of page classes (issue 10).

MERGE NOTE: a minimal stand-in on branch ``mail-people``. The ``mail-dates`` branch owns the
real ``synthetic/mail.py`` (dates, page quality, document type, the corpus framework and
``bench/ocr_accuracy.py --corpus mail``); when the two are merged, keep that one and register
the people classes below in it. Here each class is a generator ``(seed, count) -> list`` of
pages with their ground truth (``synthetic.mail_people.MailPage``), scored per class by
``bench/mail_people.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from clinicrecords.synthetic.mail_people import MAIL_PEOPLE_CLASSES

MAIL_CLASSES: dict[str, Callable[..., list]] = {}
MAIL_CLASSES.update(MAIL_PEOPLE_CLASSES)  # "crowded", "previous_name", "look_alike"
