// What \`nexus build\` and \`nexus deploy\` print while the project builds: the type check and each
// function's componentize can take seconds, so each step says when it starts and how long it took.
import type { BuildProgress } from '@nexus/framework/build'

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export function printBuildProgress(log: (line: string) => void): (event: BuildProgress) => void {
  return (event) => {
    if (event.step === 'typecheck') log(`type-checking ${event.files} file(s)…`)
    else if (event.step === 'typechecked') log(`type-checked (${seconds(event.ms)})`)
    else if (event.step === 'start') log(`building ${event.id}…`)
    else log(`built ${event.id} (${seconds(event.ms)}${event.cached ? ', cached' : ''})`)
  }
}
