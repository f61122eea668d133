#!/usr/bin/env bash
# What a request's writes cost PostgreSQL with the request indexes and payload compression before
# and after db/postgresql/V9, measured in one psql session per round (bench/REPORT.md, session 24).
# Usage: bench/probes/request-writes.sh [psql connection URI]   (needs psql; prints figures)
# It works in scratch schemas probe_old and probe_new and tables probe_ev_*, dropped at the end.
set -euo pipefail
URI="${1:-postgresql://postgres@127.0.0.1:5432/test}"
ROWS=30000
HERE="$(cd "$(dirname "$0")" && pwd)"
PAYLOAD="$(sed "s/'/''/g" "$HERE/list-event-payload.json")"

for round in 1 2 3 4; do
  if ((round % 2)); then ORDER="old new" METHODS="pglz lz4"; else ORDER="new old" METHODS="lz4 pglz"; fi
  psql "$URI" -q -At -v ON_ERROR_STOP=1 <<SQL 2>&1 | grep -v NOTICE
DROP SCHEMA IF EXISTS probe_old CASCADE; DROP SCHEMA IF EXISTS probe_new CASCADE;
CREATE SCHEMA probe_old; CREATE SCHEMA probe_new;
-- The request table's columns and indexes as V1-V8 leave them ...
CREATE TABLE probe_old.conversation (id text PRIMARY KEY, list_id text NOT NULL,
  channel_id text NOT NULL, state text NOT NULL, priority int NOT NULL,
  created_at timestamptz NOT NULL, closed_at timestamptz, interaction_number bigint,
  customer text, remind_at timestamptz, inactivity_deadline timestamptz, idempotency_key text,
  closed_by text, pulled_by text,
  CONSTRAINT conversation_idempotency UNIQUE (channel_id, idempotency_key));
CREATE INDEX ON probe_old.conversation (list_id, state);
CREATE INDEX ON probe_old.conversation (remind_at);
CREATE INDEX ON probe_old.conversation (inactivity_deadline);
CREATE INDEX ON probe_old.conversation (pulled_by);
-- ... and as V9 leaves them on PostgreSQL.
CREATE TABLE probe_new.conversation (LIKE probe_old.conversation);
ALTER TABLE probe_new.conversation ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX ON probe_new.conversation (channel_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX ON probe_new.conversation (list_id, state);
CREATE INDEX ON probe_new.conversation (remind_at) WHERE remind_at IS NOT NULL;
CREATE INDEX ON probe_new.conversation (inactivity_deadline) WHERE inactivity_deadline IS NOT NULL;
CREATE INDEX ON probe_new.conversation (pulled_by) WHERE pulled_by IS NOT NULL;

-- Intake: requests without reminder, deadline or idempotency key, on their list; then a pull
-- (the columns the claim's UPDATE changes). Each timed after a checkpoint, so both write the same
-- full-page images, and in the order $ORDER this round (it alternates, so neither side always
-- runs first).
$(for side in $ORDER; do cat <<ONE
CHECKPOINT;
SELECT clock_timestamp() AS i0_$side \gset
INSERT INTO probe_$side.conversation (id, list_id, channel_id, state, priority, created_at,
  interaction_number, customer) SELECT md5(g::text), 'list1', 'chan1', 'UNREAD', 0, now(), g,
  '{"firstName":"Dave"}' FROM generate_series(1, $ROWS) g;
SELECT clock_timestamp() AS i1_$side \gset
ONE
done)
$(for side in $ORDER; do cat <<ONE
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0_$side, clock_timestamp() AS u0_$side \gset
UPDATE probe_$side.conversation SET pulled_by = 'agent1', remind_at = NULL, state = 'ACTIVE';
SELECT pg_current_wal_insert_lsn() AS l1_$side, clock_timestamp() AS u1_$side \gset
ONE
done)

SELECT format('round $round ($ORDER): request insert %s -> %s us; pull update %s -> %s us, WAL %s -> %s bytes',
  round(extract(epoch FROM :'i1_old'::timestamptz - :'i0_old'::timestamptz) * 1e6 / $ROWS, 1),
  round(extract(epoch FROM :'i1_new'::timestamptz - :'i0_new'::timestamptz) * 1e6 / $ROWS, 1),
  round(extract(epoch FROM :'u1_old'::timestamptz - :'u0_old'::timestamptz) * 1e6 / $ROWS, 1),
  round(extract(epoch FROM :'u1_new'::timestamptz - :'u0_new'::timestamptz) * 1e6 / $ROWS, 1),
  round(pg_wal_lsn_diff(:'l1_old', :'l0_old') / $ROWS),
  round(pg_wal_lsn_diff(:'l1_new', :'l0_new') / $ROWS));
DROP SCHEMA probe_old CASCADE; DROP SCHEMA probe_new CASCADE;

-- The list event a pull appends (2.2 KB of JSON), one id varied per row.
DROP TABLE IF EXISTS probe_ev_pglz; DROP TABLE IF EXISTS probe_ev_lz4;
CREATE TABLE probe_ev_pglz (seq bigint PRIMARY KEY, payload text COMPRESSION pglz NOT NULL);
CREATE TABLE probe_ev_lz4 (seq bigint PRIMARY KEY, payload text COMPRESSION lz4 NOT NULL);
$(for method in $METHODS; do cat <<ONE
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS e0_$method, clock_timestamp() AS s0_$method \gset
INSERT INTO probe_ev_$method SELECT g,
  replace('$PAYLOAD', 'c0f1c03aa9b5b2c4e9fa7d6b', md5(g::text)) FROM generate_series(1, $ROWS) g;
SELECT pg_current_wal_insert_lsn() AS e1_$method, clock_timestamp() AS s1_$method \gset
ONE
done)
SELECT format('round $round ($METHODS): list event insert pglz %s us, %s bytes of WAL; lz4 %s us, %s bytes',
  round(extract(epoch FROM :'s1_pglz'::timestamptz - :'s0_pglz'::timestamptz) * 1e6 / $ROWS, 1),
  round(pg_wal_lsn_diff(:'e1_pglz', :'e0_pglz') / $ROWS),
  round(extract(epoch FROM :'s1_lz4'::timestamptz - :'s0_lz4'::timestamptz) * 1e6 / $ROWS, 1),
  round(pg_wal_lsn_diff(:'e1_lz4', :'e0_lz4') / $ROWS));
DROP TABLE probe_ev_pglz; DROP TABLE probe_ev_lz4;
SQL
done
