-- Which commitment a function's smt_nodes and state_root use: 1 = the fixed-depth 256-level tree,
-- 2 = the compact tree (runtime/src/store/state-root.ts). Rows that exist when this runs are old
-- (1) and are rebuilt from kv_entries and files when the function is first loaded; rows inserted
-- afterwards default to 2.
ALTER TABLE function_state ADD COLUMN IF NOT EXISTS tree_format smallint NOT NULL DEFAULT 1;
ALTER TABLE function_state ALTER COLUMN tree_format SET DEFAULT 2;
