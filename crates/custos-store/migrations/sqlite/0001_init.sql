-- custos store, schema 1 (SQLite). Applied in one transaction by src/migrate.rs.
-- Timestamps are Unix seconds (INTEGER); JSON documents are stored as the exact text serde_json
-- wrote, so that a round trip preserves key order and number spelling.

CREATE TABLE organizations (
    org_id TEXT PRIMARY KEY,
    name   TEXT
);

-- One row per scan. Objects of a scan are visible only once status is 'complete' or 'partial'
-- (finish_scan flips it in one statement); 'running' rows left by a crash become 'abandoned'.
CREATE TABLE scans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT NOT NULL REFERENCES organizations (org_id),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'abandoned'))
);
CREATE INDEX scans_org ON scans (org_id, id);

CREATE TABLE scan_endpoints (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id  INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    scope    TEXT,
    kinds    TEXT NOT NULL,  -- JSON array of object kinds this endpoint provides
    ok       INTEGER NOT NULL,
    error    TEXT,
    requests INTEGER NOT NULL,
    items    INTEGER NOT NULL
);
CREATE INDEX scan_endpoints_scan ON scan_endpoints (scan_id, id);

-- The snapshot rows. (kind, id) is unique within a scan; ids of memberships are composite.
-- No foreign key on scan_id: put_objects checks the scan once per batch, in the same
-- transaction, instead of once per object.
CREATE TABLE objects (
    scan_id    INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    project_id TEXT,
    data       TEXT NOT NULL,
    PRIMARY KEY (scan_id, kind, id)
);

-- Append-only: rows are deduplicated by (org_id, id) on insert and never updated or deleted.
CREATE TABLE audit_events (
    org_id       TEXT NOT NULL REFERENCES organizations (org_id),
    id           TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_time ON audit_events (org_id, effective_at, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Usage buckets; a re-fetch replaces every row of one kind whose bucket starts in its window.
CREATE TABLE usage_buckets (
    org_id       TEXT NOT NULL REFERENCES organizations (org_id),
    kind         TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    bucket_end   INTEGER NOT NULL,
    group_key    TEXT NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, bucket_start, group_key)
);

CREATE TABLE costs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       TEXT NOT NULL REFERENCES organizations (org_id),
    bucket_start INTEGER NOT NULL,
    bucket_end   INTEGER NOT NULL,
    project_id   TEXT,
    line_item    TEXT,
    amount       REAL NOT NULL,
    currency     TEXT NOT NULL,
    data         TEXT NOT NULL
);
CREATE INDEX costs_time ON costs (org_id, bucket_start);

-- Where each incremental stream (audit log, usage kind, costs) got to.
CREATE TABLE sync_marks (
    org_id TEXT NOT NULL REFERENCES organizations (org_id),
    stream TEXT NOT NULL,
    value  INTEGER NOT NULL,
    PRIMARY KEY (org_id, stream)
);

-- Credentials sealed with AES-256-GCM under a master key that is never stored here.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL
);
