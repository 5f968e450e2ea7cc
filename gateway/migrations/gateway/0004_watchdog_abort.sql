-- Watchdog aborts (docs/runtime.md, "Watchdog aborts"): set when a replica's wall-clock watchdog
-- fired on a pending invocation. The invocation is then resent marked aborted, and every replica
-- records the same fixed out_of_fuel result without running it. Null for every other invocation.
ALTER TABLE nexus_invocations ADD COLUMN IF NOT EXISTS abort text;
