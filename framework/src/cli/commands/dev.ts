// `nexus dev [--dir .nexus] [--port 8787] [--examples examples]`: the whole stack on one machine
// with no external services — keys on first run, 4 replica processes (t = 3), a gateway on
// PGlite, every examples/<name>/handler.ts built and deployed. Ctrl-C stops it; state persists.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureKeys, repoRoot, startReplicas, type ReplicaProcess } from '../../../../gateway/src/dev/index.ts'
import { createGateway, type Gateway } from '../../../../gateway/src/index.ts'
import { buildHandler } from '../../../../runtime/src/index.ts'

export const summary = 'run gateway + 4 replicas (t=3) locally on PGlite under .nexus/ and deploy examples/'

const usage = 'usage: nexus dev [--dir .nexus] [--port 8787] [--examples <dir>] [--t 3] [--n 4]'

async function apiKey(dir: string): Promise<string> {
  const file = join(dir, 'deploy-api-key')
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const key = `nxs_${randomBytes(18).toString('base64url')}`
  await writeFile(file, `${key}\n`, { mode: 0o600 })
  return key
}

export async function run(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string', default: '.nexus' },
        port: { type: 'string', default: '8787' },
        examples: { type: 'string', default: join(repoRoot, 'examples') },
        t: { type: 'string', default: '3' },
        n: { type: 'string', default: '4' },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nexus dev: ${(err as Error).message}\n${usage}`)
    return 2
  }
  const dir = resolve(values.dir)
  const t = Number(values.t)
  const n = Number(values.n)
  const started = performance.now()
  const { network, created } = await ensureKeys(join(dir, 'keys'), { t, n })
  console.log(created ? `generated ${t}-of-${n} keys in ${join(dir, 'keys')}` : `reusing keys in ${join(dir, 'keys')}`)
  const key = await apiKey(dir)

  let replicas: ReplicaProcess[] = []
  let gateway: Gateway | undefined
  const shutdown = async () => {
    await gateway?.close().catch(() => {})
    await Promise.all(replicas.map((r) => r.stop()))
  }
  try {
    replicas = await startReplicas(dir, join(dir, 'keys'), n)
    for (const r of replicas) console.log(`replica ${r.index}  ${r.url}`)
    gateway = await createGateway({
      database: process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: join(dir, 'gateway') },
      replicas: replicas.map((r) => r.url),
      network,
      apiKeys: [key],
      logger: (m) => console.log(`gateway: ${m}`),
    })
    const port = await gateway.listen(Number(values.port))
    const url = `http://127.0.0.1:${port}`

    const deployed: string[] = []
    const examples = existsSync(values.examples) ? await readdir(values.examples, { withFileTypes: true }) : []
    for (const entry of examples) {
      const handler = join(values.examples, entry.name, 'handler.ts')
      if (!entry.isDirectory() || !existsSync(handler)) continue
      const artifact = await buildHandler(handler, { name: entry.name })
      const res = await gateway.app.request('/v1/functions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ manifest: artifact.manifest, component: Buffer.from(artifact.component).toString('base64') }),
      })
      const body = (await res.json()) as { codeHash?: string; created?: boolean; error?: { message: string } }
      if (!res.ok) throw new Error(`deploy of ${entry.name} failed: ${body.error?.message}`)
      console.log(`function ${entry.name}  ${body.codeHash}${body.created ? '' : ' (unchanged)'}`)
      deployed.push(entry.name)
    }

    const example = deployed.includes('hello') ? 'hello' : deployed[0]
    console.log(`
Nexus dev stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${t}-of-${n}, data in ${dir})
  gateway   ${url}        (API: ${url}/openapi.json, metrics: ${url}/metrics)
  deploy key ${join(dir, 'deploy-api-key')}
  network   ${join(dir, 'keys', 'network.json')}
${example ? `
Invoke (returns an attested result):
  curl -s -X POST ${url}/v1/functions/${example}/invoke -H 'content-type: application/json' -d '{"name":"nexus"}'
Verify it (off-chain, against the network's group key):
  curl -s -X POST ${url}/v1/functions/${example}/invoke -d '{}' | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.stringify(JSON.parse(s).result)))' > /tmp/nexus-result.json
  node --import tsx ${join(repoRoot, 'framework/src/cli/main.ts')} verify /tmp/nexus-result.json --network ${join(dir, 'keys', 'network.json')}
` : ''}
Ctrl-C to stop (state is kept for the next start).`)
    console.log(JSON.stringify({ event: 'ready', url, functions: deployed }))

    await new Promise<void>((done) => {
      process.once('SIGINT', done)
      process.once('SIGTERM', done)
    })
    console.log('stopping…')
    await shutdown()
    return 0
  } catch (err) {
    await shutdown()
    throw err
  }
}
