-- Trigger service (gateway/src/triggers) and inbox relay (gateway/src/inbox). Idempotent.
-- One cursor per chain and trigger: the last block whose events/ticks were appended to the log.
-- It is advanced only after the appends (which are idempotent), so a crash re-delivers at most.
CREATE TABLE IF NOT EXISTS nexus_trigger_cursors (
  chain_id bigint NOT NULL,
  trigger_key text NOT NULL,
  block_number bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, trigger_key)
);
--> statement-breakpoint
-- Inbox requests seen at finality, and how far their fulfilment got ('pending' → 'fulfilled').
CREATE TABLE IF NOT EXISTS nexus_inbox_requests (
  chain_id bigint NOT NULL,
  inbox text NOT NULL,
  request_id bigint NOT NULL,
  function_id text NOT NULL,
  invocation_id text NOT NULL,
  state text NOT NULL DEFAULT 'pending',
  tx_hash text,
  error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, inbox, request_id)
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS nexus_inbox_requests_pending ON nexus_inbox_requests (chain_id, inbox) WHERE state = 'pending';
