-- Scans that end in failure keep their reason; a scan found running by the next one (its
-- process died) is `interrupted`. SQLite cannot change a CHECK constraint, so the table is
-- rebuilt (the migration runs with foreign keys off, so scan_endpoints keep their rows).
CREATE TABLE scans_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT NOT NULL REFERENCES organizations (org_id),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'abandoned',
                                                'failed', 'interrupted')),
    error       TEXT
);
INSERT INTO scans_new (id, org_id, started_at, finished_at, status)
    SELECT id, org_id, started_at, finished_at, status FROM scans;
DROP TABLE scans;
ALTER TABLE scans_new RENAME TO scans;
CREATE INDEX scans_org ON scans (org_id, id);
