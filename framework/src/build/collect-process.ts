// Handler files are author code: the build imports them in a child process, never in the process
// that calls buildProject (in `nexus dev` that process is the gateway). The child prints what
// collect.ts finds as JSON on stdout; bigints travel as { "$bigint": "<decimal>" }.
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { NexusError } from '@nexus/protocol'
import { collectFunctions, collectZkFunctions, handlerLoadHint, type CollectedFunction, type CollectedZkFunction } from './collect.ts'
import { HandlerLoadError } from './errors.ts'

export type Collected = { functions: CollectedFunction[]; zk: CollectedZkFunction[] }

const replacer = (_key: string, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v)
const reviver = (_key: string, v: unknown) =>
  v && typeof v === 'object' && typeof (v as { $bigint?: unknown }).$bigint === 'string' && Object.keys(v).length === 1
    ? BigInt((v as { $bigint: string }).$bigint)
    : v

async function collectHere(files: string[]): Promise<Collected> {
  const out: Collected = { functions: [], zk: [] }
  for (const file of files) {
    out.functions.push(...(await collectFunctions(file)))
    out.zk.push(...(await collectZkFunctions(file)))
  }
  return out
}

const self = fileURLToPath(import.meta.url)

/**
 * Collects declared functions of `files` in a child Node process (tsx loader: handler files are
 * TypeScript). Run from the repository's source, the child resolves the workspace packages to
 * their source too (the `nexus-source` export condition).
 */
export function collectInChildProcess(files: string[]): Promise<Collected> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
  const flags = ['--import', tsx, ...(self.endsWith('.ts') ? ['--conditions=nexus-source'] : [])]
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [...flags, self, ...files], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      let answer: { ok?: Collected; error?: { name: string; message: string; shortMessage?: string; details?: string } } | undefined
      try {
        answer = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1), reviver)
      } catch {
        answer = undefined
      }
      if (answer?.ok) return resolvePromise(answer.ok)
      const e = answer?.error
      if (e?.name === 'HandlerLoadError' && e.shortMessage)
        return reject(new HandlerLoadError(e.shortMessage, { details: e.details, metaMessages: [handlerLoadHint] }))
      reject(
        new HandlerLoadError('Could not collect handlers.', {
          details: e?.message ?? `the collecting process failed: ${err?.message ?? 'no answer'}\n${stderr.trim()}`,
        }),
      )
    })
  })
}

if (process.argv[1] === self) {
  collectHere(process.argv.slice(2)).then(
    (ok) => process.stdout.write(`\n${JSON.stringify({ ok }, replacer)}\n`),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err))
      const nexus = e instanceof NexusError ? { shortMessage: e.shortMessage, details: e.details } : {}
      process.stdout.write(`\n${JSON.stringify({ error: { name: e.name, message: e.message, ...nexus } })}\n`)
      process.exitCode = 1
    },
  )
}
