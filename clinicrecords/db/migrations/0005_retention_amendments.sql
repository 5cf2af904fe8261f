-- 0005: retention and disposal (policies, legal holds, tombstones, certificates of destruction)
-- and amendment requests (45 CFR 164.526). Dates are YYYY-MM-DD; timestamps UTC ISO 8601 'Z'.

-- Years to keep a document type: after the date of service, and for a patient who was a minor
-- then, after the age of majority (the later of the two). A type with no row keeps the defaults.
CREATE TABLE retention_policies (
    doc_type    TEXT PRIMARY KEY REFERENCES doc_types (code),
    years       INTEGER NOT NULL CHECK (years BETWEEN 1 AND 100),
    minor_years INTEGER NOT NULL CHECK (minor_years BETWEEN 0 AND 100),
    set_by      INTEGER REFERENCES users (id),
    set_at      TEXT NOT NULL
);

-- A legal hold on a chart: nothing in it is disposed of while any hold is active.
CREATE TABLE legal_holds (
    id             INTEGER PRIMARY KEY,
    patient_id     INTEGER NOT NULL REFERENCES patients (id),
    reason         TEXT NOT NULL,
    placed_by      INTEGER REFERENCES users (id),
    placed_at      TEXT NOT NULL,
    released_by    INTEGER REFERENCES users (id),
    released_at    TEXT,
    release_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX legal_holds_patient ON legal_holds (patient_id, released_at);

-- One disposal run: what the certificate of destruction lists.
CREATE TABLE disposal_certificates (
    id          INTEGER PRIMARY KEY,
    disposed_at TEXT NOT NULL,
    disposed_by INTEGER REFERENCES users (id),
    method      TEXT NOT NULL,
    documents   INTEGER NOT NULL,
    pages       INTEGER NOT NULL,
    date_from   TEXT,
    date_to     TEXT,
    pdf_sha256  TEXT NOT NULL DEFAULT ''
);

-- The tombstone of a destroyed document: no page content, only what proves it was kept for
-- its period and destroyed under a policy. Never changed.
CREATE TABLE document_disposals (
    document_id    INTEGER PRIMARY KEY REFERENCES documents (id),
    patient_id     INTEGER NOT NULL REFERENCES patients (id),
    doc_type       TEXT NOT NULL,
    date_from      TEXT,
    date_to        TEXT,
    pages          INTEGER NOT NULL,
    policy         TEXT NOT NULL,                 -- e.g. "lab: 10 years; minors 3 years after 18"
    certificate_id INTEGER REFERENCES disposal_certificates (id),
    disposed_at    TEXT NOT NULL,
    disposed_by    INTEGER REFERENCES users (id)
);
CREATE INDEX document_disposals_patient ON document_disposals (patient_id);
CREATE TRIGGER document_disposals_no_update BEFORE UPDATE ON document_disposals
BEGIN SELECT RAISE(ABORT, 'a disposal record is never changed'); END;
CREATE TRIGGER document_disposals_no_delete BEFORE DELETE ON document_disposals
BEGIN SELECT RAISE(ABORT, 'a disposal record is never changed'); END;

-- A patient's request to amend (164.526): decided within 60 days, or 90 with one extension.
CREATE TABLE amendments (
    id                INTEGER PRIMARY KEY,
    patient_id        INTEGER NOT NULL REFERENCES patients (id),
    document_id       INTEGER REFERENCES documents (id),
    request_text      TEXT NOT NULL,
    received_on       TEXT NOT NULL,
    due_on            TEXT NOT NULL,
    extended_on       TEXT,
    extension_reason  TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'accepted', 'denied')),
    decided_on        TEXT,
    decided_by        INTEGER REFERENCES users (id),
    decision_reason   TEXT NOT NULL DEFAULT '',
    notify            TEXT NOT NULL DEFAULT '[]',  -- JSON: persons to tell of an accepted one
    disagreement      TEXT NOT NULL DEFAULT '',    -- the patient's statement (after a denial)
    disagreement_on   TEXT,
    created_by        INTEGER REFERENCES users (id),
    created_at        TEXT NOT NULL
);
CREATE INDEX amendments_patient ON amendments (patient_id);
CREATE INDEX amendments_document ON amendments (document_id);
