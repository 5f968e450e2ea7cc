-- Handler logs (issue 17): the lines ctx.log.* wrote during the invocation, as the first replica
-- that ran it and agreed with the attested digest returned them (by determinism every agreeing
-- replica logs the same lines). Not covered by the signature (docs/protocol.md). Bounded by the
-- replica: at most 100 lines and 16 KiB, plus a final line when some were dropped.
ALTER TABLE nexus_invocations ADD COLUMN IF NOT EXISTS logs jsonb NOT NULL DEFAULT '[]'::jsonb;
