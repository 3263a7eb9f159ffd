-- The billable path without a row that every call of a user waits for.
--
-- Calls of one key or one user in parallel all wrote the same rows: the
-- user's monthly counters (under the usage row's durable commit, so
-- each call held that row for a WAL flush and the user's calls
-- committed one at a time), the bucket's advisory lock while a slot was
-- counted, and the key and rate rows from the first statement of the
-- admission to its end.  A waiting backend sleeps and is woken, and at
-- eight callers PostgreSQL spent about twice the CPU per call that it
-- did at one.  Here each of those is either spread over rows that
-- parallel calls do not share or held only for the last moments of a
-- transaction.

-- Concurrent slots are rows of their bucket that are reused in place: a
-- slot is taken by an update of a free row (its lease run out or given
-- back), so that a bucket has as many rows as it ever had slots taken
-- at once and the table does not grow with every call.  The updated
-- columns are not indexed, so each update stays on its page (a HOT
-- update) and no index grows either; the rows inserted and deleted per
-- call before left thousands of dead rows between two vacuums, and the
-- statements that counted a bucket's slots read them all.
--
-- Row n of a bucket is one slot of the plan's first n + 1: a taker locks
-- the first free row below the plan's limit (FOR UPDATE SKIP LOCKED), so
-- two calls never take one row, and calls of one bucket do not wait for
-- each other.  A limit lowered while slots above it are taken applies
-- once those are given back.  A slot's token is the row's id and a
-- generation that each taking advances (slot_token()), so that a late
-- renewal or release by a holder whose lease ran out cannot touch the
-- row's next holder.
DROP TABLE inflight;
CREATE UNLOGGED TABLE slots (
	id		integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	bucket		text NOT NULL,
	n		integer NOT NULL CHECK (n >= 0),
	gen		integer NOT NULL DEFAULT 1 CHECK (gen > 0),
	started_at	timestamptz NOT NULL,
	expires_at	timestamptz NOT NULL,
	UNIQUE (bucket, n)
) WITH (fillfactor = 25);

CREATE FUNCTION slot_token(p_id integer, p_gen integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT p_gen::bigint << 32 | p_id $$;
CREATE FUNCTION slot_id(p_token bigint) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT (p_token & 2147483647)::integer $$;
CREATE FUNCTION slot_gen(p_token bigint) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT (p_token >> 32)::integer $$;

-- The slots taken now, as the table of one row per slot used to show.
CREATE VIEW inflight AS SELECT slot_token(id, gen) AS id, bucket,
    started_at, expires_at FROM slots WHERE expires_at > now();

-- A slot of p_bucket's first p_limit as a lease of p_lease seconds: its
-- token, or 0 when all are taken.
CREATE FUNCTION slot_take(p_bucket text, p_limit integer, p_lease integer)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	tok	bigint;
	k	integer;
BEGIN
	LOOP
		UPDATE slots s SET gen = s.gen % 2147483647 + 1,
		    started_at = now(),
		    expires_at = now() + make_interval(secs => p_lease)
		    WHERE s.id = (SELECT f.id FROM slots f
		    WHERE f.bucket = p_bucket AND f.n < p_limit AND
		    f.expires_at <= now() ORDER BY f.n LIMIT 1
		    FOR UPDATE SKIP LOCKED)
		    RETURNING slot_token(s.id, s.gen) INTO tok;
		IF FOUND THEN
			RETURN tok;
		END IF;
		-- None free: the bucket's next row, if the limit has room.
		SELECT COALESCE(max(s.n) + 1, 0) INTO k FROM slots s
		    WHERE s.bucket = p_bucket;
		IF k >= p_limit THEN
			RETURN 0;
		END IF;
		INSERT INTO slots AS s (bucket, n, started_at, expires_at)
		    VALUES (p_bucket, k, now(),
		    now() + make_interval(secs => p_lease))
		    ON CONFLICT DO NOTHING
		    RETURNING slot_token(s.id, s.gen) INTO tok;
		IF FOUND THEN
			RETURN tok;
		END IF;
		-- Another call made row k meanwhile (the insert waited for
		-- it to commit): look again.
	END LOOP;
END
$$;

-- The monthly counters, striped: a usage row adds to its user's
-- counters in one of 16 rows chosen by the writing backend, so that
-- parallel calls of one user (each program process has its own
-- backend) rarely write the same row; the month's figures are the sum
-- of a user's rows.  They stay durable: written in the usage row's
-- transaction, as before.
CREATE TABLE usage_counters (
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	month		date NOT NULL,
	stripe		smallint NOT NULL CHECK (stripe BETWEEN 0 AND 15),
	api_calls	bigint NOT NULL DEFAULT 0,
	audio_minutes	numeric(14, 4) NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, month, stripe)
);
INSERT INTO usage_counters (user_id, month, stripe, api_calls,
    audio_minutes)
    SELECT id, usage_month, 0, api_calls_month, audio_minutes_month
    FROM users WHERE api_calls_month > 0 OR audio_minutes_month > 0;
