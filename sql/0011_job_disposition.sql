-- A job's file keeps the name its synchronous answer would have given it
-- (Content-Disposition: attachment; filename="..."), for
-- GET /jobs/{id}/result.
ALTER TABLE jobs ADD COLUMN result_disposition text;
