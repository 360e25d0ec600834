-- Approved actions (SQLite): custos's own principals, action plans with their approvals and
-- per-call results, and the hash-chained, append-only journal of everything that happened.

-- A principal is a custos user: a role, the SHA-256 of its email (matched against the owners
-- of the snapshot) and the argon2 hash of its API token (never the token).
CREATE TABLE principals (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
    email_sha256 TEXT NOT NULL,
    manager     TEXT,
    token_hash  TEXT NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at  INTEGER NOT NULL
);

-- One row per requested action; `plan` is the plan exactly as hashed into `plan_hash`.
CREATE TABLE actions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       TEXT NOT NULL,
    template     TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired',
                                                 'stale', 'executing', 'verified', 'failed')),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    plan_hash    TEXT NOT NULL,
    plan         TEXT NOT NULL
);
CREATE INDEX actions_org ON actions (org_id, id);

-- Who approved or rejected which plan (by its hash).
CREATE TABLE approvals (
    id        INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions (id),
    principal TEXT NOT NULL,
    decision  TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    plan_hash TEXT NOT NULL,
    at        INTEGER NOT NULL,
    comment   TEXT NOT NULL
);
CREATE INDEX approvals_action ON approvals (action_id, id);

-- The latest state of each planned call; its history is in the journal.
CREATE TABLE action_calls (
    action_id   INTEGER NOT NULL REFERENCES actions (id),
    call_index  INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('started', 'done', 'already_gone', 'failed')),
    http_status INTEGER,
    detail      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (action_id, call_index)
);

-- Append-only and hash-chained: each entry's hash covers its fields and the previous hash, so
-- an edit, a deletion or a reordering breaks the chain (`custos actions journal verify`).
CREATE TABLE journal (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT,
    action_id INTEGER,
    kind      TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
