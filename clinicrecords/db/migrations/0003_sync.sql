-- 0003: clinic network (DESIGN.md section 8, clinicrecords/sync/). Every table here is empty
-- until the store attaches to a clinic server or joins one: a stand-alone PC is unchanged.

-- One row when this PC is a workstation of a clinic network. The server address (with its
-- password) lives here, inside the encrypted database.
CREATE TABLE sync_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    server_url     TEXT NOT NULL,
    clinic_id      TEXT NOT NULL,
    workstation_id TEXT NOT NULL,
    workstation_no INTEGER NOT NULL,           -- small number from the server: provisional MRNs
    workstation    TEXT NOT NULL DEFAULT '',   -- the name shown to people
    cursor         INTEGER NOT NULL DEFAULT 0, -- last server sequence number applied here
    lamport        INTEGER NOT NULL DEFAULT 0,
    wseq           INTEGER NOT NULL DEFAULT 0, -- this workstation's own event counter
    provisional_no INTEGER NOT NULL DEFAULT 0, -- provisional MRNs issued here so far
    last_sync      TEXT,                       -- last complete push + pull
    attached_at    TEXT NOT NULL
);

-- Domain events written here in the same transaction as the change they describe.
-- A row leaves when the event comes back from the server in its place in the clinic's order.
CREATE TABLE sync_outbox (
    pos       INTEGER PRIMARY KEY AUTOINCREMENT, -- push order
    id        TEXT NOT NULL UNIQUE,              -- UUIDv7
    type      TEXT NOT NULL,
    payload   TEXT NOT NULL,                     -- JSON
    lamport   INTEGER NOT NULL,
    wseq      INTEGER NOT NULL,
    created   TEXT NOT NULL,
    pushed_at TEXT
);

-- Every event applied here (own and others'), with its server sequence number.
CREATE TABLE sync_applied (
    id  TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);

-- The clinic-wide id (UUIDv7) of a local row: local integer ids differ from PC to PC.
CREATE TABLE sync_ids (
    entity   TEXT NOT NULL,
    uid      TEXT NOT NULL,
    local_id INTEGER NOT NULL,
    PRIMARY KEY (entity, uid),
    UNIQUE (entity, local_id)
);

-- While this PC has edits of a field that the server has not yet ordered, the field's value
-- in the clinic's order so far ("value") is kept here; the chart shows this PC's edit.
CREATE TABLE sync_shadow (
    entity  TEXT NOT NULL,
    uid     TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   TEXT NOT NULL,
    pending INTEGER NOT NULL,
    PRIMARY KEY (entity, uid, field)
);

-- Two workstations changed one thing apart: the clinic's order decided ("kept"), a person
-- confirms or changes it. The id is the id of the event that found the conflict, so every
-- replica lists the same conflicts under the same ids.
CREATE TABLE sync_conflicts (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,                 -- 'field', 'mrn', 'duplicate', 'order', 'unknown'
    entity      TEXT NOT NULL,
    uid         TEXT NOT NULL,
    field       TEXT NOT NULL DEFAULT '',
    kept        TEXT NOT NULL DEFAULT '',      -- the value the clinic's order kept
    replaced    TEXT NOT NULL DEFAULT '',      -- the value it replaced
    kept_ws     TEXT NOT NULL DEFAULT '',      -- workstation that wrote "kept"
    seq         INTEGER NOT NULL,
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution  TEXT
);

-- The last per-workstation counter seen from each workstation: a gap means the server
-- withheld or lost events.
CREATE TABLE sync_peers (
    workstation_id TEXT PRIMARY KEY,
    last_wseq      INTEGER NOT NULL
);

-- MRN numbers reserved from the server for this workstation.
CREATE TABLE sync_mrn_blocks (
    first INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL,
    next  INTEGER NOT NULL
);

-- Charts registered here offline with no reserved MRN left: confirmed at the next sync.
CREATE TABLE sync_provisional (
    uid       TEXT PRIMARY KEY,
    mrn       TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
