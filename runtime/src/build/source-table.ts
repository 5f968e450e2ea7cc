// Run-time errors name the handler's own source line (issue 17): esbuild's source map of the bundle
// is reduced at build time to a compact table of the segments that come from the project's files,
// and appended to the bundle as `globalThis.__nexusSourceTable`. The guest prelude looks a stack
// frame's `bundle line:column` up in it (`__nexusSourceLocation`), inside the component, so every
// replica turns the same error into the same message and no host path is ever involved: the table
// holds project-relative names only.

/** What the prelude reads: `lines[bundle line, 1-based]` = flat [column, file, source line, source column] (0-based). */
export type SourceTable = { files: string[]; lines: Record<string, number[]> }

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const digit = new Map([...BASE64].map((c, i) => [c, i]))

/** The Base64 VLQ numbers of one segment of a source map's `mappings`. */
function decodeSegment(segment: string): number[] {
  const out: number[] = []
  let value = 0
  let shift = 0
  for (const c of segment) {
    const d = digit.get(c)
    if (d === undefined) throw new Error(`source map: bad VLQ digit ${JSON.stringify(c)}`)
    value += (d & 31) << shift
    if (d & 32) shift += 5
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1)
      value = 0
      shift = 0
    }
  }
  return out
}

/**
 * The table of `map`'s segments whose source `name(source)` keeps (it returns the name to show, e.g.
 * `handlers/hello.ts`, or undefined to leave that source out: dependencies, the generated entry).
 */
export function sourceTableOf(map: { sources: string[]; mappings: string }, name: (source: string) => string | undefined): SourceTable {
  const files: string[] = []
  const fileIndex = new Map<number, number>()
  for (const [i, source] of map.sources.entries()) {
    const shown = name(source)
    if (shown === undefined) continue
    fileIndex.set(i, files.length)
    files.push(shown)
  }
  const lines: Record<string, number[]> = {}
  let source = 0
  let sourceLine = 0
  let sourceColumn = 0
  for (const [line, text] of map.mappings.split(';').entries()) {
    let column = 0
    for (const segment of text.split(',')) {
      if (!segment) continue
      const [dc = 0, ds, dl, dcol] = decodeSegment(segment)
      column += dc
      if (ds === undefined || dl === undefined || dcol === undefined) continue
      source += ds
      sourceLine += dl
      sourceColumn += dcol
      const file = fileIndex.get(source)
      if (file === undefined) continue
      ;(lines[String(line + 1)] ??= []).push(column, file, sourceLine, sourceColumn)
    }
  }
  return { files, lines }
}

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/

/**
 * esbuild's output with an inline source map → the same code with the table in place of the map.
 * The table goes after the code, so no bundle line moves.
 */
export function withSourceTable(bundle: string, name: (source: string) => string | undefined): string {
  const match = INLINE_MAP.exec(bundle)
  if (!match) throw new Error('esbuild produced no inline source map')
  const map = JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8')) as { sources: string[]; mappings: string }
  const table = sourceTableOf(map, name)
  return `${bundle.slice(0, match.index)}\nglobalThis.__nexusSourceTable = ${JSON.stringify(table)};\n`
}
