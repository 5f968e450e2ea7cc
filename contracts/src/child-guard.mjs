// Keeps a foreign binary (anvil) from outliving the Node process that started it. Node cannot ask
// Linux to signal a child when its parent dies (prctl PDEATHSIG is not exposed), and a binary we
// did not write cannot watch a pipe, so this small plain-JS process stands between them:
//   parent ──stdin pipe──▶ child-guard ──spawn──▶ binary (stdout/stderr passed straight through)
// When the parent dies, however it dies (SIGKILL included), the kernel closes the pipe's write end;
// the guard sees end-of-file on stdin and stops the binary (SIGTERM, then SIGKILL after 3 s). It
// forwards SIGTERM/SIGINT and exits with the binary's exit status. The parent starts it in a
// process group of its own (spawn detached) and signals the whole group, so even a SIGKILL of the
// guard itself takes the binary with it. Plain JavaScript so it starts in tens of milliseconds.
// Usage: node child-guard.mjs <binary> [args…]
import { spawn } from 'node:child_process'
import { constants } from 'node:os'

const [binary, ...args] = process.argv.slice(2)
if (!binary) {
  console.error('usage: node child-guard.mjs <binary> [args…]')
  process.exit(2)
}
const child = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] })
let stopping = false
const stop = (signal) => {
  if (stopping) return
  stopping = true
  child.kill(signal)
  setTimeout(() => child.kill('SIGKILL'), 3000).unref()
}
process.stdin.on('end', () => stop('SIGTERM'))
process.stdin.on('error', () => stop('SIGTERM'))
process.stdin.resume()
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
child.on('error', (err) => {
  console.error(String(err))
  process.exit(127)
})
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)))
