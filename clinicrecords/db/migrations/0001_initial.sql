-- 0001: the foundation: settings, accounts, audit trail, patients, documents and pages.
-- Dates are ISO 8601 text (YYYY-MM-DD); timestamps are UTC ISO 8601 with 'Z'.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- JSON
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name     TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('clerk', 'release', 'admin')),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

-- Append-only, hash-chained. AUTOINCREMENT keeps sqlite_sequence, so removing the newest
-- rows is detectable as well as removing or editing any other.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    user_id     INTEGER,
    username    TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

CREATE TABLE patients (
    id            INTEGER PRIMARY KEY,
    mrn           TEXT NOT NULL UNIQUE,
    family        TEXT NOT NULL,
    given         TEXT NOT NULL,
    middle        TEXT NOT NULL DEFAULT '',
    dob           TEXT NOT NULL,
    sex           TEXT NOT NULL DEFAULT 'U' CHECK (sex IN ('F', 'M', 'X', 'U')),
    phone         TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    city          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT '',
    zip           TEXT NOT NULL DEFAULT '',
    source        TEXT,                -- e.g. 'synthea', 'csv:<name>', NULL when registered by hand
    source_id     TEXT,
    merged_into   INTEGER REFERENCES patients (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_activity TEXT,
    UNIQUE (source, source_id)
);
CREATE INDEX patients_dob ON patients (dob);

-- Old MRNs of charts merged into another: they still find the surviving chart.
CREATE TABLE patient_aliases (
    mrn        TEXT PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    merge_id   INTEGER REFERENCES merges (id),
    created_at TEXT NOT NULL
);

CREATE TABLE merges (
    id           INTEGER PRIMARY KEY,
    survivor_id  INTEGER NOT NULL REFERENCES patients (id),
    merged_id    INTEGER NOT NULL REFERENCES patients (id),
    reason       TEXT NOT NULL,
    merged_by    INTEGER NOT NULL REFERENCES users (id),
    merged_at    TEXT NOT NULL,
    moved        TEXT NOT NULL DEFAULT '{}',   -- JSON: the document ids moved, for undo
    undone_by    INTEGER REFERENCES users (id),
    undone_at    TEXT
);

CREATE TABLE doc_types (
    code      TEXT PRIMARY KEY,
    label     TEXT NOT NULL,
    sensitive INTEGER NOT NULL DEFAULT 0,
    builtin   INTEGER NOT NULL DEFAULT 0,
    keywords  TEXT NOT NULL DEFAULT '[]'        -- JSON list
);

-- An incoming batch: one scan session, one imported set of files, one watched-folder drop.
CREATE TABLE batches (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,                   -- 'import', 'scanner', 'folder'
    label      TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'discarded')),
    state      TEXT NOT NULL DEFAULT '{}',      -- JSON: the indexing UI's work in progress
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);

-- Every incoming file is copied into the page store and committed here before anything else.
CREATE TABLE imported_files (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES batches (id),
    original_name TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    blob_id       TEXT NOT NULL,
    media_type    TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'stored' CHECK (status IN ('stored', 'split', 'failed')),
    error         TEXT NOT NULL DEFAULT '',
    imported_at   TEXT NOT NULL
);
CREATE INDEX imported_files_sha ON imported_files (sha256);

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    patient_id  INTEGER NOT NULL REFERENCES patients (id),
    doc_type    TEXT NOT NULL REFERENCES doc_types (code),
    doc_date    TEXT,
    title       TEXT NOT NULL DEFAULT '',
    author      TEXT NOT NULL DEFAULT '',
    facility    TEXT NOT NULL DEFAULT '',
    batch_id    INTEGER REFERENCES batches (id),
    created_by  INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL
);
CREATE INDEX documents_patient ON documents (patient_id, doc_date);

CREATE TABLE pages (
    id          INTEGER PRIMARY KEY,
    blob_id     TEXT NOT NULL,                  -- name in the encrypted page store
    sha256      TEXT NOT NULL,                  -- of the plaintext image bytes; checked on read
    media_type  TEXT NOT NULL,                  -- 'image/png', 'image/tiff', 'image/jpeg'
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    dpi         INTEGER NOT NULL DEFAULT 300,
    rotation    INTEGER NOT NULL DEFAULT 0,     -- degrees clockwise to show it upright
    batch_id    INTEGER REFERENCES batches (id),
    file_id     INTEGER REFERENCES imported_files (id),
    source_page INTEGER NOT NULL DEFAULT 0,     -- page number inside the imported file
    document_id INTEGER REFERENCES documents (id),
    seq         INTEGER NOT NULL DEFAULT 0,     -- order inside the batch, then the document
    status      TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'ocr', 'review', 'ready', 'filed', 'deleted')),
    blank_score REAL,
    ocr_text    TEXT,
    ocr_words   TEXT,                           -- JSON [[text, l, t, w, h, conf, line], ...]
    suggestion  TEXT,                           -- JSON of scan.types.Suggestions
    created_at  TEXT NOT NULL
);
CREATE INDEX pages_document ON pages (document_id, seq);
CREATE INDEX pages_batch ON pages (batch_id, seq);

-- Full-text search inside a chart's OCR text.
CREATE VIRTUAL TABLE page_text USING fts5 (
    ocr_text, content = 'pages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER pages_fts_insert AFTER INSERT ON pages WHEN new.ocr_text IS NOT NULL
BEGIN INSERT INTO page_text (rowid, ocr_text) VALUES (new.id, new.ocr_text); END;
CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages WHEN old.ocr_text IS NOT NULL
BEGIN INSERT INTO page_text (page_text, rowid, ocr_text) VALUES ('delete', old.id, old.ocr_text); END;
CREATE TRIGGER pages_fts_update AFTER UPDATE OF ocr_text ON pages
BEGIN
    INSERT INTO page_text (page_text, rowid, ocr_text)
        SELECT 'delete', old.id, old.ocr_text WHERE old.ocr_text IS NOT NULL;
    INSERT INTO page_text (rowid, ocr_text) SELECT new.id, new.ocr_text WHERE new.ocr_text IS NOT NULL;
END;
