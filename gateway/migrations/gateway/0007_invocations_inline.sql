-- An invocation row is written twice: appended with its input (an event's ≈ 1.6 KB of hex), then
-- rewritten whole when its result is recorded (≈ 3 KB with the result and the logs). Past the default
-- TOAST threshold (≈ 2 KB), every such UPDATE compressed the row's large values with pglz, and every
-- read decompressed them. Rows up to the largest target (8160 bytes) now stay inline, uncompressed:
-- in a PGlite probe of 10,000 event rows, the appends took ≈ 25 % and the result updates ≈ 30 % less
-- time, for ≈ 16 % more space. Larger rows are still compressed and moved out of line.
ALTER TABLE nexus_invocations SET (toast_tuple_target = 8160);
