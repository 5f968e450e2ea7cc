// @nexus/contracts: Solidity verifiers and inbox (generated artifacts with full viem typing),
// a local anvil launcher, deploy helpers and encoders.
export * as NexusVerifier from '../generated/NexusVerifier.ts'
export * as NexusInbox from '../generated/NexusInbox.ts'
export * as NexusConsumerExample from '../generated/NexusConsumerExample.ts'
export { startAnvil, anvilBinary, AnvilStartError, type Anvil, type StartAnvilOptions } from './anvil.ts'
export {
  ANVIL_PRIVATE_KEY,
  createClients,
  deployArtifact,
  deployNexus,
  registerFunction,
  parseRequested,
  toEip2537Key,
  FunctionMode,
  DeployError,
  type Clients,
  type DeployNexusParameters,
  type DeployNexusReturnType,
  type RegisterFunctionParameters,
} from './deploy.ts'
export {
  g1ToEip2537,
  g2ToEip2537,
  g1FromEip2537,
  toContractResult,
  toFulfilArgs,
  toBatchProof,
  PointEncodingError,
  ResultEncodingError,
  type ContractResult,
  type ResultFieldsLike,
  type AttestedResultLike,
} from './encode.ts'
