-- Translation is billed by characters (Google, Apertium) or tokens (the
-- chat models): a usage row keeps both, the characters of the text sent
-- beside tokens_used.  NULL on rows where no text was translated.

ALTER TABLE usage_logs ADD COLUMN characters bigint
    CHECK (characters IS NULL OR characters >= 0);
