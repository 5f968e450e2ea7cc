-- Replica state: one schema (Postgres) or one database (PGlite) per replica.
-- Keys and paths are bytea so ordering is UTF-8 byte order regardless of collation.
CREATE TABLE IF NOT EXISTS kv_entries (
  function_id text NOT NULL,
  key bytea NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (function_id, key)
);
CREATE TABLE IF NOT EXISTS files (
  function_id text NOT NULL,
  path bytea NOT NULL,
  parent bytea NOT NULL,
  kind smallint NOT NULL, -- 0 file, 1 directory
  data bytea,
  PRIMARY KEY (function_id, path)
);
CREATE INDEX IF NOT EXISTS files_parent ON files (function_id, parent);
-- Non-empty nodes of each function's sparse Merkle tree, keyed by depth and path prefix.
CREATE TABLE IF NOT EXISTS smt_nodes (
  function_id text NOT NULL,
  node bytea NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (function_id, node)
);
CREATE TABLE IF NOT EXISTS function_state (
  function_id text PRIMARY KEY,
  last_applied_seq bigint NOT NULL,
  state_root bytea NOT NULL
);
-- Every applied invocation's result, so a re-sent seq is answered without re-running it.
CREATE TABLE IF NOT EXISTS applied_results (
  function_id text NOT NULL,
  seq bigint NOT NULL,
  code_hash text NOT NULL,
  input_hash bytea NOT NULL,
  status smallint NOT NULL,
  output bytea NOT NULL,
  fuel_used bigint NOT NULL,
  state_root_before bytea NOT NULL,
  state_root_after bytea NOT NULL,
  PRIMARY KEY (function_id, seq)
);
CREATE TABLE IF NOT EXISTS artifacts (
  code_hash text PRIMARY KEY,
  manifest jsonb NOT NULL,
  component bytea NOT NULL
);
