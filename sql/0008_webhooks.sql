-- Job callbacks: an async request's callback_url, each user's webhook
-- secret, and the deliveries the workers make (retried with backoff for
-- up to WEBHOOK_RETRY_HOURS), every attempt recorded.
--
-- The secret is kept as it is because signing needs the key itself (an
-- HMAC, not a password); GET /auth/webhook-secret shows it in full once,
-- when it is made (or rotated).  A delivery's body is the job as
-- GET /jobs/{id} shows it, fixed when the job ends, so that every
-- attempt sends the same bytes under the same webhook-id.

ALTER TABLE jobs ADD COLUMN callback_url text;

CREATE TABLE webhook_secrets (
    user_id     bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id          bigserial PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url         text NOT NULL,
    msg_id      text NOT NULL,
    body        text NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN
                ('pending', 'delivered', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL DEFAULT now(),
    give_up_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);

CREATE TABLE webhook_attempts (
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries(id)
                ON DELETE CASCADE,
    n           integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    status      integer,
    error       text,
    PRIMARY KEY (delivery_id, n)
);
