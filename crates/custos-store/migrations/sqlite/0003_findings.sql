-- Findings and their lifecycle (SQLite). One row per (organization, policy, resource): what the
-- policy last said about the resource and where the finding is in its life. Every transition
-- is also appended to finding_events, so that the history survives the row's updates.

-- No foreign keys (organization, last scan): record_findings checks its scan, and with it the
-- organization, once, where foreign keys would look them up again for each of (up to)
-- hundreds of thousands of rows.
-- A finding is suppressed only while it has a suppression; a resolved finding may keep one
-- (it applies if the finding fires again before suppressed_until).
CREATE TABLE findings (
    org_id             TEXT NOT NULL,
    policy_id          TEXT NOT NULL,
    resource_id        TEXT NOT NULL,
    resource_kind      TEXT NOT NULL,
    project_id         TEXT,
    severity           TEXT NOT NULL,
    result             TEXT NOT NULL CHECK (result IN ('fail', 'indeterminate')),
    title              TEXT NOT NULL,
    message            TEXT NOT NULL,
    evidence           TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'suppressed')),
    first_seen         INTEGER NOT NULL,
    last_seen          INTEGER NOT NULL,
    resolved_at        INTEGER,
    last_scan_id       INTEGER NOT NULL,
    suppression_reason TEXT,
    suppression_author TEXT,
    suppressed_at      INTEGER,
    suppressed_until   INTEGER,
    PRIMARY KEY (org_id, policy_id, resource_id),
    CHECK ((resolved_at IS NULL) = (status <> 'resolved')),
    CHECK ((suppression_reason IS NULL) = (suppression_author IS NULL)
       AND (suppression_reason IS NULL) = (suppressed_at IS NULL)
       AND (suppression_reason IS NOT NULL OR suppressed_until IS NULL)),
    CHECK (status <> 'suppressed' OR suppression_reason IS NOT NULL)
);

-- Append-only: one row per transition, never updated or deleted. Ids increase without
-- AUTOINCREMENT (whose bookkeeping costs a write per row) because no row is ever deleted, so
-- the largest id is never reused. No foreign key, as for findings.
CREATE TABLE finding_events (
    id          INTEGER PRIMARY KEY,
    org_id      TEXT NOT NULL,
    policy_id   TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    at          INTEGER NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('opened', 'resolved', 'reopened', 'suppressed',
                                               'unsuppressed', 'suppression_expired')),
    scan_id     INTEGER,
    detail      TEXT NOT NULL
);
CREATE INDEX finding_events_time ON finding_events (org_id, at, id);
CREATE TRIGGER finding_events_no_update BEFORE UPDATE ON finding_events
BEGIN
    SELECT RAISE(ABORT, 'finding events are append-only');
END;
CREATE TRIGGER finding_events_no_delete BEFORE DELETE ON finding_events
BEGIN
    SELECT RAISE(ABORT, 'finding events are append-only');
END;
