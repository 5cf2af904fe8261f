"""The clinic's learned document-type classifier: kept encrypted in the settings table,
cached per store, taught by every filed document."""

from __future__ import annotations

import json

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import DocType
from clinicrecords.db import documents_sql, settings_sql
from clinicrecords.scan.doctype import DocTypeClassifier, default_taxonomy

CLASSIFIER_KEY = "scan.doctype_classifier"
_CLASSIFIER_CACHE = "doctype_classifier"


def classifier_for(session: Session) -> DocTypeClassifier:
    """The clinic's learned document-type classifier (kept encrypted in the settings table)."""
    store = session.store
    with store.cache_lock:
        found = store.cache.get(_CLASSIFIER_CACHE)
        if found is None:
            with session.db.read() as conn:
                state = settings_sql.get(conn, CLASSIFIER_KEY, "")
                rows = documents_sql.doc_types(conn)
            found = DocTypeClassifier.from_json(state or "", _taxonomy(rows))
            store.cache[_CLASSIFIER_CACHE] = found
        return found  # type: ignore[return-value]


def _taxonomy(rows: list[dict]) -> tuple[DocType, ...]:
    """The built-in types with their keyword lists, plus the clinic's own types."""
    builtin = default_taxonomy()
    known = {t.code for t in builtin}
    own = []
    for r in rows:
        if r["code"] in known:
            continue
        try:
            words = tuple(str(k).lower() for k in json.loads(r.get("keywords") or "[]"))
        except ValueError:
            words = ()
        own.append(DocType(r["code"], r["label"], bool(r["sensitive"]), False, words))
    return builtin + tuple(own)


def learned(session: Session, text: str, code: str) -> DocTypeClassifier:
    """A new classifier that also knows this document. Copy, then swap: the pipeline's
    workers may be predicting with the old one at this moment."""
    old = classifier_for(session)
    new = DocTypeClassifier.from_json(old.to_json(), old.taxonomy)
    new.learn(text, code)
    return new


def remember(session: Session, classifier: DocTypeClassifier) -> None:
    """Swap in the classifier that learned a filed document (after its commit)."""
    with session.store.cache_lock:
        session.store.cache[_CLASSIFIER_CACHE] = classifier
