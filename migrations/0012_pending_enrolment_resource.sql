-- A pending token started by the portal's Register New Token / Re-Assign names the resource it is being enrolled
-- for, so a new start (a reload of the page) replaces the user's previous pending enrolment there instead of
-- leaving another one behind. NULL for every other token; cleared with the resource.
ALTER TABLE tokens ADD COLUMN enrolling_resource_id TEXT REFERENCES resources(id) ON DELETE SET NULL;
CREATE INDEX tokens_pending_idx ON tokens (created_at) WHERE activated = 0;
