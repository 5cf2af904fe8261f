-- 0002: release of information: the request log, authorizations, page selection, disclosures.
-- Dates are ISO 8601 text (YYYY-MM-DD); timestamps are UTC ISO 8601 with 'Z'.

CREATE TABLE release_requests (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,             -- printed in every Bates number
    patient_id        INTEGER NOT NULL REFERENCES patients (id),
    requester_name    TEXT NOT NULL,
    requester_org     TEXT NOT NULL DEFAULT '',
    requester_address TEXT NOT NULL DEFAULT '',
    requester_type    TEXT NOT NULL
                      CHECK (requester_type IN ('patient', 'provider', 'insurer', 'attorney',
                                                'agency', 'other')),
    purpose           TEXT NOT NULL,
    basis             TEXT NOT NULL,                    -- release.rules.BASES
    delivery          TEXT NOT NULL DEFAULT 'paper' CHECK (delivery IN ('paper', 'electronic')),
    received_on       TEXT NOT NULL,
    due_on            TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'in_progress', 'sent', 'denied', 'cancelled')),
    status_reason     TEXT NOT NULL DEFAULT '',
    date_from         TEXT,
    date_to           TEXT,
    doc_types         TEXT NOT NULL DEFAULT '[]',       -- JSON list; empty = every type
    include_sensitive INTEGER NOT NULL DEFAULT 0,       -- the request asks for sensitive records
    watermark         TEXT NOT NULL DEFAULT '',
    fee_cents         INTEGER,
    fee_note          TEXT NOT NULL DEFAULT '',
    fee_waived        INTEGER NOT NULL DEFAULT 0,
    created_by        INTEGER REFERENCES users (id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    sent_by           INTEGER REFERENCES users (id),
    sent_at           TEXT
);
CREATE INDEX release_requests_patient ON release_requests (patient_id);
CREATE INDEX release_requests_open ON release_requests (status, due_on);

-- The signed authorization as the release clerk checked it; the scan is a chart document.
CREATE TABLE release_authorizations (
    request_id   INTEGER PRIMARY KEY REFERENCES release_requests (id),
    document_id  INTEGER REFERENCES documents (id),
    signed_on    TEXT,
    expires_on   TEXT,
    expiry_event TEXT NOT NULL DEFAULT '',
    revoked_on   TEXT,
    elements     TEXT NOT NULL DEFAULT '[]',           -- JSON: core elements checked off
    categories   TEXT NOT NULL DEFAULT '[]',           -- JSON: sensitive categories it names
    recorded_by  INTEGER REFERENCES users (id),
    recorded_at  TEXT NOT NULL
);

-- Page-by-page selection ("minimum necessary"): every page in scope, going out or held back.
CREATE TABLE release_pages (
    request_id  INTEGER NOT NULL REFERENCES release_requests (id),
    position    INTEGER NOT NULL,                      -- order in the packet
    page_id     INTEGER NOT NULL REFERENCES pages (id),
    document_id INTEGER NOT NULL REFERENCES documents (id),
    included    INTEGER NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',              -- why held back, for a person to read
    reason_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, position)
);
CREATE UNIQUE INDEX release_pages_page ON release_pages (request_id, page_id);

-- Pages the clerk left out by hand, with a note; kept apart so re-selecting keeps them out.
CREATE TABLE release_exclusions (
    request_id INTEGER NOT NULL REFERENCES release_requests (id),
    page_id    INTEGER NOT NULL REFERENCES pages (id),
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, page_id)
);

-- Accounting of disclosures (45 CFR 164.528): one row per sent release, never changed.
CREATE TABLE disclosures (
    id                INTEGER PRIMARY KEY,
    request_id        INTEGER NOT NULL UNIQUE REFERENCES release_requests (id),
    patient_id        INTEGER NOT NULL REFERENCES patients (id),
    disclosed_on      TEXT NOT NULL,
    recipient         TEXT NOT NULL,
    recipient_address TEXT NOT NULL DEFAULT '',
    purpose           TEXT NOT NULL,
    basis             TEXT NOT NULL,
    description       TEXT NOT NULL,                   -- what was disclosed, in general terms
    pages             INTEGER NOT NULL,
    in_accounting     INTEGER NOT NULL,                -- 164.528(a)(1) leaves it in the report
    sent_by           INTEGER REFERENCES users (id),
    created_at        TEXT NOT NULL
);
CREATE INDEX disclosures_patient ON disclosures (patient_id, disclosed_on);
CREATE TRIGGER disclosures_no_update BEFORE UPDATE ON disclosures
BEGIN SELECT RAISE(ABORT, 'the accounting of disclosures is append-only'); END;
CREATE TRIGGER disclosures_no_delete BEFORE DELETE ON disclosures
BEGIN SELECT RAISE(ABORT, 'the accounting of disclosures is append-only'); END;
