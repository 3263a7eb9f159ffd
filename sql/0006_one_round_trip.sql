-- A billable request in one round trip before the provider and one
-- durable commit after it.
--
-- Rate-limit windows and in-flight slots are counters whose loss at a
-- crash is harmless: a crash forgets at most a minute's count of calls
-- (callers get at most one extra minute's allowance) and the slots of
-- work the crash killed anyway.  UNLOGGED tables write no WAL, so a
-- commit that touches only them does not wait for the disk; after a
-- crash PostgreSQL empties them, which is exactly the forgetting above.
-- (A streaming replica does not have them: after a fail-over the
-- counters start from zero, just as after a crash.)
ALTER TABLE rate_limits SET UNLOGGED;
ALTER TABLE inflight SET UNLOGGED;

-- key_admit(): an API key's lookup by its digest (the display prefix
-- must match too), the key's last_used and usage_count, and (when
-- p_count) the call counted against the plan's requests per minute by
-- rate_take(), in one statement.  No row: no such key.  A revoked or
-- expired key, or a disabled user, comes back with admitted NULL and
-- nothing written.  key_hash comes back so that the caller compares it
-- in constant time as before.
--
-- The writes are last_used/usage_count and the rate window: losing them
-- at a crash is harmless (see above), so this statement's transaction
-- commits without waiting for its WAL flush (synchronous_commit off, set
-- for the transaction only: the statement is its own transaction).  The
-- usage row, written after the provider call, stays fully durable.
CREATE FUNCTION key_admit(p_prefix text, p_hash bytea, p_count boolean,
    p_default_limit integer,
    OUT key_id bigint, OUT key_hash bytea, OUT key_active boolean,
    OUT expired boolean, OUT user_id bigint, OUT plan text,
    OUT user_active boolean, OUT admitted boolean, OUT lim integer,
    OUT remaining integer, OUT reset_at bigint, OUT retry_in integer)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
	rpm	integer;
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
		PERFORM set_config('synchronous_commit', 'off', true);
		UPDATE api_keys SET last_used = now(),
		    usage_count = usage_count + 1 WHERE id = key_id;
		IF p_count THEN
			SELECT t.admitted, t.lim, t.remaining, t.reset_at,
			    t.retry_in INTO admitted, lim, remaining,
			    reset_at, retry_in
			    FROM rate_take('user:' || user_id,
			    COALESCE(rpm, p_default_limit)) t;
		END IF;
	END IF;
	RETURN NEXT;
END
$$;

-- quota_take(): the monthly audio minutes of p_user (NULL: none to
-- check) for p_seconds more (0: only that some are left), and when they
-- allow it and p_bucket is not NULL, one of the plan's concurrent slots
-- as a lease of p_lease seconds: one statement where there were five.
-- The count and the insert run under a transaction lock on the bucket,
-- so that two calls cannot both see one free slot.  Only the UNLOGGED
-- inflight table is written: the commit waits for no WAL flush.
CREATE FUNCTION quota_take(p_bucket text, p_plan text, p_user bigint,
    p_seconds float8, p_lease integer,
    OUT minutes_ok boolean, OUT used float8, OUT quota float8,
    OUT until_next bigint, OUT slot bigint)
LANGUAGE plpgsql AS $$
BEGIN
	minutes_ok := true;
	IF p_user IS NOT NULL THEN
		SELECT CASE WHEN u.usage_month = date_trunc('month', now())::date
		    THEN u.audio_minutes_month ELSE 0 END::float8,
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
	PERFORM pg_advisory_xact_lock(hashtext(p_bucket));
	INSERT INTO inflight (bucket, expires_at)
	    SELECT p_bucket, now() + make_interval(secs => p_lease)
	    WHERE (SELECT count(*) FROM inflight WHERE bucket = p_bucket
	    AND expires_at > now()) < COALESCE((SELECT concurrent FROM plans
	    WHERE plan = p_plan), 1)
	    RETURNING id INTO slot;
	slot := COALESCE(slot, 0);
END
$$;