ALTER TABLE users DROP COLUMN api_calls_month,
    DROP COLUMN audio_minutes_month, DROP COLUMN usage_month;

-- This month's figures per user (the columns users had).
CREATE VIEW usage_month AS SELECT user_id,
    sum(api_calls)::bigint AS api_calls_month,
    sum(audio_minutes) AS audio_minutes_month
    FROM usage_counters WHERE month = date_trunc('month', now())::date
    GROUP BY user_id;

-- quota_take() (0006) on the new counters (this month's, as usage_month
-- sums them) and slots.
CREATE OR REPLACE FUNCTION quota_take(p_bucket text, p_plan text,
    p_user bigint, p_seconds float8, p_lease integer,
    OUT minutes_ok boolean, OUT used float8, OUT quota float8,
    OUT until_next bigint, OUT slot bigint)
LANGUAGE plpgsql AS $$
BEGIN
	minutes_ok := true;
	IF p_user IS NOT NULL THEN
		SELECT COALESCE((SELECT m.audio_minutes_month FROM
		    usage_month m WHERE m.user_id = u.id), 0)::float8,
		    p.audio_minutes_month::float8,
		    ceil(extract(epoch FROM date_trunc('month', now()) +
		    interval '1 month' - now()))::bigint
		    INTO used, quota, until_next
		    FROM users u JOIN plans p ON p.plan = u.plan
		    WHERE u.id = p_user;
		IF FOUND THEN
			minutes_ok := CASE WHEN p_seconds > 0
			    THEN used + p_seconds / 60 <= quota
			    ELSE used < quota END;
		END IF;
	END IF;
	IF NOT minutes_ok OR p_bucket IS NULL THEN
		RETURN;
	END IF;
	slot := slot_take(p_bucket, COALESCE((SELECT p.concurrent FROM
	    plans p WHERE p.plan = p_plan), 1), p_lease);
END
$$;

-- What a caller's admission writes, once it is known who calls: the
-- month's minutes and (p_lease not NULL: the endpoint takes one) a slot,
-- which wait for no other call, then (p_count) the call counted in the
-- rate window, whose row is locked until the commit: last, so that it is
-- held the shortest.  A call the rate limit refuses gives its slot back
-- before the commit.  Only UNLOGGED tables are written here, and the
-- commit does not wait for the disk (synchronous_commit off, for this
-- transaction only).  Calls are plpgsql assignments, not queries: a
-- call that is an expression is evaluated without the executor start-up
-- a query costs.
CREATE FUNCTION admit_take(p_user bigint, p_plan text, p_rpm integer,
    p_count boolean, p_lease integer,
    OUT admitted boolean, OUT lim integer, OUT remaining integer,
    OUT reset_at bigint, OUT retry_in integer, OUT minutes_ok boolean,
    OUT used float8, OUT quota float8, OUT until_next bigint,
    OUT slot bigint)
LANGUAGE plpgsql AS $$
DECLARE
	q	record;
	t	record;
	x	text;
