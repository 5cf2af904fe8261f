-- 0004: documents after filing (DESIGN.md section 6): move, edit, void, each with a reason and
-- the old values kept; the privacy officer's list of releases a misfiled page went out in.

-- A voided document (duplicate scan, blank, wrong document) stays in the store for its
-- retention period but leaves the chart, chart search and release selection.
ALTER TABLE documents ADD COLUMN voided_at TEXT;
ALTER TABLE documents ADD COLUMN voided_by INTEGER REFERENCES users (id);
ALTER TABLE documents ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX documents_voided ON documents (voided_at) WHERE voided_at IS NOT NULL;

-- Every correction of a filed document, with what it replaced: an administrator reads the
-- old values here, and an undo finds what to put back.
CREATE TABLE document_corrections (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    action      TEXT NOT NULL
                CHECK (action IN ('edit', 'move', 'void', 'unvoid', 'unmove', 'unfile')),
    reason      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',    -- JSON: old and new values, charts, page ids
    made_by     INTEGER REFERENCES users (id),
    made_by_name TEXT NOT NULL DEFAULT '',     -- the account name (a correction from another PC)
    made_at     TEXT NOT NULL,
    undone_by   INTEGER REFERENCES users (id),
    undone_at   TEXT
);
CREATE INDEX document_corrections_document ON document_corrections (document_id, id);

-- A document moved out of a chart after some of its pages went out in a release: a possible
-- disclosure to the wrong party (45 CFR 164.402) that the privacy officer must assess.
CREATE TABLE disclosure_reviews (
    id            INTEGER PRIMARY KEY,
    correction_id INTEGER REFERENCES document_corrections (id),
    request_id    INTEGER NOT NULL REFERENCES release_requests (id),
    document_id   INTEGER NOT NULL REFERENCES documents (id),
    from_patient  INTEGER NOT NULL REFERENCES patients (id),
    to_patient    INTEGER NOT NULL REFERENCES patients (id),
    pages         INTEGER NOT NULL,            -- pages of the moved ones that went out
    found_at      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'assessed')),
    assessed_by   INTEGER REFERENCES users (id),
    assessed_at   TEXT,
    outcome       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX disclosure_reviews_open ON disclosure_reviews (status, found_at);
