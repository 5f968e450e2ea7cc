// `nexus gateway --replicas <url,…> --network <network.json> …`: one gateway process (options and
// secrets rules in @nexus/gateway's process-main.ts; `nexus gateway` with no options prints them).
import { runGatewayProcess } from '@nexus/gateway'

export function run(argv: string[]): Promise<number> {
  return runGatewayProcess(argv)
}
