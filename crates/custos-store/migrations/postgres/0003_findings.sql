-- Findings and their lifecycle (PostgreSQL). One row per (organization, policy, resource): what
-- the policy last said about the resource and where the finding is in its life. Every
-- transition is also appended to finding_events, so that the history survives the row's updates.

-- No foreign keys (organization, last scan): record_findings checks its scan, and with it the
-- organization, once, where foreign keys would run a trigger query per written row (a third
-- of the time of recording 100,000 findings).
-- A finding is suppressed only while it has a suppression; a resolved finding may keep one
-- (it applies if the finding fires again before suppressed_until).
CREATE TABLE findings (
    org_id             TEXT COLLATE "C" NOT NULL,
    policy_id          TEXT COLLATE "C" NOT NULL,
    resource_id        TEXT COLLATE "C" NOT NULL,
    resource_kind      TEXT NOT NULL,
    project_id         TEXT COLLATE "C",
    severity           TEXT NOT NULL,
    result             TEXT NOT NULL CHECK (result IN ('fail', 'indeterminate')),
    title              TEXT NOT NULL,
    message            TEXT NOT NULL,
    evidence           JSON NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'suppressed')),
    first_seen         BIGINT NOT NULL,
    last_seen          BIGINT NOT NULL,
    resolved_at        BIGINT,
    last_scan_id       BIGINT NOT NULL,
    suppression_reason TEXT,
    suppression_author TEXT,
    suppressed_at      BIGINT,
    suppressed_until   BIGINT,
    PRIMARY KEY (org_id, policy_id, resource_id),
    CHECK ((resolved_at IS NULL) = (status <> 'resolved')),
    CHECK ((suppression_reason IS NULL) = (suppression_author IS NULL)
       AND (suppression_reason IS NULL) = (suppressed_at IS NULL)
       AND (suppression_reason IS NOT NULL OR suppressed_until IS NULL)),
    CHECK (status <> 'suppressed' OR suppression_reason IS NOT NULL)
);

-- Append-only: one row per transition, never updated or deleted. No foreign key, as for
-- findings.
CREATE TABLE finding_events (
    id          BIGSERIAL PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL,
    policy_id   TEXT COLLATE "C" NOT NULL,
    resource_id TEXT COLLATE "C" NOT NULL,
    at          BIGINT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('opened', 'resolved', 'reopened', 'suppressed',
                                               'unsuppressed', 'suppression_expired')),
    scan_id     BIGINT,
    detail      JSON NOT NULL
);
CREATE INDEX finding_events_time ON finding_events (org_id, at, id);
CREATE FUNCTION custos_finding_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'finding events are append-only';
END;
$$;
CREATE TRIGGER finding_events_append_only BEFORE UPDATE OR DELETE ON finding_events
    FOR EACH ROW EXECUTE FUNCTION custos_finding_events_append_only();
