// The lines a handler logs in one invocation (ctx.log.*). They travel with the result to the
// gateway's log and are served with it, but are not signed (docs/protocol.md): still, they must be
// the same on every replica, so they hold only the handler's own text (no host clock, no replica
// name) and the bounds below are counted the same way everywhere.
import type { LogLine } from '@nexus/protocol'

/** Lines kept per invocation; more are dropped and counted in one final line. */
export const MAX_LOG_LINES = 100
/** UTF-8 bytes of messages kept per invocation. */
export const MAX_LOG_BYTES = 16 * 1024
/** One message longer than this is cut (characters, marked with "…"). */
export const MAX_LOG_LINE_CHARS = 4096

const LEVELS = new Set(['debug', 'info', 'warn', 'error'])

export class LogLines {
  readonly lines: LogLine[] = []
  private bytes = 0
  private dropped = 0

  write(level: string, message: string): void {
    if (this.dropped > 0 || this.lines.length >= MAX_LOG_LINES) {
      this.dropped++
      return
    }
    const text = message.length > MAX_LOG_LINE_CHARS ? `${message.slice(0, MAX_LOG_LINE_CHARS)}…` : message
    const size = Buffer.byteLength(text)
    if (this.bytes + size > MAX_LOG_BYTES) {
      this.dropped++
      return
    }
    this.bytes += size
    // A raw component may pass any level; the framework passes one of these four.
    this.lines.push({ level: LEVELS.has(level) ? level : 'info', message: text })
  }

  /** The lines kept, and a final line saying how many were dropped, if any. */
  result(): LogLine[] {
    if (this.dropped === 0) return this.lines
    return [
      ...this.lines,
      {
        level: 'warn',
        message: `log truncated: ${this.dropped} more line${this.dropped === 1 ? '' : 's'} dropped (at most ${MAX_LOG_LINES} lines and ${MAX_LOG_BYTES} bytes per invocation)`,
      },
    ]
  }
}
