-- Streaming sessions (spec 003): kept in the store so that any node serves any poll and a
-- restart loses neither a session nor an unacknowledged event.

CREATE TABLE streaming_session (
  id                TEXT PRIMARY KEY,
  org_id            TEXT NOT NULL REFERENCES organization (id),
  owner             TEXT NOT NULL,
  api_version       INTEGER NOT NULL,
  inactivity_delay  INTEGER NOT NULL,
  require_ack       BOOLEAN NOT NULL,
  cursor_seq        BIGINT NOT NULL,
  created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
  last_poll_at      TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX streaming_session_owner ON streaming_session (owner);
CREATE INDEX streaming_session_last_poll ON streaming_session (last_poll_at);

-- Events delivered to a session that requires acknowledgement and not yet acknowledged.
CREATE TABLE streaming_pending (
  session_id  TEXT NOT NULL REFERENCES streaming_session (id) ON DELETE CASCADE,
  seq         BIGINT NOT NULL,
  event_id    TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
);
CREATE INDEX streaming_pending_event ON streaming_pending (session_id, event_id);

CREATE TABLE streaming_subscription (
  session_id        TEXT NOT NULL REFERENCES streaming_session (id) ON DELETE CASCADE,
  id                TEXT NOT NULL,
  description       TEXT,
  filter_criteria   TEXT NOT NULL,
  created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
  last_modified_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (session_id, id)
);
