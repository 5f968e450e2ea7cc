// What a component imports, with the full type of every imported function, in a form that can be
// compared with the nexus:function world. jco's `componentWit` names the imported interfaces but
// not their types, so a component could import `nexus:function/kv@0.1.0` with a `get` of another
// signature and still look right. Here the component's leading type and import sections are cut
// out of the binary (cheap: no core module is touched), printed as WAT by wasm-tools, and every
// type index is resolved into one canonical string per imported function or type.
import { print } from '@bytecodealliance/jco'
import { InvalidArtifactError } from './errors.ts'

/** Interface name → item name → canonical type (`func(...)` or a named type). */
export type ImportedInterfaces = Map<string, Map<string, string>>

const SECTION_TYPE = 7
const SECTION_IMPORT = 10
const SECTION_CUSTOM = 0

function readU32(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0
  for (let shift = 0, i = at; i < at + 5 && i < bytes.length; shift += 7, i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift
    if ((bytes[i]! & 0x80) === 0) return { value, next: i + 1 }
  }
  throw new InvalidArtifactError('component: truncated section header.')
}

/**
 * The component's preamble and its leading type/import sections, as a component of its own.
 * Every top-level import must be in that leading run: an import section after a core module or
 * an instance is refused (toolchains put imports first; allowing them later would mean printing
 * and resolving the whole component).
 */
export function importHeader(component: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [component.subarray(0, 8)]
  let leading = true
  for (let at = 8; at < component.length; ) {
    const id = component[at]!
    const { value: size, next } = readU32(component, at + 1)
    const end = next + size
    if (end > component.length) throw new InvalidArtifactError('component: a section runs past the end of the file.')
    if (id === SECTION_IMPORT && !leading) throw new InvalidArtifactError('component: an import section follows other definitions; imports must come first.')
    if (id !== SECTION_CUSTOM && id !== SECTION_TYPE && id !== SECTION_IMPORT) leading = false
    if (leading && (id === SECTION_TYPE || id === SECTION_IMPORT)) parts.push(component.subarray(at, end))
    at = end
  }
  return new Uint8Array(Buffer.concat(parts))
}

type Sexp = string | Sexp[]

/** WAT as wasm-tools prints it → nested lists. `(;N;)` index comments become `#N` atoms. */
function parseSexp(text: string): Sexp[] {
  const stack: Sexp[][] = [[]]
  const re = /\(;(\d+);\)|\(;[\s\S]*?;\)|;;[^\n]*|"(?:[^"\\]|\\.)*"|[()]|[^\s()"]+/g
  for (const m of text.matchAll(re)) {
    const token = m[0]
    if (m[1] !== undefined) stack.at(-1)!.push(`#${m[1]}`)
    else if (token.startsWith('(;') || token.startsWith(';;')) continue
    else if (token === '(') stack.push([])
    else if (token === ')') {
      const done = stack.pop()!
      if (stack.length === 0) throw new InvalidArtifactError('component: unbalanced WAT while reading imports.')
      stack.at(-1)!.push(done)
    } else stack.at(-1)!.push(token)
  }
  if (stack.length !== 1) throw new InvalidArtifactError('component: unbalanced WAT while reading imports.')
  return stack[0]!
}

const isList = (s: Sexp | undefined): s is Sexp[] => Array.isArray(s)
const indexOf = (node: Sexp[]) => node.find((s): s is string => typeof s === 'string' && s.startsWith('#'))
const nameOf = (node: Sexp[]) => node.find((s): s is string => typeof s === 'string' && s.startsWith('$'))

/** One scope of type definitions (the component's top level, or one instance type). */
function scope(decls: Sexp[]): { types: Map<string, Sexp>; canonical: (ref: string) => string; render: (s: Sexp) => string } {
  const types = new Map<string, Sexp>()
  const define = (node: Sexp[], def: Sexp) => {
    const index = indexOf(node)
    const name = nameOf(node)
    if (index) types.set(index.slice(1), def)
    if (name) types.set(name, def)
  }
  for (const d of decls) {
    if (!isList(d)) continue
    if (d[0] === 'type') define(d, d.find((x, i) => i > 0 && isList(x)) ?? 'invalid')
    // (export (;N;) "name" (type (eq M))): a named type, index N in the same space.
    if (d[0] === 'export') {
      const desc = d.find(isList)
      if (desc?.[0] === 'type') define(d, ['named', d.find((x) => typeof x === 'string' && x.startsWith('"')) ?? '?', desc.find(isList) ?? 'invalid'])
    }
  }
  const seen = new Set<string>()
  const render = (s: Sexp): string => {
    if (isList(s))
      return `(${s
        .filter((x) => !(typeof x === 'string' && x.startsWith('#')))
        .map(render)
        .join(' ')})`
    if (/^\d+$/.test(s) || s.startsWith('$')) return canonical(s)
    return s
  }
  function canonical(ref: string): string {
    const def = types.get(ref)
    if (def === undefined || seen.has(ref)) throw new InvalidArtifactError(`component: unresolvable type reference ${ref} in an import.`)
    seen.add(ref)
    try {
      return render(def)
    } finally {
      seen.delete(ref)
    }
  }
  return { types, canonical, render }
}

/** The imported instances of a component and the canonical type of each item they export to it. */
export async function importedInterfaces(component: Uint8Array): Promise<ImportedInterfaces> {
  let wat: string
  try {
    wat = await print(importHeader(component))
  } catch (cause) {
    throw new InvalidArtifactError('component: its import section could not be read.', { cause })
  }
  const [root] = parseSexp(wat)
  if (!isList(root) || root[0] !== 'component') throw new InvalidArtifactError('component: not a component.')
  const top = scope(root.slice(1))
  const result: ImportedInterfaces = new Map()
  for (const node of root.slice(1)) {
    if (!isList(node) || node[0] !== 'import') continue
    const name = JSON.parse(String(node[1])) as string
    const desc = node.find((x, i) => i > 1 && isList(x)) as Sexp[] | undefined
    if (!desc || desc[0] !== 'instance') throw new InvalidArtifactError(`component: import "${name}" is not an interface instance.`)
    const typeRef = desc.find((x): x is Sexp[] => isList(x) && x[0] === 'type' && x.length === 2 && typeof x[1] === 'string')
    const body = typeRef ? top.types.get(String(typeRef[1]).replace(/^#/, '')) : ['instance', ...desc.filter(isList)]
    if (!isList(body) || body[0] !== 'instance') throw new InvalidArtifactError(`component: import "${name}" has no instance type.`)
    const inner = scope(body.slice(1))
    const items = new Map<string, string>()
    for (const d of body.slice(1)) {
      if (!isList(d) || d[0] !== 'export') continue
      const item = JSON.parse(String(d.find((x) => typeof x === 'string' && x.startsWith('"')))) as string
      const itemDesc = d.find(isList)!
      const ref = itemDesc.find((x): x is Sexp[] => isList(x) && x[0] === 'type')
      if (itemDesc[0] === 'func')
        items.set(item, `func ${ref && typeof ref[1] === 'string' ? inner.canonical(ref[1]) : inner.render(['func', ...itemDesc.slice(1).filter(isList)])}`)
      else if (itemDesc[0] === 'type') items.set(item, `type ${inner.canonical(String(indexOf(d)).slice(1))}`)
      else throw new InvalidArtifactError(`component: import "${name}" item "${item}" is neither a function nor a type.`)
    }
    result.set(name, items)
  }
  return result
}
