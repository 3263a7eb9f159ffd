-- An API key's call to an endpoint that takes a concurrent slot (the
-- transcriptions, the translations) is admitted with its slot: the key,
-- the rate limit, the month's minutes (that some are left) and the slot
-- in the one statement before the body is read, where the slot took a
-- second round trip once the upload was probed.  The caller compares
-- the minutes returned with the upload's duration itself, and gives the
-- slot back if the request ends without using it.
--
-- key_admit() (0006) as it was, then quota_take() for a key it let in
-- (and the rate limit did not refuse).  Only UNLOGGED tables and the
-- key's counters are written: the commit waits for no WAL flush.
CREATE FUNCTION key_admit_slot(p_prefix text, p_hash bytea,
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
	a	record;
BEGIN
	FOR a IN SELECT * FROM key_admit(p_prefix, p_hash, p_count,
	    p_default_limit) LOOP
		key_id := a.key_id; key_hash := a.key_hash;
		key_active := a.key_active; expired := a.expired;
		user_id := a.user_id; plan := a.plan;
		user_active := a.user_active; admitted := a.admitted;
		lim := a.lim; remaining := a.remaining;
		reset_at := a.reset_at; retry_in := a.retry_in;
		IF key_active AND user_active AND NOT expired AND
		    (admitted OR NOT p_count) THEN
			SELECT q.minutes_ok, q.used, q.quota, q.until_next,
			    q.slot INTO minutes_ok, used, quota, until_next,
			    slot
			    FROM quota_take('user:' || user_id, plan, user_id,
			    0, p_lease) q;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
