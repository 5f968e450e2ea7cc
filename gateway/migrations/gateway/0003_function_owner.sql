-- Function ownership (docs/gateway.md, "Ownership"): the fingerprint (sha256 hex) of the deploy key
-- that created the function, never the key. Only that key or an admin key may repoint the id to
-- new code. NULL for functions created before this migration: the next key that deploys one adopts it.
ALTER TABLE nexus_functions ADD COLUMN IF NOT EXISTS owner text;
