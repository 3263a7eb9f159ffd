-- An admission in fewer statements.  The executor's start-up is most of
-- what a statement inside a function costs (ExecutorStart and
-- ExecInitNode were a third of key_admit()'s time in the profile), and
-- an admission ran seven: the key, the user and plan again, the plan's
-- concurrency again, the slot, the rate window's upsert, the previous
-- window's count, the key's counters.  It now runs four: the key with
-- its user, plan and month's minutes; the slot; the rate window; the
-- key's counters.

-- One row per bucket, holding its minute and the count of the minute
-- before: the upsert that counts a call reads both, and decides, so the
-- window needs no second statement, nor a give-back when it refuses
-- (the call is not counted then).  Idle buckets' rows are pruned as the
-- old windows were.  A count lost at a crash is harmless: UNLOGGED.
DROP TABLE rate_limits;
CREATE UNLOGGED TABLE rate_limits (
	bucket		text PRIMARY KEY,
	window_start	timestamptz NOT NULL,
	count		integer NOT NULL,	-- calls counted in it
	prev		integer NOT NULL,	-- in the minute before it
	admitted	boolean NOT NULL	-- whether the last call counted
) WITH (fillfactor = 50);

-- A stored row's counts as of minute w: the minute before's, this
-- minute's, and whether one more call, with the former's share decayed
-- by e seconds into w, stays within lim.  (SQL expressions: the planner
-- puts them in place.)
CREATE FUNCTION rate_prev(p_start timestamptz, p_count integer,
    p_prev integer, w timestamptz) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT CASE p_start WHEN w THEN p_prev
	    WHEN w - interval '1 minute' THEN p_count ELSE 0 END
$$;
CREATE FUNCTION rate_cur(p_start timestamptz, p_count integer,
    w timestamptz) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT CASE p_start WHEN w THEN p_count ELSE 0 END
$$;
CREATE FUNCTION rate_fits(p_start timestamptz, p_count integer,
    p_prev integer, w timestamptz, e float8, lim integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT rate_prev(p_start, p_count, p_prev, w) * (60 - e) / 60 +
	    rate_cur(p_start, p_count, w) + 1 <= lim
$$;

-- rate_take() (0003) on the new rows: the same answers, in one
-- statement.
CREATE OR REPLACE FUNCTION rate_take(p_bucket text, p_limit integer,
    OUT admitted boolean, OUT lim integer, OUT remaining integer,
    OUT reset_at bigint, OUT retry_in integer)
LANGUAGE plpgsql AS $$
DECLARE
	w	timestamptz := date_trunc('minute', now());
	e	float8 := extract(epoch FROM now() - w);
	prev	integer;
	cur	integer;
	est	float8;
	wait	float8;
BEGIN
	lim := p_limit;
	INSERT INTO rate_limits AS rl (bucket, window_start, count, prev,
	    admitted) VALUES (p_bucket, w, (1 <= p_limit)::int, 0,
	    1 <= p_limit)
	    ON CONFLICT (bucket) DO UPDATE SET window_start = w,
	    prev = rate_prev(rl.window_start, rl.count, rl.prev, w),
	    count = rate_cur(rl.window_start, rl.count, w) +
	    rate_fits(rl.window_start, rl.count, rl.prev, w, e, p_limit)::int,
	    admitted = rate_fits(rl.window_start, rl.count, rl.prev, w, e,
	    p_limit)
	    RETURNING rl.count, rl.prev, rl.admitted INTO cur, prev, admitted;
	est := prev * (60 - e) / 60 + cur;
	remaining := CASE WHEN admitted THEN GREATEST(floor(lim - est), 0)
	    ELSE 0 END;
	-- When one more call would be admitted: within this minute as the
	-- previous one's share decays, or else into the next minute, where
	-- this one's count is the share that decays.
	IF cur + 1 <= lim AND prev > 0 THEN
		wait := (prev * (60 - e) / 60 + cur + 1 - lim) * 60 / prev;
	ELSIF cur + 1 <= lim THEN
		wait := 0;
	ELSE
		wait := 60 - e + 60 * (1 - (lim - 1)::float8 / cur);
	END IF;
	retry_in := GREATEST(ceil(wait), 1);
	-- When the whole limit is back: both minutes' counts have aged out.
	reset_at := extract(epoch FROM w + CASE WHEN cur > 0 THEN
	    interval '2 minutes' ELSE interval '1 minute' END)::bigint;
END
$$;

-- The admission of a call: 0012's key_admit(), user_admit() and their
-- admit_take() as one function.  The caller, by its API key (p_hash)
-- or as a user signed in with one of our access tokens (p_user; no row
-- when there is no such user or it is disabled), is read with its user,
-- plan and (p_lease not NULL) month's minutes in one statement.
-- An active caller then takes a slot when the endpoint takes one
-- (p_lease not NULL) and its minutes allow, is counted in its rate
-- window (p_count), and a key's counters are updated.  The rows of the
-- last two, which every call of the user writes, are locked from there
-- to the commit, which does not wait for the disk (synchronous_commit
-- off, for this transaction only: it writes only UNLOGGED tables and
-- counters whose loss at a crash is harmless).  A call the rate limit
-- refuses gives its slot back before the commit.
DROP FUNCTION key_admit(text, bytea, boolean, integer, integer);
DROP FUNCTION user_admit(bigint, boolean, integer, integer);
DROP FUNCTION admit_take(bigint, text, integer, boolean, integer);
CREATE FUNCTION admit(p_prefix text, p_hash bytea, p_user bigint,
    p_count boolean, p_default_limit integer, p_lease integer,
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
	conc	integer;
	t	record;
	x	text;
BEGIN
	IF p_hash IS NOT NULL THEN
		SELECT k.id, k.key_hash, k.is_active AND k.revoked_at IS NULL,
		    k.expires_at IS NOT NULL AND k.expires_at <= now(),
		    u.id, u.plan, u.is_active AND u.deleted_at IS NULL,
		    COALESCE(p.requests_per_minute, p_default_limit),
		    p.concurrent, p.audio_minutes_month, CASE WHEN p_lease
		    IS NOT NULL THEN COALESCE((SELECT m.audio_minutes_month
		    FROM usage_month m WHERE m.user_id = u.id), 0) END
		    INTO key_id, key_hash, key_active, expired, user_id, plan,
		    user_active, rpm, conc, quota, used
		    FROM api_keys k JOIN users u ON u.id = k.user_id
		    LEFT JOIN plans p ON p.plan = u.plan
		    WHERE k.key_hash = p_hash AND k.key_prefix = p_prefix;
	ELSE
		SELECT u.id, u.plan, true,
		    COALESCE(p.requests_per_minute, p_default_limit),
		    p.concurrent, p.audio_minutes_month, CASE WHEN p_lease
		    IS NOT NULL THEN COALESCE((SELECT m.audio_minutes_month
		    FROM usage_month m WHERE m.user_id = u.id), 0) END
		    INTO user_id, plan, user_active, rpm, conc, quota, used
		    FROM users u LEFT JOIN plans p ON p.plan = u.plan
		    WHERE u.id = p_user AND u.is_active AND u.deleted_at IS NULL;
	END IF;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF user_active AND (p_hash IS NULL OR key_active AND NOT expired) THEN
		x := set_config('synchronous_commit', 'off', true);
		IF p_lease IS NOT NULL THEN
			until_next := ceil(extract(epoch FROM
			    date_trunc('month', now()) + interval '1 month' -
			    now()))::bigint;
			minutes_ok := quota IS NULL OR used < quota;
			IF minutes_ok THEN
				slot := slot_take('user:' || user_id,
				    COALESCE(conc, 1), p_lease);
			END IF;
		END IF;
		IF p_count THEN
			t := rate_take('user:' || user_id, rpm);
			admitted := t.admitted; lim := t.lim;
			remaining := t.remaining; reset_at := t.reset_at;
			retry_in := t.retry_in;
			IF NOT admitted THEN
				IF slot > 0 THEN
					UPDATE slots SET expires_at = '-infinity'
					    WHERE id = slot_id(slot) AND
					    gen = slot_gen(slot);
				END IF;
				minutes_ok := NULL; used := NULL; quota := NULL;
				until_next := NULL; slot := NULL;
			END IF;
		END IF;
		IF p_hash IS NOT NULL THEN
			UPDATE api_keys SET last_used = now(),
			    usage_count = usage_count + 1 WHERE id = key_id;
		END IF;
	END IF;
	RETURN NEXT;
END
$$;

-- A usage row's checks, each paid on every insert: a foreign key locks
-- the user's row and the key's row (FOR KEY SHARE: a WAL record each,
-- and a multixact when calls of one user overlap, which they do), and
-- a CHECK constraint's expression is read from its text again for every
-- statement that inserts.  The ids come from the admission that has just
-- read the key and its user, and the values from the code, so the row
-- needs neither: what the foreign keys did when a user or a key is
-- deleted (usage rows kept without it, counters dropped) is done by
-- triggers on the deleted side.  A row written while its user is being
-- deleted keeps the id it was admitted with.
ALTER TABLE usage_logs DROP CONSTRAINT usage_logs_user_id_fkey,
    DROP CONSTRAINT usage_logs_api_key_id_fkey,
    DROP CONSTRAINT usage_logs_characters_check;
ALTER TABLE usage_counters DROP CONSTRAINT usage_counters_user_id_fkey,
    DROP CONSTRAINT usage_counters_stripe_check;

CREATE FUNCTION users_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	-- Its keys go with it (api_keys cascades): its rows name neither.
	UPDATE usage_logs l SET user_id = NULL, api_key_id = NULL FROM gone g
	    WHERE l.user_id = g.id;
	DELETE FROM usage_counters c USING gone g WHERE c.user_id = g.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER users_deleted AFTER DELETE ON users
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION users_deleted();

-- A key deleted on its own: its rows are found through its user's (the
-- index on user_id).
CREATE FUNCTION api_keys_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE usage_logs l SET api_key_id = NULL FROM gone g
	    WHERE l.user_id = g.user_id AND l.api_key_id = g.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION api_keys_deleted();
