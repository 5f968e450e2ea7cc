-- Versions are keyed by the seq they start at, not by code hash: a function pointed back at code it
-- ran before (A → B → A) needs a second row for A, and of two deploys before any invocation (same
-- from_seq) the later one is what runs. Replicas bind code to function and seq from this table
-- (docs/protocol.md §7), so it must say which code ran every seq. Of rows sharing a from_seq the
-- newest is kept.
DELETE FROM nexus_function_versions v USING nexus_function_versions w
  WHERE v.function_id = w.function_id AND v.from_seq = w.from_seq AND (v.created_at, v.code_hash) < (w.created_at, w.code_hash);
ALTER TABLE nexus_function_versions DROP CONSTRAINT IF EXISTS nexus_function_versions_pkey;
ALTER TABLE nexus_function_versions ADD PRIMARY KEY (function_id, from_seq);
