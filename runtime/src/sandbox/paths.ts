/** Normalises a guest path to `a/b/c` relative to the function root ('' is the root). */
export function normalizePath(path: string): string | undefined {
  if (path.startsWith('/') || path.includes('\0') || path.includes('\\')) return undefined
  const parts: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      // Leaving the root is an error, not a clamp: `../x` must never silently mean `x`.
      if (parts.length === 0) return undefined
      parts.pop()
    } else parts.push(segment)
  }
  return parts.join('/')
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i < 0 ? '' : path.slice(0, i)
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

const encoder = new TextEncoder()

/** Byte order of UTF-8 encodings: the order every replica lists keys and files in. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(encoder.encode(a), encoder.encode(b))
}

export function utf8Length(s: string): number {
  return encoder.encode(s).length
}
