import { sql, type SQL } from 'drizzle-orm'

/**
 * `value` as a jsonb SQL expression whose parameter travels as UTF-8 bytes (bytea) rather than as
 * a text parameter. PGlite (0.5.x) measures a text parameter's UTF-8 length one character at a
 * time and copies it into its message in JavaScript: on a gateway's backfill, whose appends and
 * results carry ≈ 40 MB of JSON, that was ≈ 10 % of its main thread. A bytea parameter is encoded
 * by Buffer's native codec and bound in binary (see `byteaSerializer` in database.ts). PostgreSQL
 * checks the bytes are UTF-8 in `convert_from`, as it does for text.
 */
export function jsonbParam(value: unknown): SQL {
  return sql`convert_from(${Buffer.from(JSON.stringify(value), 'utf8')}::bytea, 'UTF8')::jsonb`
}
