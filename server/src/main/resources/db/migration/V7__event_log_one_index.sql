-- The event log is read by seq alone (the hub's tail, a session's pending events): the index by
-- organization and seq served no query, and every event paid an entry in it (bench/REPORT.md,
-- session 20: ~6 events are written per pull).
DROP INDEX IF EXISTS event_org_seq;
