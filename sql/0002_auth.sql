-- Accounts and authentication: refresh tokens and sessions in the
-- database (the seed kept sessions in memory), plans with their limits,
-- and the shared counters behind rate limits and concurrency limits.

-- Users signed in through Auth0 may have no e-mail address.
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;

CREATE TABLE plans (
	plan			text PRIMARY KEY,
	requests_per_minute	integer NOT NULL CHECK (requests_per_minute > 0),
	concurrent		integer NOT NULL CHECK (concurrent > 0),
	audio_minutes_month	integer NOT NULL CHECK (audio_minutes_month >= 0)
);
INSERT INTO plans VALUES
	('free', 60, 2, 60),
	('pro', 600, 10, 6000),
	('enterprise', 6000, 50, 600000);
-- The plans table replaces the fixed list of the first migration.
ALTER TABLE users DROP CONSTRAINT users_plan_check;
ALTER TABLE users ADD FOREIGN KEY (plan) REFERENCES plans (plan);

-- Opaque refresh tokens, stored hashed, rotated on use.
CREATE TABLE refresh_tokens (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash	bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Deprecated session login (/mobile-auth/login), off by default.
CREATE TABLE sessions (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash	bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	last_seen	timestamptz
);

-- Fixed one-minute windows of requests per caller, shared by every
-- process on every host.
CREATE TABLE rate_limits (
	bucket		text NOT NULL,
	window_start	timestamptz NOT NULL,
	count		integer NOT NULL,
	PRIMARY KEY (bucket, window_start)
);

-- Transcriptions in progress, for the per-plan concurrency limit; a
-- crashed process's slot expires by itself.
CREATE TABLE inflight (
	id		bigserial PRIMARY KEY,
	bucket		text NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);
CREATE INDEX inflight_bucket_idx ON inflight (bucket, expires_at);

CREATE INDEX api_keys_prefix_idx ON api_keys (key_prefix);
