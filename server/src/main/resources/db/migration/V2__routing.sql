-- Pull-mode routing: requests on lists, participants, messages, subscriptions, agent state,
-- and the event log (transactional outbox). Runs on H2 (MODE=PostgreSQL) and PostgreSQL 15.

ALTER TABLE work_list ADD COLUMN reminder_after_seconds INTEGER;

-- interaction_number: the integer interactionId of spec 003 events.
ALTER TABLE conversation ADD COLUMN interaction_number BIGINT;
ALTER TABLE conversation ADD COLUMN customer TEXT;
ALTER TABLE conversation ADD COLUMN channel_customer_identifier TEXT;
ALTER TABLE conversation ADD COLUMN additional_attributes TEXT;
ALTER TABLE conversation ADD COLUMN idempotency_key TEXT;
ALTER TABLE conversation ADD COLUMN last_customer_activity_at TIMESTAMP WITH TIME ZONE;
-- When the next reminder is due (UNREAD requests on lists with a reminder), and when the
-- customer's silence closes the request (channels with a customerActivityTimeout).
ALTER TABLE conversation ADD COLUMN remind_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE conversation ADD COLUMN inactivity_deadline TIMESTAMP WITH TIME ZONE;
ALTER TABLE conversation ADD COLUMN closed_by TEXT;
ALTER TABLE conversation ADD CONSTRAINT conversation_idempotency UNIQUE (channel_id, idempotency_key);
CREATE INDEX conversation_remind_at ON conversation (remind_at);
CREATE INDEX conversation_inactivity_deadline ON conversation (inactivity_deadline);

CREATE SEQUENCE interaction_number_seq;

-- Current participants; a request's history is in the event log.
CREATE TABLE participant (
  conversation_id  TEXT NOT NULL REFERENCES conversation (id),
  user_id          TEXT NOT NULL REFERENCES app_user (id),
  joined_at        TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX participant_user ON participant (user_id);

CREATE TABLE message (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL REFERENCES organization (id),
  conversation_id  TEXT NOT NULL REFERENCES conversation (id),
  sender_type      TEXT NOT NULL,
  sender_id        TEXT,
  sender_name      TEXT,
  text             TEXT NOT NULL,
  created_at       TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX message_conversation ON message (conversation_id, created_at);

CREATE TABLE list_subscription (
  user_id     TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  list_id     TEXT NOT NULL REFERENCES work_list (id) ON DELETE CASCADE,
  org_id      TEXT NOT NULL REFERENCES organization (id),
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (user_id, list_id)
);
CREATE INDEX list_subscription_list ON list_subscription (list_id);

-- The state an agent returns to after work (READY or NOT_READY with a reason).
CREATE TABLE agent_state (
  user_id      TEXT PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
  org_id       TEXT NOT NULL REFERENCES organization (id),
  base_state   TEXT NOT NULL,
  reason_code  TEXT,
  updated_at   TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The event log. seq is handed out under the row lock of event_sequence, taken as the last
-- statement of a transaction, so seq order is commit order and has no gaps.
CREATE TABLE event_sequence (
  id        INTEGER PRIMARY KEY,
  last_seq  BIGINT NOT NULL,
  last_ms   BIGINT NOT NULL,
  last_n    INTEGER NOT NULL
);
INSERT INTO event_sequence (id, last_seq, last_ms, last_n) VALUES (1, 0, 0, 0);

CREATE TABLE event (
  seq             BIGINT PRIMARY KEY,
  id              TEXT NOT NULL,
  org_id          TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  resource_type   TEXT NOT NULL,
  resource_id     TEXT NOT NULL,
  audience        TEXT NOT NULL,
  correlation_id  TEXT,
  payload         TEXT NOT NULL,
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX event_org_seq ON event (org_id, seq);
