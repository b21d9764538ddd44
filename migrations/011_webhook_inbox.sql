-- Webhook deliveries acknowledged before they are handled (issue 13: the
-- acknowledgement within 50 ms). The intake verifies a delivery's signature,
-- writes it here and answers 202; any server then claims due rows (SKIP
-- LOCKED, with a lease it renews while handling) and runs the app's handlers.
-- A handled delivery's row is deleted (its id stays in `deliveries`); a failed
-- one waits `next_attempt_at` and is tried again, until it gives up and stays
-- as a dead letter that /api/v1/status counts and GitHub's redelivery revives.
CREATE TABLE webhook_inbox (
  delivery text PRIMARY KEY,
  event text NOT NULL,
  payload text NOT NULL,
  received_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  leased_until timestamptz,
  last_error text,
  gave_up_at timestamptz
);
CREATE INDEX webhook_inbox_due ON webhook_inbox (next_attempt_at) WHERE gave_up_at IS NULL;
