-- Chain context of chain-triggered invocations (event/block): the replicas pin chain reads to
-- this block and the digest's chainId comes from the network. NULL for HTTP and cron invocations.
ALTER TABLE nexus_invocations ADD COLUMN IF NOT EXISTS chain_id bigint;
--> statement-breakpoint
ALTER TABLE nexus_invocations ADD COLUMN IF NOT EXISTS block_number bigint;
