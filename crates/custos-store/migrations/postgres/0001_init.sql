-- custos store, schema 1 (PostgreSQL). Applied in one transaction by src/migrate.rs, in the
-- first schema of the connection's search_path.
-- Text keys use the "C" collation so that ORDER BY is byte order, as on SQLite, whatever the
-- database's locale. JSON documents use the json type (not jsonb) because it keeps the exact
-- text: key order and number spelling survive a round trip.

CREATE TABLE organizations (
    org_id TEXT COLLATE "C" PRIMARY KEY,
    name   TEXT
);

-- Objects of a scan are visible only once status is 'complete' or 'partial'.
CREATE TABLE scans (
    id          BIGSERIAL PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL REFERENCES organizations (org_id),
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'abandoned'))
);
CREATE INDEX scans_org ON scans (org_id, id);

CREATE TABLE scan_endpoints (
    id       BIGSERIAL PRIMARY KEY,
    scan_id  BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    scope    TEXT,
    kinds    TEXT NOT NULL,  -- JSON array of object kinds this endpoint provides
    ok       BOOLEAN NOT NULL,
    error    TEXT,
    requests BIGINT NOT NULL,
    items    BIGINT NOT NULL
);
CREATE INDEX scan_endpoints_scan ON scan_endpoints (scan_id, id);

-- No foreign key on scan_id: put_objects checks the scan under a row lock once per batch,
-- where a foreign key would run one trigger query per object (a third of a snapshot's write time).
CREATE TABLE objects (
    scan_id    BIGINT NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C",
    data       JSON NOT NULL,
    PRIMARY KEY (scan_id, kind, id)
);

CREATE TABLE audit_events (
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES organizations (org_id),
    id           TEXT COLLATE "C" NOT NULL,
    effective_at BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    data         JSON NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_time ON audit_events (org_id, effective_at, id);
CREATE FUNCTION custos_audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION custos_audit_events_append_only();

CREATE TABLE usage_buckets (
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES organizations (org_id),
    kind         TEXT COLLATE "C" NOT NULL,
    bucket_start BIGINT NOT NULL,
    bucket_end   BIGINT NOT NULL,
    group_key    TEXT COLLATE "C" NOT NULL,
    data         JSON NOT NULL,
    PRIMARY KEY (org_id, kind, bucket_start, group_key)
);

CREATE TABLE costs (
    id           BIGSERIAL PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES organizations (org_id),
    bucket_start BIGINT NOT NULL,
    bucket_end   BIGINT NOT NULL,
    project_id   TEXT COLLATE "C",
    line_item    TEXT COLLATE "C",
    amount       DOUBLE PRECISION NOT NULL,
    currency     TEXT NOT NULL,
    data         JSON NOT NULL
);
CREATE INDEX costs_time ON costs (org_id, bucket_start);

CREATE TABLE sync_marks (
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (org_id),
    stream TEXT COLLATE "C" NOT NULL,
    value  BIGINT NOT NULL,
    PRIMARY KEY (org_id, stream)
);

CREATE TABLE secrets (
    name       TEXT COLLATE "C" PRIMARY KEY,
    key_id     TEXT NOT NULL,
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL
);
