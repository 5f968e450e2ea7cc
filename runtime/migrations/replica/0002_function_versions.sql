-- Which code each function runs from which seq, as the gateway deployed it
-- (runtime/src/store/function-versions.ts). An execute whose code hash is not the version active
-- at its seq is refused, so a code hash is bound to its function id.
CREATE TABLE IF NOT EXISTS function_versions (
  function_id text NOT NULL,
  from_seq bigint NOT NULL,
  code_hash text NOT NULL,
  PRIMARY KEY (function_id, from_seq)
);
