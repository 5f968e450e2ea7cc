// Finds the declared functions of a handler file: it is imported in Node (decorators run at class
// definition and record into the registry), then every export is inspected: decorated methods of
// exported classes, and plain-form handlers (`export const x = onEvent(config, spec, fn)`).
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { registrationsOf, type Registration, type SourceSite } from '../decorators/registry.ts'
import { isZkFunction } from '@nexus/protocol/zk'
import { HandlerLoadError } from './errors.ts'

export type CollectedFunction = {
  /** Absolute path of the handler file. */
  file: string
  /** The export holding it: a class, or the plain-form handler itself. */
  exportName: string
  /** For class methods: which one, and whether it is static. */
  member?: { name: string; isStatic: boolean }
  /** Method or export name: the function id is derived from it. */
  handlerName: string
  registrations: Registration[]
}

const skipStatics = new Set(['length', 'name', 'prototype'])

function methodsOf(cls: Function): { name: string; isStatic: boolean; value: unknown }[] {
  const out: { name: string; isStatic: boolean; value: unknown }[] = []
  const proto = (cls as { prototype?: object }).prototype
  if (proto) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue
      out.push({ name, isStatic: false, value: Object.getOwnPropertyDescriptor(proto, name)?.value })
    }
  }
  for (const name of Object.getOwnPropertyNames(cls)) {
    if (skipStatics.has(name)) continue
    out.push({ name, isStatic: true, value: Object.getOwnPropertyDescriptor(cls, name)?.value })
  }
  return out
}

/** Line of a decorator when the engine's stack did not point into the handler file (no source maps). */
function findSite(file: string, source: string, handlerName: string): SourceSite {
  const lines = source.split('\n')
  const decl = new RegExp(`(^|[\\s;{}])(static\\s+)?(const\\s+|let\\s+)?${handlerName.replace(/[$]/g, '\\$')}\\s*[(=]`)
  for (let i = 0; i < lines.length; i++) {
    if (!decl.test(lines[i]!)) continue
    // The decorator sits on this line or on the lines just above the method.
    for (let j = i; j >= Math.max(0, i - 5); j--) {
      const col = lines[j]!.search(/@?on(Event|Block|Http|Cron)\s*\(/)
      if (col >= 0) return { file, line: j + 1, column: col + 1 }
    }
    return { file, line: i + 1, column: 1 }
  }
  return { file, line: 1, column: 1 }
}

export const handlerLoadHint = 'Handler files run in Node at build time: import host APIs through the handler context, not from nexus:function/*.'

export async function collectFunctions(file: string): Promise<CollectedFunction[]> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (cause) {
    throw new HandlerLoadError(`Could not load handler file ${file}.`, {
      cause,
      metaMessages: [handlerLoadHint],
    })
  }
  const source = await readFile(file, 'utf8')
  const seen = new Set<unknown>()
  const found: CollectedFunction[] = []
  const add = (entry: Omit<CollectedFunction, 'registrations'>, value: unknown) => {
    const registrations = registrationsOf(value)
    if (registrations.length === 0 || seen.has(value)) return
    seen.add(value)
    const fixed = registrations.map((r) => (r.site && r.site.file === file ? r : { ...r, site: findSite(file, source, entry.handlerName) }))
    found.push({ ...entry, registrations: fixed })
  }
  for (const exportName of Object.keys(mod).sort()) {
    const value = mod[exportName]
    if (typeof value !== 'function') continue
    if (registrationsOf(value).length > 0) {
      add({ file, exportName, handlerName: exportName === 'default' ? 'default' : exportName }, value)
      continue
    }
    for (const m of methodsOf(value)) add({ file, exportName, member: { name: m.name, isStatic: m.isStatic }, handlerName: m.name }, m.value)
  }
  return found
}

/** A `zk({ ... })` export of a handler file: served by the gateway's zk service under its export name. */
export type CollectedZkFunction = { file: string; exportName: string; circuit: string }

/** The zk declarations of a handler file (the module is already loaded by collectFunctions). */
export async function collectZkFunctions(file: string): Promise<CollectedZkFunction[]> {
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  return Object.keys(mod)
    .sort()
    .flatMap((exportName) => {
      const value = mod[exportName]
      return isZkFunction(value) ? [{ file, exportName, circuit: value.circuit }] : []
    })
}
