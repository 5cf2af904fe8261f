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
