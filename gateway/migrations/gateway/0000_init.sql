-- Gateway ordered log (drizzle schema: gateway/src/database/schema.ts). Idempotent.
CREATE TABLE IF NOT EXISTS nexus_artifacts (
  code_hash text PRIMARY KEY,
  manifest jsonb NOT NULL,
  component text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS nexus_functions (
  id text PRIMARY KEY,
  code_hash text NOT NULL REFERENCES nexus_artifacts (code_hash),
  last_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS nexus_function_versions (
  function_id text NOT NULL REFERENCES nexus_functions (id),
  code_hash text NOT NULL REFERENCES nexus_artifacts (code_hash),
  from_seq bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (function_id, code_hash)
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS nexus_invocations (
  id text PRIMARY KEY,
  function_id text NOT NULL REFERENCES nexus_functions (id),
  seq bigint NOT NULL,
  code_hash text NOT NULL,
  input text NOT NULL,
  trigger text NOT NULL,
  timestamp_ms bigint NOT NULL,
  idempotency_key text,
  request_hash text NOT NULL,
  state text NOT NULL DEFAULT 'pending',
  result jsonb,
  disagreements jsonb NOT NULL DEFAULT '[]'::jsonb,
  attested_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (function_id, seq),
  UNIQUE (function_id, idempotency_key)
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS nexus_invocations_pending ON nexus_invocations (function_id, seq) WHERE state = 'pending';
