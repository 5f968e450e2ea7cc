// `node --conditions=nexus-source --import tsx gateway/src/bin.ts …`: the gateway process without the
// CLI package (the same as `nexus gateway …`; options in process-main.ts).
import { runGatewayProcess } from './process-main.ts'

process.exitCode = await runGatewayProcess(process.argv.slice(2))
