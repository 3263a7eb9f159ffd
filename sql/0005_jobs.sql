-- Async jobs: a request handed over with "Prefer: respond-async" (or
-- async=true), run later by any trapi-worker on any host.
--
-- The queue is this table.  A worker claims the oldest ready row with
-- FOR UPDATE SKIP LOCKED and takes a lease (lease_until) that it renews
-- while it works; a row whose lease ran out is ready again.  attempt is
-- the fencing token: each claim increments it, and every later write of
-- a run (progress, result, hand-back) names the attempt it was given,
-- so a run that lost its lease can write nothing.  failures counts the
-- retries for provider failures (bounded), apart from the claims.
-- Inputs: the request's text parameters (params) here, and its files in
-- job_inputs (small ones inline) or in JOB_SPOOL_DIR (spool names them).

CREATE TABLE jobs (
    id              uuid PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    api_key_id      bigint,
    principal_kind  integer NOT NULL,
    plan            text NOT NULL,
    program         text NOT NULL CHECK (program ~ '^[a-z0-9_]{1,64}$'),
    path            text NOT NULL,
    request_id      text NOT NULL,
    params          jsonb NOT NULL DEFAULT '[]',
    files           jsonb NOT NULL DEFAULT '[]',
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN
                    ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    attempt         integer NOT NULL DEFAULT 0,
    failures        integer NOT NULL DEFAULT 0,
    run_after       timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    worker          text,
    cancel_requested boolean NOT NULL DEFAULT false,
    stage           text NOT NULL DEFAULT 'queued',
    percent         integer NOT NULL DEFAULT 0,
    result_status   integer,
    result_ctype    text,
    result_body     bytea,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at      timestamptz,
    finished_at     timestamptz,
    expires_at      timestamptz
);

CREATE INDEX jobs_ready ON jobs (run_after) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_owner ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE job_inputs (
    job_id  uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    n       integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (job_id, n)
);
