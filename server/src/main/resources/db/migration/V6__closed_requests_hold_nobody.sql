-- A closed request is in no agent's workbin: while it named the agent that had pulled it, that
-- user could not be deleted (the foreign key), for good.
UPDATE conversation SET pulled_by = NULL WHERE state = 'CLOSED' AND pulled_by IS NOT NULL;
