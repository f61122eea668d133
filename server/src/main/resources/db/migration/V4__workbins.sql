-- Workbins: an exclusive pull takes a request off its list into the agent's own workbin.

-- The agent whose workbin holds the request; NULL while it is on its list.
ALTER TABLE conversation ADD COLUMN pulled_by TEXT REFERENCES app_user (id);
CREATE INDEX conversation_pulled_by ON conversation (pulled_by);

-- referenceId of the workbin API: ties a request to the CometD notifications it causes.
CREATE SEQUENCE workbin_reference_seq;
