// Handler files are author code: the build imports them in a child process, never in the process
// that calls buildProject (in `nexus dev` that process is the gateway). The child prints what
// collect.ts finds as JSON on stdout; bigints travel as { "$bigint": "<decimal>" }.
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { NexusError } from '@nexus/protocol'
import { collectFunctions, collectZkFunctions, handlerLoadHint, type CollectedFunction, type CollectedZkFunction } from './collect.ts'
import { HandlerLoadError } from './errors.ts'

/** A handler file the child could not load or inspect (with `keepGoing`): its functions are unknown. */
export type CollectFailure = { file: string; error: HandlerLoadError }

export type Collected = { functions: CollectedFunction[]; zk: CollectedZkFunction[]; failures: CollectFailure[] }

type WireError = { name: string; message: string; shortMessage?: string; details?: string; stack?: string }

const toWire = (err: unknown): WireError => {
  const e = err instanceof Error ? err : new Error(String(err))
  const nexus = e instanceof NexusError ? { shortMessage: e.shortMessage, details: e.details } : {}
  // The innermost stack: where a throw during the import happened (tsx maps it to the .ts source).
  let inner: unknown = e
  while ((inner as { cause?: unknown }).cause instanceof Error) inner = (inner as { cause: Error }).cause
  return { name: e.name, message: e.message, ...nexus, stack: (inner as Error).stack }
}

const fromWire = (e: WireError | undefined, fallback: string): HandlerLoadError => {
  const cause = e?.stack ? Object.assign(new Error(e.details ?? e.message), { stack: e.stack }) : undefined
  if (e?.name === 'HandlerLoadError' && e.shortMessage)
    return new HandlerLoadError(e.shortMessage, { cause, details: e.details, metaMessages: [handlerLoadHint] })
  return new HandlerLoadError('Could not collect handlers.', { cause, details: e?.message ?? fallback })
}

export const collectedReplacer = (_key: string, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v)
export const collectedReviver = (_key: string, v: unknown) =>
  v && typeof v === 'object' && typeof (v as { $bigint?: unknown }).$bigint === 'string' && Object.keys(v).length === 1
    ? BigInt((v as { $bigint: string }).$bigint)
    : v

async function collectHere(
  files: string[],
  keepGoing: boolean,
): Promise<{ functions: CollectedFunction[]; zk: CollectedZkFunction[]; failures: { file: string; error: WireError }[] }> {
  const out = { functions: [] as CollectedFunction[], zk: [] as CollectedZkFunction[], failures: [] as { file: string; error: WireError }[] }
  for (const file of files) {
    try {
      const functions = await collectFunctions(file)
      const zk = await collectZkFunctions(file)
      out.functions.push(...functions)
      out.zk.push(...zk)
    } catch (err) {
      if (!keepGoing) throw err
      out.failures.push({ file, error: toWire(err) })
    }
  }
  return out
}

const self = fileURLToPath(import.meta.url)

/**
 * Collects declared functions of `files` in a child Node process (tsx loader: handler files are
 * TypeScript). Run from the repository's source, the child resolves the workspace packages to
 * their source too (the `nexus-source` export condition).
 */
export function collectInChildProcess(files: string[], options: { keepGoing?: boolean } = {}): Promise<Collected> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
  const flags = ['--import', tsx, ...(self.endsWith('.ts') ? ['--conditions=nexus-source'] : [])]
  return new Promise((resolvePromise, reject) => {
    const args = [...flags, self, ...(options.keepGoing ? ['--keep-going'] : []), ...files]
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      type Answer = { functions: CollectedFunction[]; zk: CollectedZkFunction[]; failures: { file: string; error: WireError }[] }
      let answer: { ok?: Answer; error?: WireError } | undefined
      try {
        answer = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1), collectedReviver)
      } catch {
        answer = undefined
      }
      const ok = answer?.ok
      if (ok) return resolvePromise({ ...ok, failures: ok.failures.map((f) => ({ file: f.file, error: fromWire(f.error, 'could not load it') })) })
      reject(fromWire(answer?.error, `the collecting process failed: ${err?.message ?? 'no answer'}\n${stderr.trim()}`))
    })
  })
}

if (process.argv[1] === self) {
  const keepGoing = process.argv[2] === '--keep-going'
  collectHere(process.argv.slice(keepGoing ? 3 : 2), keepGoing).then(
    (ok) => process.stdout.write(`\n${JSON.stringify({ ok }, collectedReplacer)}\n`),
    (err: unknown) => {
      process.stdout.write(`\n${JSON.stringify({ error: toWire(err) })}\n`)
      process.exitCode = 1
    },
  )
}
