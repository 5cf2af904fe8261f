-- 0007: merges and releases travel between the PCs of a clinic network (clinicrecords/sync/).
-- Empty on a stand-alone PC.

-- Merges this PC made offline that another PC's merge, earlier in the clinic's order, got in
-- the way of: undone here when that merge arrived, and decided again (re-applied or listed as
-- a conflict) when this PC's own event comes back in the clinic's order, as on every PC.
CREATE TABLE sync_yielded (
    event_id TEXT PRIMARY KEY,
    uid      TEXT NOT NULL           -- the merge's clinic-wide id
);
