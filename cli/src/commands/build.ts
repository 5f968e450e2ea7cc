// `nexus build [--config nexus.config.ts] [--out .nexus/build] [--check] [--no-typecheck]`: type-checks
// the handlers and the config, validates every decorator against the config and builds one
// component + manifest per declared function.
import { relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildProject } from '@nexus/framework/build'
import { printBuildProgress } from './build-progress.ts'

const usage = 'usage: nexus build [--config nexus.config.ts] [--out .nexus/build] [--check] [--no-typecheck]'

export async function run(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', default: 'nexus.config.ts' },
        out: { type: 'string' },
        check: { type: 'boolean', default: false },
        'no-typecheck': { type: 'boolean', default: false },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nexus build: ${(err as Error).message}\n${usage}`)
    return 2
  }
  const started = performance.now()
  const project = await buildProject(resolve(values.config), {
    out: values.out,
    checkOnly: values.check,
    typecheck: !values['no-typecheck'],
    onProgress: printBuildProgress((line) => console.error(line)),
  })
  for (const fn of project.functions) {
    const triggers = fn.triggers.map((t) =>
      t.kind === 'event'
        ? `event ${t.contract}.${t.event}`
        : t.kind === 'block'
          ? `block every ${t.every}`
          : t.kind === 'route'
            ? `${t.method} ${t.path}`
            : `cron ${t.schedule}`,
    )
    console.log(`${fn.id.padEnd(28)} ${fn.manifest?.codeHash.slice(0, 18) ?? '(checked)'}  ${triggers.join(', ')}`)
  }
  for (const z of project.zk) console.log(`${z.exportName.padEnd(28)} zk circuit ${z.circuit} (served by the gateway's zk service)`)
  const where = values.check ? '' : ` into ${relative(process.cwd(), project.outDir) || '.'}`
  console.log(`${project.functions.length} function(s) of ${project.name}${where} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return 0
}
