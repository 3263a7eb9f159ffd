-- Rate limits over a sliding minute instead of fixed ones.
--
-- The fixed one-minute window let a caller spend its limit at the end
-- of one minute and again at the start of the next: twice the limit in
-- a few seconds.  rate_take() keeps the same per-minute rows but counts
-- a call against the estimate of the last sixty seconds,
--
--	previous minute's count * (1 - seconds into this minute / 60)
--	+ this minute's count,
--
-- and counts only the calls it admits, so a caller that keeps knocking
-- while refused does not push its own wait further out.  One call of
-- the function is one round trip; the upsert's row lock orders
-- concurrent callers of one bucket.

CREATE FUNCTION rate_take(p_bucket text, p_limit integer,
    OUT admitted boolean, OUT lim integer, OUT remaining integer,
    OUT reset_at bigint, OUT retry_in integer)
LANGUAGE plpgsql AS $$
DECLARE
	w	timestamptz := date_trunc('minute', now());
	e	float8 := extract(epoch FROM now() - date_trunc('minute', now()));
	prev	integer;
	cur	integer;
	est	float8;
	wait	float8;
BEGIN
	lim := p_limit;
	INSERT INTO rate_limits AS rl (bucket, window_start, count)
	    VALUES (p_bucket, w, 1)
	    ON CONFLICT (bucket, window_start) DO UPDATE SET count = rl.count + 1
	    RETURNING rl.count INTO cur;
	SELECT COALESCE(max(count), 0) INTO prev FROM rate_limits
	    WHERE bucket = p_bucket AND window_start = w - interval '1 minute';
	est := prev * (60 - e) / 60 + cur;
	admitted := est <= lim;
	IF NOT admitted THEN
		-- Not counted: give the call back.
		UPDATE rate_limits SET count = count - 1
		    WHERE bucket = p_bucket AND window_start = w;
		cur := cur - 1;
		est := prev * (60 - e) / 60 + cur;
	END IF;
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
