-- On PostgreSQL only (H2 has neither partial indexes nor a choice of compression); versions are
-- shared with db/migration, so the next one there is V10.
--
-- A request's row changes on every pull, join and close, and an update that changes an indexed
-- column writes an entry into every index of the table, NULLs included. These four index a
-- column that is NULL on most rows (no reminder due, no inactivity deadline, no idempotency
-- key, on its list rather than in an agent's workbin), and every query that reads them asks for
-- a value (`remind_at <= :now`, `pulled_by = :user`, …), so they hold the rows that have one.
-- A pull then writes 3 index entries fewer for a request without reminder, deadline or key.
-- Rebuilding them holds writes to the table while the migration runs, as the server starts.
DROP INDEX conversation_remind_at;
CREATE INDEX conversation_remind_at ON conversation (remind_at) WHERE remind_at IS NOT NULL;
DROP INDEX conversation_inactivity_deadline;
CREATE INDEX conversation_inactivity_deadline ON conversation (inactivity_deadline)
  WHERE inactivity_deadline IS NOT NULL;
DROP INDEX conversation_pulled_by;
CREATE INDEX conversation_pulled_by ON conversation (pulled_by) WHERE pulled_by IS NOT NULL;
-- Unique as before: PostgreSQL never compared NULL keys, and intake's ON CONFLICT DO NOTHING
-- names no constraint.
ALTER TABLE conversation DROP CONSTRAINT conversation_idempotency;
CREATE UNIQUE INDEX conversation_idempotency ON conversation (channel_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Event payloads over ~2 KB (a request's list events) are compressed; lz4 costs a fraction of
-- pglz's CPU. A server built without lz4 keeps pglz.
DO $$
BEGIN
  ALTER TABLE event ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available; event payloads stay compressed with pglz';
END
$$;
