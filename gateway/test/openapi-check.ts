// Checks a real gateway answer against /openapi.json, for tests: the JSON Schema keywords the
// document uses ($ref, type, enum, const, properties, required, additionalProperties, items,
// anyOf, pattern, minimum, maximum). No validator package is a dependency of the repo, and this
// subset is what a client generated from the document relies on. Unknown keywords fail loudly, so
// a schema using one this checker does not understand cannot pass by being ignored.
import { openapi } from '../src/server/openapi.ts'

type Schema = Record<string, unknown>
const ANNOTATIONS = new Set(['description', 'format', 'contentEncoding', 'minLength', 'maxLength'])
const CHECKED = new Set(['$ref', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'anyOf', 'pattern', 'minimum', 'maximum'])

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v)
const typeMatches = (want: string, v: unknown) => want === typeOf(v) || (want === 'number' && typeOf(v) === 'integer')

function resolve(ref: string): Schema {
  const name = ref.replace('#/components/schemas/', '')
  const schema = (openapi.components.schemas as Record<string, Schema>)[name]
  if (!schema) throw new Error(`openapi: unresolved $ref ${ref}`)
  return schema
}

/** Every way `value` breaks `schema`, as "path: problem" lines ([] when it conforms). */
export function schemaErrors(schema: Schema, value: unknown, at = '$'): string[] {
  for (const key of Object.keys(schema))
    if (!ANNOTATIONS.has(key) && !CHECKED.has(key)) throw new Error(`openapi check: keyword "${key}" at ${at} is not supported`)
  if (typeof schema.$ref === 'string') return schemaErrors(resolve(schema.$ref), value, at)
  const errors: string[] = []
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string]
    if (!types.some((t) => typeMatches(t, value))) return [`${at}: expected ${types.join(' | ')}, got ${typeOf(value)}`]
  }
  if ('const' in schema && value !== schema.const) errors.push(`${at}: expected ${JSON.stringify(schema.const)}`)
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`)
  if (typeof schema.pattern === 'string' && typeof value === 'string' && !new RegExp(schema.pattern, 'u').test(value))
    errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`)
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: ${value} < ${schema.minimum}`)
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: ${value} > ${schema.maximum}`)
  }
  if (Array.isArray(schema.anyOf)) {
    const options = (schema.anyOf as Schema[]).map((s) => schemaErrors(s, value, at))
    if (!options.some((e) => e.length === 0)) errors.push(`${at}: matches none of anyOf (${options.map((e) => e.join('; ')).join(' | ')})`)
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...schemaErrors(schema.items as Schema, item, `${at}[${i}]`)))
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) errors.push(`${at}.${name}: required but missing`)
    for (const [name, v] of Object.entries(object)) {
      if (properties[name]) errors.push(...schemaErrors(properties[name], v, `${at}.${name}`))
      else if (schema.additionalProperties === false) errors.push(`${at}.${name}: served but not in the schema`)
    }
  }
  return errors
}

/** The documented JSON schema of `method path` answering `status` (path as in the document, `{id}`). */
export function responseSchema(path: string, method: string, status: number): Schema {
  const operation = (openapi.paths as Record<string, Record<string, any>>)[path]?.[method.toLowerCase()]
  if (!operation) throw new Error(`openapi: ${method} ${path} is not documented`)
  const schema = operation.responses[status]?.content?.['application/json']?.schema
  if (!schema) throw new Error(`openapi: ${method} ${path} has no JSON response ${status}`)
  return schema
}

/** Problems of a real answer against the document ([] when it conforms). */
export function answerErrors(path: string, method: string, status: number, body: unknown): string[] {
  return schemaErrors(responseSchema(path, method, status), body)
}
