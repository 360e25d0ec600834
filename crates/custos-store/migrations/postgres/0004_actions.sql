-- Approved actions (PostgreSQL): custos's own principals, action plans with their approvals
-- and per-call results, and the hash-chained, append-only journal of everything that happened.

-- A principal is a custos user: a role, the SHA-256 of its email (matched against the owners
-- of the snapshot) and the argon2 hash of its API token (never the token).
CREATE TABLE principals (
    name         TEXT COLLATE "C" PRIMARY KEY,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
    email_sha256 TEXT NOT NULL,
    manager      TEXT,
    token_hash   TEXT NOT NULL,
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL
);

-- One row per requested action; `plan` is the plan exactly as hashed into `plan_hash`.
CREATE TABLE actions (
    id           BIGSERIAL PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL,
    template     TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired',
                                                 'stale', 'executing', 'verified', 'failed')),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    plan_hash    TEXT NOT NULL,
    plan         JSON NOT NULL
);
CREATE INDEX actions_org ON actions (org_id, id);

-- Who approved or rejected which plan (by its hash).
CREATE TABLE approvals (
    id        BIGSERIAL PRIMARY KEY,
    action_id BIGINT NOT NULL REFERENCES actions (id),
    principal TEXT NOT NULL,
    decision  TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    plan_hash TEXT NOT NULL,
    at        BIGINT NOT NULL,
    comment   TEXT NOT NULL
);
CREATE INDEX approvals_action ON approvals (action_id, id);

-- The latest state of each planned call; its history is in the journal.
CREATE TABLE action_calls (
    action_id   BIGINT NOT NULL REFERENCES actions (id),
    call_index  BIGINT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('started', 'done', 'already_gone', 'failed')),
    http_status BIGINT,
    detail      JSON NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (action_id, call_index)
);

-- Append-only and hash-chained: each entry's hash covers its fields and the previous hash, so
-- an edit, a deletion or a reordering breaks the chain (`custos actions journal verify`).
CREATE TABLE journal (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT,
    action_id BIGINT,
    kind      TEXT NOT NULL,
    detail    JSON NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE FUNCTION custos_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END;
$$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION custos_journal_append_only();
