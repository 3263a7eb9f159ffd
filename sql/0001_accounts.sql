-- Users, their API keys and the usage log: the seed's models
-- (models/user.py: User, ApiKey, UsageLog) with constraints it lacked.

CREATE TABLE users (
	id			bigserial PRIMARY KEY,
	email			text NOT NULL,
	password_hash		text,
	first_name		text,
	last_name		text,
	company			text,
	plan			text NOT NULL DEFAULT 'free'
				CHECK (plan IN ('free', 'pro', 'enterprise')),
	is_active		boolean NOT NULL DEFAULT true,
	is_admin		boolean NOT NULL DEFAULT false,
	auth0_sub		text UNIQUE,
	api_calls_month		integer NOT NULL DEFAULT 0,
	audio_minutes_month	numeric(14, 4) NOT NULL DEFAULT 0,
	usage_month		date NOT NULL DEFAULT date_trunc('month', now())::date,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	last_login		timestamptz,
	deleted_at		timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_keys (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL DEFAULT 'default',
	key_hash	bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
	key_prefix	text NOT NULL,
	is_active	boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used	timestamptz,
	usage_count	bigint NOT NULL DEFAULT 0,
	expires_at	timestamptz,
	revoked_at	timestamptz
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

CREATE TABLE usage_logs (
	id			bigserial PRIMARY KEY,
	user_id			bigint REFERENCES users (id) ON DELETE SET NULL,
	api_key_id		bigint REFERENCES api_keys (id) ON DELETE SET NULL,
	service			text NOT NULL,
	endpoint		text NOT NULL,
	audio_duration_seconds	numeric(14, 3) NOT NULL DEFAULT 0,
	tokens_used		integer NOT NULL DEFAULT 0,
	cost_usd		numeric(14, 6) NOT NULL DEFAULT 0,
	status			text NOT NULL DEFAULT 'success',
	request_id		text,
	idempotency_key		text UNIQUE,
	timestamp		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_logs_user_time_idx ON usage_logs (user_id, timestamp);