BEGIN
	x := set_config('synchronous_commit', 'off', true);
	IF p_lease IS NOT NULL THEN
		q := quota_take('user:' || p_user, p_plan, p_user, 0, p_lease);
		minutes_ok := q.minutes_ok; used := q.used; quota := q.quota;
		until_next := q.until_next; slot := q.slot;
	END IF;
	IF NOT p_count THEN
		RETURN;
	END IF;
	t := rate_take('user:' || p_user, p_rpm);
	admitted := t.admitted; lim := t.lim; remaining := t.remaining;
	reset_at := t.reset_at; retry_in := t.retry_in;
	IF NOT admitted THEN
		IF slot > 0 THEN
			UPDATE slots SET expires_at = '-infinity'
			    WHERE id = slot_id(slot) AND gen = slot_gen(slot);
		END IF;
		minutes_ok := NULL; used := NULL; quota := NULL;
		until_next := NULL; slot := NULL;
	END IF;
END
$$;

-- key_admit() (0006) and key_admit_slot() (0010) as one function: the
-- key looked up, admit_take() for its user, then the key's last_used and
-- usage_count (its row, too, locked until the commit, at the end).
DROP FUNCTION key_admit_slot(text, bytea, boolean, integer, integer);
DROP FUNCTION key_admit(text, bytea, boolean, integer);
CREATE FUNCTION key_admit(p_prefix text, p_hash bytea, p_count boolean,
    p_default_limit integer, p_lease integer,
    OUT key_id bigint, OUT key_hash bytea, OUT key_active boolean,
    OUT expired boolean, OUT user_id bigint, OUT plan text,
    OUT user_active boolean, OUT admitted boolean, OUT lim integer,
    OUT remaining integer, OUT reset_at bigint, OUT retry_in integer,
    OUT minutes_ok boolean, OUT used float8, OUT quota float8,
    OUT until_next bigint, OUT slot bigint)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
	rpm	integer;
	a	record;
BEGIN
	SELECT k.id, k.key_hash, k.is_active AND k.revoked_at IS NULL,
	    k.expires_at IS NOT NULL AND k.expires_at <= now(),
	    u.id, u.plan, u.is_active AND u.deleted_at IS NULL,
	    p.requests_per_minute
	    INTO key_id, key_hash, key_active, expired, user_id, plan,
	    user_active, rpm
	    FROM api_keys k JOIN users u ON u.id = k.user_id
	    LEFT JOIN plans p ON p.plan = u.plan
	    WHERE k.key_hash = p_hash AND k.key_prefix = p_prefix;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF key_active AND user_active AND NOT expired THEN
		a := admit_take(user_id, plan, COALESCE(rpm, p_default_limit),
		    p_count, p_lease);
		admitted := a.admitted; lim := a.lim; remaining := a.remaining;
		reset_at := a.reset_at; retry_in := a.retry_in;
		minutes_ok := a.minutes_ok; used := a.used; quota := a.quota;
		until_next := a.until_next; slot := a.slot;
		UPDATE api_keys SET last_used = now(),
		    usage_count = usage_count + 1 WHERE id = key_id;
	END IF;
	RETURN NEXT;
END
$$;

-- The same for a user signed in with one of our access tokens: the user
-- (no row: none such, or disabled), then admit_take().  Where a user's
-- call took three statements before its provider (the user, the rate
-- limit, the minutes and slot), it takes this one.
CREATE FUNCTION user_admit(p_user bigint, p_count boolean,
    p_default_limit integer, p_lease integer,
    OUT plan text, OUT admitted boolean, OUT lim integer,
    OUT remaining integer, OUT reset_at bigint, OUT retry_in integer,
    OUT minutes_ok boolean, OUT used float8, OUT quota float8,
    OUT until_next bigint, OUT slot bigint)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
	rpm	integer;
	a	record;
BEGIN
	SELECT u.plan, p.requests_per_minute INTO plan, rpm
	    FROM users u LEFT JOIN plans p ON p.plan = u.plan
	    WHERE u.id = p_user AND u.is_active AND u.deleted_at IS NULL;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	a := admit_take(p_user, plan, COALESCE(rpm, p_default_limit),
	    p_count, p_lease);
	admitted := a.admitted; lim := a.lim; remaining := a.remaining;
	reset_at := a.reset_at; retry_in := a.retry_in;
	minutes_ok := a.minutes_ok; used := a.used; quota := a.quota;
	until_next := a.until_next; slot := a.slot;
	RETURN NEXT;
END
$$;
