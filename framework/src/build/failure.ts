// A build that keeps going (`buildProject(…, { keepGoing: true })`, used by `nexus dev`'s watcher)
// reports each function or handler file that failed as a BuildFailure instead of throwing: the
// others still build. Each failure carries the source location to fix, found in what the tools
// attach to their errors: esbuild's `errors[].location`, a decorator's site, a `file:line:col` in
// the message (tsx's transform errors), or the first stack frame in the handler file.
import { isAbsolute, resolve } from 'node:path'

export type SourceLocation = { file: string; line: number; column: number }

export type BuildFailure = {
  /** The handler file that failed, or the one of the function that failed. */
  file: string
  /** The function that failed; absent when the whole file could not be loaded (its functions are unknown). */
  id?: string
  /** Where to look: absent when no tool said. */
  location?: SourceLocation
  /** One line: what went wrong, without the location. */
  message: string
  error: Error
}

type EsbuildMessage = { text?: string; location?: { file?: string; line?: number; column?: number } | null }

const causes = (err: unknown): unknown[] => {
  const chain: unknown[] = []
  for (let e = err; e && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e)
  return chain
}

const LOCATION = /((?:[A-Za-z]:)?[^\s:()'"]+\.[mc]?[jt]sx?):(\d+):(\d+)/
/** A path from a stack frame's `file:///…` URL (the regex starts after `file:`) or a message. */
const pathOf = (match: string) => (match.startsWith('//') ? match.replace(/^\/+/, '/') : match)

/** The location and one-line message of a build error, `root` resolving esbuild's relative paths. */
export function describeFailure(err: unknown, root: string, file?: string): { location?: SourceLocation; message: string } {
  const chain = causes(err)
  for (const e of chain) {
    const first = (e as { errors?: EsbuildMessage[] }).errors?.[0]
    const at = first?.location
    if (at?.file && at.line) {
      // esbuild: line 1-based, column 0-based.
      const path = isAbsolute(at.file) ? at.file : resolve(root, at.file)
      return { location: { file: path, line: at.line, column: (at.column ?? 0) + 1 }, message: first?.text ?? String(e) }
    }
    const site = (e as { site?: SourceLocation }).site
    if (site?.file && site.line)
      return { location: site, message: ((e as { shortMessage?: string }).shortMessage ?? String(e)).replace(`${site.file}:${site.line}:${site.column}: `, '') }
  }
  const texts = chain.flatMap((e) => [(e as { details?: string }).details, (e as Error).message].filter((t): t is string => typeof t === 'string'))
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = LOCATION.exec(line)
      if (!m) continue
      const rest = line.slice(m.index + m[0].length)
      // esbuild's text (what tsx throws) says `file:line:col: ERROR: …` with a 0-based column.
      const esbuild = /^:\s*ERROR:/.test(rest)
      const message = rest.replace(/^:\s*(ERROR:\s*)?/, '').trim()
      return { location: { file: pathOf(m[1]!), line: Number(m[2]), column: Number(m[3]) + (esbuild ? 1 : 0) }, message: message || firstLine(err) }
    }
  }
  // A throw while the file was imported: the first stack frame inside the file.
  if (file) {
    for (const e of chain) {
      const stack = (e as { stack?: string }).stack ?? ''
      for (const line of stack.split('\n').slice(1)) {
        const m = LOCATION.exec(line)
        if (m && pathOf(m[1]!) === file) return { location: { file, line: Number(m[2]), column: Number(m[3]) }, message: firstLine(err) }
      }
    }
  }
  return { message: firstLine(err) }
}

/** The most specific one-line message of an error chain (a wrapper's "Could not …" says less than its cause). */
function firstLine(err: unknown): string {
  const chain = causes(err)
  const innermost = chain[chain.length - 1] as { shortMessage?: string; message?: string } | undefined
  const text = innermost?.shortMessage ?? innermost?.message ?? String(err)
  return text.split('\n').find((l) => l.trim()) ?? text
}

/** `file:line:col: message` (paths relative to `cwd` when inside it), as editors and terminals link them. */
export function formatFailure(f: Pick<BuildFailure, 'location' | 'message' | 'file'>, relativeTo?: (path: string) => string): string {
  const show = relativeTo ?? ((p: string) => p)
  return f.location ? `${show(f.location.file)}:${f.location.line}:${f.location.column}: ${f.message}` : `${show(f.file)}: ${f.message}`
}
