// @nexus/gateway — HTTP API, ordered invocation log, quorum scheduling.
export { createGateway, type CreateGatewayParameters, type Gateway } from './gateway.ts'
export { createDatabase, type CreateDatabaseParameters, type Database } from './database/index.ts'
export { createLog, type Invocation, type Log } from './log/index.ts'
export { createScheduler, type Scheduler } from './scheduler/index.ts'
// The execute request a replica gets for a logged invocation: cluster-mode replicas build it from the log themselves.
export { requestOf } from './scheduler/lane.ts'
export { createReplicaClient, type ReplicaClient } from './replicas/index.ts'
export { createApp, type CreateAppParameters } from './server/app.ts'
export { createMetrics, type Metrics } from './metrics.ts'
export * from './errors.ts'
export { runGatewayProcess } from './process-main.ts'
