-- Foundation: keys, organizations, clients, and the administration resources.
-- Runs unchanged on H2 (MODE=PostgreSQL) and PostgreSQL 15; see DESIGN.md section 9.

CREATE TABLE signing_key (
  id          TEXT PRIMARY KEY,
  secret      TEXT NOT NULL,
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE organization (
  id            TEXT PRIMARY KEY,
  api_key_hash  TEXT NOT NULL,
  created_at    TIMESTAMP WITH TIME ZONE NOT NULL
);

-- OAuth clients. Operator clients belong to no organization.
CREATE TABLE api_client (
  client_id    TEXT PRIMARY KEY,
  org_id       TEXT REFERENCES organization (id),
  secret_hash  TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  created_at   TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE app_user (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL REFERENCES organization (id),
  username       TEXT NOT NULL,
  password_hash  TEXT,
  first_name     TEXT,
  last_name      TEXT,
  roles          TEXT NOT NULL,
  place          TEXT,
  created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT app_user_name UNIQUE (org_id, username)
);

CREATE TABLE team (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES organization (id),
  name         TEXT NOT NULL,
  description  TEXT,
  created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT team_name UNIQUE (org_id, name)
);

CREATE TABLE team_member (
  group_id  TEXT NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  user_id   TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);

CREATE TABLE agent_group (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES organization (id),
  name         TEXT NOT NULL,
  description  TEXT,
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT agent_group_name UNIQUE (org_id, name)
);

CREATE TABLE agent_group_member (
  group_id  TEXT NOT NULL REFERENCES agent_group (id) ON DELETE CASCADE,
  user_id   TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);

CREATE TABLE place_group (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organization (id),
  name        TEXT NOT NULL,
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT place_group_name UNIQUE (org_id, name)
);

CREATE TABLE place_group_place (
  group_id  TEXT NOT NULL REFERENCES place_group (id) ON DELETE CASCADE,
  place     TEXT NOT NULL,
  PRIMARY KEY (group_id, place)
);

-- A list owned by an agent group or place group is that group's workbin.
CREATE TABLE work_list (
  id              TEXT PRIMARY KEY,
  org_id          TEXT NOT NULL REFERENCES organization (id),
  name            TEXT NOT NULL,
  description     TEXT,
  agent_group_id  TEXT REFERENCES agent_group (id),
  place_group_id  TEXT REFERENCES place_group (id),
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT work_list_name UNIQUE (org_id, name),
  CONSTRAINT work_list_one_owner CHECK (agent_group_id IS NULL OR place_group_id IS NULL)
);

CREATE TABLE channel (
  id                         TEXT PRIMARY KEY,
  org_id                     TEXT NOT NULL REFERENCES organization (id),
  name                       TEXT NOT NULL,
  service_identifier         TEXT,
  channel_type               TEXT NOT NULL,
  routing_mode               TEXT NOT NULL,
  list_id                    TEXT REFERENCES work_list (id),
  customer_activity_timeout  INTEGER,
  agent_request_ttl          INTEGER,
  created_at                 TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT channel_name UNIQUE (org_id, name)
);

-- Requests parked on lists. The routing feature owns their lifecycle; the list read counts them.
CREATE TABLE conversation (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organization (id),
  list_id     TEXT NOT NULL REFERENCES work_list (id),
  channel_id  TEXT NOT NULL REFERENCES channel (id),
  state       TEXT NOT NULL,
  priority    INTEGER NOT NULL,
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  closed_at   TIMESTAMP WITH TIME ZONE
);

CREATE INDEX conversation_list_state ON conversation (list_id, state);
