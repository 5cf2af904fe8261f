-- 0007: merges and releases travel between the PCs of a clinic network (clinicrecords/sync/).
-- Empty on a stand-alone PC.

-- Merges this PC made offline that another PC's merge, earlier in the clinic's order, got in
-- the way of: undone here when that merge arrived, and decided again (re-applied or listed as
-- a conflict) when this PC's own event comes back in the clinic's order, as on every PC.
CREATE TABLE sync_yielded (
    event_id TEXT PRIMARY KEY,
    uid      TEXT NOT NULL           -- the merge's clinic-wide id
);

-- The audit trails of the clinic's other workstations, as they arrived: each PC keeps its own
-- hash chain (audit_log); every other PC's chain is stored here row for row, never changed,
-- so 'audit verify' checks every workstation's chain on every replica.
CREATE TABLE sync_audit (
    workstation_id TEXT NOT NULL,
    id             INTEGER NOT NULL,
    ts             TEXT NOT NULL,
    user_id        INTEGER,
    username       TEXT NOT NULL,
    action         TEXT NOT NULL,
    object_type    TEXT NOT NULL DEFAULT '',
    object_id      TEXT NOT NULL DEFAULT '',
    detail         TEXT NOT NULL DEFAULT '{}',
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    PRIMARY KEY (workstation_id, id)
);
CREATE TRIGGER sync_audit_no_update BEFORE UPDATE ON sync_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER sync_audit_no_delete BEFORE DELETE ON sync_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The names people gave the other workstations (from their audit events), for 'audit verify'.
CREATE TABLE sync_workstations (
    workstation_id TEXT PRIMARY KEY,
    name           TEXT NOT NULL
);

-- One request can be sent twice when two PCs of a clinic network each mailed its packet
-- offline: both went out, so both belong in the accounting of disclosures (45 CFR 164.528).
-- The table loses its one-row-per-request rule (the service still sends a request once);
-- its rows are copied as they are, and it stays append-only.
CREATE TABLE disclosures_new (
    id                INTEGER PRIMARY KEY,
    request_id        INTEGER NOT NULL REFERENCES release_requests (id),
    patient_id        INTEGER NOT NULL REFERENCES patients (id),
    disclosed_on      TEXT NOT NULL,
    recipient         TEXT NOT NULL,
    recipient_address TEXT NOT NULL DEFAULT '',
    purpose           TEXT NOT NULL,
    basis             TEXT NOT NULL,
    description       TEXT NOT NULL,
    pages             INTEGER NOT NULL,
    in_accounting     INTEGER NOT NULL,
    sent_by           INTEGER REFERENCES users (id),
    created_at        TEXT NOT NULL
);
INSERT INTO disclosures_new (id, request_id, patient_id, disclosed_on, recipient,
    recipient_address, purpose, basis, description, pages, in_accounting, sent_by, created_at)
SELECT id, request_id, patient_id, disclosed_on, recipient, recipient_address, purpose, basis,
    description, pages, in_accounting, sent_by, created_at FROM disclosures;
DROP TABLE disclosures;
ALTER TABLE disclosures_new RENAME TO disclosures;
CREATE INDEX disclosures_patient ON disclosures (patient_id, disclosed_on);
CREATE INDEX disclosures_request ON disclosures (request_id);
CREATE TRIGGER disclosures_no_update BEFORE UPDATE ON disclosures
BEGIN SELECT RAISE(ABORT, 'the accounting of disclosures is append-only'); END;
CREATE TRIGGER disclosures_no_delete BEFORE DELETE ON disclosures
BEGIN SELECT RAISE(ABORT, 'the accounting of disclosures is append-only'); END;
