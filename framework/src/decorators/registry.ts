// Where decorators record what they declare. Decorators run when a handler file is evaluated: at
// build time in Node (the build collects them from the file's exports) and again inside the
// component (harmless). The registry lives on globalThis so a handler that reaches the framework
// through another path (symlink, package name) still lands in the same map.

export type EventDeclaration = { kind: 'event'; contract: string; event: string; filter?: Record<string, unknown> }
export type BlockDeclaration = { kind: 'block'; every?: number; chain?: string }
export type RouteDeclaration = { kind: 'route'; method: string; path: string }
export type CronDeclaration = { kind: 'cron'; schedule: string }
export type Declaration = EventDeclaration | BlockDeclaration | RouteDeclaration | CronDeclaration

/** Where a decorator was written, for build errors. */
export type SourceSite = { file: string; line: number; column: number }

export type Registration = { declaration: Declaration; site?: SourceSite }

const key = Symbol.for('nexus.framework.triggers')
type Registry = WeakMap<Function, Registration[]>
const registry: Registry = ((globalThis as Record<symbol, unknown>)[key] as Registry | undefined) ?? new WeakMap()
;(globalThis as Record<symbol, unknown>)[key] = registry

export function register(target: Function, registration: Registration): void {
  const list = registry.get(target) ?? []
  // Decorators apply bottom-up; keep the order they are written in.
  list.unshift(registration)
  registry.set(target, list)
}

/** Declarations attached to a function (a decorated method or a plain-form handler), in source order. */
export function registrationsOf(target: unknown): Registration[] {
  return typeof target === 'function' ? (registry.get(target) ?? []) : []
}

const frameRe = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/

/**
 * The first stack frame outside the framework's decorator files and node_modules: the line of
 * `@onEvent(...)` or `onEvent(config, ...)` in the handler file. Undefined when the engine gives no
 * usable stack (the build then finds the line in the source).
 */
export function callSite(): SourceSite | undefined {
  const stack = new Error().stack
  if (!stack) return undefined
  for (const line of stack.split('\n').slice(1)) {
    const m = frameRe.exec(line.trim())
    if (!m) continue
    const file = (m[1]!.startsWith('file://') ? decodeURIComponent(m[1]!.slice('file://'.length)) : m[1]!).replace(/\?.*$/, '')
    // Skip the decorator implementation itself and libraries in between (e.g. a test runner).
    if (/[\\/]framework[\\/]src[\\/]decorators[\\/](registry|triggers|index)\.ts$/.test(file) || /[\\/]node_modules[\\/]/.test(file)) continue
    return { file, line: Number(m[2]), column: Number(m[3]) }
  }
  return undefined
}
