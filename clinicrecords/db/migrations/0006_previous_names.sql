-- 0006: a chart's previous names (issue 10). Mail about a patient from before a marriage or a
-- legal name change carries the old name; search and the scan suggestions count these as names
-- of the chart. kind: 'maiden' (family name before marriage), 'previous' (a former legal name),
-- 'alias' (a name the patient is also known by). An empty given name means "the given name did
-- not change" (a maiden name changes the family name only).
CREATE TABLE patient_previous_names (
    id         INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    family     TEXT NOT NULL,
    given      TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('maiden', 'previous', 'alias')),
    created_at TEXT NOT NULL
);
CREATE INDEX patient_previous_names_patient ON patient_previous_names (patient_id);
